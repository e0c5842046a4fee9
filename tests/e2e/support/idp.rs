//! The fake identity provider for the production auth modes (from `qod_auth::testing`), and
//! the tokens the tests sign or have it introspect.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::{Algorithm, EncodingKey, Header, encode};
use serde_json::{Value, json};

pub use qod_auth::testing::{GATEWAY_CLIENT_ID, GATEWAY_CLIENT_SECRET, Idp, TestKey, dead_url};

/// The issuer named in the tokens and expected by the server.
pub const ISSUER: &str = "https://idp.example.test";
/// The audience the server expects.
pub const AUDIENCE: &str = "qod-gateway";

/// Seconds since the Unix epoch.
pub fn now() -> i64 {
    time::OffsetDateTime::now_utc().unix_timestamp()
}

/// Claims of a 2-legged token of `client` with `scope`, valid for `ttl` seconds.
pub fn two_legged(client: &str, scope: &str, ttl: i64) -> Value {
    json!({
        "iss": ISSUER,
        "aud": AUDIENCE,
        "sub": client,
        "client_id": client,
        "scope": scope,
        "iat": now(),
        "exp": now() + ttl,
        "jti": uuid::Uuid::new_v4().to_string(),
    })
}

/// An unsigned token (`alg: none`) naming `kid`.
pub fn unsigned(claims: &Value, kid: &str) -> String {
    let header = json!({"alg": "none", "typ": "JWT", "kid": kid});
    format!(
        "{}.{}.",
        URL_SAFE_NO_PAD.encode(header.to_string()),
        URL_SAFE_NO_PAD.encode(claims.to_string())
    )
}

/// An HS256 token keyed with `secret` (e.g. the published public key), naming `kid`.
pub fn hs256(claims: &Value, kid: &str, secret: &[u8]) -> String {
    let mut header = Header::new(Algorithm::HS256);
    header.kid = Some(kid.to_owned());
    encode(&header, claims, &EncodingKey::from_secret(secret)).expect("sign")
}

/// An opaque token whose introspection at `idp` says it is active for `client` with `scope`,
/// and `extra` claims (e.g. the device of a 3-legged token).
pub fn opaque_token(idp: &Idp, client: &str, scope: &str, extra: Value) -> String {
    let token = format!("opaque-{}", uuid::Uuid::new_v4().simple());
    let mut answer = json!({
        "active": true,
        "client_id": client,
        "sub": client,
        "scope": scope,
        "token_type": "Bearer",
        "iss": ISSUER,
        "aud": AUDIENCE,
        "exp": now() + 600,
    });
    if let (Some(a), Value::Object(e)) = (answer.as_object_mut(), extra) {
        a.extend(e);
    }
    idp.answer(&token, answer);
    token
}
