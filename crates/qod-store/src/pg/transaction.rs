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

use diesel::connection::TransactionDepthChange;
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
    <AnsiTransactionManager as TransactionManager<AsyncPgConnection>>::transaction_manager_status_mut(conn)
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
            AnsiTransactionManager::commit_transaction(conn).await?;
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

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use diesel::sql_types::{BigInt, Integer};
    use diesel::{QueryableByName, sql_query};
    use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl, TransactionManager};

    use super::{AnsiTransactionManager, transaction};
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
        conn.transaction(async |tx| insert(3).execute(tx).await.map(|_| ()))
            .await
            .unwrap();
        assert_eq!(rows(&mut conn).await, 3);
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
}
