//! Why the server could not start or run.

/// A start-up or run-time failure of the server process.
#[derive(Debug, thiserror::Error)]
pub enum ServerError {
    #[error("configuration: {0}")]
    Config(String),
    #[error("storage: {0}")]
    Storage(String),
    #[error("authentication set-up: {0}")]
    Auth(#[from] qod_auth::AuthError),
    #[error("I/O: {0}")]
    Io(#[from] std::io::Error),
}
