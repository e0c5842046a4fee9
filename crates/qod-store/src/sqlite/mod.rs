//! [`SqliteStore`]: the SQLite implementation of the domain's [`SessionStore`].

mod cached;
mod checkpoint;
mod connection;
mod file;
mod ops;
mod outbox;
mod quota;
mod reads;
mod writer;

use std::path::Path;

use async_trait::async_trait;
use diesel::SqliteConnection;
use qod_domain::ports::{NewSession, SessionUpdate};
use qod_domain::{
    DeliveryAttempt, DeliveryCounts, EventClaim, OutboxEvent, OutboxStore, Session, SessionStore,
    StatusChange, StoreError, Timer,
};
use time::{Duration, OffsetDateTime};
use uuid::Uuid;

use self::connection::{ReadPool, open_read_pool, open_writer};
use self::file::DbFile;
pub use self::file::SqliteAccess;
use self::ops::{Outcome, WriteOp};
pub use self::writer::WriteStats;
use self::writer::Writer;
use crate::claims::sql_limit;
use crate::contract::Inspect;
use crate::error::Error;
use crate::rows::to_ms;

/// Sessions in one SQLite file.
///
/// Writes go through a single writer thread that commits concurrent writes together (group
/// commit); reads use a small pool of read-only connections on tokio's blocking threads.
/// Dropping the store finishes the queued writes and stops the writer thread.
pub struct SqliteStore {
    pool: ReadPool,
    writer: Writer,
}

impl std::fmt::Debug for SqliteStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SqliteStore")
            .field("stats", &self.writer.stats())
            .finish_non_exhaustive()
    }
}

impl SqliteStore {
    /// Opens the database at `path`, creating the file and bringing its schema up to date
    /// (SQLite is the zero-set-up default, so it migrates itself), for this process alone
    /// ([`SqliteAccess::Exclusive`]). Refuses a file that a newer release migrated
    /// ([`Error::SchemaTooNew`]), and one that another process has open ([`Error::InUse`]).
    ///
    /// Blocks while it opens connections and runs migrations; call it at startup.
    pub fn open(path: &Path) -> Result<Self, Error> {
        Self::open_with(path, SqliteAccess::Exclusive)
    }

    /// Like [`SqliteStore::open`], with the given access for other processes.
    pub fn open_with(path: &Path, access: SqliteAccess) -> Result<Self, Error> {
        Self::open_migrated(path, access).map(|(store, _)| store)
    }

    /// Like [`SqliteStore::open_with`], and also returns the versions of the migrations it
    /// applied.
    pub(crate) fn open_migrated(
        path: &Path,
        access: SqliteAccess,
    ) -> Result<(Self, Vec<String>), Error> {
        let path = path
            .to_str()
            .ok_or_else(|| Error::Path(path.display().to_string()))?;
        let file = DbFile::new(path, access);
        let (conn, applied) = open_writer(&file)?;
        if !applied.is_empty() {
            tracing::info!(migrations = ?applied, "SQLite schema migrated");
        }
        let pool = open_read_pool(&file)?;
        let writer = Writer::start(conn, file)?;
        Ok((Self { pool, writer }, applied))
    }

    /// How many sessions are stored.
    pub async fn count_sessions(&self) -> Result<u64, StoreError> {
        self.read(reads::count_sessions).await
    }

    /// What the writer did so far; fewer commits than commands means writes shared commits.
    pub fn write_stats(&self) -> WriteStats {
        self.writer.stats()
    }

    async fn read<T, F>(&self, query: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&mut SqliteConnection) -> Result<T, Error> + Send + 'static,
    {
        let pool = self.pool.clone();
        let result = tokio::task::spawn_blocking(move || {
            let mut conn = pool.get()?;
            query(&mut conn)
        })
        .await;
        match result {
            Ok(Ok(value)) => Ok(value),
            Ok(Err(e)) => Err(e.into()),
            Err(e) => Err(Error::Task(e.to_string()).into()),
        }
    }

    /// A read of a few rows through an index, run on the calling thread when a read connection
    /// is free at once: such a read takes microseconds, less than handing it to another thread
    /// and back. When every connection is busy it waits on a blocking thread, like [`read`].
    ///
    /// [`read`]: SqliteStore::read
    async fn read_point<T, F>(&self, query: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&mut SqliteConnection) -> Result<T, Error> + Send + 'static,
    {
        match self.pool.try_get() {
            Some(mut conn) => query(&mut conn).map_err(Into::into),
            None => self.read(query).await,
        }
    }

