//! [`IntrospectionValidator`]: opaque (or any) access tokens checked by the authorization
//! server's RFC 7662 introspection endpoint.

use std::fmt;
use std::time::{Duration, Instant};

use oauth2::basic::{
    BasicErrorResponse, BasicRevocationErrorResponse, BasicTokenResponse, BasicTokenType,
};
use oauth2::{
    AccessToken, ClientId, ClientSecret, EndpointNotSet, EndpointSet, ExtraTokenFields,
    IntrospectionUrl, RequestTokenError, StandardRevocableToken,
    StandardTokenIntrospectionResponse, TokenIntrospectionResponse,
};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::cache::{TokenCache, key_of};
use super::http::{self, CallError, OAuthHttp};
use crate::jwt::MAX_TOKEN_LEN;
use crate::{AuthError, ClaimMapping, Principal, TokenValidator};

/// Claims of an introspection response beyond RFC 7662's, kept for the [`ClaimMapping`].
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
struct OtherClaims {
    #[serde(flatten)]
    claims: Map<String, Value>,
}

impl ExtraTokenFields for OtherClaims {}

type Response = StandardTokenIntrospectionResponse<OtherClaims, BasicTokenType>;

type Client = oauth2::Client<
    BasicErrorResponse,
    BasicTokenResponse,
    Response,
    StandardRevocableToken,
    BasicRevocationErrorResponse,
    EndpointNotSet,
    EndpointNotSet,
    EndpointSet,
    EndpointNotSet,
    EndpointNotSet,
>;

/// Settings of an [`IntrospectionValidator`].
#[derive(Clone)]
pub struct IntrospectionSettings {
    /// The introspection endpoint (`http://` or `https://`).
    pub url: String,
    /// This gateway's client id at the authorization server (HTTP Basic authentication).
    pub client_id: String,
    /// This gateway's client secret at the authorization server.
    pub client_secret: String,
    /// How long an active token's principal is reused without asking again; never beyond the
    /// token's `exp`. Zero disables the cache.
    pub cache_ttl: Duration,
    /// Most tokens kept in the cache.
    pub cache_max_entries: usize,
    /// Time limit of one introspection call.
    pub timeout: Duration,
    /// When set, the response's `iss` must equal it.
    pub issuer: Option<String>,
    /// When set, the response's `aud` must contain it.
    pub audience: Option<String>,
    /// Clock leeway for `exp` and `nbf`, in seconds.
    pub leeway_secs: u64,
}

impl IntrospectionSettings {
    /// Settings with the defaults: a 60 s cache of at most 10,000 tokens, 5 s per call, 30 s
    /// leeway, no issuer or audience check.
    pub fn new(url: String, client_id: String, client_secret: String) -> Self {
        Self {
            url,
            client_id,
            client_secret,
            cache_ttl: Duration::from_secs(60),
            cache_max_entries: 10_000,
            timeout: Duration::from_secs(5),
            issuer: None,
            audience: None,
            leeway_secs: 30,
        }
    }
}

impl fmt::Debug for IntrospectionSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("IntrospectionSettings")
            .field("url", &self.url)
            .field("client_id", &self.client_id)
            .field("client_secret", &"[redacted]")
            .field("cache_ttl", &self.cache_ttl)
            .field("cache_max_entries", &self.cache_max_entries)
            .field("timeout", &self.timeout)
            .field("issuer", &self.issuer)
            .field("audience", &self.audience)
            .field("leeway_secs", &self.leeway_secs)
            .finish()
    }
}

/// Validates tokens by asking the authorization server (RFC 7662), authenticating to it with
/// HTTP Basic. `active: false`, an expired or not yet valid token, and a response naming
/// another issuer or audience are [`AuthError::InvalidToken`]; an endpoint that cannot be
/// reached or answers anything but a well-formed 200 is [`AuthError::Unavailable`]. Active
/// tokens are cached (by hash) until `min(exp, now + cache_ttl)`.
pub struct IntrospectionValidator {
    client: Client,
    http: OAuthHttp,
    settings: IntrospectionSettings,
    mapping: ClaimMapping,
    cache: TokenCache,
}

impl fmt::Debug for IntrospectionValidator {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("IntrospectionValidator")
            .field("settings", &self.settings)
            .finish_non_exhaustive()
    }
}

