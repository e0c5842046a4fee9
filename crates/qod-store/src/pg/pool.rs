//! The PostgreSQL connection pool, what happens to a connection after an error, and
//! migrations.

use std::time::Duration;

use diesel::pg::Pg;
use diesel::sql_types::Text;
use diesel::{ConnectionError, QueryableByName};
use diesel_async::async_connection_wrapper::AsyncConnectionWrapper;
use diesel_async::pooled_connection::deadpool::Pool as DeadPool;
use diesel_async::pooled_connection::{
    AsyncDieselConnectionManager, ManagerConfig, RecyclingMethod,
};
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use diesel_migrations::MigrationHarness;
use qod_domain::StoreError;
use tokio::time::error::Elapsed;

use crate::error::{Error, is_contention};
use crate::migrations::{POSTGRES, SchemaState};

/// The pool type.
pub(crate) type Pool = DeadPool<AsyncPgConnection>;

/// A pooled connection.
pub(crate) type Object = diesel_async::pooled_connection::deadpool::Object<AsyncPgConnection>;

/// How often an operation that lost to a concurrent transaction is run in all.
const MAX_ATTEMPTS: u32 = 3;

/// Bounds and timeouts of the PostgreSQL connection pool.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PoolSettings {
    /// The most connections open at once.
    pub max_size: usize,
    /// The longest an operation waits for a free connection.
    pub wait_timeout: Duration,
    /// The longest opening a connection may take.
    pub create_timeout: Duration,
    /// The longest handing an idle connection out again may take (no query is run then).
    pub recycle_timeout: Duration,
    /// The longest one operation may take once it has a connection; the connection is
    /// dropped then, and the operation fails as unavailable.
    pub operation_timeout: Duration,
}

impl Default for PoolSettings {
    fn default() -> Self {
        Self {
            max_size: 16,
            wait_timeout: Duration::from_secs(5),
            create_timeout: Duration::from_secs(5),
            recycle_timeout: Duration::from_secs(5),
            operation_timeout: Duration::from_secs(30),
        }
    }
}

/// How PostgreSQL plans the statements a pool's connections keep prepared.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Plans {
    /// PostgreSQL's default: after a few uses it may keep a generic plan, made without the
    /// values. Right for statements on one key, whose best plan does not depend on the value.
    Default,
    /// One generic plan per kept statement, made once (`plan_cache_mode =
    /// force_generic_plan`), that reads through an index wherever one serves the statement
    /// (`enable_seqscan = off`). For statements on a list of keys (`= ANY($1)`): left to
    /// itself, PostgreSQL may keep a sequential scan as their generic plan, made while a table
    /// was small, until the table is analyzed again; planning each execution with its keys
    /// instead avoids that but costs a plan per statement.
    Indexed,
}

/// A pool on `url`. Opens no connection yet.
///
/// An idle connection is reused without a query: a check query on every checkout was a
/// round trip and a parse per operation. A connection the server closed (a restart, an
/// administrator's termination) is seen as closed and replaced, not handed out; one that
/// fails in use is dropped by [`settle`].
///
/// Every connection is opened on `runtime`, so that its I/O task (which diesel-async spawns
/// where the connection is opened) runs there, whoever asked for the connection. A shared pool
/// is opened on the multi-threaded runtime the store was connected on: when its connections
/// were opened from whichever HTTP worker asked first, a worker's queries could wait on
/// another worker's thread, and in about one run in four of the get benchmark some waited 0.5
/// to 3 s (see performance.md). A pool of one HTTP worker's thread (see `per_thread`) is
/// opened on that thread and used by it alone.
pub(crate) fn build(
    url: &str,
    settings: &PoolSettings,
    runtime: tokio::runtime::Handle,
    plans: Plans,
) -> Result<Pool, Error> {
    let mut config = ManagerConfig::default();
    config.recycling_method = RecyclingMethod::Fast;
    config.custom_setup = Box::new(move |url| {
        let url = url.to_owned();
        let opening = runtime.spawn(async move { establish(&url, plans).await });
        Box::pin(async move {
            opening
                .await
                .map_err(|e| ConnectionError::BadConnection(e.to_string()))?
        })
    });
    let manager = AsyncDieselConnectionManager::<AsyncPgConnection>::new_with_config(url, config);
    DeadPool::builder(manager)
        .max_size(settings.max_size.max(1))
        .wait_timeout(Some(settings.wait_timeout))
        .create_timeout(Some(settings.create_timeout))
        .recycle_timeout(Some(settings.recycle_timeout))
        .runtime(deadpool::Runtime::Tokio1)
        .build()
        .map_err(|e| Error::PoolBuild(e.to_string()))
}

/// Opens a connection and sets it up for `plans`.
async fn establish(url: &str, plans: Plans) -> Result<AsyncPgConnection, ConnectionError> {
    let mut conn = AsyncPgConnection::establish(url).await?;
    if plans == Plans::Indexed {
        diesel::sql_query(
            "SELECT set_config('plan_cache_mode', 'force_generic_plan', false), \
             set_config('enable_seqscan', 'off', false)",
        )
        .execute(&mut conn)
        .await
        .map_err(|e| ConnectionError::BadConnection(e.to_string()))?;
    }
    Ok(conn)
}

