//! The outbox on SQLite: writes run on the writer thread, reads on the read pool.

use diesel::dsl::{count_star, exists};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Text};
use diesel::sqlite::Sqlite;
use qod_domain::{
    AttemptOutcome, DeliveryAttempt, DeliveryCounts, EventClaim, OutboxEvent, Sink, StatusChange,
};
use uuid::Uuid;

use super::cached;
use crate::error::Error;
use crate::outbox::{
    AttemptValues, Candidate, GONE, GONE_REASON, NextTime, OutboxRow, PENDING, candidate_limit,
    candidates_sql, claim_end, into_events, next_time, next_time_sql, pick, sqlite_placeholder,
};
use crate::rows::to_ms;
use crate::schema::notification_outbox as o;

/// Queues the event of `change` (numbered `seq`) for `sink`.
pub(crate) fn queue(
    conn: &mut SqliteConnection,
    change: &StatusChange,
    seq: i64,
    sink: &Sink,
) -> Result<(), Error> {
    let gone: bool = diesel::select(exists(
        o::table
            .filter(o::session_id.eq(change.session_id.to_string()))
            .filter(o::state.eq(GONE)),
    ))
    .get_result(conn)?;
    diesel::insert_into(o::table)
        .values(&OutboxRow::queued(change, seq, sink, gone)?)
        .execute(conn)?;
    Ok(())
}

/// Claims due events as [`EventClaim`] asks.
pub(crate) fn claim(
    conn: &mut SqliteConnection,
    claim: &EventClaim,
) -> Result<Vec<OutboxEvent>, Error> {
    if claim.limit == 0 {
        return Ok(Vec::new());
    }
    let skip = claim.full_origins();
    let mut query = diesel::sql_query(candidates_sql(skip.len(), sqlite_placeholder, false))
        .into_boxed::<Sqlite>()
        .bind::<BigInt, _>(to_ms(claim.now))
        .bind::<BigInt, _>(candidate_limit(claim.limit));
    for origin in skip {
        query = query.bind::<Text, _>(origin);
    }
    let candidates: Vec<Candidate> = query.load(conn)?;
    let ids = pick(candidates, claim);
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let rows = diesel::update(o::table.filter(o::event_id.eq_any(&ids)))
        .set(o::claimed_until.eq(Some(claim_end(claim))))
        .returning(OutboxRow::as_returning())
        .get_results(conn)?;
    into_events(rows)
}

/// Records an attempt on a pending event; `false` when it is not pending.
pub(crate) fn record(
    conn: &mut SqliteConnection,
    attempt: &DeliveryAttempt,
) -> Result<bool, Error> {
    let v = AttemptValues::of(attempt);
    let sessions: Vec<String> = cached::update(
        o::table,
        v.changes(),
        o::event_id
            .eq(attempt.event_id.to_string())
            .and(o::state.eq(PENDING)),
    )
    .returning(o::session_id)
    .get_results(conn)?;
    let Some(session) = sessions.into_iter().next() else {
        return Ok(false);
    };
    if attempt.outcome == AttemptOutcome::Gone {
        diesel::update(
            o::table
                .filter(o::session_id.eq(&session))
                .filter(o::state.eq(PENDING)),
        )
        .set((
            o::state.eq(GONE),
            o::claimed_until.eq(None::<i64>),
            o::last_error.eq(GONE_REASON),
            o::updated_at.eq(v.at),
        ))
        .execute(conn)?;
    }
    Ok(true)
}

/// Removes up to `limit` finished events last changed before `before` (unix milliseconds).
pub(crate) fn purge(conn: &mut SqliteConnection, before: i64, limit: i64) -> Result<u64, Error> {
    let ids: Vec<String> = o::table
        .filter(o::state.ne(PENDING))
        .filter(o::updated_at.lt(before))
        .select(o::event_id)
        .limit(limit)
        .load(conn)?;
    let n = diesel::delete(o::table.filter(o::event_id.eq_any(&ids))).execute(conn)?;
    Ok(u64::try_from(n).unwrap_or(0))
}

/// The earliest time an event not in `skip` may be claimed.
pub(crate) fn next_event_time(
    conn: &mut SqliteConnection,
    skip: &[String],
) -> Result<Option<time::OffsetDateTime>, Error> {
    let mut query =
        diesel::sql_query(next_time_sql(skip.len(), sqlite_placeholder)).into_boxed::<Sqlite>();
    for origin in skip {
        query = query.bind::<Text, _>(origin.clone());
    }
    let row: Option<NextTime> = query.get_result(conn).optional()?;
    next_time(row)
}

/// Every event of a session, in order.
pub(crate) fn events_of(
    conn: &mut SqliteConnection,
    session_id: Uuid,
) -> Result<Vec<OutboxEvent>, Error> {
    o::table
        .filter(o::session_id.eq(session_id.to_string()))
        .order(o::seq.asc())
        .select(OutboxRow::as_select())
        .load(conn)?
        .into_iter()
        .map(OutboxRow::into_event)
        .collect()
}

/// How many events are in each state.
pub(crate) fn counts(conn: &mut SqliteConnection) -> Result<DeliveryCounts, Error> {
    let rows: Vec<(String, i64)> = o::table
        .group_by(o::state)
        .select((o::state, count_star()))
        .load(conn)?;
    Ok(crate::outbox::counts_of(rows))
}
