//! The outbox on PostgreSQL. A claim locks the due events it reads with `FOR UPDATE SKIP
//! LOCKED`, so concurrent dispatchers on any instance split them instead of waiting.

use diesel::dsl::{count_star, exists};
use diesel::pg::Pg;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Text};
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use qod_domain::{
    AttemptOutcome, DeliveryAttempt, DeliveryCounts, EventClaim, OutboxEvent, Sink, StatusChange,
};
use time::OffsetDateTime;
use uuid::Uuid;

use super::cached::CachedExt;
use crate::error::Error;
use crate::outbox::{
    AttemptValues, Candidate, GONE, GONE_REASON, NextTime, OutboxRow, PENDING, candidate_limit,
    candidates_sql, claim_end, counts_of, into_events, next_time, next_time_sql, pg_placeholder,
    pick,
};
use crate::rows::to_ms;
use crate::schema::notification_outbox as o;

/// Queues the event of `change` (numbered `seq`) for `sink`, inside the caller's transaction.
pub(crate) async fn queue(
    conn: &mut AsyncPgConnection,
    change: &StatusChange,
    seq: i64,
    sink: &Sink,
) -> Result<(), Error> {
    let gone: bool = diesel::select(exists(
        o::table
            .filter(o::session_id.eq(change.session_id.to_string()))
            .filter(o::state.eq(GONE)),
    ))
    .get_result(conn)
    .await?;
    diesel::insert_into(o::table)
        .values(&OutboxRow::queued(change, seq, sink, gone)?)
        .execute(conn)
        .await?;
    Ok(())
}

/// Claims due events as `claim` asks, in one transaction.
pub(crate) async fn claim(
    conn: &mut AsyncPgConnection,
    claim: &EventClaim,
) -> Result<Vec<OutboxEvent>, Error> {
    let skip = claim.full_origins();
    let now = to_ms(claim.now);
    let until = claim_end(claim);
    conn.transaction(async |tx| {
        let mut query = diesel::sql_query(candidates_sql(skip.len(), pg_placeholder, true))
            .into_boxed::<Pg>()
            .bind::<BigInt, _>(now)
            .bind::<BigInt, _>(candidate_limit(claim.limit));
        for origin in &skip {
            query = query.bind::<Text, _>(origin.clone());
        }
        let candidates: Vec<Candidate> = query.load(tx).await?;
        let ids = pick(candidates, claim);
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let rows = diesel::update(o::table.filter(o::event_id.eq_any(&ids)))
            .set(o::claimed_until.eq(Some(until)))
            .returning(OutboxRow::as_returning())
            .get_results(tx)
            .await?;
        into_events(rows)
    })
    .await
}

/// Records an attempt on a pending event; `false` when it is not pending.
pub(crate) async fn record(
    conn: &mut AsyncPgConnection,
    attempt: &DeliveryAttempt,
) -> Result<bool, Error> {
    let v = AttemptValues::of(attempt);
    let id = attempt.event_id.to_string();
    let gone = attempt.outcome == AttemptOutcome::Gone;
    conn.transaction(async |tx| {
        let sessions: Vec<String> = diesel::update(
            o::table
                .filter(o::event_id.eq(&id))
                .filter(o::state.eq(PENDING)),
        )
        .set(v.changes())
        .returning(o::session_id)
        .cached()
        .get_results(tx)
        .await?;
        let Some(session) = sessions.into_iter().next() else {
            return Ok(false);
        };
        if gone {
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
            .cached()
            .execute(tx)
            .await?;
        }
        Ok(true)
    })
    .await
}

/// Removes up to `limit` finished events last changed before `before` (unix milliseconds).
pub(crate) async fn purge(
    conn: &mut AsyncPgConnection,
    before: i64,
    limit: i64,
) -> Result<u64, Error> {
    let ids: Vec<String> = o::table
        .filter(o::state.ne(PENDING))
        .filter(o::updated_at.lt(before))
        .select(o::event_id)
        .limit(limit)
        .load(conn)
        .await?;
    let n = diesel::delete(o::table.filter(o::event_id.eq_any(&ids)))
        .execute(conn)
        .await?;
    Ok(u64::try_from(n).unwrap_or(0))
}

/// The earliest time an event not in `skip` may be claimed.
pub(crate) async fn next_event_time(
    conn: &mut AsyncPgConnection,
    skip: &[String],
) -> Result<Option<OffsetDateTime>, Error> {
    let mut query = diesel::sql_query(next_time_sql(skip.len(), pg_placeholder)).into_boxed::<Pg>();
    for origin in skip {
        query = query.bind::<Text, _>(origin.clone());
    }
    let row: Option<NextTime> = query.get_result(conn).await.optional()?;
    next_time(row)
}

/// Every event of a session, in order.
pub(crate) async fn events_of(
    conn: &mut AsyncPgConnection,
    session_id: Uuid,
) -> Result<Vec<OutboxEvent>, Error> {
    o::table
        .filter(o::session_id.eq(session_id.to_string()))
        .order(o::seq.asc())
        .select(OutboxRow::as_select())
        .load(conn)
        .await?
        .into_iter()
        .map(OutboxRow::into_event)
        .collect()
}

/// How many events are in each state.
pub(crate) async fn counts(conn: &mut AsyncPgConnection) -> Result<DeliveryCounts, Error> {
    let rows: Vec<(String, i64)> = o::table
        .group_by(o::state)
        .select((o::state, count_star()))
        .load(conn)
        .await?;
    Ok(counts_of(rows))
}
