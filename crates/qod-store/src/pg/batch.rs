//! Creations on PostgreSQL, group-committed.
//!
//! Written one by one, a creation costs eight statements, and PostgreSQL's fixed cost per
//! statement is what limits creations on a small machine. Creations waiting at the same moment
//! are therefore written together: one transaction, one statement per table for all of them.
//! The devices' rows in `device_locks` are locked first (in key order, so that two batches never
//! wait for each other in a cycle), the stored sessions of the devices seen before are read under
//! those locks (a device whose lock row the batch created has none), and
//! each creation is checked against them and against the creations accepted before it in the
//! batch. A creation waits for nothing that is not already queued: alone, it is a batch of one.

use std::collections::HashMap;

use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use futures_util::future::{try_join_all, try_join3};
use qod_domain::StoreError;
use qod_domain::ports::NewSession;

use super::Db;
use super::cached::CachedExt;
use super::ops::{created_devices, lock_devices_statement, upsert_timers};
use super::queue::{Entrance, Job};
use super::transaction::{commit_behind, transaction};
use crate::error::Error;
use crate::outbox::OutboxRow;
use crate::rows::{NewChangeRow, SessionRow};
use crate::schema::{notification_outbox, sessions, status_changes};

/// Creations one transaction carries at most.
const MAX_BATCH: usize = 32;
/// Transactions of creations in flight at once, each on a connection of the pool: one fills
/// while the other commits. More in flight made smaller batches, and PostgreSQL's cost per
/// statement then took more of its CPU per creation (see docs/performance.md).
const WORKERS: usize = 2;

/// The entrance to the batch writers; dropping it stops them once the queue is empty.
#[derive(Debug, Clone)]
pub(crate) struct Batcher {
    jobs: Entrance<NewSession, ()>,
}

impl Batcher {
    /// Starts the writers on the current tokio runtime.
    pub(crate) fn start(db: &Db) -> Self {
        let db = db.clone();
        let jobs = Entrance::start(WORKERS, MAX_BATCH, move |batch| write(db.clone(), batch));
        Self { jobs }
    }

    /// Stores `new` in the next batch: `Ok`, or [`StoreError::Conflict`] when a stored session
    /// (or one accepted before it in the batch) blocks it.
    pub(crate) async fn insert(&self, new: NewSession) -> Result<(), StoreError> {
        self.jobs.ask(new).await
    }
}

/// Writes a batch and answers each creation. When the batch fails for another reason than an
/// unreachable database, one creation may be the cause: each is then written alone, so that
/// the others are not refused with it.
async fn write(db: Db, batch: Vec<Job<NewSession, ()>>) {
    let news: Vec<&NewSession> = batch.iter().map(|job| &job.item).collect();
    match insert_together(&db, &news).await {
        Ok(accepted) => {
            for (job, accepted) in batch.into_iter().zip(accepted) {
                job.answer(if accepted {
                    Ok(())
                } else {
                    Err(StoreError::Conflict)
                });
            }
        }
        Err(e) if batch.len() == 1 || matches!(e, StoreError::Unavailable(_)) => {
            for job in batch {
                job.answer(Err(e.clone()));
            }
        }
        Err(e) => {
            tracing::warn!(error = %e, creations = batch.len(),
                "a batch of creations failed; writing each alone");
            for job in batch {
                let answer = insert_alone(&db, &job.item).await;
                job.answer(answer);
            }
        }
    }
}

async fn insert_together(db: &Db, news: &[&NewSession]) -> Result<Vec<bool>, StoreError> {
    with_conn!(db, |c| insert_batch(c, news))
}

/// A batch of one.
async fn insert_alone(db: &Db, new: &NewSession) -> Result<(), StoreError> {
    let accepted = with_conn!(db, |c| insert_batch(c, &[new]))?;
    if matches!(accepted.as_slice(), [true]) {
        Ok(())
    } else {
        Err(StoreError::Conflict)
    }
}

