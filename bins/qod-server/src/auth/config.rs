//! The `[auth]` and `[limits]` sections of the configuration.

use std::collections::BTreeMap;
use std::fmt;
use std::path::PathBuf;
use std::str::FromStr;

use qod_auth::{Algorithm, ClaimMapping, scope};
use serde::Deserialize;

use crate::error::ServerError;

/// Where bearer tokens come from.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AuthMode {
    /// The built-in sandbox issuer (and, if enabled, the static sandbox token).
    #[default]
    Sandbox,
    /// JWT access tokens of the operator's authorization server, checked against its JWKS.
    Jwt,
    /// Tokens checked by the operator's RFC 7662 introspection endpoint.
    Introspection,
}

impl AuthMode {
    /// The name used in the configuration and in logs.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Sandbox => "sandbox",
            Self::Jwt => "jwt",
            Self::Introspection => "introspection",
        }
    }
}

/// `[auth]`: how callers are authenticated.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AuthConfig {
    pub mode: AuthMode,
    pub jwt: Option<JwtConfig>,
    pub introspection: Option<IntrospectionConfig>,
    pub claims: ClaimsConfig,
}

/// `[auth.jwt]`: JWT access tokens checked against a JWKS URL.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct JwtConfig {
    pub jwks_url: String,
    pub issuer: String,
    pub audience: String,
    pub leeway_secs: u64,
    pub algorithms: Vec<String>,
    /// Shortest time between two fetches of the key set (unknown key ids fetch it again).
    pub refresh_min_interval_secs: u64,
    /// Keys older than this are fetched again.
    pub max_age_secs: u64,
    pub timeout_ms: u64,
}

impl Default for JwtConfig {
    fn default() -> Self {
        Self {
            jwks_url: String::new(),
            issuer: String::new(),
            audience: String::new(),
            leeway_secs: 30,
            algorithms: vec!["RS256".into(), "ES256".into(), "EdDSA".into()],
            refresh_min_interval_secs: 10,
            max_age_secs: 3600,
            timeout_ms: 5000,
        }
    }
}

/// `[auth.introspection]`: RFC 7662 token introspection.
#[derive(Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct IntrospectionConfig {
    pub url: String,
    pub client_id: String,
    pub client_secret: Option<String>,
    /// A file holding the client secret (surrounding white space is ignored).
    pub client_secret_file: Option<PathBuf>,
    pub cache_ttl_secs: u64,
    pub cache_max_entries: usize,
    pub timeout_ms: u64,
    pub issuer: Option<String>,
    pub audience: Option<String>,
    pub leeway_secs: u64,
}

impl Default for IntrospectionConfig {
    fn default() -> Self {
        Self {
            url: String::new(),
            client_id: String::new(),
            client_secret: None,
            client_secret_file: None,
            cache_ttl_secs: 60,
            cache_max_entries: 10_000,
            timeout_ms: 5000,
            issuer: None,
            audience: None,
            leeway_secs: 30,
        }
    }
}

impl fmt::Debug for IntrospectionConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("IntrospectionConfig")
            .field("url", &self.url)
            .field("client_id", &self.client_id)
            .field(
                "client_secret",
                &self.client_secret.as_ref().map(|_| "<redacted>"),
            )
            .field("client_secret_file", &self.client_secret_file)
            .field("cache_ttl_secs", &self.cache_ttl_secs)
            .field("cache_max_entries", &self.cache_max_entries)
            .field("timeout_ms", &self.timeout_ms)
            .field("issuer", &self.issuer)
            .field("audience", &self.audience)
            .field("leeway_secs", &self.leeway_secs)
            .finish()
    }
}

/// `[auth.claims]`: which claims a caller is read from (production modes only).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ClaimsConfig {
    /// Claims naming the client, tried in order.
    pub client_id: Vec<String>,
    /// The claim holding the scopes.
    pub scope: String,
    /// Claims that may name the device of a 3-legged token, tried in order.
    pub subject: Vec<String>,
    /// A claim holding purposes.
    pub purpose: Option<String>,
    /// Purposes and the scopes each stands for.
    pub purposes: BTreeMap<String, Vec<String>>,
}

impl Default for ClaimsConfig {
    fn default() -> Self {
        let mapping = ClaimMapping::default();
        Self {
            client_id: mapping.client_id_claims,
            scope: mapping.scope_claim,
            subject: mapping.subject_claims,
            purpose: mapping.purpose_claim,
            purposes: mapping
                .purposes
                .into_iter()
                .map(|(k, v)| (k, v.into_iter().collect()))
                .collect(),
        }
    }
}

impl ClaimsConfig {
    /// The mapping these settings describe.
    pub fn mapping(&self) -> ClaimMapping {
        ClaimMapping {
            client_id_claims: self.client_id.clone(),
            scope_claim: self.scope.clone(),
            subject_claims: self.subject.clone(),
            purpose_claim: self.purpose.clone(),
            purposes: self
                .purposes
                .iter()
                .map(|(k, v)| (k.clone(), v.iter().cloned().collect()))
                .collect(),
            ..ClaimMapping::default()
        }
    }
}

/// `[limits]`: per-client limits of the CAMARA APIs.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct LimitsConfig {
    /// Requests a second a client may make on average; no rate limit when absent.
    pub requests_per_second: Option<u32>,
    /// Requests a client may make at once (default: `requests_per_second`).
    pub burst: Option<u32>,
    /// Active (REQUESTED or AVAILABLE) sessions a client may hold; no limit when absent.
    pub max_active_sessions_per_client: Option<u64>,
}

