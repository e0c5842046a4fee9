//! Transactions whose `BEGIN` travels with their first statement.
//!
//! diesel's transactions send `BEGIN` and wait for its answer before the first statement: a
//! round trip that carries nothing, and on a small, busy machine a round trip is what a short
//! transaction spends most of its time on (a third of a millisecond or more, mostly waiting for
//! PostgreSQL's backend to be scheduled). Here `BEGIN` and the first statement are pipelined:
//! both are queued on the connection before either answer is awaited.
//!
//! diesel's transaction manager is told of the transaction before `BEGIN` is sent, so that it
//! ends the transaction as its own (`COMMIT`, or `ROLLBACK` on any error) and so that a
//! connection given back with the transaction still open (the future dropped halfway) counts as
//! broken and is never handed out again.
//!
//! The `COMMIT` can travel too: [`commit_behind`] queues it behind the transaction's last
//! statements instead of waiting for their answers first.

use diesel::connection::TransactionDepthChange;
use diesel::pg::Pg;
use diesel::query_builder::{AstPass, QueryFragment, QueryId};
use diesel_async::methods::LoadQuery;
use diesel_async::{
    AnsiTransactionManager, AsyncPgConnection, RunQueryDsl, SimpleAsyncConnection,
    TransactionManager,
};
use futures_util::future::join;

use crate::error::Error;

/// Runs `first` (a statement that returns rows) and then `rest` with those rows in one
/// transaction, committed when both succeed and rolled back otherwise. `BEGIN` goes out with
/// `first`: queued first, it is executed first, since a connection executes what it is sent
/// in order.
pub(crate) async fn transaction<'q, Q, U, R, B>(
    conn: &mut AsyncPgConnection,
    first: Q,
    rest: B,
) -> Result<R, Error>
where
    Q: for<'c> LoadQuery<'q, &'c AsyncPgConnection, U> + Send + 'q,
    U: Send,
    B: AsyncFnOnce(&mut AsyncPgConnection, Vec<U>) -> Result<R, Error>,
{
    status(conn)
        .transaction_state()?
        .change_transaction_depth(TransactionDepthChange::IncreaseDepth)?;
    let outcome = async {
        let shared: &AsyncPgConnection = conn;
        // `join` polls `BEGIN` first, and a simple query is queued on its first poll; the
        // statement is queued on its own first poll or later (after its preparation).
        let (begun, rows) = join(
            async { (&mut { shared }).batch_execute("BEGIN").await },
            first.get_results::<U>(&mut { shared }),
        )
        .await;
        begun?;
        let rows = rows?;
        rest(&mut *conn, rows).await
    }
    .await;
    match outcome {
        Ok(value) => {
            // `rest` may have committed already, with `commit_behind`.
            if status(conn).transaction_depth()?.is_some() {
                AnsiTransactionManager::commit_transaction(conn).await?;
            }
            Ok(value)
        }
        Err(e) => {
            // A rollback that fails leaves diesel's manager in error: the pool drops the
            // connection instead of handing it out again. The first error is the one to tell.
            if let Err(rollback) = AnsiTransactionManager::rollback_transaction(conn).await {
                tracing::debug!(error = %rollback, "rollback failed; the connection is dropped");
            }
            Err(e)
        }
    }
}

