//! Shared helpers of the integration tests: a sandbox issuer with a known key, and ways to
//! sign arbitrary (including hostile) tokens. The fake identity provider and the fixture keys
//! are in [`qod_auth::testing`].

#![allow(dead_code)]

use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::{Algorithm, EncodingKey, Header, encode};
use qod_auth::{AuthError, SandboxIssuer};
use serde_json::Value;

use qod_auth::testing::{ED25519_PEM, pem_der};

pub type TestResult = Result<(), Box<dyn std::error::Error>>;

pub const ISSUER: &str = "http://127.0.0.1:9000";
pub const AUDIENCE: &str = "qod-gateway";
pub const SECRET: &str = "sandbox-client-secret";

/// An issuer whose private key the tests also hold.
pub fn known_issuer() -> Result<SandboxIssuer, AuthError> {
    SandboxIssuer::from_pkcs8_pem(
        ED25519_PEM,
        ISSUER.to_owned(),
        AUDIENCE.to_owned(),
        SECRET.to_owned(),
        Duration::from_secs(300),
    )
}

/// An issuer with a fresh random key.
pub fn fresh_issuer() -> Result<SandboxIssuer, AuthError> {
    SandboxIssuer::generate(
        ISSUER.to_owned(),
        AUDIENCE.to_owned(),
        SECRET.to_owned(),
        Duration::from_secs(300),
    )
}

/// Seconds since the Unix epoch.
pub fn now() -> u64 {
    jsonwebtoken::get_current_timestamp()
}

/// Signs `claims` with the known Ed25519 key, with `kid` in the header.
pub fn sign_ed(
    claims: &Value,
    kid: Option<&str>,
    typ: &str,
) -> Result<String, Box<dyn std::error::Error>> {
    let key = EncodingKey::from_ed_der(&pem_der(ED25519_PEM)?);
    let mut header = Header::new(Algorithm::EdDSA);
    header.kid = kid.map(str::to_owned);
    header.typ = Some(typ.to_owned());
    Ok(encode(&header, claims, &key)?)
}

/// Well-formed access-token claims of the known issuer, expiring `exp_offset` seconds from now.
pub fn access_claims(exp_offset: i64) -> Value {
    let now = now();
    serde_json::json!({
        "iss": ISSUER,
        "aud": AUDIENCE,
        "sub": "app-1",
        "client_id": "app-1",
        "scope": "qos-profiles:read",
        "iat": now,
        "exp": now.saturating_add_signed(exp_offset),
    })
}

/// An unsigned token (`alg: none`).
pub fn unsigned_token(claims: &Value, kid: &str) -> String {
    let header = serde_json::json!({"alg": "none", "typ": "JWT", "kid": kid});
    format!(
        "{}.{}.",
        URL_SAFE_NO_PAD.encode(header.to_string()),
        URL_SAFE_NO_PAD.encode(claims.to_string())
    )
}