impl IntrospectionValidator {
    /// A validator with these settings, reading principals with `mapping`. Fails with
    /// [`AuthError::Config`] on a malformed URL or an empty client id or secret.
    pub fn new(settings: IntrospectionSettings, mapping: ClaimMapping) -> Result<Self, AuthError> {
        http::check_url("the introspection URL", &settings.url)?;
        if settings.client_id.is_empty() || settings.client_secret.is_empty() {
            return Err(AuthError::Config(
                "the introspection client id and secret must not be empty".to_owned(),
            ));
        }
        let url = IntrospectionUrl::new(settings.url.clone()).map_err(|_| {
            AuthError::Config("the introspection URL is not a valid URL".to_owned())
        })?;
        let client = oauth2::Client::new(ClientId::new(settings.client_id.clone()))
            .set_client_secret(ClientSecret::new(settings.client_secret.clone()))
            .set_introspection_url(url);
        Ok(Self {
            client,
            http: OAuthHttp(http::client(settings.timeout)?),
            cache: TokenCache::new(settings.cache_max_entries),
            settings,
            mapping,
        })
    }

    /// The settings in force.
    pub fn settings(&self) -> &IntrospectionSettings {
        &self.settings
    }

    /// How many tokens the cache holds now.
    pub fn cached_tokens(&self) -> usize {
        self.cache.len()
    }

    async fn introspect(&self, token: &str) -> Result<Response, AuthError> {
        let token = AccessToken::new(token.to_owned());
        self.client
            .introspect(&token)
            .set_token_type_hint("access_token")
            .request_async(&self.http)
            .await
            .map_err(|e| {
                let reason = match e {
                    RequestTokenError::Request(CallError::Status(status @ (401 | 403))) => {
                        format!("refused this gateway's client credentials (HTTP {status})")
                    }
                    RequestTokenError::Request(call) => call.to_string(),
                    RequestTokenError::Parse(..) => "answered an unreadable response".to_owned(),
                    RequestTokenError::ServerResponse(_) | RequestTokenError::Other(_) => {
                        "answered an unexpected response".to_owned()
                    }
                };
                tracing::warn!(url = %self.settings.url, %reason, "token introspection failed");
                AuthError::Unavailable(format!("introspection endpoint {reason}"))
            })
    }

    /// The checks on an active response; the claims it carries.
    fn check(&self, response: &Response, now_unix: i64) -> Result<Map<String, Value>, AuthError> {
        let leeway = i64::try_from(self.settings.leeway_secs).unwrap_or(i64::MAX);
        if response
            .exp()
            .is_some_and(|exp| exp.timestamp().saturating_add(leeway) <= now_unix)
        {
            tracing::debug!(reason = "expired", "token rejected");
            return Err(AuthError::InvalidToken);
        }
        if response
            .nbf()
            .is_some_and(|nbf| nbf.timestamp() > now_unix.saturating_add(leeway))
        {
            tracing::debug!(reason = "not yet valid", "token rejected");
            return Err(AuthError::InvalidToken);
        }
        if let Some(issuer) = &self.settings.issuer
            && response.iss() != Some(issuer.as_str())
        {
            tracing::debug!(reason = "wrong issuer", "token rejected");
            return Err(AuthError::InvalidToken);
        }
        if let Some(audience) = &self.settings.audience
            && !response.aud().is_some_and(|aud| aud.contains(audience))
        {
            tracing::debug!(reason = "wrong audience", "token rejected");
            return Err(AuthError::InvalidToken);
        }
        match serde_json::to_value(response) {
            Ok(Value::Object(claims)) => Ok(claims),
            _ => Err(AuthError::InvalidToken),
        }
    }
}

fn unix_now() -> i64 {
    time::OffsetDateTime::now_utc().unix_timestamp()
}

#[async_trait::async_trait]
impl TokenValidator for IntrospectionValidator {
    async fn validate(&self, bearer_token: &str) -> Result<Principal, AuthError> {
        if bearer_token.is_empty() || bearer_token.len() > MAX_TOKEN_LEN {
            return Err(AuthError::InvalidToken);
        }
        let key = key_of(bearer_token);
        if let Some(principal) = self.cache.get(&key, Instant::now()) {
            return Ok(principal);
        }
        let response = self.introspect(bearer_token).await?;
        if !response.active() {
            tracing::debug!(reason = "inactive", "token rejected");
            return Err(AuthError::InvalidToken);
        }
        let now_unix = unix_now();
        let claims = self.check(&response, now_unix)?;
        let principal = self.mapping.principal(&claims)?;

        let mut keep = self.settings.cache_ttl;
        if let Some(exp) = response.exp() {
            let left = u64::try_from(exp.timestamp().saturating_sub(now_unix)).unwrap_or(0);
            keep = keep.min(Duration::from_secs(left));
        }
        if let Some(until) = Instant::now().checked_add(keep)
            && !keep.is_zero()
        {
            self.cache.insert(key, principal.clone(), until);
        }
        Ok(principal)
    }
}
