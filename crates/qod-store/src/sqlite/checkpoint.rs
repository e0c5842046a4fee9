//! WAL checkpoints away from the writer thread.
//!
//! The write connection does not checkpoint itself (`wal_autocheckpoint = 0`): copying WAL
//! frames back into the database file and syncing it would stall every write queued behind
//! it. A thread with its own connection checkpoints instead, after commits, without blocking
//! the writer (`PASSIVE`). Once the WAL file is past [`TRUNCATE_BYTES`] it checkpoints with
//! `TRUNCATE`, which waits for readers and holds writes back briefly, so that the file cannot
//! grow without bound. Checkpoints never affect durability: a commit is durable in the WAL.

use std::sync::mpsc::{Receiver, SyncSender, sync_channel};
use std::thread::JoinHandle;
use std::time::Duration;

use diesel::SqliteConnection;
use diesel::connection::SimpleConnection;

use super::connection::reopen_writer;
use super::file::DbFile;
use crate::error::Error;

/// A WAL larger than this is truncated by the next checkpoint.
const TRUNCATE_BYTES: u64 = 64 << 20;
/// The shortest time between two checkpoints.
const PAUSE: Duration = Duration::from_millis(20);

/// The checkpoint thread; dropping it stops the thread.
pub(crate) struct Checkpointer {
    tx: Option<SyncSender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl Checkpointer {
    /// Starts the thread on a connection of its own to the database `file`.
    pub(crate) fn start(file: &DbFile) -> Result<Self, Error> {
        let conn = reopen_writer(file)?;
        let (tx, rx) = sync_channel(1);
        let wal = file.wal();
        let thread = std::thread::Builder::new()
            .name("qod-store-checkpoint".into())
            .spawn(move || run(conn, &rx, &wal))
            .map_err(Error::Thread)?;
        Ok(Self {
            tx: Some(tx),
            thread: Some(thread),
        })
    }

    /// Asks for a checkpoint soon; never blocks.
    pub(crate) fn poke(&self) {
        if let Some(tx) = &self.tx {
            let _ = tx.try_send(());
        }
    }
}

impl Drop for Checkpointer {
    fn drop(&mut self) {
        drop(self.tx.take());
        if let Some(thread) = self.thread.take()
            && thread.join().is_err()
        {
            tracing::error!("the session store checkpoint thread panicked");
        }
    }
}

fn run(mut conn: SqliteConnection, rx: &Receiver<()>, wal: &std::path::Path) {
    while rx.recv().is_ok() {
        let large = std::fs::metadata(wal).is_ok_and(|m| m.len() > TRUNCATE_BYTES);
        let sql = if large {
            "PRAGMA wal_checkpoint(TRUNCATE);"
        } else {
            "PRAGMA wal_checkpoint(PASSIVE);"
        };
        if let Err(e) = conn.batch_execute(sql) {
            tracing::warn!(error = %e, "WAL checkpoint failed; retried after the next commit");
        }
        std::thread::sleep(PAUSE);
    }
}
