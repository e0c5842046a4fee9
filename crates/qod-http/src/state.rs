//! What the handlers share.

use std::sync::Arc;

use qod_auth::{SandboxIssuer, TokenValidator};
use qod_domain::SessionService;
use qod_domain::service::ProfileService;

use crate::DurationErrorCode;
use crate::limit::ClientRateLimiter;

/// Transport settings an operator may change.
#[derive(Debug, Clone)]
pub struct HttpSettings {
    /// Base path of the Quality-on-Demand API, e.g. `/quality-on-demand/v1`.
    pub qod_base_path: String,
    /// The code of a createSession duration outside the profile's range.
    pub duration_code: DurationErrorCode,
    /// The largest request body accepted, in bytes.
    pub max_body_bytes: usize,
    /// Base path of the QoS Profiles API, e.g. `/qos-profiles/v1`.
    pub profiles_base_path: String,
}

impl Default for HttpSettings {
    fn default() -> Self {
        Self {
            qod_base_path: "/quality-on-demand/v1".into(),
            duration_code: DurationErrorCode::default(),
            max_body_bytes: 1 << 20,
            profiles_base_path: "/qos-profiles/v1".into(),
        }
    }
}

/// The state every handler sees.
pub struct ApiState {
    pub sessions: SessionService,
    pub validator: Arc<dyn TokenValidator>,
    /// The built-in authorization server, in sandbox mode only.
    pub sandbox: Option<Arc<SandboxIssuer>>,
    /// Per-client rate limit of the CAMARA APIs (429 TOO_MANY_REQUESTS); none when `None`.
    pub rate_limiter: Option<Arc<ClientRateLimiter>>,
    pub settings: HttpSettings,
    /// The QoS Profiles API and the catalogue's administration.
    pub profiles: ProfilesState,
}

/// What the QoS Profiles handlers need.
pub struct ProfilesState {
    pub service: ProfileService,
    /// `POST /admin/reload-catalogue`; answers 404 when `None`.
    pub admin: Option<CatalogueAdmin>,
}

/// Reloads the operator's catalogue on request.
pub trait CatalogueReloader: Send + Sync + 'static {
    /// Reads and checks the catalogue again and puts it in force; returns how many profiles it
    /// holds. On error the catalogue in force stays, and the message says what is wrong and
    /// where (file, line, field).
    fn reload(&self) -> Result<usize, String>;
}

/// The catalogue's administration endpoint: its bearer token and what it calls.
pub struct CatalogueAdmin {
    /// The bearer token the endpoint accepts (compared in constant time).
    pub token: String,
    pub reloader: Arc<dyn CatalogueReloader>,
}
