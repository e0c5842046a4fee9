//! The crate's error type and its mapping to the domain's [`StoreError`].

use diesel::ConnectionError;
use diesel::result::{DatabaseErrorKind, Error as DieselError};
use diesel_async::pooled_connection::PoolError as ManagerError;
use diesel_async::pooled_connection::deadpool::PoolError;
use qod_domain::StoreError;

/// Why a store operation failed.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The database URL names no supported backend.
    #[error("unsupported database URL (scheme {0:?}): expected sqlite://PATH or postgres://...")]
    Url(String),
    /// The database path is not valid UTF-8.
    #[error("invalid database path: {0}")]
    Path(String),
    /// Another process has the SQLite file open, and one of the two has it for itself alone.
    #[error(
        "the SQLite file {0} is in use by another process (another qod-server?): a server keeps its file to itself; stop the other process, or open the file with sqlite://PATH?access=shared in both"
    )]
    InUse(String),
    /// The database cannot be opened or connected to.
    #[error("cannot open the database: {0}")]
    Connect(#[from] ConnectionError),
    /// A statement failed.
    #[error("database statement failed: {0}")]
    Query(#[from] DieselError),
    /// No SQLite read connection could be obtained.
    #[error("no database connection available: {0}")]
    ReadPool(#[from] diesel::r2d2::PoolError),
    /// No PostgreSQL connection could be obtained.
    #[error("no database connection available: {0}")]
    Pool(#[from] PoolError),
    /// The PostgreSQL connection pool cannot be built.
    #[error("cannot build the connection pool: {0}")]
    PoolBuild(String),
    /// The database did not answer in time.
    #[error("the database did not answer within {0:?}")]
    Timeout(std::time::Duration),
    /// Migrations this binary has are not applied yet.
    #[error(
        "the database schema is not up to date: run `qod-server migrate` (pending migrations: {})",
        .0.join(", ")
    )]
    SchemaNotMigrated(Vec<String>),
    /// The database has migrations this binary does not know: a newer release migrated it.
    #[error(
        "the database schema is newer than this qod-server (unknown migrations: {}); run a release that knows them",
        .0.join(", ")
    )]
    SchemaTooNew(Vec<String>),
    /// The schema could not be brought up to date.
    #[error("database migrations failed: {0}")]
    Migration(String),
    /// The writer thread could not be started.
    #[error("cannot start the writer thread: {0}")]
    Thread(#[source] std::io::Error),
    /// The writer thread is gone (the store is shutting down).
    #[error("the database writer has stopped")]
    WriterGone,
    /// The shared write transaction failed, so this command was not committed.
    /// The cause was already logged where the transaction failed.
    #[error("the write transaction failed: {reason}")]
    BatchAborted {
        /// What failed.
        reason: String,
        /// True when the failure was contention or a lost connection.
        retryable: bool,
    },
    /// A stored row cannot be read back into domain values.
    #[error("corrupt stored data: {0}")]
    Corrupt(String),
    /// A domain value cannot be encoded for storage.
    #[error("cannot encode a value for storage: {0}")]
    Encode(#[source] serde_json::Error),
    /// A blocking database task did not complete.
    #[error("database task failed: {0}")]
    Task(String),
    /// A stored session blocks the new one.
    #[error("a stored session conflicts with the new one")]
    Conflict,
}

impl Error {
    /// True when retrying later may succeed (the database is busy, unreachable or restarting).
    pub fn is_retryable(&self) -> bool {
        match self {
            Self::Connect(e) => connection_is_transient(e),
            Self::ReadPool(_) | Self::WriterGone | Self::Timeout(_) => true,
            Self::Pool(e) => pool_is_transient(e),
            Self::BatchAborted { retryable, .. } => *retryable,
            Self::Query(e) => is_transient(e),
            _ => false,
        }
    }

    /// True when the connection that produced this error must not be used again.
    pub(crate) fn breaks_connection(&self) -> bool {
        match self {
            Self::Query(e) => is_transient(e) && !is_contention(e),
            Self::Timeout(_) => true,
            _ => false,
        }
    }
}

fn connection_is_transient(e: &ConnectionError) -> bool {
    match e {
        // SQLite: the file cannot be opened (for now).
        ConnectionError::BadConnection(_) => true,
        // PostgreSQL: the server is unreachable, or refuses connections for now.
        ConnectionError::CouldntSetupConfiguration(e) => is_transient(e),
        _ => false,
    }
}

fn pool_is_transient(e: &PoolError) -> bool {
    match e {
        PoolError::Timeout(_) | PoolError::Closed => true,
        PoolError::Backend(ManagerError::ConnectionError(e)) => connection_is_transient(e),
        PoolError::Backend(ManagerError::QueryError(e)) => is_transient(e),
        PoolError::NoRuntimeSpecified | PoolError::PostCreateHook(_) => false,
    }
}

/// Messages of errors that come from an unreachable, restarting or overloaded database.
const TRANSIENT_MESSAGES: &[&str] = &[
    // SQLite
    "locked",
    "busy",
    "unable to open",
    "disk i/o",
    // PostgreSQL and compatible engines
    "terminating connection",
    "shutting down",
    "starting up",
    "in recovery mode",
    "too many clients",
    "remaining connection slots",
    "connection closed",
    "connection reset",
    "connection refused",
    "broken pipe",
    "statement timeout",
    "could not serialize",
    "deadlock detected",
    "restart transaction",
];

/// True for errors that come from contention or a lost connection rather than from bad data.
pub(crate) fn is_transient(e: &DieselError) -> bool {
    match e {
        DieselError::DatabaseError(
            DatabaseErrorKind::ClosedConnection
            | DatabaseErrorKind::UnableToSendCommand
            | DatabaseErrorKind::SerializationFailure,
            _,
        )
        | DieselError::BrokenTransactionManager => true,
        DieselError::DatabaseError(_, info) => {
            let message = info.message().to_ascii_lowercase();
            TRANSIENT_MESSAGES.iter().any(|m| message.contains(m))
        }
        _ => false,
    }
}

/// True when the transaction lost to a concurrent one and was rolled back: running it again
/// is safe and likely to succeed.
pub(crate) fn is_contention(e: &DieselError) -> bool {
    match e {
        DieselError::DatabaseError(DatabaseErrorKind::SerializationFailure, _) => true,
        DieselError::DatabaseError(_, info) => {
            let message = info.message().to_ascii_lowercase();
            [
                "could not serialize",
                "deadlock detected",
                "restart transaction",
            ]
            .iter()
            .any(|m| message.contains(m))
        }
        _ => false,
    }
}

impl From<Error> for StoreError {
    /// Logs the cause (once, here) and keeps only what the domain needs to know.
    fn from(e: Error) -> Self {
        match e {
            Error::Conflict => StoreError::Conflict,
            Error::BatchAborted { reason, retryable } => {
                if retryable {
                    StoreError::Unavailable(reason)
                } else {
                    StoreError::Internal(reason)
                }
            }
            e if e.is_retryable() => {
                tracing::warn!(error = %e, "session store unavailable");
                StoreError::Unavailable(e.to_string())
            }
            e => {
                tracing::error!(error = %e, "session store failure");
                StoreError::Internal(e.to_string())
            }
        }
    }
}
