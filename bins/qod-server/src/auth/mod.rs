//! Who may call: the sandbox's built-in issuer, or the operator's authorization server (JWTs
//! checked against its JWKS, or RFC 7662 introspection); and the per-client rate limit.

mod config;

pub use config::{AuthConfig, AuthMode, LimitsConfig};

use std::num::NonZeroU32;
use std::sync::Arc;
use std::time::Duration;

use qod_auth::{
    IntrospectionSettings, IntrospectionValidator, JwksSettings, JwksValidator,
    MOCK_SANDBOX_ACCESS_TOKEN, SandboxIssuer, SandboxValidator, TokenValidator,
};
use qod_http::limit::ClientRateLimiter;

use crate::config::Config;
use crate::error::ServerError;

/// The authentication pieces the HTTP layer needs.
pub struct Auth {
    pub validator: Arc<dyn TokenValidator>,
    /// The built-in authorization server; `None` outside sandbox mode (its endpoints answer 404).
    pub sandbox: Option<Arc<SandboxIssuer>>,
    pub rate_limiter: Option<Arc<ClientRateLimiter>>,
}

/// Builds the validator of the configured mode and says in the log which mode is in force.
pub async fn build(config: &Config) -> Result<Auth, ServerError> {
    let (validator, sandbox): (Arc<dyn TokenValidator>, _) = match config.auth.mode {
        AuthMode::Sandbox => {
            let issuer = Arc::new(crate::load_issuer(config)?);
            let static_token = config
                .sandbox
                .static_token
                .then(|| MOCK_SANDBOX_ACCESS_TOKEN.to_owned());
            tracing::info!(
                "QoD Gateway is running in SANDBOX mode: simulated network, built-in token issuer, static sandbox token {}",
                if config.sandbox.static_token {
                    "accepted"
                } else {
                    "refused"
                }
            );
            let validator = SandboxValidator::new(issuer.validator(), static_token);
            (Arc::new(validator), Some(issuer))
        }
        AuthMode::Jwt => (Arc::new(jwks(config).await?), None),
        AuthMode::Introspection => (Arc::new(introspection(config)?), None),
    };
    if let Some(max) = config.limits.max_active_sessions_per_client {
        tracing::info!(max, "per-client quota of active sessions");
    }
    Ok(Auth {
        validator,
        sandbox,
        rate_limiter: rate_limiter(&config.limits),
    })
}

fn ms(value: u64) -> Duration {
    Duration::from_millis(value)
}

/// Warns when credentials or keys would travel in the clear beyond this machine.
fn warn_if_plain_http(what: &str, url: &str) {
    let loopback = ["http://127.", "http://localhost", "http://[::1]"];
    if url.starts_with("http://") && !loopback.iter().any(|p| url.starts_with(p)) {
        tracing::warn!(%url, "{what} is plain http:// outside this machine; use https://");
    }
}

async fn jwks(config: &Config) -> Result<JwksValidator, ServerError> {
    let Some(jwt) = &config.auth.jwt else {
        return Err(ServerError::Config(
            "auth.mode = \"jwt\" needs [auth.jwt]".into(),
        ));
    };
    let mut settings = JwksSettings::new(
        jwt.jwks_url.clone(),
        jwt.issuer.clone(),
        jwt.audience.clone(),
    );
    settings.leeway_secs = jwt.leeway_secs;
    settings.algorithms = config::algorithms(&jwt.algorithms)?;
    settings.refresh_min_interval = Duration::from_secs(jwt.refresh_min_interval_secs);
    settings.max_age = Duration::from_secs(jwt.max_age_secs);
    settings.timeout = ms(jwt.timeout_ms);
    let validator = JwksValidator::new(settings, config.auth.claims.mapping())
        .map_err(|e| ServerError::Config(format!("auth.jwt: {e}")))?;
    tracing::info!(
        issuer = %jwt.issuer, audience = %jwt.audience, jwks_url = %jwt.jwks_url,
        "QoD Gateway is running in PRODUCTION auth mode (jwt): JWT access tokens of the operator's authorization server; sandbox token endpoints and the static sandbox token are off"
    );
    warn_if_plain_http("auth.jwt.jwks_url", &jwt.jwks_url);
    match validator.refresh().await {
        Ok(keys) => tracing::info!(keys, "signing keys fetched from the JWKS URL"),
        Err(e) => tracing::warn!(error = %e,
            "the JWKS could not be fetched at start; requests get 503 until it can"),
    }
    Ok(validator)
}

fn introspection(config: &Config) -> Result<IntrospectionValidator, ServerError> {
    let Some(i) = &config.auth.introspection else {
        return Err(ServerError::Config(
            "auth.mode = \"introspection\" needs [auth.introspection]".into(),
        ));
    };
    let secret = match (&i.client_secret, &i.client_secret_file) {
        (Some(secret), _) => secret.clone(),
        (None, Some(path)) => std::fs::read_to_string(path)
            .map(|s| s.trim().to_owned())
            .map_err(|e| {
                ServerError::Config(format!(
                    "auth.introspection.client_secret_file: cannot read {}: {}",
                    path.display(),
                    e.kind()
                ))
            })?,
        (None, None) => String::new(),
    };
    let mut settings = IntrospectionSettings::new(i.url.clone(), i.client_id.clone(), secret);
    settings.cache_ttl = Duration::from_secs(i.cache_ttl_secs);
    settings.cache_max_entries = i.cache_max_entries;
    settings.timeout = ms(i.timeout_ms);
    settings.issuer.clone_from(&i.issuer);
    settings.audience.clone_from(&i.audience);
    settings.leeway_secs = i.leeway_secs;
    let validator = IntrospectionValidator::new(settings, config.auth.claims.mapping())
        .map_err(|e| ServerError::Config(format!("auth.introspection: {e}")))?;
    tracing::info!(
        url = %i.url, client_id = %i.client_id, cache_ttl_secs = i.cache_ttl_secs,
        "QoD Gateway is running in PRODUCTION auth mode (introspection): tokens checked by the operator's introspection endpoint; sandbox token endpoints and the static sandbox token are off"
    );
    warn_if_plain_http("auth.introspection.url", &i.url);
    Ok(validator)
}

fn rate_limiter(limits: &LimitsConfig) -> Option<Arc<ClientRateLimiter>> {
    let per_second = NonZeroU32::new(limits.requests_per_second?)?;
    let burst = limits.burst.and_then(NonZeroU32::new).unwrap_or(per_second);
    tracing::info!(
        requests_per_second = per_second.get(),
        burst = burst.get(),
        "per-client rate limit of the CAMARA APIs"
    );
    Some(Arc::new(ClientRateLimiter::new(per_second, burst)))
}
