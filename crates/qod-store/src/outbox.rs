//! The notification outbox, shared by both backends: its rows, the statements that find due
//! events, and how a claim picks among them.
//!
//! A session's events are delivered in order: only its oldest pending event is ever due. A
//! claim first reads due events (on PostgreSQL locking them with `FOR UPDATE SKIP LOCKED`, so
//! concurrent dispatchers split them), then picks at most the claim's room per sink origin, and
//! sets `claimed_until` on the picked ones in the same transaction.

use std::collections::HashMap;

use diesel::dsl;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Nullable, Text};
use qod_domain::{
    AttemptOutcome, DeliveryAttempt, DeliveryCounts, DeliveryState, EventClaim, OutboxEvent, Sink,
    StatusChange,
};
use time::OffsetDateTime;

use crate::error::Error;
use crate::rows::{
    from_json, from_ms, parse_status, parse_status_info, parse_uuid, to_json, to_ms,
};
use crate::schema::notification_outbox;

/// The storage name of a pending event.
pub(crate) const PENDING: &str = "PENDING";
/// The storage name of an event whose sink went away.
pub(crate) const GONE: &str = "GONE";
/// Why later events of a session are not sent after a 410.
pub(crate) const GONE_REASON: &str = "the sink answered 410 Gone for an earlier event";

/// A row of `notification_outbox`.
#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(
    table_name = notification_outbox,
    check_for_backend(diesel::sqlite::Sqlite, diesel::pg::Pg),
    treat_none_as_default_value = false
)]
pub(crate) struct OutboxRow {
    pub event_id: String,
    pub session_id: String,
    pub seq: i64,
    pub sink: String,
    pub sink_origin: String,
    pub status: String,
    pub status_info: Option<String>,
    pub occurred_at: i64,
    pub state: String,
    pub attempts: i64,
    pub next_attempt_at: i64,
    pub claimed_until: Option<i64>,
    pub last_error: Option<String>,
    pub last_http_status: Option<i64>,
    pub updated_at: i64,
}

impl OutboxRow {
    /// The event queued for `change` (numbered `seq`) to `sink`: pending and due at once, or
    /// gone when the sink already answered 410 for this session.
    pub(crate) fn queued(
        change: &StatusChange,
        seq: i64,
        sink: &Sink,
        gone: bool,
    ) -> Result<Self, Error> {
        let at = to_ms(change.at);
        Ok(Self {
            event_id: change.id.to_string(),
            session_id: change.session_id.to_string(),
            seq,
            sink: to_json(sink)?,
            sink_origin: sink.origin(),
            status: change.status.as_str().to_owned(),
            status_info: change.status_info.map(|i| i.as_str().to_owned()),
            occurred_at: at,
            state: if gone { GONE } else { PENDING }.to_owned(),
            attempts: 0,
            next_attempt_at: at,
            claimed_until: None,
            last_error: gone.then(|| GONE_REASON.to_owned()),
            last_http_status: None,
            updated_at: at,
        })
    }

    /// The event stored in this row.
    pub(crate) fn into_event(self) -> Result<OutboxEvent, Error> {
        Ok(OutboxEvent {
            id: parse_uuid("notification_outbox.event_id", &self.event_id)?,
            session_id: parse_uuid("notification_outbox.session_id", &self.session_id)?,
            seq: self.seq,
            sink: from_json("notification_outbox.sink", &self.sink)?,
            status: parse_status(&self.status)?,
            status_info: parse_status_info(self.status_info.as_deref())?,
            occurred_at: from_ms(self.occurred_at)?,
            state: DeliveryState::parse(&self.state).ok_or_else(|| {
                Error::Corrupt(format!("unknown delivery state {:?}", self.state))
            })?,
            attempts: u32::try_from(self.attempts).unwrap_or(u32::MAX),
            next_attempt_at: from_ms(self.next_attempt_at)?,
            last_error: self.last_error,
            last_http_status: self.last_http_status.and_then(|s| u16::try_from(s).ok()),
            updated_at: from_ms(self.updated_at)?,
        })
    }
}

