//! Credentials for sinks: bearer access tokens as given, and PRIVATE_KEY_JWT — an access token
//! obtained from the client's authorization server with a client assertion signed by the
//! operator's key (RFC 7523), cached until it expires.

use std::collections::HashMap;
use std::sync::Mutex;

use jsonwebtoken::jwk::{Jwk, JwkSet, PublicKeyUse, ThumbprintHash};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use qod_domain::{Sink, SinkCredential};
use reqwest::header::{CONTENT_TYPE, HeaderMap, HeaderValue};
use serde::{Deserialize, Serialize};
use time::{Duration, OffsetDateTime};

use crate::error::NotifyError;
use crate::http::Http;
use crate::retry::Verdict;
use crate::sender::verdict_of;

/// How long a client assertion is valid.
const ASSERTION_LIFETIME: Duration = Duration::minutes(5);
/// A token is renewed this long before it expires.
const EXPIRY_MARGIN: Duration = Duration::seconds(30);
/// How long a token without `expires_in` is kept.
const DEFAULT_TOKEN_LIFETIME: Duration = Duration::minutes(1);

/// Reads a PEM key of one family.
type KeyLoader = fn(&[u8]) -> jsonwebtoken::errors::Result<EncodingKey>;

/// The operator's key for client assertions, and its public JWK.
pub struct AssertionKey {
    key: EncodingKey,
    alg: Algorithm,
    jwk: Jwk,
}

impl std::fmt::Debug for AssertionKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AssertionKey")
            .field("alg", &self.alg)
            .field("kid", &self.jwk.common.key_id)
            .finish_non_exhaustive()
    }
}

impl AssertionKey {
    /// A PKCS#8 PEM private key: Ed25519 (EdDSA), P-256 (ES256), P-384 (ES384) or RSA (RS256).
    pub fn from_pem(pem: &[u8]) -> Result<Self, NotifyError> {
        let candidates: [(KeyLoader, &[Algorithm]); 3] = [
            (EncodingKey::from_ed_pem, &[Algorithm::EdDSA]),
            (
                EncodingKey::from_ec_pem,
                &[Algorithm::ES256, Algorithm::ES384],
            ),
            (EncodingKey::from_rsa_pem, &[Algorithm::RS256]),
        ];
        for (load, algorithms) in candidates {
            let Ok(key) = load(pem) else { continue };
            for alg in algorithms {
                if jsonwebtoken::encode(&Header::new(*alg), &probe(), &key).is_err() {
                    continue;
                }
                let jwk = match Jwk::from_encoding_key(&key, *alg) {
                    Ok(jwk) => Some(jwk),
                    Err(_) if *alg == Algorithm::EdDSA => ed25519_jwk(key.as_bytes()),
                    Err(_) => None,
                };
                if let Some(jwk) = jwk {
                    return Self::with_jwk(key, *alg, jwk);
                }
            }
        }
        Err(NotifyError::SigningKey(
            "expected a PKCS#8 PEM Ed25519, P-256, P-384 or RSA private key".into(),
        ))
    }

    fn with_jwk(key: EncodingKey, alg: Algorithm, mut jwk: Jwk) -> Result<Self, NotifyError> {
        let kid = jwk
            .thumbprint(ThumbprintHash::SHA256)
            .map_err(|e| NotifyError::SigningKey(e.to_string()))?;
        jwk.common.key_id = Some(kid);
        jwk.common.public_key_use = Some(PublicKeyUse::Signature);
        Ok(Self { key, alg, jwk })
    }

    /// The public key set that verifies the assertions (served as the `jwksUri`).
    pub fn jwks(&self) -> JwkSet {
        JwkSet {
            keys: vec![self.jwk.clone()],
        }
    }

    /// A client assertion of `client_id` for `token_uri`.
    pub fn assertion(
        &self,
        client_id: &str,
        token_uri: &str,
        now: OffsetDateTime,
    ) -> Result<String, String> {
        let mut header = Header::new(self.alg);
        header.kid.clone_from(&self.jwk.common.key_id);
        let claims = AssertionClaims {
            iss: client_id,
            sub: client_id,
            aud: token_uri,
            jti: uuid::Uuid::new_v4().to_string(),
            iat: now.unix_timestamp(),
            exp: (now + ASSERTION_LIFETIME).unix_timestamp(),
        };
        jsonwebtoken::encode(&header, &claims, &self.key).map_err(|e| e.to_string())
    }
}

/// The public JWK of an Ed25519 PKCS#8 key of either version (v2 keys carry the public key,
/// which the JWK helper of `jsonwebtoken` does not read).
fn ed25519_jwk(pkcs8_der: &[u8]) -> Option<Jwk> {
    use base64::Engine;
    use ed25519_dalek::pkcs8::DecodePrivateKey;
    let signing = ed25519_dalek::SigningKey::from_pkcs8_der(pkcs8_der).ok()?;
    let x =
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(signing.verifying_key().to_bytes());
    serde_json::from_value(serde_json::json!({
        "kty": "OKP", "crv": "Ed25519", "x": x, "alg": "EdDSA"
    }))
    .ok()
}

fn probe() -> serde_json::Value {
    serde_json::json!({"probe": true})
}

