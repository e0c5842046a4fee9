//! [`JwksValidator`]: JWT access tokens checked against the key set an authorization server
//! publishes at a JWKS URL.

use std::sync::{Arc, PoisonError, RwLock};
use std::time::{Duration, Instant};

use jsonwebtoken::jwk::{Jwk, JwkSet};
use jsonwebtoken::{Algorithm, decode_header};
use serde::Deserialize;

use super::http;
use crate::jwt::{ALLOWED_ALGORITHMS, MAX_TOKEN_LEN};
use crate::{AuthError, ClaimMapping, JwtValidator, Principal, TokenValidator};

/// Settings of a [`JwksValidator`].
#[derive(Debug, Clone)]
pub struct JwksSettings {
    /// Where the key set is published (`http://` or `https://`).
    pub jwks_url: String,
    /// The `iss` every token must name.
    pub issuer: String,
    /// The audience every token must name in `aud`.
    pub audience: String,
    /// Clock leeway for `exp` and `nbf`, in seconds (capped at
    /// [`JwtValidator::MAX_LEEWAY_SECS`]).
    pub leeway_secs: u64,
    /// The accepted signature algorithms: a non-empty subset of RS256, ES256 and EdDSA.
    pub algorithms: Vec<Algorithm>,
    /// The shortest time between two fetches of the key set: a token naming an unknown key
    /// makes the validator fetch the set again, at most this often.
    pub refresh_min_interval: Duration,
    /// Keys older than this are fetched again on the next request; the old keys stay in use
    /// while the authorization server cannot be reached.
    pub max_age: Duration,
    /// Time limit of one fetch.
    pub timeout: Duration,
}

impl JwksSettings {
    /// Settings with the defaults: every allowed algorithm, 30 s leeway, at most one fetch per
    /// 10 s, keys kept for an hour, 5 s per fetch.
    pub fn new(jwks_url: String, issuer: String, audience: String) -> Self {
        Self {
            jwks_url,
            issuer,
            audience,
            leeway_secs: JwtValidator::DEFAULT_LEEWAY_SECS,
            algorithms: vec![Algorithm::RS256, Algorithm::ES256, Algorithm::EdDSA],
            refresh_min_interval: Duration::from_secs(10),
            max_age: Duration::from_secs(3600),
            timeout: Duration::from_secs(5),
        }
    }
}

/// What was fetched last, and when a fetch was last tried.
#[derive(Default)]
struct KeyState {
    keys: Option<Arc<JwtValidator>>,
    fetched_at: Option<Instant>,
    last_attempt: Option<Instant>,
}

/// Validates JWT access tokens with [`JwtValidator`]'s checks over a key set fetched from a
/// JWKS URL and cached.
///
/// The set is fetched on first use (or by [`Self::refresh`]), again when a token names a key
/// id the cached set lacks (key rotation), and again when it is older than
/// [`JwksSettings::max_age`]; never more often than [`JwksSettings::refresh_min_interval`].
/// Without any cached keys, a failed fetch is [`AuthError::Unavailable`] (the request may be
/// retried), not [`AuthError::InvalidToken`].
pub struct JwksValidator {
    settings: JwksSettings,
    mapping: ClaimMapping,
    http: reqwest::Client,
    state: RwLock<KeyState>,
    fetching: tokio::sync::Mutex<()>,
}

impl std::fmt::Debug for JwksValidator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("JwksValidator")
            .field("settings", &self.settings)
            .finish_non_exhaustive()
    }
}

impl JwksValidator {
    /// A validator with these settings, reading principals with `mapping`. Fetches nothing
    /// yet. Fails with [`AuthError::Config`] on a malformed URL, an empty issuer or audience,
    /// or algorithms outside the allow-list.
    pub fn new(settings: JwksSettings, mapping: ClaimMapping) -> Result<Self, AuthError> {
        http::check_url("the JWKS URL", &settings.jwks_url)?;
        if settings.issuer.is_empty() || settings.audience.is_empty() {
            return Err(AuthError::Config(
                "issuer and audience must not be empty".to_owned(),
            ));
        }
        let http = http::client(settings.timeout)?;
        let validator = Self {
            settings,
            mapping,
            http,
            state: RwLock::new(KeyState::default()),
            fetching: tokio::sync::Mutex::new(()),
        };
        validator.check_algorithms()?;
        Ok(validator)
    }

    fn check_algorithms(&self) -> Result<(), AuthError> {
        let algorithms = &self.settings.algorithms;
        if algorithms.is_empty() || algorithms.iter().any(|a| !ALLOWED_ALGORITHMS.contains(a)) {
            return Err(AuthError::Config(
                "algorithms must be a non-empty subset of RS256, ES256 and EdDSA".to_owned(),
            ));
        }
        Ok(())
    }

    /// The settings in force.
    pub fn settings(&self) -> &JwksSettings {
        &self.settings
    }

