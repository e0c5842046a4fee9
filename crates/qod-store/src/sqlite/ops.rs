//! The write commands, each run on the write connection inside its own savepoint.

use diesel::dsl::max;
use diesel::prelude::*;
use diesel::sql_types::BigInt;
use qod_domain::ports::{NewSession, SessionUpdate};
use qod_domain::{DeliveryAttempt, EventClaim, OutboxEvent, Sink, StatusChange, Timer, TimerKind};
use time::OffsetDateTime;
use uuid::Uuid;

use super::{cached, outbox};
use crate::claims::{CLAIM_SQLITE, into_timers};
use crate::error::Error;
use crate::rows::{NewChangeRow, SessionRow, TimerRow, ensure_no_conflict, opt_from_json, to_ms};
use crate::schema::{session_timers, sessions, status_changes};

/// One write the writer thread runs for a caller.
#[derive(Debug)]
pub(crate) enum WriteOp {
    Insert(Box<NewSession>),
    Update(Box<SessionUpdate>),
    Delete {
        id: Uuid,
        expected_version: i64,
        change: Option<StatusChange>,
    },
    Reschedule {
        timer: Timer,
        due_at: Option<OffsetDateTime>,
    },
    /// Claims due timers; all values are unix milliseconds but `limit`.
    Claim {
        now: i64,
        until: i64,
        limit: i64,
    },
    /// Claims due outbox events.
    ClaimEvents(EventClaim),
    /// Records a delivery attempt.
    RecordAttempt(DeliveryAttempt),
    /// Removes finished outbox events changed before `before` (unix milliseconds).
    PurgeEvents {
        before: i64,
        limit: i64,
    },
}

/// What a command did.
#[derive(Debug)]
pub(crate) enum Outcome {
    /// Whether it was written (`false`: a version check failed and nothing was).
    Written(bool),
    /// The timers it claimed, earliest first.
    Claimed(Vec<Timer>),
    /// The outbox events it claimed, earliest first.
    ClaimedEvents(Vec<OutboxEvent>),
    /// How many rows it removed.
    Removed(u64),
}

/// Runs `op`.
pub(crate) fn apply(conn: &mut SqliteConnection, op: &WriteOp) -> Result<Outcome, Error> {
    let written = match op {
        WriteOp::Insert(new) => insert(conn, new).map(|()| true),
        WriteOp::Update(update) => update_session(conn, update),
        WriteOp::Delete {
            id,
            expected_version,
            change,
        } => delete(conn, *id, *expected_version, change.as_ref()),
        WriteOp::Reschedule { timer, due_at } => reschedule(conn, timer, *due_at).map(|()| true),
        WriteOp::Claim { now, until, limit } => {
            return claim(conn, *now, *until, *limit).map(Outcome::Claimed);
        }
        WriteOp::ClaimEvents(request) => {
            return outbox::claim(conn, request).map(Outcome::ClaimedEvents);
        }
        WriteOp::RecordAttempt(attempt) => outbox::record(conn, attempt),
        WriteOp::PurgeEvents { before, limit } => {
            return outbox::purge(conn, *before, *limit).map(Outcome::Removed);
        }
    };
    written.map(Outcome::Written)
}

fn insert(conn: &mut SqliteConnection, new: &NewSession) -> Result<(), Error> {
    let key = new.session.device_key();
    let stored = sessions::table
        .filter(sessions::device_key.eq(&key))
        .select(SessionRow::as_select())
        .load(conn)?;
    ensure_no_conflict(stored, new)?;
    diesel::insert_into(sessions::table)
        .values(&SessionRow::from_session(&new.session)?)
        .execute(conn)?;
    upsert_timers(conn, &new.timers)?;
    append_change(conn, new.change.as_ref(), new.session.sink.as_ref())
}

fn update_session(conn: &mut SqliteConnection, update: &SessionUpdate) -> Result<bool, Error> {
    let id = update.session.id.to_string();
    let expected = update.session.version - 1;
    let row = SessionRow::from_session(&update.session)?;
    let written = cached::update(
        sessions::table,
        &row,
        sessions::id.eq(&id).and(sessions::version.eq(expected)),
    )
    .execute(conn)?;
    if written == 0 {
        return Ok(false);
    }
    clear_timers(conn, &id, &update.clear_timers)?;
    upsert_timers(conn, &update.set_timers)?;
    append_change(conn, update.change.as_ref(), update.session.sink.as_ref())?;
    Ok(true)
}