/// Stores the creations of `news` that no stored or earlier accepted session blocks, in one
/// transaction; returns which were accepted.
async fn insert_batch(
    conn: &mut AsyncPgConnection,
    news: &[&NewSession],
) -> Result<Vec<bool>, Error> {
    let mut keys: Vec<String> = news.iter().map(|n| n.session.device_key()).collect();
    keys.sort_unstable();
    keys.dedup();
    // `BEGIN` goes out with the locking statement (see `transaction`).
    transaction(conn, lock_devices_statement(&keys), async |tx, locked| {
        let created = created_devices(locked);
        // One read per device seen before (a device whose lock row was just created has no
        // session), pipelined, with the statement a creation alone uses: a read of all the
        // keys at once (`= ANY($1)`) gets a generic plan that PostgreSQL may keep as a
        // sequential scan, planned while the table was small.
        let shared: &AsyncPgConnection = tx;
        let known = keys.iter().filter(|key| !created.contains(*key));
        let reads = known.map(|key| async move {
            sessions::table
                .filter(sessions::device_key.eq(key))
                .select(SessionRow::as_select())
                .load::<SessionRow>(&mut { shared })
                .await
        });
        let stored = try_join_all(reads).await?.into_iter().flatten();
        let accepted = decide(stored, news)?;
        write_accepted(tx, news, &accepted).await?;
        Ok(accepted)
    })
    .await
}

/// Which creations to accept, in their order: each against the stored sessions of its device
/// and the creations accepted before it.
fn decide(
    stored: impl IntoIterator<Item = SessionRow>,
    news: &[&NewSession],
) -> Result<Vec<bool>, Error> {
    let mut by_device: HashMap<String, Vec<qod_domain::Session>> = HashMap::new();
    for row in stored {
        let session = row.into_session()?;
        by_device
            .entry(session.device_key())
            .or_default()
            .push(session);
    }
    Ok(news
        .iter()
        .map(|new| {
            let held = by_device.entry(new.session.device_key()).or_default();
            let free = !held
                .iter()
                .any(|existing| new.conflict_rule.blocks(existing, &new.session));
            if free {
                held.push(new.session.clone());
            }
            free
        })
        .collect())
}

/// Inserts the accepted creations' sessions, timers and changes (pipelined, in that order),
/// then the events of those with a sink, and commits: `COMMIT` goes out with the last of these
/// statements. A new session has no events yet, so none is gone.
async fn write_accepted(
    tx: &mut AsyncPgConnection,
    news: &[&NewSession],
    accepted: &[bool],
) -> Result<(), Error> {
    let chosen: Vec<&NewSession> = news
        .iter()
        .zip(accepted)
        .filter_map(|(new, ok)| ok.then_some(*new))
        .collect();
    if chosen.is_empty() {
        return Ok(());
    }
    let rows = chosen
        .iter()
        .map(|new| SessionRow::from_session(&new.session))
        .collect::<Result<Vec<_>, _>>()?;
    let timers: Vec<_> = chosen.iter().flat_map(|new| new.timers.clone()).collect();
    let changes: Vec<NewChangeRow> = chosen
        .iter()
        .filter_map(|new| new.change.as_ref().map(NewChangeRow::from_change))
        .collect();
    let inserts = async |conn: &AsyncPgConnection| {
        try_join3(
            insert_sessions(conn, &rows),
            upsert_timers(conn, &timers),
            insert_changes(conn, &changes),
        )
        .await
    };
    let with_events = chosen
        .iter()
        .any(|new| new.change.is_some() && new.session.sink.is_some());
    if !with_events {
        return commit_behind(tx, inserts).await.map(|_| ());
    }
    // An event needs its change's number, which the insert of the changes returns.
    let (_, (), numbered) = inserts(tx).await?;
    let seqs: HashMap<String, i64> = numbered.into_iter().collect();
    let mut events = Vec::new();
    for new in &chosen {
        if let (Some(change), Some(sink)) = (&new.change, &new.session.sink) {
            let seq = seqs
                .get(&change.id.to_string())
                .copied()
                .ok_or_else(|| Error::Corrupt("a status change was not numbered".into()))?;
            events.push(OutboxRow::queued(change, seq, sink, false)?);
        }
    }
    commit_behind(tx, async |mut conn: &AsyncPgConnection| {
        diesel::insert_into(notification_outbox::table)
            .values(&events)
            .cached()
            .execute(&mut conn)
            .await
            .map_err(Error::from)
    })
    .await
    .map(|_| ())
}

async fn insert_sessions(mut conn: &AsyncPgConnection, rows: &[SessionRow]) -> Result<(), Error> {
    diesel::insert_into(sessions::table)
        .values(rows)
        .cached()
        .execute(&mut conn)
        .await?;
    Ok(())
}

/// Inserts `changes`; returns each one's id with the number the database gave it.
async fn insert_changes(
    mut conn: &AsyncPgConnection,
    changes: &[NewChangeRow],
) -> Result<Vec<(String, i64)>, Error> {
    if changes.is_empty() {
        return Ok(Vec::new());
    }
    Ok(diesel::insert_into(status_changes::table)
        .values(changes)
        .returning((status_changes::id, status_changes::seq))
        .cached()
        .get_results::<(String, i64)>(&mut conn)
        .await?)
}
