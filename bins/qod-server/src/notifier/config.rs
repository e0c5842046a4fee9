//! The `[notifications]` settings: how status-change events reach the clients' sinks.

use std::path::PathBuf;

use serde::Deserialize;

use crate::config::Config;
use crate::error::ServerError;

/// Delivery of CloudEvents to sinks.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct NotificationsConfig {
    /// The CloudEvent `type`: the spec's by default; CAMARA's test suite expects
    /// `org.camaraproject.qod.v1.qos-status-changed`.
    pub event_type: String,
    /// Host names, addresses and networks (CIDR) that sinks may use although they are
    /// internal (loopback, private, link-local, ...). Empty by default.
    pub allowed_hosts: Vec<String>,
    /// An extra trusted root CA (PEM) for sinks, e.g. a local development CA.
    pub extra_root_ca_file: Option<PathBuf>,
    /// Accept any sink certificate (development only; logged as a warning).
    pub insecure_tls: bool,
    /// The longest one delivery (or token request) may take.
    pub request_timeout_ms: u64,
    /// The most bytes read of a sink's answer.
    pub max_response_bytes: usize,
    /// The most deliveries in progress at once (per instance).
    pub max_in_flight: usize,
    /// The most deliveries in progress at once to one sink origin (per instance).
    pub max_in_flight_per_origin: usize,
    /// The delay after the first failed attempt; it doubles with each further one.
    pub initial_backoff_ms: u64,
    /// The longest delay between two attempts (a sink's `Retry-After` may ask for more).
    pub max_backoff_ms: u64,
    /// An event not delivered this long after its change is given up.
    pub max_age_secs: u64,
    /// Attempts an event refused by its sink with a 4xx (other than 408, 410, 429) gets.
    pub max_refused_attempts: u32,
    /// How long a claimed event is kept from other instances (more than twice the timeout).
    pub claim_lease_ms: u64,
    /// The longest sleep between looks at the outbox (events queued by other instances).
    pub poll_interval_ms: u64,
    /// How long delivered, failed and gone events are kept.
    pub keep_finished_secs: u64,
    /// How long creating a session waits for its sink's host to resolve.
    pub create_resolve_timeout_ms: u64,
    pub private_key_jwt: PrivateKeyJwtConfig,
}

impl Default for NotificationsConfig {
    fn default() -> Self {
        Self {
            event_type: qod_notify::SPEC_EVENT_TYPE.to_owned(),
            allowed_hosts: Vec::new(),
            extra_root_ca_file: None,
            insecure_tls: false,
            request_timeout_ms: 10_000,
            max_response_bytes: 64 * 1024,
            max_in_flight: 256,
            max_in_flight_per_origin: 8,
            initial_backoff_ms: 1_000,
            max_backoff_ms: 300_000,
            max_age_secs: 86_400,
            max_refused_attempts: 3,
            claim_lease_ms: 60_000,
            poll_interval_ms: 1_000,
            keep_finished_secs: 7 * 86_400,
            create_resolve_timeout_ms: 2_000,
            private_key_jwt: PrivateKeyJwtConfig::default(),
        }
    }
}

/// The operator's key for PRIVATE_KEY_JWT sink credentials.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct PrivateKeyJwtConfig {
    /// A PKCS#8 PEM private key (Ed25519, P-256, P-384 or RSA). Without it, sessions with a
    /// PRIVATE_KEY_JWT credential are refused (422 PRIVATE_KEY_JWT_NOT_CONFIGURED).
    pub key_file: Option<PathBuf>,
}

/// Checks the `[notifications]` settings and `api.public_base_url`.
pub fn validate(config: &Config) -> Result<(), ServerError> {
    let bad = |m: &str| Err(ServerError::Config(format!("notifications.{m}")));
    let n = &config.notifications;
    if n.event_type.is_empty()
        || n.event_type.len() > 512
        || n.event_type.contains(char::is_whitespace)
    {
        return bad("event_type must be 1 to 512 characters without spaces");
    }
    if n.request_timeout_ms == 0 || n.max_response_bytes == 0 {
        return bad("request_timeout_ms and max_response_bytes must be positive");
    }
    if n.max_in_flight == 0 || n.max_in_flight_per_origin == 0 {
        return bad("max_in_flight and max_in_flight_per_origin must be positive");
    }
    if n.initial_backoff_ms == 0 || n.max_backoff_ms < n.initial_backoff_ms {
        return bad("initial_backoff_ms must be positive and at most max_backoff_ms");
    }
    if n.max_age_secs == 0 || n.max_refused_attempts == 0 {
        return bad("max_age_secs and max_refused_attempts must be positive");
    }
    if n.claim_lease_ms <= n.request_timeout_ms.saturating_mul(2) {
        return bad("claim_lease_ms must be more than twice request_timeout_ms");
    }
    if n.poll_interval_ms == 0 || n.create_resolve_timeout_ms == 0 {
        return bad("poll_interval_ms and create_resolve_timeout_ms must be positive");
    }
    qod_notify::AddressPolicy::new(&n.allowed_hosts)
        .map_err(|e| ServerError::Config(format!("notifications.allowed_hosts: {e}")))?;
    if let Some(path) = &n.extra_root_ca_file {
        qod_notify::http::root_certificates(&super::read(path, "extra_root_ca_file")?)
            .map_err(|e| ServerError::Config(format!("notifications.extra_root_ca_file: {e}")))?;
    }
    if let Some(path) = &n.private_key_jwt.key_file {
        qod_notify::AssertionKey::from_pem(&super::read(path, "private_key_jwt.key_file")?)
            .map_err(|e| ServerError::Config(format!("notifications.private_key_jwt: {e}")))?;
    }
    if let Some(url) = &config.api.public_base_url {
        let parsed = url::Url::parse(url).ok();
        let usable = parsed.as_ref().is_some_and(|u| {
            matches!(u.scheme(), "http" | "https")
                && u.host_str().is_some()
                && u.query().is_none()
                && u.fragment().is_none()
        });
        if !usable {
            return Err(ServerError::Config(format!(
                "api.public_base_url {url:?} is not an http(s) URL without query"
            )));
        }
    }
    Ok(())
}