fn bad<T>(message: impl Into<String>) -> Result<T, ServerError> {
    Err(ServerError::Config(message.into()))
}

/// The algorithm names of `names`, each one of RS256, ES256, EdDSA.
pub fn algorithms(names: &[String]) -> Result<Vec<Algorithm>, ServerError> {
    if names.is_empty() {
        return bad("auth.jwt.algorithms must not be empty");
    }
    names
        .iter()
        .map(|name| match Algorithm::from_str(name) {
            Ok(a @ (Algorithm::RS256 | Algorithm::ES256 | Algorithm::EdDSA)) => Ok(a),
            _ => bad(format!(
                "auth.jwt.algorithms: {name:?} is not one of RS256, ES256, EdDSA"
            )),
        })
        .collect()
}

fn required(name: &str, value: &str) -> Result<(), ServerError> {
    if value.trim().is_empty() {
        return bad(format!("{name} must be set"));
    }
    Ok(())
}

/// An absolute `http://` or `https://` URL with a host (the validator parses it in full).
fn url(name: &str, value: &str) -> Result<(), ServerError> {
    let rest = value
        .strip_prefix("https://")
        .or_else(|| value.strip_prefix("http://"));
    match rest {
        Some(rest) if !rest.is_empty() && !rest.starts_with(['/', '?', '#']) => Ok(()),
        _ => bad(format!("{name} must be an http:// or https:// URL")),
    }
}

impl AuthConfig {
    /// Checks the settings of the chosen mode, and that no other mode's settings are given
    /// (they would be ignored, which is never what was meant).
    pub fn validate(&self) -> Result<(), ServerError> {
        match (self.mode, &self.jwt, &self.introspection) {
            (AuthMode::Sandbox, Some(_), _) | (AuthMode::Introspection, Some(_), _) => {
                return bad(format!(
                    "[auth.jwt] is set but auth.mode is {:?}; set auth.mode = \"jwt\"",
                    self.mode.as_str()
                ));
            }
            (AuthMode::Sandbox, _, Some(_)) | (AuthMode::Jwt, _, Some(_)) => {
                return bad(format!(
                    "[auth.introspection] is set but auth.mode is {:?}; set auth.mode = \"introspection\"",
                    self.mode.as_str()
                ));
            }
            (AuthMode::Jwt, None, _) => return bad("auth.mode = \"jwt\" needs [auth.jwt]"),
            (AuthMode::Introspection, _, None) => {
                return bad("auth.mode = \"introspection\" needs [auth.introspection]");
            }
            _ => {}
        }
        if let Some(jwt) = &self.jwt {
            url("auth.jwt.jwks_url", &jwt.jwks_url)?;
            required("auth.jwt.issuer", &jwt.issuer)?;
            required("auth.jwt.audience", &jwt.audience)?;
            algorithms(&jwt.algorithms)?;
            if jwt.leeway_secs > 300 || jwt.timeout_ms == 0 || jwt.max_age_secs == 0 {
                return bad(
                    "auth.jwt.leeway_secs must be at most 300, timeout_ms and max_age_secs positive",
                );
            }
        }
        if let Some(i) = &self.introspection {
            url("auth.introspection.url", &i.url)?;
            required("auth.introspection.client_id", &i.client_id)?;
            if i.client_secret.is_some() == i.client_secret_file.is_some() {
                return bad(
                    "auth.introspection needs exactly one of client_secret and client_secret_file",
                );
            }
            if i.client_secret.as_deref().is_some_and(str::is_empty) {
                return bad("auth.introspection.client_secret must not be empty");
            }
            if i.cache_ttl_secs > 3600 || i.leeway_secs > 300 || i.timeout_ms == 0 {
                return bad(
                    "auth.introspection.cache_ttl_secs must be at most 3600, leeway_secs at most 300, timeout_ms positive",
                );
            }
        }
        self.claims.validate()
    }
}

impl ClaimsConfig {
    fn validate(&self) -> Result<(), ServerError> {
        if self.client_id.iter().any(|c| c.is_empty()) || self.client_id.is_empty() {
            return bad("auth.claims.client_id must name at least one claim");
        }
        required("auth.claims.scope", &self.scope)?;
        if self.subject.iter().any(|c| c.is_empty()) {
            return bad("auth.claims.subject must not name an empty claim");
        }
        for (purpose, scopes) in &self.purposes {
            if let Some(unknown) = scopes.iter().find(|s| !scope::ALL.contains(&s.as_str())) {
                return bad(format!(
                    "auth.claims.purposes.{purpose:?}: {unknown:?} is not a scope of the APIs"
                ));
            }
        }
        Ok(())
    }
}

impl LimitsConfig {
    /// Checks that every limit given is positive.
    pub fn validate(&self) -> Result<(), ServerError> {
        if self.requests_per_second == Some(0) || self.burst == Some(0) {
            return bad("limits.requests_per_second and limits.burst must be positive");
        }
        if self.burst.is_some() && self.requests_per_second.is_none() {
            return bad("limits.burst needs limits.requests_per_second");
        }
        if self.max_active_sessions_per_client == Some(0) {
            return bad("limits.max_active_sessions_per_client must be positive");
        }
        Ok(())
    }
}

#[cfg(test)]
#[path = "config_tests.rs"]
mod tests;
