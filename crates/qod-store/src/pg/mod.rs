//! [`PgStore`]: the PostgreSQL implementation of the domain's [`SessionStore`].

mod cached;
mod ops;
mod outbox;
mod per_thread;
mod pool;
mod queue;
mod quota;
mod reads;
mod transaction;

use async_trait::async_trait;
use qod_domain::ports::{NewSession, SessionUpdate};
use qod_domain::{
    DeliveryAttempt, DeliveryCounts, EventClaim, OutboxEvent, OutboxStore, Session, SessionStore,
    StatusChange, StoreError, Timer,
};
use time::{Duration, OffsetDateTime};
use uuid::Uuid;

use self::batch::Batcher;
use self::lookups::Lookups;
use self::per_thread::PerThread;
use self::pool::Pool;
pub use self::pool::PoolSettings;
use crate::claims::sql_limit;
use crate::contract::Inspect;
use crate::error::Error;
use crate::rows::to_ms;

/// Runs `$body`, an expression that uses `$conn: &mut AsyncPgConnection`, on a pooled
/// connection within the operation timeout, and runs it again when it lost to a concurrent
/// transaction. Evaluates to `Result<_, StoreError>`.
macro_rules! with_conn {
    ($store:expr, |$conn:ident| $body:expr) => {{
        let mut attempt: u32 = 1;
        loop {
            let mut object = $store.connection().await?;
            let outcome = {
                let $conn: &mut ::diesel_async::AsyncPgConnection = &mut object;
                tokio::time::timeout($store.settings.operation_timeout, $body).await
            };
            match $crate::pg::pool::settle(
                object,
                outcome,
                attempt,
                $store.settings.operation_timeout,
            ) {
                Some(result) => break result,
                None => attempt += 1,
            }
        }
    }};
}

mod batch;
mod lookups;

/// The pool and its settings: what every operation needs to get a connection.
#[derive(Clone)]
pub(crate) struct Db {
    pool: Pool,
    settings: PoolSettings,
}

impl Db {
    async fn connection(&self) -> Result<pool::Object, StoreError> {
        Ok(self.pool.get().await.map_err(Error::from)?)
    }
}

/// Sessions in a PostgreSQL (or compatible) database, shared by any number of instances.
///
/// Every operation is one transaction on a pooled connection. Creations lock the device's
/// row in `device_locks` first, so the conflict check and the insert are atomic across
/// instances, and creations waiting at the same moment share one transaction (see `batch`);
/// due timers are claimed with `FOR UPDATE SKIP LOCKED` and a lease.
pub struct PgStore {
    db: Db,
    creates: Batcher,
    reads: PerThread<Lookups>,
}

impl std::fmt::Debug for PgStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PgStore")
            .field("settings", &self.db.settings)
            .field("pool", &self.db.pool.status())
            .field("reads", &self.reads)
            .finish()
    }
}

impl PgStore {
    /// Connects a pool to the database at `url` and checks that its schema is exactly this
    /// binary's: [`Error::SchemaNotMigrated`] when migrations are pending (run
    /// [`PgStore::migrate`]), [`Error::SchemaTooNew`] when a newer release migrated it. Never
    /// migrates. Must run inside the tokio runtime that will use the store: its connections
    /// are opened, and do their I/O, on that runtime, whichever task uses them (in a server,
    /// the multi-threaded runtime, not an HTTP worker's). The exception is the point reads of
    /// a single-threaded runtime (an HTTP worker's): each such thread gets readers and
    /// connections of its own, on that thread (see `per_thread`).
    pub async fn connect(url: &str, settings: PoolSettings) -> Result<Self, Error> {
        let runtime = tokio::runtime::Handle::try_current()
            .map_err(|e| Error::PoolBuild(format!("not inside a tokio runtime: {e}")))?;
        let pool = pool::build(url, &settings, runtime.clone(), pool::Plans::Default)?;
        let db = Db { pool, settings };
        let mut conn = db.pool.get().await?;
        let applied = pool::applied_migrations(&mut conn).await?;
        crate::migrations::SchemaState::of::<diesel::pg::Pg>(
            &crate::migrations::POSTGRES,
            &applied,
        )?
        .require_current()?;
        drop(conn);
        let creates = Batcher::start(&db);
        let workers = std::thread::available_parallelism().map_or(1, |n| n.get().div_ceil(2));
        let shared = Lookups::start(url, &settings, runtime, workers)?;
        let reads = PerThread::new(shared, {
            let url = url.to_owned();
            move |runtime| Lookups::start(&url, &settings, runtime, 1)
        });
        Ok(Self { db, creates, reads })
    }

