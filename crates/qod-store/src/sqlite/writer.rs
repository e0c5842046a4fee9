//! Group commit: one thread owns the write connection and commits queued writes together.
//!
//! The thread blocks for a first command, drains whatever else is queued (up to
//! [`MAX_BATCH`]), runs all of them in one `BEGIN IMMEDIATE` transaction and commits once.
//! Only after the commit does each caller get its result, so concurrent writers share one
//! fsync and an `Ok` still means "durable". A failing command rolls back alone: commands run
//! without savepoints first, and a batch in which one failed after it may have written is
//! rolled back and run again with each command in its own savepoint.
//!
//! WAL checkpoints run on another thread (see [`super::checkpoint`]).

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{Receiver, Sender, channel};
use std::thread::JoinHandle;

use diesel::connection::SimpleConnection;
use diesel::r2d2::R2D2Connection;
use diesel::result::{DatabaseErrorKind, Error as DieselError};
use diesel::{Connection, SqliteConnection};
use tokio::sync::oneshot;

use super::checkpoint::Checkpointer;
use super::connection::reopen_writer;
use super::file::DbFile;
use super::ops::{Outcome, WriteOp, apply};
use crate::error::Error;

/// The most commands committed in one transaction.
const MAX_BATCH: usize = 256;

/// The checkpoint thread copies WAL frames into the database as they come; the writer
/// checkpoints itself only once the WAL holds this many pages (16 MiB), which copies what the
/// thread has not yet (little) and lets the next transaction start the WAL file over.
const WRITER_CHECKPOINT: &str = "PRAGMA wal_autocheckpoint = 4000;";

/// A command and where its result goes.
struct Job {
    op: WriteOp,
    reply: oneshot::Sender<Result<Outcome, Error>>,
}

/// How much work the writer did: fewer commits than commands means writes were batched.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct WriteStats {
    /// Transactions committed.
    pub commits: u64,
    /// Commands run inside those transactions (failed ones included).
    pub commands: u64,
}

#[derive(Debug, Default)]
struct Counters {
    commits: AtomicU64,
    commands: AtomicU64,
}

/// The handle on the writer thread; dropping it stops the thread once queued work is done.
pub(crate) struct Writer {
    tx: Option<Sender<Job>>,
    thread: Option<JoinHandle<()>>,
    counters: Arc<Counters>,
}

impl Writer {
    /// Starts the writer thread on `conn`; `file` is used to reconnect if the connection breaks.
    pub(crate) fn start(mut conn: SqliteConnection, file: DbFile) -> Result<Self, Error> {
        let checkpointer = Checkpointer::start(&file)?;
        conn.batch_execute(WRITER_CHECKPOINT)?;
        let (tx, rx) = channel();
        let counters = Arc::new(Counters::default());
        let thread_counters = Arc::clone(&counters);
        let thread = std::thread::Builder::new()
            .name("qod-store-writer".into())
            .spawn(move || run(conn, &file, &rx, &thread_counters, &checkpointer))
            .map_err(Error::Thread)?;
        Ok(Self {
            tx: Some(tx),
            thread: Some(thread),
            counters,
        })
    }

    /// Queues `op` and waits until its transaction committed (or failed).
    pub(crate) async fn submit(&self, op: WriteOp) -> Result<Outcome, Error> {
        let (reply, result) = oneshot::channel();
        let tx = self.tx.as_ref().ok_or(Error::WriterGone)?;
        tx.send(Job { op, reply }).map_err(|_| Error::WriterGone)?;
        result.await.map_err(|_| Error::WriterGone)?
    }

    /// What the writer did so far.
    pub(crate) fn stats(&self) -> WriteStats {
        WriteStats {
            commits: self.counters.commits.load(Ordering::Relaxed),
            commands: self.counters.commands.load(Ordering::Relaxed),
        }
    }
}

impl Drop for Writer {
    fn drop(&mut self) {
        // Closing the channel ends the thread's loop after the queued work.
        drop(self.tx.take());
        if let Some(thread) = self.thread.take()
            && thread.join().is_err()
        {
            tracing::error!("the session store writer thread panicked");
        }
    }
}

