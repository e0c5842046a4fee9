//! What the domain needs from the outside: storage, a clock, and a way to wake the scheduler.

use async_trait::async_trait;
use time::{Duration, OffsetDateTime};
use uuid::Uuid;

use crate::{ConflictRule, Session, StatusChange, Timer, TimerKind};

/// Why storage failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StoreError {
    /// A stored session blocks the new one (see [`ConflictRule`]).
    #[error("a stored session conflicts with the new one")]
    Conflict,
    /// The database cannot be reached now; the request may be retried.
    #[error("storage unavailable: {0}")]
    Unavailable(String),
    /// Anything else: a bug or corrupt data.
    #[error("storage failure: {0}")]
    Internal(String),
}

/// A new session with everything that must be committed with it.
#[derive(Debug, Clone)]
pub struct NewSession {
    pub session: Session,
    pub timers: Vec<Timer>,
    pub change: Option<StatusChange>,
    pub conflict_rule: ConflictRule,
}

/// A changed session with everything that must be committed with it.
#[derive(Debug, Clone)]
pub struct SessionUpdate {
    /// The new state; its `version` is the stored one plus one.
    pub session: Session,
    pub set_timers: Vec<Timer>,
    pub clear_timers: Vec<TimerKind>,
    pub change: Option<StatusChange>,
}

/// Session storage. Every method is one transaction: when it returns `Ok`, it is durable.
///
/// A status change recorded for a session that has a sink is also queued in the outbox (see
/// [`crate::OutboxStore`]) in the same transaction, with a copy of the sink and its credential
/// as they are at that moment, so that its event goes out even after the session is deleted.
#[async_trait]
pub trait SessionStore: Send + Sync + 'static {
    /// Stores a new session unless a stored session of the same device blocks it under
    /// `conflict_rule` (`Err(StoreError::Conflict)`); the check and the insert are atomic.
    async fn insert_session(&self, new: NewSession) -> Result<(), StoreError>;

    /// The session with this id.
    async fn session(&self, id: Uuid) -> Result<Option<Session>, StoreError>;

    /// Every stored session of the device, oldest first.
    async fn sessions_of_device(&self, device_key: &str) -> Result<Vec<Session>, StoreError>;

    /// Clears `clear_timers`, then upserts `set_timers` (one timer per kind), and writes
    /// `update` if the stored version is `update.session.version - 1`. `Ok(false)` when the
    /// session changed meanwhile or is gone (nothing is written then).
    async fn update_session(&self, update: SessionUpdate) -> Result<bool, StoreError>;

    /// Deletes the session and its timers if its stored version is `expected_version`, recording
    /// `change` with it. `Ok(false)` when it changed meanwhile or is gone.
    async fn delete_session(
        &self,
        id: Uuid,
        expected_version: i64,
        change: Option<StatusChange>,
    ) -> Result<bool, StoreError>;

    /// Claims up to `limit` timers due at or before `now` that are not under a live claim, and
    /// returns them earliest first. Each is claimed until `now + lease` in the same transaction:
    /// until then no caller, in this process or another one sharing the database, gets it again.
    /// A claim whose end is at or before `now` is over. Setting a timer anew (an upsert through
    /// [`SessionStore::insert_session`] or [`SessionStore::update_session`], or
    /// [`SessionStore::reschedule_timer`]) clears its claim.
    ///
    /// Claims only keep processes from doing the same work twice; exactly-once state changes
    /// come from the version checks of `update_session` and `delete_session`.
    async fn claim_due_timers(
        &self,
        now: OffsetDateTime,
        limit: usize,
        lease: Duration,
    ) -> Result<Vec<Timer>, StoreError>;

    /// The earliest time at which a timer can be claimed: its due time, or the end of its
    /// claim when that is later. `None` without timers.
    async fn next_due_time(&self) -> Result<Option<OffsetDateTime>, StoreError>;

    /// Moves a timer to a new due time (or removes it with `None`), if it is still stored with the
    /// due time it was read with (a timer set anew meanwhile is left alone). Clears its claim, so
    /// moving a timer to the due time it has releases it at once.
    async fn reschedule_timer(
        &self,
        timer: Timer,
        due_at: Option<OffsetDateTime>,
    ) -> Result<(), StoreError>;

    /// Every recorded status change of a session, in order.
    async fn status_changes(&self, session_id: Uuid) -> Result<Vec<StatusChange>, StoreError>;

    /// How many sessions of the client are active at `now`: REQUESTED, or AVAILABLE and not
    /// yet past their `expires_at`. Read for a client's session quota.
    async fn count_active_sessions(
        &self,
        client_id: &str,
        now: OffsetDateTime,
    ) -> Result<u64, StoreError>;
}

/// The time now. A port so that tests can control it.
pub trait Clock: Send + Sync + 'static {
    /// Now, in UTC, to the millisecond.
    fn now(&self) -> OffsetDateTime;
}

/// The system clock.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> OffsetDateTime {
        let now = OffsetDateTime::now_utc();
        let ms = now.millisecond();
        now.replace_millisecond(ms).unwrap_or(now)
    }
}

/// Tells the scheduler that a timer was set, so it can wake earlier than it planned.
pub trait TimerWakeup: Send + Sync + 'static {
    /// A timer is now due at `due_at`.
    fn timer_set(&self, due_at: OffsetDateTime);
}
