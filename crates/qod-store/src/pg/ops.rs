//! The write operations, each one transaction (or one statement) on its own connection.

use std::collections::HashSet;

use diesel::dsl::sql;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Bool};
use diesel::upsert::excluded;
use diesel_async::methods::LoadQuery;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use futures_util::future::try_join;
use qod_domain::ports::SessionUpdate;
use qod_domain::{Sink, StatusChange, Timer, TimerKind};
use time::OffsetDateTime;
use uuid::Uuid;

use super::cached::CachedExt;
use super::outbox;
use super::transaction::transaction;
use crate::claims::{CLAIM_POSTGRES, into_timers};
use crate::error::Error;
use crate::rows::{NewChangeRow, SessionRow, TimerRow, opt_from_json, to_ms};
use crate::schema::{device_locks, session_timers, sessions, status_changes};

/// The statement that locks the rows of `keys` in `device_locks` until the transaction ends,
/// creating those that are missing, in the order given (callers sort the keys, so that two
/// transactions never wait for each other in a cycle). Creations for one device then run one
/// after the other on every instance, and each sees the sessions the previous one committed:
/// every statement of a READ COMMITTED transaction reads what was committed before it started.
///
/// Its rows tell which keys' rows it created ([`created_devices`]). Rows are never deleted and
/// every session is written under its device's row, so a device whose row was just created has
/// no stored session: its caller need not read them. A row that was inserted has no `xmax` (no
/// transaction locked or replaced it), where the conflict path of the upsert sets `xmax` to
/// this transaction.
pub(crate) fn lock_devices_statement<'q>(
    keys: &'q [String],
) -> impl for<'c> LoadQuery<'q, &'c AsyncPgConnection, (String, bool)> + Send + 'q {
    let rows: Vec<_> = keys
        .iter()
        .map(|key| device_locks::device_key.eq(key))
        .collect();
    diesel::insert_into(device_locks::table)
        .values(rows)
        .on_conflict(device_locks::device_key)
        .do_update()
        .set(device_locks::device_key.eq(excluded(device_locks::device_key)))
        .returning((device_locks::device_key, sql::<Bool>("xmax = 0")))
        .cached()
}

/// The keys whose row [`lock_devices_statement`] created, from its rows.
pub(crate) fn created_devices(locked: Vec<(String, bool)>) -> HashSet<String> {
    locked
        .into_iter()
        .filter_map(|(key, created)| created.then_some(key))
        .collect()
}

/// Writes `update` over the version it was derived from; `Ok(false)` when that is not stored.
pub(crate) async fn update_session(
    conn: &mut AsyncPgConnection,
    update: &SessionUpdate,
) -> Result<bool, Error> {
    let id = update.session.id.to_string();
    let expected = update.session.version - 1;
    let row = SessionRow::from_session(&update.session)?;
    transaction(
        conn,
        overwrite(&id, expected, &row),
        async |tx, written: Vec<i64>| {
            if written.is_empty() {
                return Ok(false);
            }
            clear_timers(tx, &id, &update.clear_timers).await?;
            let seq = write_rows(tx, &update.set_timers, update.change.as_ref()).await?;
            queue_event(
                tx,
                update.change.as_ref(),
                seq,
                update.session.sink.as_ref(),
            )
            .await?;
            Ok(true)
        },
    )
    .await
}

/// Deletes the session at `expected_version` with its timers and records `change`, queued for
/// the sink the deleted row had. No foreign key ties timers to sessions on PostgreSQL (its check
/// cost a read per timer written): the timers are deleted here, under the session's row lock.
pub(crate) async fn delete(
    conn: &mut AsyncPgConnection,
    id: Uuid,
    expected_version: i64,
    change: Option<&StatusChange>,
) -> Result<bool, Error> {
    let id = id.to_string();
    transaction(
        conn,
        remove(&id, expected_version),
        async |tx, deleted: Vec<Option<String>>| {
            let Some(sink) = deleted.into_iter().next() else {
                return Ok(false);
            };
            let sink: Option<Sink> = opt_from_json("sessions.sink", sink.as_deref())?;
            diesel::delete(session_timers::table.filter(session_timers::session_id.eq(&id)))
                .execute(tx)
                .await?;
            let seq = insert_change(tx, change).await?;
            queue_event(tx, change, seq, sink.as_ref()).await?;
            Ok(true)
        },
    )
    .await
}

/// Writes `row` over the session `id` at version `expected`; returns the version written over
/// (no row when that version is not stored).
fn overwrite<'q>(
    id: &'q str,
    expected: i64,
    row: &'q SessionRow,
) -> impl for<'c> LoadQuery<'q, &'c AsyncPgConnection, i64> + Send + 'q {
    diesel::update(
        sessions::table
            .filter(sessions::id.eq(id))
            .filter(sessions::version.eq(expected)),
    )
    .set(row)
    .returning(sessions::version)
    .cached()
}

/// Deletes the session `id` at version `expected`; returns its sink (no row when that version
/// is not stored).
fn remove<'q>(
    id: &'q str,
    expected: i64,
) -> impl for<'c> LoadQuery<'q, &'c AsyncPgConnection, Option<String>> + Send + 'q {
    diesel::delete(
        sessions::table
            .filter(sessions::id.eq(id))
            .filter(sessions::version.eq(expected)),
    )
    .returning(sessions::sink)
}

