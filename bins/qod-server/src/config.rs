//! Configuration: defaults, then the TOML file, then command-line flags and environment.

use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::cli::Cli;
use crate::error::ServerError;

/// The whole configuration of one server process.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    pub server: ServerConfig,
    pub api: ApiConfig,
    pub sessions: SessionsConfig,
    pub sandbox: SandboxConfig,
    pub database: DatabaseConfig,
    pub profiles: ProfilesConfig,
    pub admin: AdminConfig,
    pub auth: crate::auth::AuthConfig,
    pub limits: crate::auth::LimitsConfig,
    pub notifications: crate::notifier::NotificationsConfig,
}

/// Where the server listens and keeps its data.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ServerConfig {
    pub listen: String,
    pub data_dir: PathBuf,
    pub database_url: Option<String>,
    /// HTTP worker threads; 0 means one per CPU core.
    pub workers: usize,
    /// Threads of the runtime behind the HTTP workers (database connections, timers,
    /// notifications); 0 means one per two CPU cores, at least one.
    pub runtime_threads: usize,
}

impl Default for ServerConfig {
    fn default() -> Self {
        Self {
            listen: "127.0.0.1:8080".into(),
            data_dir: PathBuf::from("./qod-data"),
            database_url: None,
            workers: 0,
            runtime_threads: 0,
        }
    }
}

/// Database connections and the timer worker.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DatabaseConfig {
    /// Most PostgreSQL connections of this instance.
    pub pool_size: usize,
    /// How long a request waits for a free connection before it gets 503.
    pub pool_wait_timeout_ms: u64,
    /// Longest sleep of the timer worker between looks at the database (timers set by other
    /// instances are found within it; its own are fired on time regardless).
    pub scheduler_poll_ms: u64,
    /// How long a claimed timer belongs to this instance; a crashed instance's claims are taken
    /// over by the others after it.
    pub claim_lease_ms: u64,
}

impl Default for DatabaseConfig {
    fn default() -> Self {
        Self {
            pool_size: 16,
            pool_wait_timeout_ms: 5000,
            scheduler_poll_ms: 1000,
            claim_lease_ms: 30_000,
        }
    }
}

/// How the APIs are exposed.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ApiConfig {
    /// The version segment of the Quality-on-Demand base path (`v1`, or `v1rc3`).
    pub quality_on_demand_version: String,
    /// `DURATION_OUT_OF_RANGE` (the spec) or `INVALID_ARGUMENT` (CAMARA's test suite).
    pub duration_error_code: String,
    /// Largest accepted request body in bytes.
    pub max_body_bytes: usize,
    /// The version segment of the QoS Profiles base path (`v1`, or `v1rc3`).
    pub qos_profiles_version: String,
    /// The gateway's public base URL, e.g. `https://api.example.com`: notifications name their
    /// session with it (`source`). `http://<listen address>` when absent.
    pub public_base_url: Option<String>,
}

impl Default for ApiConfig {
    fn default() -> Self {
        Self {
            quality_on_demand_version: "v1".into(),
            duration_error_code: "DURATION_OUT_OF_RANGE".into(),
            max_body_bytes: 1 << 20,
            qos_profiles_version: "v1".into(),
            public_base_url: None,
        }
    }
}

/// Session rules.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SessionsConfig {
    /// `overlapping-flows` (default) or `any-session`: when a second session of a device is 409.
    pub conflict_rule: String,
    /// Seconds an UNAVAILABLE session stays readable (at least 360).
    pub retention_secs: i64,
}

impl Default for SessionsConfig {
    fn default() -> Self {
        Self {
            conflict_rule: "overlapping-flows".into(),
            retention_secs: 360,
        }
    }
}

/// The sandbox's built-in authorization server.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SandboxConfig {
    /// The client secret every sandbox client uses.
    pub client_secret: String,
    /// Accept the static token `mock_sandbox_access_token`.
    pub static_token: bool,
    /// Lifetime of issued access tokens, in seconds.
    pub token_ttl_secs: u64,
    /// A PKCS#8 PEM Ed25519 key to sign tokens with; a fresh key per start when absent.
    pub signing_key_file: Option<PathBuf>,
}