    /// Applies the migrations the database at `url` lacks, and returns their versions. Refuses
    /// a schema that a newer release migrated.
    pub async fn migrate(url: &str) -> Result<Vec<String>, Error> {
        pool::migrate(url).await
    }

    /// How many sessions are stored.
    pub async fn count_sessions(&self) -> Result<u64, StoreError> {
        with_conn!(self.db, |c| reads::count_sessions(c))
    }

    /// Closes the pool: idle connections are closed, and later calls fail as unavailable.
    pub fn close(&self) {
        self.db.pool.close();
        self.reads.close();
    }
}

#[async_trait]
impl SessionStore for PgStore {
    async fn insert_session(&self, new: NewSession) -> Result<(), StoreError> {
        self.creates.insert(new).await
    }

    async fn session(&self, id: Uuid) -> Result<Option<Session>, StoreError> {
        self.reads.here()?.session(id).await
    }

    async fn sessions_of_device(&self, device_key: &str) -> Result<Vec<Session>, StoreError> {
        self.reads.here()?.sessions_of_device(device_key).await
    }

    async fn update_session(&self, update: SessionUpdate) -> Result<bool, StoreError> {
        with_conn!(self.db, |c| ops::update_session(c, &update))
    }

    async fn delete_session(
        &self,
        id: Uuid,
        expected_version: i64,
        change: Option<StatusChange>,
    ) -> Result<bool, StoreError> {
        with_conn!(self.db, |c| ops::delete(
            c,
            id,
            expected_version,
            change.as_ref()
        ))
    }

    async fn claim_due_timers(
        &self,
        now: OffsetDateTime,
        limit: usize,
        lease: Duration,
    ) -> Result<Vec<Timer>, StoreError> {
        if limit == 0 {
            return Ok(Vec::new());
        }
        let until = now.checked_add(lease).map_or(i64::MAX, to_ms);
        let (now, limit) = (to_ms(now), sql_limit(limit));
        with_conn!(self.db, |c| ops::claim(c, now, until, limit))
    }

    async fn next_due_time(&self) -> Result<Option<OffsetDateTime>, StoreError> {
        with_conn!(self.db, |c| reads::next_due_time(c))
    }

    async fn reschedule_timer(
        &self,
        timer: Timer,
        due_at: Option<OffsetDateTime>,
    ) -> Result<(), StoreError> {
        with_conn!(self.db, |c| ops::reschedule(c, &timer, due_at))
    }

    async fn status_changes(&self, session_id: Uuid) -> Result<Vec<StatusChange>, StoreError> {
        with_conn!(self.db, |c| reads::status_changes(c, session_id))
    }

    async fn count_active_sessions(
        &self,
        client_id: &str,
        now: OffsetDateTime,
    ) -> Result<u64, StoreError> {
        with_conn!(self.db, |c| quota::count_active_sessions(c, client_id, now))
    }
}

#[async_trait]
impl Inspect for PgStore {
    async fn timers_of(&self, session_id: Uuid) -> Result<Vec<Timer>, StoreError> {
        with_conn!(self.db, |c| reads::timers_of(c, session_id))
    }
}

#[async_trait]
impl OutboxStore for PgStore {
    async fn claim_events(&self, claim: &EventClaim) -> Result<Vec<OutboxEvent>, StoreError> {
        if claim.limit == 0 {
            return Ok(Vec::new());
        }
        with_conn!(self.db, |c| outbox::claim(c, claim))
    }

    async fn record_attempt(&self, attempt: &DeliveryAttempt) -> Result<bool, StoreError> {
        with_conn!(self.db, |c| outbox::record(c, attempt))
    }

    async fn next_event_time(
        &self,
        skip_origins: &[String],
    ) -> Result<Option<OffsetDateTime>, StoreError> {
        with_conn!(self.db, |c| outbox::next_event_time(c, skip_origins))
    }

    async fn events_of(&self, session_id: Uuid) -> Result<Vec<OutboxEvent>, StoreError> {
        with_conn!(self.db, |c| outbox::events_of(c, session_id))
    }

    async fn delivery_counts(&self) -> Result<DeliveryCounts, StoreError> {
        with_conn!(self.db, |c| outbox::counts(c))
    }

    async fn purge_finished(
        &self,
        before: OffsetDateTime,
        limit: usize,
    ) -> Result<u64, StoreError> {
        let (before, limit) = (to_ms(before), sql_limit(limit));
        with_conn!(self.db, |c| outbox::purge(c, before, limit))
    }
}