/// Moves or removes the timer if it is still due when it was read; a move clears its claim.
pub(crate) async fn reschedule(
    conn: &mut AsyncPgConnection,
    timer: &Timer,
    due_at: Option<OffsetDateTime>,
) -> Result<(), Error> {
    let target = session_timers::table
        .filter(session_timers::session_id.eq(timer.session_id.to_string()))
        .filter(session_timers::kind.eq(timer.kind.as_str()))
        .filter(session_timers::due_at.eq(to_ms(timer.due_at)));
    match due_at {
        Some(due) => {
            diesel::update(target)
                .set((
                    session_timers::due_at.eq(to_ms(due)),
                    session_timers::claimed_until.eq(None::<i64>),
                ))
                .cached()
                .execute(conn)
                .await?
        }
        None => diesel::delete(target).execute(conn).await?,
    };
    Ok(())
}

/// Claims up to `limit` due, unclaimed timers until `until` in one statement; rows another
/// transaction holds are skipped.
pub(crate) async fn claim(
    conn: &mut AsyncPgConnection,
    now: i64,
    until: i64,
    limit: i64,
) -> Result<Vec<Timer>, Error> {
    let rows: Vec<TimerRow> = diesel::sql_query(CLAIM_POSTGRES)
        .bind::<BigInt, _>(until)
        .bind::<BigInt, _>(now)
        .bind::<BigInt, _>(limit)
        .load(conn)
        .await?;
    into_timers(rows)
}

async fn clear_timers(
    conn: &mut AsyncPgConnection,
    id: &str,
    kinds: &[TimerKind],
) -> Result<(), Error> {
    if kinds.is_empty() {
        return Ok(());
    }
    let names: Vec<&str> = kinds.iter().map(|k| k.as_str()).collect();
    diesel::delete(
        session_timers::table
            .filter(session_timers::session_id.eq(id))
            .filter(session_timers::kind.eq_any(names)),
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// Upserts `timers` and records `change`, pipelined: both statements are sent before either
/// answer is read. Returns the change's number.
async fn write_rows(
    conn: &AsyncPgConnection,
    timers: &[Timer],
    change: Option<&StatusChange>,
) -> Result<Option<i64>, Error> {
    let ((), seq) = try_join(upsert_timers(conn, timers), insert_change(conn, change)).await?;
    Ok(seq)
}

/// Inserts or moves one timer per kind; a moved timer loses its claim.
pub(crate) async fn upsert_timers(
    mut conn: &AsyncPgConnection,
    timers: &[Timer],
) -> Result<(), Error> {
    if timers.is_empty() {
        return Ok(());
    }
    // One statement may not upsert a row twice: the last timer of a kind wins, as it would
    // one by one. The statement has one form per number of rows, so it stays prepared.
    let mut seen = HashSet::with_capacity(timers.len());
    let rows: Vec<TimerRow> = timers
        .iter()
        .rev()
        .filter(|t| seen.insert((t.session_id, t.kind.as_str())))
        .map(TimerRow::from_timer)
        .collect();
    diesel::insert_into(session_timers::table)
        .values(&rows)
        .on_conflict((session_timers::session_id, session_timers::kind))
        .do_update()
        .set((
            session_timers::due_at.eq(excluded(session_timers::due_at)),
            session_timers::claimed_until.eq(None::<i64>),
        ))
        .cached()
        .execute(&mut conn)
        .await?;
    Ok(())
}

/// Records `change`; the database numbers it (`seq` is an identity column).
async fn insert_change(
    mut conn: &AsyncPgConnection,
    change: Option<&StatusChange>,
) -> Result<Option<i64>, Error> {
    let Some(change) = change else {
        return Ok(None);
    };
    let seq = diesel::insert_into(status_changes::table)
        .values(&NewChangeRow::from_change(change))
        .returning(status_changes::seq)
        .get_result(&mut conn)
        .await?;
    Ok(Some(seq))
}

/// Queues the event of `change` (numbered `seq`) when the session has a sink.
async fn queue_event(
    conn: &mut AsyncPgConnection,
    change: Option<&StatusChange>,
    seq: Option<i64>,
    sink: Option<&Sink>,
) -> Result<(), Error> {
    match (change, seq, sink) {
        (Some(change), Some(seq), Some(sink)) => outbox::queue(conn, change, seq, sink).await,
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};

    use super::{created_devices, lock_devices_statement};
    use crate::pg::transaction::transaction;

    fn keys(names: &[&str]) -> Vec<String> {
        names.iter().map(|k| (*k).to_owned()).collect()
    }

    /// In transactions committed one after the other, as creations run: only the rows a
    /// statement created are reported, never one that an earlier transaction left.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn only_the_device_rows_a_lock_created_are_reported_as_new() {
        let url = std::env::var("QOD_TEST_PG_URL")
            .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into());
        let mut conn = AsyncPgConnection::establish(&url).await.unwrap();
        // Shadows any `device_locks` table of that database for this connection only.
        diesel::sql_query("CREATE TEMPORARY TABLE device_locks (device_key TEXT PRIMARY KEY)")
            .execute(&mut conn)
            .await
            .unwrap();
        let lock = async |conn: &mut AsyncPgConnection, names: &[&str]| {
            let names = keys(names);
            transaction(conn, lock_devices_statement(&names), async |_, locked| {
                Ok(created_devices(locked))
            })
            .await
            .unwrap()
        };
        let first = lock(&mut conn, &["tel:+1", "tel:+2"]).await;
        assert_eq!(
            first,
            keys(&["tel:+1", "tel:+2"])
                .into_iter()
                .collect::<HashSet<_>>()
        );
        let second = lock(&mut conn, &["tel:+1", "tel:+3"]).await;
        assert_eq!(
            second,
            keys(&["tel:+3"]).into_iter().collect::<HashSet<_>>()
        );
        let third = lock(&mut conn, &["tel:+1", "tel:+2", "tel:+3"]).await;
        assert!(third.is_empty(), "every row existed: {third:?}");
    }
}