/// What an attempt of an operation comes to: `None` to run it again (it lost to a concurrent
/// transaction and was rolled back). A connection that failed or timed out is taken out of the
/// pool and closed, so it is never handed out again.
pub(crate) fn settle<T>(
    object: Object,
    outcome: Result<Result<T, Error>, Elapsed>,
    attempt: u32,
    limit: Duration,
) -> Option<Result<T, StoreError>> {
    let error = match outcome {
        Ok(Ok(value)) => return Some(Ok(value)),
        Ok(Err(e)) => e,
        Err(_) => Error::Timeout(limit),
    };
    if let Error::Query(e) = &error
        && is_contention(e)
        && attempt < MAX_ATTEMPTS
    {
        tracing::debug!(error = %e, attempt, "transaction lost to a concurrent one; running it again");
        return None;
    }
    if error.breaks_connection() {
        drop(Object::take(object));
    }
    Some(Err(error.into()))
}

/// A row of `__diesel_schema_migrations`.
#[derive(QueryableByName)]
#[diesel(check_for_backend(Pg))]
struct AppliedVersion {
    #[diesel(sql_type = Text)]
    version: String,
}

/// The versions of the migrations applied to the database (none when it was never migrated).
/// Reads only: never creates the bookkeeping table.
pub(crate) async fn applied_migrations(conn: &mut AsyncPgConnection) -> Result<Vec<String>, Error> {
    let tables: Vec<AppliedVersion> = diesel::sql_query(
        "SELECT table_name::TEXT AS version FROM information_schema.tables \
         WHERE table_schema = current_schema() AND table_name = '__diesel_schema_migrations'",
    )
    .load(conn)
    .await?;
    if tables.is_empty() {
        return Ok(Vec::new());
    }
    let applied: Vec<AppliedVersion> =
        diesel::sql_query("SELECT version::TEXT AS version FROM __diesel_schema_migrations")
            .load(conn)
            .await?;
    Ok(applied.into_iter().map(|v| v.version).collect())
}

/// Applies the pending migrations on a connection of its own, unless the schema is newer.
pub(crate) async fn migrate(url: &str) -> Result<Vec<String>, Error> {
    let mut conn = AsyncPgConnection::establish(url).await?;
    let applied = applied_migrations(&mut conn).await?;
    SchemaState::of::<Pg>(&POSTGRES, &applied)?.refuse_newer()?;
    // diesel's migration harness is synchronous: it runs on a blocking thread, driving the
    // async connection through the runtime.
    let mut sync_conn: AsyncConnectionWrapper<AsyncPgConnection> = conn.into();
    let ran = tokio::task::spawn_blocking(move || {
        sync_conn
            .run_pending_migrations(POSTGRES)
            .map(|versions| versions.iter().map(ToString::to_string).collect::<Vec<_>>())
            .map_err(|e| Error::Migration(e.to_string()))
    })
    .await
    .map_err(|e| Error::Task(e.to_string()))??;
    if !ran.is_empty() {
        tracing::info!(migrations = ?ran, "PostgreSQL schema migrated");
    }
    Ok(ran)
}

#[cfg(test)]
mod tests {
    use diesel::QueryableByName;
    use diesel::sql_types::Text;
    use diesel_async::{AsyncPgConnection, RunQueryDsl};

    use super::{Plans, PoolSettings, build};

    #[derive(QueryableByName)]
    struct Setting {
        #[diesel(sql_type = Text)]
        plan_cache_mode: String,
    }

    #[derive(QueryableByName)]
    struct PlanLine {
        #[diesel(sql_type = Text, column_name = "QUERY PLAN")]
        line: String,
    }

    async fn run(conn: &mut AsyncPgConnection, sql: &str) {
        diesel::sql_query(sql).execute(conn).await.unwrap();
    }

    /// The server's `plan_cache_mode` on a connection of a pool built for `plans`, and the
    /// plan it keeps for a read of a list of keys in a small table that was analyzed, on the
    /// local PostgreSQL server (`QOD_TEST_PG_URL`, as for the storage tests).
    async fn planning(plans: Plans) -> (String, String) {
        let url = std::env::var("QOD_TEST_PG_URL")
            .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into());
        let pool = build(
            &url,
            &PoolSettings::default(),
            tokio::runtime::Handle::current(),
            plans,
        )
        .unwrap();
        let mut conn = pool.get().await.unwrap();
        let mode = diesel::sql_query("SHOW plan_cache_mode")
            .get_result::<Setting>(&mut *conn)
            .await
            .unwrap()
            .plan_cache_mode;
        run(
            &mut conn,
            "CREATE TEMP TABLE keyed (id TEXT PRIMARY KEY, body TEXT)",
        )
        .await;
        run(
            &mut conn,
            "INSERT INTO keyed SELECT g::text, '{}' FROM generate_series(1, 10) g",
        )
        .await;
        run(&mut conn, "ANALYZE keyed").await;
        run(
            &mut conn,
            "PREPARE by_keys(text[]) AS SELECT id, body FROM keyed WHERE id = ANY($1)",
        )
        .await;
        let plan = diesel::sql_query("EXPLAIN EXECUTE by_keys('{1,2}')")
            .load::<PlanLine>(&mut *conn)
            .await
            .unwrap()
            .into_iter()
            .map(|l| l.line)
            .collect::<Vec<_>>()
            .join("\n");
        (mode, plan)
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_pool_for_indexed_plans_keeps_index_scans_and_the_default_pool_does_not() {
        let (mode, plan) = planning(Plans::Indexed).await;
        assert_eq!(mode, "force_generic_plan");
        assert!(plan.starts_with("Index Scan using keyed_pkey"), "{plan}");
        let (mode, plan) = planning(Plans::Default).await;
        assert_eq!(mode, "auto");
        assert!(plan.starts_with("Seq Scan on keyed"), "{plan}");
    }
}