#[derive(Serialize)]
struct AssertionClaims<'a> {
    iss: &'a str,
    sub: &'a str,
    aud: &'a str,
    jti: String,
    iat: i64,
    exp: i64,
}

#[derive(Deserialize)]
struct TokenAnswer {
    access_token: String,
    #[serde(default)]
    expires_in: Option<i64>,
}

/// Why no `Authorization` could be made for a sink.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CredentialError {
    /// The credential cannot work (expired, incomplete, or not configured): give up.
    Unusable(String),
    /// The token endpoint did not give a token; `verdict` says whether to retry.
    TokenEndpoint {
        verdict: Verdict,
        error: String,
        status: Option<u16>,
    },
}

/// Makes the `Authorization` of deliveries.
#[derive(Debug, Default)]
pub struct Credentials {
    key: Option<AssertionKey>,
    tokens: Mutex<HashMap<(String, String), (String, OffsetDateTime)>>,
}

impl Credentials {
    /// Credentials signing client assertions with `key`, when the operator configured one.
    pub fn new(key: Option<AssertionKey>) -> Self {
        Self {
            key,
            tokens: Mutex::default(),
        }
    }

    /// The bearer token for a delivery to `sink` at `now`; `None` without a credential.
    pub async fn bearer(
        &self,
        sink: &Sink,
        now: OffsetDateTime,
        http: &Http,
    ) -> Result<Option<String>, CredentialError> {
        match &sink.credential {
            None => Ok(None),
            Some(SinkCredential::AccessToken {
                access_token,
                expires_at,
            }) => {
                if *expires_at <= now {
                    Err(CredentialError::Unusable("access token expired".into()))
                } else {
                    Ok(Some(access_token.clone()))
                }
            }
            Some(SinkCredential::PrivateKeyJwt {
                client_id,
                token_uri,
            }) => {
                let (Some(client_id), Some(token_uri)) = (client_id, token_uri) else {
                    return Err(CredentialError::Unusable(
                        "the PRIVATE_KEY_JWT credential has no clientId or tokenUri".into(),
                    ));
                };
                self.private_key_jwt(client_id, token_uri, now, http)
                    .await
                    .map(Some)
            }
        }
    }

    /// Forgets the cached token of `sink` (after the sink refused it).
    pub fn forget(&self, sink: &Sink) {
        if let Some(SinkCredential::PrivateKeyJwt {
            client_id: Some(client_id),
            token_uri: Some(token_uri),
        }) = &sink.credential
            && let Ok(mut tokens) = self.tokens.lock()
        {
            tokens.remove(&(token_uri.clone(), client_id.clone()));
        }
    }

    async fn private_key_jwt(
        &self,
        client_id: &str,
        token_uri: &str,
        now: OffsetDateTime,
        http: &Http,
    ) -> Result<String, CredentialError> {
        let Some(key) = &self.key else {
            return Err(CredentialError::Unusable(
                "no key is configured for PRIVATE_KEY_JWT".into(),
            ));
        };
        let cache_key = (token_uri.to_owned(), client_id.to_owned());
        if let Ok(tokens) = self.tokens.lock()
            && let Some((token, until)) = tokens.get(&cache_key)
            && *until > now
        {
            return Ok(token.clone());
        }
        let assertion = key
            .assertion(client_id, token_uri, now)
            .map_err(CredentialError::Unusable)?;
        let form = [
            ("grant_type", "client_credentials"),
            (
                "client_assertion_type",
                "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
            ),
            ("client_assertion", assertion.as_str()),
        ];
        let body = serde_urlencoded::to_string(form)
            .map_err(|e| CredentialError::Unusable(e.to_string()))?;
        let mut headers = HeaderMap::new();
        headers.insert(
            CONTENT_TYPE,
            HeaderValue::from_static("application/x-www-form-urlencoded"),
        );
        let answer = http
            .post(token_uri, headers, body.into_bytes())
            .await
            .map_err(|e| CredentialError::TokenEndpoint {
                verdict: crate::sender::verdict_of_send_error(&e),
                error: format!("token endpoint: {e}"),
                status: None,
            })?;
        let verdict = verdict_of(answer.status, answer.retry_after.as_deref(), now);
        if verdict != Verdict::Delivered {
            return Err(CredentialError::TokenEndpoint {
                verdict: if verdict == Verdict::Gone {
                    Verdict::Refused
                } else {
                    verdict
                },
                error: format!("token endpoint answered HTTP {}", answer.status),
                status: Some(answer.status),
            });
        }
        let token: TokenAnswer =
            serde_json::from_slice(&answer.body).map_err(|e| CredentialError::TokenEndpoint {
                verdict: Verdict::Refused,
                error: format!("token endpoint answer is not a token: {e}"),
                status: Some(answer.status),
            })?;
        let lifetime = token
            .expires_in
            .map_or(DEFAULT_TOKEN_LIFETIME, Duration::seconds);
        let until = now + (lifetime - EXPIRY_MARGIN).max(Duration::ZERO);
        if let Ok(mut tokens) = self.tokens.lock() {
            tokens.insert(cache_key, (token.access_token.clone(), until));
        }
        Ok(token.access_token)
    }
}
