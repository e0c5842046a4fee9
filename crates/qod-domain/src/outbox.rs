//! Notifications waiting in the outbox, and the ports around them.
//!
//! A store records every status change of a session that has a sink as an [`OutboxEvent`], in
//! the same transaction as the change (see [`crate::SessionStore`]). A dispatcher claims due
//! events through [`OutboxStore`], delivers them, and records each attempt.

use std::collections::HashMap;

use async_trait::async_trait;
use time::{Duration, OffsetDateTime};
use uuid::Uuid;

use crate::{QosStatus, Sink, StatusInfo, StoreError};

/// Where the delivery of an outbox event stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DeliveryState {
    /// Not delivered yet; attempted again at `next_attempt_at`.
    Pending,
    /// The sink acknowledged it (2xx).
    Delivered,
    /// Given up: too old, refused by the sink or by the sink policy, or no usable credential.
    Failed,
    /// The sink answered 410 Gone for this resource: nothing more is sent to it.
    Gone,
}

impl DeliveryState {
    /// Every state, for storage round trips.
    pub const ALL: [DeliveryState; 4] = [Self::Pending, Self::Delivered, Self::Failed, Self::Gone];

    /// A stable name for storage and logs.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "PENDING",
            Self::Delivered => "DELIVERED",
            Self::Failed => "FAILED",
            Self::Gone => "GONE",
        }
    }

    /// The state stored under `s`.
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|v| v.as_str() == s)
    }
}

/// One status change of a session, queued for the session's sink.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutboxEvent {
    /// The event id: the id of the [`crate::StatusChange`].
    pub id: Uuid,
    pub session_id: Uuid,
    /// Orders the events of one session.
    pub seq: i64,
    /// The sink and its credential as they were when the change happened.
    pub sink: Sink,
    pub status: QosStatus,
    pub status_info: Option<StatusInfo>,
    /// When the change happened (the event's `time`).
    pub occurred_at: OffsetDateTime,
    pub state: DeliveryState,
    /// Attempts made so far.
    pub attempts: u32,
    /// The earliest time of the next attempt (while pending).
    pub next_attempt_at: OffsetDateTime,
    /// Why the last attempt did not deliver, if it did not.
    pub last_error: Option<String>,
    /// The HTTP status of the last answer, if there was one.
    pub last_http_status: Option<u16>,
    /// When the delivery state last changed.
    pub updated_at: OffsetDateTime,
}

/// What a dispatcher asks for when it claims due events.
#[derive(Debug, Clone)]
pub struct EventClaim {
    pub now: OffsetDateTime,
    /// How long the claimed events stay hidden from every other claim.
    pub lease: Duration,
    /// The most events to claim.
    pub limit: usize,
    /// The most events of one sink origin to claim, for origins not in `origin_room`.
    pub per_origin: usize,
    /// How many more events each listed origin may get (0: none).
    pub origin_room: HashMap<String, usize>,
}

impl EventClaim {
    /// How many events of `origin` this claim may take.
    pub fn room_for(&self, origin: &str) -> usize {
        self.origin_room
            .get(origin)
            .copied()
            .unwrap_or(self.per_origin)
    }

    /// The origins that may get no event at all, sorted.
    pub fn full_origins(&self) -> Vec<String> {
        let mut full: Vec<String> = self
            .origin_room
            .iter()
            .filter(|(_, room)| **room == 0)
            .map(|(origin, _)| origin.clone())
            .collect();
        full.sort();
        full
    }
}

/// How one delivery attempt ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AttemptOutcome {
    Delivered,
    /// Try again at this time.
    Retry {
        next_attempt_at: OffsetDateTime,
    },
    /// Give this event up; the session's next event becomes due.
    Failed,
    /// The sink is gone: this event and every later one of its session are not sent.
    Gone,
}

/// One delivery attempt, as recorded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeliveryAttempt {
    pub event_id: Uuid,
    pub at: OffsetDateTime,
    pub outcome: AttemptOutcome,
    pub error: Option<String>,
    pub http_status: Option<u16>,
}

/// How many stored events are in each state.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DeliveryCounts {
    pub pending: u64,
    pub delivered: u64,
    pub failed: u64,
    pub gone: u64,
}

/// The outbox. Every method is one transaction.
///
/// Only the oldest pending event of a session is ever due, so a session's events are delivered
/// in the order of its changes. Claims work like timer claims: a claimed event is hidden from
/// every claim, in any process sharing the database, until its lease ends.
#[async_trait]
pub trait OutboxStore: Send + Sync + 'static {
    /// Claims due events (pending, `next_attempt_at <= now`, not under a live claim, and the
    /// oldest pending event of their session), earliest first, honouring the claim's limits per
    /// sink origin. Each is claimed until `now + lease`.
    async fn claim_events(&self, claim: &EventClaim) -> Result<Vec<OutboxEvent>, StoreError>;

    /// Records an attempt on a pending event and ends its claim. `Ok(false)` when the event is
    /// no longer pending (another process finished it), in which case nothing is written.
    /// [`AttemptOutcome::Gone`] also ends every later pending event of the session.
    async fn record_attempt(&self, attempt: &DeliveryAttempt) -> Result<bool, StoreError>;

    /// The earliest time at which an event may become due, ignoring the origins in
    /// `skip_origins`: a session's oldest pending event's next attempt, or the end of its claim
    /// when that is later. `None` when nothing is pending.
    async fn next_event_time(
        &self,
        skip_origins: &[String],
    ) -> Result<Option<OffsetDateTime>, StoreError>;

    /// Every stored event of a session, in order.
    async fn events_of(&self, session_id: Uuid) -> Result<Vec<OutboxEvent>, StoreError>;

    /// How many stored events are in each state.
    async fn delivery_counts(&self) -> Result<DeliveryCounts, StoreError>;

    /// Removes up to `limit` events that are no longer pending and last changed before
    /// `before`; returns how many.
    async fn purge_finished(&self, before: OffsetDateTime, limit: usize)
    -> Result<u64, StoreError>;
}

/// Tells the dispatcher that an event was queued, so it can deliver it at once.
pub trait OutboxWakeup: Send + Sync + 'static {
    /// A status change of a session with a sink was committed.
    fn event_queued(&self);
}

/// A wake-up that does nothing, for services without a dispatcher.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoOutboxWakeup;

impl OutboxWakeup for NoOutboxWakeup {
    fn event_queued(&self) {}
}

/// Why a sink was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SinkRefusal {
    /// The sink URL is not allowed (400 INVALID_SINK).
    Sink(String),
    /// The credential's token endpoint is not allowed (400 INVALID_ARGUMENT).
    TokenUri(String),
}

/// Decides whether notifications may go to a sink: the operator's policy against requests to
/// internal addresses. Checked when a session is created; the dispatcher checks again at each
/// delivery.
#[async_trait]
pub trait SinkPolicy: Send + Sync + 'static {
    /// `Err` when the sink (or its credential's token endpoint) must not be used.
    async fn check(&self, sink: &Sink) -> Result<(), SinkRefusal>;
}

/// Accepts every sink (the transport already requires `https://`).
#[derive(Debug, Clone, Copy, Default)]
pub struct AllowAllSinks;

#[async_trait]
impl SinkPolicy for AllowAllSinks {
    async fn check(&self, _sink: &Sink) -> Result<(), SinkRefusal> {
        Ok(())
    }
}
