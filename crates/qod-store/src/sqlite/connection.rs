//! Opening SQLite connections: pragmas, migrations, and the read pool.

use std::time::Duration;

use diesel::connection::SimpleConnection;
use diesel::r2d2::{ConnectionManager, CustomizeConnection, Pool};
use diesel::sqlite::Sqlite;
use diesel::{Connection, SqliteConnection};
use diesel_migrations::MigrationHarness;

use super::file::DbFile;
use crate::error::Error;
use crate::migrations::{SQLITE, SchemaState};

/// Read connections kept by the pool.
const READ_CONNECTIONS: u32 = 4;

/// Pragmas of every connection. `busy_timeout` comes first so the others wait for locks;
/// `synchronous = FULL` makes a commit survive power loss, not just a process crash.
const PRAGMAS: &str = "PRAGMA busy_timeout = 5000;
PRAGMA journal_mode = WAL;
PRAGMA synchronous = FULL;
PRAGMA foreign_keys = ON;";

/// Read connections are read-only, and keep 8 MiB of pages (SQLite's default is 2 MiB): enough
/// for the inner pages of the sessions table and its indexes at a million sessions, so that a
/// point read fetches only leaf pages from the file.
const READ_PRAGMAS: &str = "PRAGMA query_only = ON;
PRAGMA cache_size = -8192;";

/// The read pool type.
pub(crate) type ReadPool = Pool<ConnectionManager<SqliteConnection>>;

/// Opens (creating it if needed) the write connection and brings the schema up to date;
/// refuses a schema that a newer release migrated. Also returns the migrations it applied.
pub(crate) fn open_writer(file: &DbFile) -> Result<(SqliteConnection, Vec<String>), Error> {
    let mut conn = SqliteConnection::establish(file.uri())?;
    conn.batch_execute(PRAGMAS).map_err(|e| in_use(file, e))?;
    let applied: Vec<String> = conn
        .applied_migrations()
        .map_err(|e| Error::Migration(e.to_string()))?
        .iter()
        .map(ToString::to_string)
        .collect();
    SchemaState::of::<Sqlite>(&SQLITE, &applied)?.refuse_newer()?;
    let ran = conn
        .run_pending_migrations(SQLITE)
        .map_err(|e| Error::Migration(e.to_string()))?
        .iter()
        .map(ToString::to_string)
        .collect();
    Ok((conn, ran))
}

/// Reopens the write connection after it broke, without running migrations again.
pub(crate) fn reopen_writer(file: &DbFile) -> Result<SqliteConnection, Error> {
    let mut conn = SqliteConnection::establish(file.uri())?;
    conn.batch_execute(PRAGMAS).map_err(|e| in_use(file, e))?;
    Ok(conn)
}

/// The first statement of a connection locks the file: "database is locked" there, once
/// `busy_timeout` has passed, means that another process holds it.
fn in_use(file: &DbFile, e: diesel::result::Error) -> Error {
    match &e {
        diesel::result::Error::DatabaseError(_, info) if info.message().contains("locked") => {
            Error::InUse(file.path().to_owned())
        }
        _ => Error::Query(e),
    }
}

/// Sets the pragmas on each read connection, and forbids writes on it.
#[derive(Debug, Clone, Copy)]
struct ReadPragmas;

impl CustomizeConnection<SqliteConnection, diesel::r2d2::Error> for ReadPragmas {
    fn on_acquire(&self, conn: &mut SqliteConnection) -> Result<(), diesel::r2d2::Error> {
        conn.batch_execute(PRAGMAS)
            .and_then(|()| conn.batch_execute(READ_PRAGMAS))
            .map_err(diesel::r2d2::Error::QueryError)
    }
}

/// The pool of read connections; the database must already exist.
pub(crate) fn open_read_pool(file: &DbFile) -> Result<ReadPool, Error> {
    let manager = ConnectionManager::<SqliteConnection>::new(file.uri());
    Ok(Pool::builder()
        .max_size(READ_CONNECTIONS)
        .min_idle(Some(READ_CONNECTIONS))
        // A local file cannot drop the connection: no `SELECT 1` before every read.
        .test_on_check_out(false)
        .connection_timeout(Duration::from_secs(5))
        .connection_customizer(Box::new(ReadPragmas))
        .build(manager)?)
}