    /// Fetches the key set now, whatever the rate limit says, and returns how many usable keys
    /// it has. On failure the keys cached before stay in use.
    pub async fn refresh(&self) -> Result<usize, AuthError> {
        let _only_fetch = self.fetching.lock().await;
        self.fetch().await
    }

    fn snapshot(&self) -> (Option<Arc<JwtValidator>>, bool) {
        let state = self.state.read().unwrap_or_else(PoisonError::into_inner);
        let fresh = state
            .fetched_at
            .is_some_and(|at| at.elapsed() < self.settings.max_age);
        (state.keys.clone(), fresh)
    }

    /// Fetches the set unless a fetch was tried less than `refresh_min_interval` ago. Returns
    /// the keys in force afterwards; a failed fetch keeps the keys cached before.
    async fn refresh_if_due(
        &self,
        seen: Option<&Arc<JwtValidator>>,
    ) -> Result<Option<Arc<JwtValidator>>, AuthError> {
        let _only_fetch = self.fetching.lock().await;
        {
            let state = self.state.read().unwrap_or_else(PoisonError::into_inner);
            let changed = match (&state.keys, seen) {
                (Some(now), Some(before)) => !Arc::ptr_eq(now, before),
                (now, before) => now.is_some() != before.is_some(),
            };
            let too_soon = state
                .last_attempt
                .is_some_and(|at| at.elapsed() < self.settings.refresh_min_interval);
            if changed || too_soon {
                // Another request fetched meanwhile, or one just tried.
                return Ok(state.keys.clone());
            }
        }
        let fetched = self.fetch().await;
        let keys = self.snapshot().0;
        match (fetched, keys) {
            (_, Some(keys)) => Ok(Some(keys)),
            (Err(e), None) => Err(e),
            (Ok(_), None) => Ok(None),
        }
    }

    async fn fetch(&self) -> Result<usize, AuthError> {
        self.state
            .write()
            .unwrap_or_else(PoisonError::into_inner)
            .last_attempt = Some(Instant::now());
        match self.download().await {
            Ok(validator) => {
                let count = validator.key_count();
                let mut state = self.state.write().unwrap_or_else(PoisonError::into_inner);
                state.keys = Some(Arc::new(validator));
                state.fetched_at = Some(Instant::now());
                tracing::info!(url = %self.settings.jwks_url, keys = count, "JWKS fetched");
                Ok(count)
            }
            Err(reason) => {
                tracing::warn!(url = %self.settings.jwks_url, %reason, "cannot fetch the JWKS");
                Err(AuthError::Unavailable(format!("JWKS: {reason}")))
            }
        }
    }

    async fn download(&self) -> Result<JwtValidator, String> {
        #[derive(Deserialize)]
        struct RawSet {
            keys: Vec<serde_json::Value>,
        }
        let body = http::get(&self.http, &self.settings.jwks_url)
            .await
            .map_err(|e| e.to_string())?;
        let raw: RawSet =
            serde_json::from_slice(&body).map_err(|_| "not a JSON Web Key Set".to_owned())?;
        // Keys of types this validator does not know are skipped, not fatal.
        let keys: Vec<Jwk> = raw
            .keys
            .into_iter()
            .filter_map(|k| serde_json::from_value(k).ok())
            .collect();
        let s = &self.settings;
        JwtValidator::new(JwkSet { keys }, s.issuer.clone(), s.audience.clone())
            .and_then(|v| v.with_algorithms(&s.algorithms))
            .map(|v| {
                v.with_leeway(s.leeway_secs)
                    .with_claim_mapping(self.mapping.clone())
            })
            .map_err(|e| e.to_string())
    }
}

#[async_trait::async_trait]
impl TokenValidator for JwksValidator {
    async fn validate(&self, bearer_token: &str) -> Result<Principal, AuthError> {
        if bearer_token.is_empty() || bearer_token.len() > MAX_TOKEN_LEN {
            return Err(AuthError::InvalidToken);
        }
        let header = decode_header(bearer_token).map_err(|_| AuthError::InvalidToken)?;
        if !self.settings.algorithms.contains(&header.alg) {
            return Err(AuthError::InvalidToken);
        }
        let kid = header.kid.as_deref();

        let (cached, fresh) = self.snapshot();
        let mut keys = match cached {
            Some(keys) if fresh => keys,
            stale => match self.refresh_if_due(stale.as_ref()).await? {
                Some(keys) => keys,
                None => {
                    return Err(AuthError::Unavailable(
                        "JWKS: no keys fetched yet".to_owned(),
                    ));
                }
            },
        };
        if kid.is_some() && !keys.has_key_for(kid) {
            tracing::debug!(kid, "token names a key the cached set lacks; refreshing");
            if let Ok(Some(newer)) = self.refresh_if_due(Some(&keys)).await {
                keys = newer;
            }
        }
        if !keys.accepts_algorithm(header.alg) {
            return Err(AuthError::InvalidToken);
        }
        keys.validate_now(bearer_token)
    }
}