fn run(
    conn: SqliteConnection,
    file: &DbFile,
    rx: &Receiver<Job>,
    counters: &Counters,
    checkpointer: &Checkpointer,
) {
    let mut conn = Some(conn);
    while let Ok(first) = rx.recv() {
        let mut jobs = vec![first];
        while jobs.len() < MAX_BATCH {
            match rx.try_recv() {
                Ok(job) => jobs.push(job),
                Err(_) => break,
            }
        }
        let (ops, replies): (Vec<WriteOp>, Vec<_>) =
            jobs.into_iter().map(|j| (j.op, j.reply)).unzip();

        let outcome = match conn.as_mut() {
            Some(c) => commit_batch(c, &ops),
            None => reopen_writer(file).and_then(|mut c| {
                c.batch_execute(WRITER_CHECKPOINT)?;
                tracing::info!("session store write connection reopened");
                let outcome = commit_batch(&mut c, &ops);
                conn = Some(c);
                outcome
            }),
        };

        match outcome {
            Ok(results) => {
                checkpointer.poke();
                counters.commits.fetch_add(1, Ordering::Relaxed);
                counters
                    .commands
                    .fetch_add(u64::try_from(ops.len()).unwrap_or(0), Ordering::Relaxed);
                for (reply, result) in replies.into_iter().zip(results) {
                    // The caller may have gone away; its write is committed regardless.
                    let _ = reply.send(result);
                }
            }
            Err(e) => {
                let retryable = e.is_retryable();
                tracing::error!(error = %e, commands = ops.len(),
                    "session store write transaction failed; nothing of it was committed");
                if let Some(c) = conn.as_mut()
                    && R2D2Connection::is_broken(c)
                {
                    tracing::warn!("session store write connection is broken; it will be reopened");
                    conn = None;
                }
                let reason = e.to_string();
                for reply in replies {
                    let _ = reply.send(Err(Error::BatchAborted {
                        reason: reason.clone(),
                        retryable,
                    }));
                }
            }
        }
    }
}

/// Runs the commands in one immediate transaction and commits once. The per-command results
/// are valid only if this returns `Ok`.
///
/// First without savepoints: a savepoint costs two more statements and a copy of every page
/// its command changes. A command that fails after it may have written rolls the transaction
/// back, and the batch runs again with each command in its own savepoint.
fn commit_batch(
    conn: &mut SqliteConnection,
    ops: &[WriteOp],
) -> Result<Vec<Result<Outcome, Error>>, Error> {
    let mut isolate = false;
    let plain = conn.immediate_transaction(|conn| {
        let mut results = Vec::with_capacity(ops.len());
        for op in ops {
            let result = apply(conn, op);
            if let Err(e) = &result
                && !wrote_nothing(e)
            {
                isolate = true;
                return result.map(|_| Vec::new());
            }
            results.push(result);
        }
        Ok(results)
    });
    match plain {
        Err(_) if isolate => commit_isolated(conn, ops),
        other => other,
    }
}

/// True for failures a command reports before it writes anything (a refused creation).
fn wrote_nothing(e: &Error) -> bool {
    matches!(e, Error::Conflict)
}

/// Runs every command in its own savepoint inside one immediate transaction and commits.
/// The per-command results are valid only if this returns `Ok`.
fn commit_isolated(
    conn: &mut SqliteConnection,
    ops: &[WriteOp],
) -> Result<Vec<Result<Outcome, Error>>, Error> {
    conn.immediate_transaction(|conn| {
        let mut results = Vec::with_capacity(ops.len());
        for op in ops {
            let result = conn.transaction(|c| apply(c, op));
            if let Err(e) = &result
                && aborts_batch(e)
            {
                return result.map(|_| Vec::new());
            }
            results.push(result);
        }
        Ok(results)
    })
}

/// True when a command's failure may have ended the whole transaction, not just its savepoint.
///
/// Constraint violations undo only their statement, so the batch can go on. Other database
/// errors (I/O, full disk, a failed savepoint rollback) can make SQLite roll back the whole
/// transaction; running further commands then would commit them outside of it.
fn aborts_batch(e: &Error) -> bool {
    match e {
        Error::Query(DieselError::DatabaseError(kind, _)) => !matches!(
            kind,
            DatabaseErrorKind::UniqueViolation
                | DatabaseErrorKind::ForeignKeyViolation
                | DatabaseErrorKind::NotNullViolation
                | DatabaseErrorKind::CheckViolation
        ),
        Error::Query(
            DieselError::NotFound
            | DieselError::DeserializationError(_)
            | DieselError::SerializationError(_),
        ) => false,
        Error::Query(_) => true,
        _ => false,
    }
}
