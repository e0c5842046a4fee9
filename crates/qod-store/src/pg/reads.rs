//! The read queries.

use diesel::dsl::{case_when, count_star, min};
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use qod_domain::{Session, StatusChange, Timer};
use time::OffsetDateTime;
use uuid::Uuid;

use super::cached::CachedExt;
use crate::claims::{NEXT_DUE_PAGE, earliest_claimable};
use crate::error::Error;
use crate::rows::{ChangeRow, SessionRow, TimerRow, from_ms};
use crate::schema::{session_timers, sessions, status_changes};

/// The stored sessions among `ids`, in no order; one statement. For connections that plan each
/// execution with its values (see `lookups`).
pub(crate) async fn sessions_by_ids(
    conn: &mut AsyncPgConnection,
    ids: &[Uuid],
) -> Result<Vec<Session>, Error> {
    let ids: Vec<String> = ids.iter().map(ToString::to_string).collect();
    sessions::table
        .filter(sessions::id.eq_any(&ids))
        .select(SessionRow::as_select())
        .cached()
        .load(conn)
        .await?
        .into_iter()
        .map(SessionRow::into_session)
        .collect()
}

/// The rows of every session of these devices, oldest first; one statement. For connections
/// that plan each execution with its values (see `lookups`).
pub(crate) async fn session_rows_of_devices(
    conn: &mut AsyncPgConnection,
    device_keys: &[String],
) -> Result<Vec<SessionRow>, Error> {
    Ok(sessions::table
        .filter(sessions::device_key.eq_any(device_keys))
        .order((sessions::created_at.asc(), sessions::id.asc()))
        .select(SessionRow::as_select())
        .cached()
        .load(conn)
        .await?)
}

/// Every timer of the session, claimed or not, by kind.
pub(crate) async fn timers_of(
    conn: &mut AsyncPgConnection,
    session_id: Uuid,
) -> Result<Vec<Timer>, Error> {
    session_timers::table
        .filter(session_timers::session_id.eq(session_id.to_string()))
        .order(session_timers::kind.asc())
        .select(TimerRow::as_select())
        .load(conn)
        .await?
        .into_iter()
        .map(TimerRow::into_timer)
        .collect()
}

/// The earliest time at which a timer can be claimed: its due time, or its claim's end if later.
/// Reads the earliest timers through the due-time index, and all of them only when those
/// cannot decide (see [`earliest_claimable`]).
pub(crate) async fn next_due_time(
    conn: &mut AsyncPgConnection,
) -> Result<Option<OffsetDateTime>, Error> {
    let front: Vec<(i64, Option<i64>)> = session_timers::table
        .select((session_timers::due_at, session_timers::claimed_until))
        .order(session_timers::due_at.asc())
        .limit(NEXT_DUE_PAGE)
        .load(conn)
        .await?;
    if let Some(best) = earliest_claimable(&front) {
        return best.map(from_ms).transpose();
    }
    let claimable_at = case_when(
        session_timers::claimed_until.gt(session_timers::due_at.nullable()),
        session_timers::claimed_until.assume_not_null(),
    )
    .otherwise(session_timers::due_at);
    let earliest: Option<i64> = session_timers::table
        .select(min(claimable_at))
        .first(conn)
        .await?;
    earliest.map(from_ms).transpose()
}

/// Every recorded change of the session, in the order they were recorded.
pub(crate) async fn status_changes(
    conn: &mut AsyncPgConnection,
    session_id: Uuid,
) -> Result<Vec<StatusChange>, Error> {
    status_changes::table
        .filter(status_changes::session_id.eq(session_id.to_string()))
        .order(status_changes::seq.asc())
        .select(ChangeRow::as_select())
        .load(conn)
        .await?
        .into_iter()
        .map(ChangeRow::into_change)
        .collect()
}

/// How many sessions are stored.
pub(crate) async fn count_sessions(conn: &mut AsyncPgConnection) -> Result<u64, Error> {
    let n: i64 = sessions::table.select(count_star()).first(conn).await?;
    Ok(u64::try_from(n).unwrap_or(0))
}