/// The events of rows, sorted as claims return them: earliest next attempt first.
pub(crate) fn into_events(rows: Vec<OutboxRow>) -> Result<Vec<OutboxEvent>, Error> {
    let mut events = rows
        .into_iter()
        .map(OutboxRow::into_event)
        .collect::<Result<Vec<_>, _>>()?;
    events.sort_by_key(|e| (e.next_attempt_at, e.seq));
    Ok(events)
}

/// What an attempt writes over a pending row.
pub(crate) struct AttemptValues {
    pub state: &'static str,
    pub next_attempt_at: i64,
    pub at: i64,
    pub error: Option<String>,
    pub http_status: Option<i64>,
}

impl AttemptValues {
    /// The values `attempt` records.
    pub(crate) fn of(attempt: &DeliveryAttempt) -> Self {
        let at = to_ms(attempt.at);
        let (state, next) = match attempt.outcome {
            AttemptOutcome::Delivered => (DeliveryState::Delivered, at),
            AttemptOutcome::Retry { next_attempt_at } => {
                (DeliveryState::Pending, to_ms(next_attempt_at))
            }
            AttemptOutcome::Failed => (DeliveryState::Failed, at),
            AttemptOutcome::Gone => (DeliveryState::Gone, at),
        };
        Self {
            state: state.as_str(),
            next_attempt_at: next,
            at,
            error: attempt.error.clone(),
            http_status: attempt.http_status.map(i64::from),
        }
    }

    /// The columns an attempt sets, the same on both backends (and always all of them, so
    /// that the statement's text never changes).
    pub(crate) fn changes(&self) -> AttemptChanges<'_> {
        use notification_outbox as o;
        (
            o::state.eq(self.state),
            o::attempts.eq(o::attempts + 1),
            o::next_attempt_at.eq(self.next_attempt_at),
            o::claimed_until.eq(None),
            o::last_error.eq(&self.error),
            o::last_http_status.eq(self.http_status),
            o::updated_at.eq(self.at),
        )
    }
}

/// What [`AttemptValues::changes`] sets.
pub(crate) type AttemptChanges<'a> = (
    dsl::Eq<notification_outbox::state, &'static str>,
    dsl::Eq<notification_outbox::attempts, dsl::Add<notification_outbox::attempts, i64>>,
    dsl::Eq<notification_outbox::next_attempt_at, i64>,
    dsl::Eq<notification_outbox::claimed_until, Option<i64>>,
    dsl::Eq<notification_outbox::last_error, &'a Option<String>>,
    dsl::Eq<notification_outbox::last_http_status, Option<i64>>,
    dsl::Eq<notification_outbox::updated_at, i64>,
);

/// A due event found by [`candidates_sql`].
#[derive(Debug, Clone, QueryableByName)]
pub(crate) struct Candidate {
    #[diesel(sql_type = Text)]
    pub event_id: String,
    #[diesel(sql_type = Text)]
    pub sink_origin: String,
}

/// The answer of [`next_time_sql`].
#[derive(Debug, Clone, QueryableByName)]
pub(crate) struct NextTime {
    #[diesel(sql_type = Nullable<BigInt>)]
    pub at: Option<i64>,
}

/// `AND o.sink_origin NOT IN (...)` over placeholders `first..first + n`, or nothing.
fn skip_clause(n: usize, first: usize, placeholder: fn(usize) -> String) -> String {
    if n == 0 {
        return String::new();
    }
    let list: Vec<String> = (first..first + n).map(placeholder).collect();
    format!(" AND o.sink_origin NOT IN ({})", list.join(", "))
}