fn delete(
    conn: &mut SqliteConnection,
    id: Uuid,
    expected_version: i64,
    change: Option<&StatusChange>,
) -> Result<bool, Error> {
    // The session's timers go with it (ON DELETE CASCADE); its sink is read for the outbox.
    let deleted: Vec<Option<String>> = diesel::delete(
        sessions::table
            .filter(sessions::id.eq(id.to_string()))
            .filter(sessions::version.eq(expected_version)),
    )
    .returning(sessions::sink)
    .get_results(conn)?;
    let Some(sink) = deleted.into_iter().next() else {
        return Ok(false);
    };
    let sink: Option<Sink> = opt_from_json("sessions.sink", sink.as_deref())?;
    append_change(conn, change, sink.as_ref())?;
    Ok(true)
}

fn reschedule(
    conn: &mut SqliteConnection,
    timer: &Timer,
    due_at: Option<OffsetDateTime>,
) -> Result<(), Error> {
    let target = session_timers::table
        .filter(session_timers::session_id.eq(timer.session_id.to_string()))
        .filter(session_timers::kind.eq(timer.kind.as_str()))
        .filter(session_timers::due_at.eq(to_ms(timer.due_at)));
    match due_at {
        Some(due) => diesel::update(target)
            .set((
                session_timers::due_at.eq(to_ms(due)),
                session_timers::claimed_until.eq(None::<i64>),
            ))
            .execute(conn)?,
        None => diesel::delete(target).execute(conn)?,
    };
    Ok(())
}

fn clear_timers(conn: &mut SqliteConnection, id: &str, kinds: &[TimerKind]) -> Result<(), Error> {
    if kinds.is_empty() {
        return Ok(());
    }
    // One statement per kind: a fixed statement is prepared once per connection, where an
    // `IN` list is prepared again every time.
    for kind in kinds {
        diesel::delete(
            session_timers::table
                .filter(session_timers::session_id.eq(id))
                .filter(session_timers::kind.eq(kind.as_str())),
        )
        .execute(conn)?;
    }
    Ok(())
}

/// Sets each timer's due time, unclaimed. `REPLACE` (the row is replaced whole, so a claim
/// goes with it) rather than an upsert: SQLite keeps a prepared `REPLACE`, where diesel has an
/// `ON CONFLICT DO UPDATE` parsed again every time.
fn upsert_timers(conn: &mut SqliteConnection, timers: &[Timer]) -> Result<(), Error> {
    for timer in timers {
        diesel::replace_into(session_timers::table)
            .values(&TimerRow::from_timer(timer))
            .execute(conn)?;
    }
    Ok(())
}

fn claim(
    conn: &mut SqliteConnection,
    now: i64,
    until: i64,
    limit: i64,
) -> Result<Vec<Timer>, Error> {
    let rows: Vec<TimerRow> = diesel::sql_query(CLAIM_SQLITE)
        .bind::<BigInt, _>(until)
        .bind::<BigInt, _>(now)
        .bind::<BigInt, _>(limit)
        .load(conn)?;
    into_timers(rows)
}

/// Records `change` after every change recorded so far (only one writer assigns `seq`), and
/// queues its event when the session has a sink.
fn append_change(
    conn: &mut SqliteConnection,
    change: Option<&StatusChange>,
    sink: Option<&Sink>,
) -> Result<(), Error> {
    let Some(change) = change else {
        return Ok(());
    };
    // `get_result`, not `first`: a bound `LIMIT` would make SQLite re-prepare it every time.
    let last: Option<i64> = status_changes::table
        .select(max(status_changes::seq))
        .get_result(conn)?;
    let seq = last.unwrap_or(0) + 1;
    diesel::insert_into(status_changes::table)
        .values((
            NewChangeRow::from_change(change),
            status_changes::seq.eq(seq),
        ))
        .execute(conn)?;
    if let Some(sink) = sink {
        outbox::queue(conn, change, seq, sink)?;
    }
    Ok(())
}
