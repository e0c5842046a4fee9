//! Opening the database the configuration names, and migrating it.

use std::sync::Arc;
use std::time::Duration;

use qod_store::{DatabaseUrl, PoolSettings, Store};

use crate::config::Config;
use crate::error::ServerError;

/// The database URL in force (the configured one, or the SQLite file in the data directory), as
/// given and parsed.
pub fn database_url(config: &Config) -> Result<(String, DatabaseUrl), ServerError> {
    let url = match &config.server.database_url {
        Some(url) => url.clone(),
        None => format!(
            "sqlite://{}",
            config.server.data_dir.join("qod.sqlite3").display()
        ),
    };
    let parsed =
        DatabaseUrl::parse(&url).map_err(|e| ServerError::Config(format!("database URL: {e}")))?;
    Ok((url, parsed))
}

/// SQLite needs its directory; PostgreSQL needs nothing here.
fn prepare(url: &DatabaseUrl) -> Result<(), ServerError> {
    if let DatabaseUrl::Sqlite(path, _) = url
        && let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty())
    {
        std::fs::create_dir_all(dir)?;
    }
    Ok(())
}

/// Opens the store (sessions, timers and the notification outbox). SQLite migrates itself (the zero-set-up default); PostgreSQL must have been
/// migrated with `qod-server migrate` and is refused otherwise.
pub async fn open(config: &Config) -> Result<Arc<dyn Store>, ServerError> {
    let (raw, url) = database_url(config)?;
    prepare(&url)?;
    tracing::info!(database = %url, "opening the database");
    let settings = PoolSettings {
        max_size: config.database.pool_size,
        wait_timeout: Duration::from_millis(config.database.pool_wait_timeout_ms),
        ..PoolSettings::default()
    };
    qod_store::open(&raw, settings)
        .await
        .map_err(|e| ServerError::Storage(e.to_string()))
}

/// Applies pending migrations (`qod-server migrate`).
pub fn migrate(config: &Config) -> Result<(), ServerError> {
    let (raw, url) = database_url(config)?;
    prepare(&url)?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let applied = runtime
        .block_on(qod_store::migrate(&raw))
        .map_err(|e| ServerError::Storage(e.to_string()))?;
    if applied.is_empty() {
        tracing::info!(database = %url, "database schema already up to date");
    } else {
        tracing::info!(database = %url, migrations = ?applied, "database migrated");
    }
    Ok(())
}