/// Only the oldest pending event of a session.
const HEAD_OF_SESSION: &str = " AND NOT EXISTS (SELECT 1 FROM notification_outbox e \
    WHERE e.session_id = o.session_id AND e.state = 'PENDING' AND e.seq < o.seq)";

/// Due events, earliest first. Binds: now (1), the most rows (2), then `skip` origins.
/// `lock` adds `FOR UPDATE SKIP LOCKED` (PostgreSQL).
pub(crate) fn candidates_sql(skip: usize, placeholder: fn(usize) -> String, lock: bool) -> String {
    let now = placeholder(1);
    format!(
        "SELECT o.event_id, o.sink_origin FROM notification_outbox o \
         WHERE o.state = 'PENDING' AND o.next_attempt_at <= {now} \
         AND (o.claimed_until IS NULL OR o.claimed_until <= {now}){skip}{HEAD_OF_SESSION} \
         ORDER BY o.next_attempt_at, o.seq LIMIT {limit}{lock}",
        skip = skip_clause(skip, 3, placeholder),
        limit = placeholder(2),
        lock = if lock { " FOR UPDATE SKIP LOCKED" } else { "" },
    )
}

/// The earliest time a session's oldest pending event may be claimed. Binds: `skip` origins.
pub(crate) fn next_time_sql(skip: usize, placeholder: fn(usize) -> String) -> String {
    format!(
        "SELECT MIN(CASE WHEN o.claimed_until IS NOT NULL AND o.claimed_until > o.next_attempt_at \
         THEN o.claimed_until ELSE o.next_attempt_at END) AS at \
         FROM notification_outbox o WHERE o.state = 'PENDING'{skip}{HEAD_OF_SESSION}",
        skip = skip_clause(skip, 1, placeholder),
    )
}

/// How many candidates to read for a claim of `limit` events: more than `limit`, so that
/// origins without room do not crowd out the others.
pub(crate) fn candidate_limit(limit: usize) -> i64 {
    i64::try_from(limit.saturating_mul(4).clamp(64, 4096)).unwrap_or(4096)
}

/// The candidates a claim takes, in order: at most its limit, and at most its room per origin.
pub(crate) fn pick(candidates: Vec<Candidate>, claim: &EventClaim) -> Vec<String> {
    let mut taken: HashMap<String, usize> = HashMap::new();
    let mut picked = Vec::new();
    for c in candidates {
        if picked.len() >= claim.limit {
            break;
        }
        let count = taken.entry(c.sink_origin.clone()).or_default();
        if *count < claim.room_for(&c.sink_origin) {
            *count += 1;
            picked.push(c.event_id);
        }
    }
    picked
}

/// A claim's end: `now + lease`, in unix milliseconds.
pub(crate) fn claim_end(claim: &EventClaim) -> i64 {
    claim.now.checked_add(claim.lease).map_or(i64::MAX, to_ms)
}

/// The time read by [`next_time_sql`].
pub(crate) fn next_time(row: Option<NextTime>) -> Result<Option<OffsetDateTime>, Error> {
    row.and_then(|r| r.at).map(from_ms).transpose()
}

/// The counts of `(state, count)` rows.
pub(crate) fn counts_of(rows: Vec<(String, i64)>) -> DeliveryCounts {
    let mut counts = DeliveryCounts::default();
    for (state, n) in rows {
        let n = u64::try_from(n).unwrap_or(0);
        match DeliveryState::parse(&state) {
            Some(DeliveryState::Pending) => counts.pending += n,
            Some(DeliveryState::Delivered) => counts.delivered += n,
            Some(DeliveryState::Failed) => counts.failed += n,
            Some(DeliveryState::Gone) => counts.gone += n,
            None => {}
        }
    }
    counts
}

/// PostgreSQL's placeholder `n`.
pub(crate) fn pg_placeholder(n: usize) -> String {
    format!("${n}")
}

/// SQLite's placeholder `n`.
pub(crate) fn sqlite_placeholder(n: usize) -> String {
    format!("?{n}")
}