impl Default for SandboxConfig {
    fn default() -> Self {
        Self {
            client_secret: "sandbox-secret".into(),
            static_token: true,
            token_ttl_secs: 3600,
            signing_key_file: None,
        }
    }
}

/// The QoS profile catalogue.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ProfilesConfig {
    /// The operator's catalogue (TOML); the sandbox catalogue when absent.
    pub catalogue_file: Option<PathBuf>,
}

/// Administration endpoints.
#[derive(Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AdminConfig {
    /// The bearer token of `POST /admin/reload-catalogue`; the endpoint answers 404 without it.
    pub token: Option<String>,
}

impl std::fmt::Debug for AdminConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AdminConfig")
            .field("token", &self.token.as_ref().map(|_| "<redacted>"))
            .finish()
    }
}

/// The shortest admin token accepted.
const MIN_ADMIN_TOKEN_CHARS: usize = 16;

impl Config {
    /// Reads the file named by the command line (if any) and applies the flags over it.
    pub fn load(cli: &Cli) -> Result<Self, ServerError> {
        let mut config = match &cli.config {
            Some(path) => Self::from_file(path)?,
            None => Self::default(),
        };
        if let Some(listen) = &cli.listen {
            config.server.listen.clone_from(listen);
        }
        if let Some(dir) = &cli.data_dir {
            config.server.data_dir.clone_from(dir);
        }
        if let Some(url) = &cli.database_url {
            config.server.database_url = Some(url.clone());
        }
        config.validate()?;
        Ok(config)
    }

    fn from_file(path: &Path) -> Result<Self, ServerError> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| ServerError::Config(format!("cannot read {}: {e}", path.display())))?;
        toml::from_str(&text).map_err(|e| ServerError::Config(format!("{}: {e}", path.display())))
    }

    fn validate(&self) -> Result<(), ServerError> {
        let bad = |m: String| Err(ServerError::Config(m));
        if !["DURATION_OUT_OF_RANGE", "INVALID_ARGUMENT"]
            .contains(&self.api.duration_error_code.as_str())
        {
            return bad(format!(
                "api.duration_error_code must be DURATION_OUT_OF_RANGE or INVALID_ARGUMENT, not {:?}",
                self.api.duration_error_code
            ));
        }
        if !["overlapping-flows", "any-session"].contains(&self.sessions.conflict_rule.as_str()) {
            return bad(format!(
                "sessions.conflict_rule must be overlapping-flows or any-session, not {:?}",
                self.sessions.conflict_rule
            ));
        }
        if self.sessions.retention_secs < 360 {
            return bad("sessions.retention_secs must be at least 360 (CAMARA)".into());
        }
        let version = &self.api.quality_on_demand_version;
        if version.is_empty()
            || !version
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'.')
        {
            return bad(format!(
                "api.quality_on_demand_version {version:?} is not a path segment"
            ));
        }
        let version = &self.api.qos_profiles_version;
        if version.is_empty()
            || !version
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'.')
        {
            return bad(format!(
                "api.qos_profiles_version {version:?} is not a path segment"
            ));
        }
        if let Some(token) = &self.admin.token
            && (token.chars().count() < MIN_ADMIN_TOKEN_CHARS
                || !token.bytes().all(|b| b.is_ascii_graphic()))
        {
            return bad(format!(
                "admin.token must be at least {MIN_ADMIN_TOKEN_CHARS} printable characters without spaces"
            ));
        }
        if self.sandbox.client_secret.is_empty() {
            return bad("sandbox.client_secret must not be empty".into());
        }
        self.auth.validate()?;
        self.limits.validate()?;
        crate::notifier::validate(self)?;
        if self.api.max_body_bytes < 1024 {
            return bad("api.max_body_bytes must be at least 1024".into());
        }
        if self.database.pool_size == 0
            || self.database.scheduler_poll_ms == 0
            || self.database.claim_lease_ms < 100
        {
            return bad(
                "database.pool_size and database.scheduler_poll_ms must be positive, \
                 database.claim_lease_ms at least 100"
                    .into(),
            );
        }
        Ok(())
    }
}