    async fn write(&self, op: WriteOp) -> Result<bool, StoreError> {
        match self.writer.submit(op).await? {
            Outcome::Written(written) => Ok(written),
            _ => Err(StoreError::Internal("unexpected write outcome".into())),
        }
    }
}

#[async_trait]
impl Inspect for SqliteStore {
    async fn timers_of(&self, session_id: Uuid) -> Result<Vec<Timer>, StoreError> {
        self.read(move |c| reads::timers_of(c, session_id)).await
    }
}

#[async_trait]
impl SessionStore for SqliteStore {
    async fn insert_session(&self, new: NewSession) -> Result<(), StoreError> {
        self.write(WriteOp::Insert(Box::new(new))).await.map(drop)
    }

    async fn session(&self, id: Uuid) -> Result<Option<Session>, StoreError> {
        self.read_point(move |c| reads::session(c, id)).await
    }

    async fn sessions_of_device(&self, device_key: &str) -> Result<Vec<Session>, StoreError> {
        let key = device_key.to_owned();
        self.read_point(move |c| reads::sessions_of_device(c, &key))
            .await
    }

    async fn update_session(&self, update: SessionUpdate) -> Result<bool, StoreError> {
        self.write(WriteOp::Update(Box::new(update))).await
    }

    async fn delete_session(
        &self,
        id: Uuid,
        expected_version: i64,
        change: Option<StatusChange>,
    ) -> Result<bool, StoreError> {
        self.write(WriteOp::Delete {
            id,
            expected_version,
            change,
        })
        .await
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
        let op = WriteOp::Claim {
            now: to_ms(now),
            until: now.checked_add(lease).map_or(i64::MAX, to_ms),
            limit: sql_limit(limit),
        };
        match self.writer.submit(op).await? {
            Outcome::Claimed(timers) => Ok(timers),
            _ => Err(StoreError::Internal("unexpected claim outcome".into())),
        }
    }

    async fn next_due_time(&self) -> Result<Option<OffsetDateTime>, StoreError> {
        self.read(reads::next_due_time).await
    }

    async fn reschedule_timer(
        &self,
        timer: Timer,
        due_at: Option<OffsetDateTime>,
    ) -> Result<(), StoreError> {
        self.write(WriteOp::Reschedule { timer, due_at })
            .await
            .map(drop)
    }

    async fn status_changes(&self, session_id: Uuid) -> Result<Vec<StatusChange>, StoreError> {
        self.read_point(move |c| reads::status_changes(c, session_id))
            .await
    }

    async fn count_active_sessions(
        &self,
        client_id: &str,
        now: OffsetDateTime,
    ) -> Result<u64, StoreError> {
        let client_id = client_id.to_owned();
        self.read(move |c| quota::count_active_sessions(c, &client_id, now))
            .await
    }
}

#[async_trait]
impl OutboxStore for SqliteStore {
    async fn claim_events(&self, claim: &EventClaim) -> Result<Vec<OutboxEvent>, StoreError> {
        if claim.limit == 0 {
            return Ok(Vec::new());
        }
        match self
            .writer
            .submit(WriteOp::ClaimEvents(claim.clone()))
            .await?
        {
            Outcome::ClaimedEvents(events) => Ok(events),
            _ => Err(StoreError::Internal("unexpected claim outcome".into())),
        }
    }

    async fn record_attempt(&self, attempt: &DeliveryAttempt) -> Result<bool, StoreError> {
        self.write(WriteOp::RecordAttempt(attempt.clone())).await
    }

    async fn next_event_time(
        &self,
        skip_origins: &[String],
    ) -> Result<Option<OffsetDateTime>, StoreError> {
        let skip = skip_origins.to_vec();
        self.read(move |c| outbox::next_event_time(c, &skip)).await
    }

    async fn events_of(&self, session_id: Uuid) -> Result<Vec<OutboxEvent>, StoreError> {
        self.read(move |c| outbox::events_of(c, session_id)).await
    }

    async fn delivery_counts(&self) -> Result<DeliveryCounts, StoreError> {
        self.read(outbox::counts).await
    }

    async fn purge_finished(
        &self,
        before: OffsetDateTime,
        limit: usize,
    ) -> Result<u64, StoreError> {
        let op = WriteOp::PurgeEvents {
            before: to_ms(before),
            limit: sql_limit(limit),
        };
        match self.writer.submit(op).await? {
            Outcome::Removed(n) => Ok(n),
            _ => Err(StoreError::Internal("unexpected purge outcome".into())),
        }
    }
}