/// Runs `last`, the statements that end a [`transaction`], and commits it, without waiting for
/// their answers before sending `COMMIT`: one round trip for both. `last` must send every one
/// of its statements when first polled (statements joined, none waiting for another's answer):
/// `COMMIT` is polled right after it and goes out behind whatever `last` has queued by then.
///
/// `COMMIT` is sent as a prepared statement, not as a simple query, because that keeps it in
/// order: each statement of a connection takes the connection's statement cache in turn, in
/// the order they were first polled (a fair lock), and holds it while it is prepared, so a
/// statement that is not prepared yet keeps `COMMIT` behind it during its own round trip. When
/// a statement of `last` fails, PostgreSQL has aborted the transaction and takes the `COMMIT`
/// behind it as a `ROLLBACK`; the error is returned, and `transaction` rolls back as usual.
pub(crate) async fn commit_behind<T, L>(conn: &mut AsyncPgConnection, last: L) -> Result<T, Error>
where
    L: AsyncFnOnce(&AsyncPgConnection) -> Result<T, Error>,
{
    let shared: &AsyncPgConnection = conn;
    let (done, committed) = join(last(shared), Commit.execute(&mut { shared })).await;
    let done = done?;
    committed?;
    status(conn)
        .transaction_state()?
        .change_transaction_depth(TransactionDepthChange::DecreaseDepth)?;
    Ok(done)
}

fn status(conn: &mut AsyncPgConnection) -> &mut diesel::connection::TransactionManagerStatus {
    <AnsiTransactionManager as TransactionManager<AsyncPgConnection>>::transaction_manager_status_mut(conn)
}

/// The statement `COMMIT`; its text never changes, so diesel keeps it prepared.
#[derive(Debug, Clone, Copy)]
struct Commit;

impl QueryFragment<Pg> for Commit {
    fn walk_ast<'b>(&'b self, mut pass: AstPass<'_, 'b, Pg>) -> diesel::QueryResult<()> {
        pass.push_sql("COMMIT");
        Ok(())
    }
}

