//! Reloading the catalogue while the server runs: on SIGHUP and from the admin endpoint.

use std::path::PathBuf;
use std::sync::{Arc, Mutex, PoisonError};

use qod_domain::profile::SwappableCatalogue;
use qod_http::state::CatalogueReloader;

use super::{CatalogueError, load};

/// Reads the catalogue file again and puts it in force when it passes every check.
pub struct Reloader {
    path: PathBuf,
    catalogue: Arc<SwappableCatalogue>,
    /// One reload at a time, so that the last file read is the one in force.
    running: Mutex<()>,
}

impl Reloader {
    /// A reloader of `path` into `catalogue`.
    pub fn new(path: PathBuf, catalogue: Arc<SwappableCatalogue>) -> Self {
        Self {
            path,
            catalogue,
            running: Mutex::new(()),
        }
    }

    /// Reloads now. On error the catalogue in force stays, and the error is logged.
    pub fn reload_file(&self) -> Result<usize, CatalogueError> {
        let _one_at_a_time = self.running.lock().unwrap_or_else(PoisonError::into_inner);
        match load(&self.path) {
            Ok(next) => {
                let count = next.len();
                let previous = self.catalogue.replace(next);
                tracing::info!(file = %self.path.display(), profiles = count,
                    previous_profiles = previous.len(), "QoS profile catalogue reloaded");
                Ok(count)
            }
            Err(e) => {
                tracing::error!(file = %e.file, line = e.line, field = %e.field, error = %e,
                    "QoS profile catalogue not reloaded; the catalogue in force stays");
                Err(e)
            }
        }
    }
}

impl CatalogueReloader for Reloader {
    fn reload(&self) -> Result<usize, String> {
        self.reload_file().map_err(|e| e.to_string())
    }
}

/// Reloads the catalogue on every SIGHUP. Without a catalogue file, SIGHUP is logged and
/// ignored (it never stops the server).
pub fn watch_sighup(reloader: Option<Arc<Reloader>>) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        use tokio::signal::unix::{SignalKind, signal};
        let mut hangups = match signal(SignalKind::hangup()) {
            Ok(s) => s,
            Err(e) => {
                tracing::warn!(error = %e, "cannot listen for SIGHUP; reload with the admin endpoint");
                return;
            }
        };
        while hangups.recv().await.is_some() {
            let Some(reloader) = reloader.clone() else {
                tracing::warn!("SIGHUP: no catalogue file is configured, nothing to reload");
                continue;
            };
            tracing::info!("SIGHUP: reloading the QoS profile catalogue");
            // The outcome is logged by the reload itself.
            if let Err(e) = tokio::task::spawn_blocking(move || reloader.reload_file()).await {
                tracing::error!(error = %e, "catalogue reload did not run");
            }
        }
    })
}

/// The reloader when no catalogue file is configured: the sandbox catalogue is built in.
pub struct BuiltIn;

impl CatalogueReloader for BuiltIn {
    fn reload(&self) -> Result<usize, String> {
        Err(
            "no catalogue file is configured (profiles.catalogue_file); \
             the built-in sandbox catalogue cannot be reloaded"
                .into(),
        )
    }
}