impl QueryId for Commit {
    type QueryId = ();
    const HAS_STATIC_QUERY_ID: bool = false;
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use diesel::sql_types::{BigInt, Integer};
    use diesel::{QueryableByName, sql_query};
    use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl, TransactionManager};

    use super::{AnsiTransactionManager, commit_behind, transaction};
    use crate::error::Error;

    #[derive(QueryableByName)]
    struct Value {
        #[diesel(sql_type = Integer)]
        x: i32,
    }

    #[derive(QueryableByName)]
    struct Count {
        #[diesel(sql_type = BigInt)]
        n: i64,
    }

    /// A connection of its own, with an empty temporary table `t (x)`.
    async fn connection() -> AsyncPgConnection {
        let url = std::env::var("QOD_TEST_PG_URL")
            .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into());
        let mut conn = AsyncPgConnection::establish(&url).await.unwrap();
        sql_query("CREATE TEMPORARY TABLE t (x INTEGER NOT NULL)")
            .execute(&mut conn)
            .await
            .unwrap();
        conn
    }

    async fn rows(conn: &mut AsyncPgConnection) -> i64 {
        let counted: Vec<Count> = sql_query("SELECT count(*) AS n FROM t")
            .load(conn)
            .await
            .unwrap();
        counted[0].n
    }

    /// Inserts `x` in a transaction of diesel's own, which fails if the connection is still in
    /// one, and counts the rows after it.
    async fn rows_after_a_diesel_transaction(conn: &mut AsyncPgConnection, x: i32) -> i64 {
        conn.transaction(async |tx| insert(x).execute(tx).await.map(|_| ()))
            .await
            .unwrap();
        rows(conn).await
    }

    fn insert(x: i32) -> diesel::query_builder::SqlQuery {
        sql_query(format!("INSERT INTO t (x) VALUES ({x}) RETURNING x"))
    }

    /// The first statement is inside the transaction: its row goes when the rest fails, on a
    /// connection that has prepared nothing yet. Had it run before `BEGIN`, it would stay.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn the_first_statement_is_rolled_back_with_the_rest() {
        let mut conn = connection().await;
        let failed = transaction(&mut conn, insert(1), async |_, inserted: Vec<Value>| {
            assert_eq!(inserted.iter().map(|v| v.x).collect::<Vec<_>>(), [1]);
            Err::<(), _>(Error::Corrupt("the rest failed".into()))
        })
        .await;
        assert!(matches!(failed, Err(Error::Corrupt(_))), "{failed:?}");
        assert_eq!(rows(&mut conn).await, 0);
        assert!(!AnsiTransactionManager::is_broken_transaction_manager(
            &mut conn
        ));
    }

    /// Both parts commit together, and the connection is left outside any transaction: diesel's
    /// own transactions work on it afterwards.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_transaction_commits_its_first_statement_and_its_rest() {
        let mut conn = connection().await;
        let done = transaction(&mut conn, insert(1), async |tx, inserted: Vec<Value>| {
            insert(2).execute(tx).await?;
            Ok(inserted.len())
        })
        .await
        .unwrap();
        assert_eq!(done, 1);
        assert_eq!(rows(&mut conn).await, 2);
        // `BEGIN` again would warn, not fail; diesel refuses a transaction inside its own.
        assert_eq!(rows_after_a_diesel_transaction(&mut conn, 3).await, 3);
    }

    /// A transaction dropped halfway leaves a connection that the pool's check calls broken, so
    /// it is never handed out with the transaction open.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_transaction_dropped_halfway_leaves_the_connection_broken() {
        let mut conn = connection().await;
        assert!(!AnsiTransactionManager::is_broken_transaction_manager(
            &mut conn
        ));
        let halfway = tokio::time::timeout(
            Duration::from_millis(200),
            transaction(&mut conn, insert(1), async |_, _: Vec<Value>| {
                std::future::pending::<Result<(), Error>>().await
            }),
        )
        .await;
        assert!(halfway.is_err(), "the transaction cannot have finished");
        assert!(AnsiTransactionManager::is_broken_transaction_manager(
            &mut conn
        ));
    }

    /// Three statements after the first, the last two sent with `COMMIT` on a connection that
    /// has prepared none of them: all are committed, once, and diesel's own transactions work
    /// on the connection afterwards.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_commit_behind_the_last_statements_commits_them_all() {
        let mut conn = connection().await;
        let done = transaction(&mut conn, insert(1), async |tx, _: Vec<Value>| {
            insert(2).execute(&mut *tx).await?;
            commit_behind(tx, async |c: &AsyncPgConnection| {
                let (three, four) = futures_util::future::join(
                    insert(3).execute(&mut { c }),
                    insert(4).execute(&mut { c }),
                )
                .await;
                Ok(three? + four?)
            })
            .await
        })
        .await
        .unwrap();
        assert_eq!(done, 2);
        assert_eq!(rows(&mut conn).await, 4);
        assert!(
            AnsiTransactionManager::transaction_manager_status_mut(&mut conn)
                .transaction_depth()
                .unwrap()
                .is_none()
        );
        assert_eq!(rows_after_a_diesel_transaction(&mut conn, 5).await, 5);
    }

    /// The last statement fails after a round trip of its own (it is prepared first): `COMMIT`
    /// waits behind it, so PostgreSQL takes it as a `ROLLBACK` and nothing of the transaction
    /// stays. Had `COMMIT` overtaken it, the first two rows would be stored.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_commit_behind_a_failing_statement_keeps_nothing() {
        let mut conn = connection().await;
        let failed = transaction(&mut conn, insert(1), async |tx, _: Vec<Value>| {
            commit_behind(tx, async |c: &AsyncPgConnection| {
                let (two, fails) = futures_util::future::join(
                    insert(2).execute(&mut { c }),
                    sql_query("INSERT INTO t (x) SELECT 1 / (count(*) - count(*))::INTEGER FROM t")
                        .execute(&mut { c }),
                )
                .await;
                Ok(two? + fails?)
            })
            .await
        })
        .await;
        assert!(matches!(failed, Err(Error::Query(_))), "{failed:?}");
        assert_eq!(rows(&mut conn).await, 0);
        assert!(!AnsiTransactionManager::is_broken_transaction_manager(
            &mut conn
        ));
        assert_eq!(rows_after_a_diesel_transaction(&mut conn, 3).await, 1);
    }
}
