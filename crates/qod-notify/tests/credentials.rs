//! PRIVATE_KEY_JWT keys: which keys are accepted, the public key set, and the assertion.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use jsonwebtoken::{DecodingKey, Validation};
use qod_notify::AssertionKey;
use serde_json::Value;

fn check_assertion(key: &AssertionKey, alg: jsonwebtoken::Algorithm) {
    let jwks = key.jwks();
    assert_eq!(jwks.keys.len(), 1);
    let jwk = &jwks.keys[0];
    let kid = jwk.common.key_id.clone().expect("a kid");
    let now = time::OffsetDateTime::now_utc();
    let token = key
        .assertion("my-app", "https://auth.example.com/token", now)
        .unwrap();
    let header = jsonwebtoken::decode_header(&token).unwrap();
    assert_eq!(header.alg, alg);
    assert_eq!(header.kid.as_deref(), Some(kid.as_str()));
    let mut validation = Validation::new(alg);
    validation.set_audience(&["https://auth.example.com/token"]);
    validation.set_issuer(&["my-app"]);
    let claims =
        jsonwebtoken::decode::<Value>(&token, &DecodingKey::from_jwk(jwk).unwrap(), &validation)
            .unwrap()
            .claims;
    assert_eq!(claims["sub"], "my-app");
    let (iat, exp) = (
        claims["iat"].as_i64().unwrap(),
        claims["exp"].as_i64().unwrap(),
    );
    assert_eq!(exp - iat, 300);
    let other = key
        .assertion("my-app", "https://auth.example.com/token", now)
        .unwrap();
    let jti = |t: &str| {
        jsonwebtoken::decode::<Value>(t, &DecodingKey::from_jwk(jwk).unwrap(), &validation)
            .unwrap()
            .claims["jti"]
            .clone()
    };
    assert_ne!(jti(&token), jti(&other), "a new jti each time");
    let public = serde_json::to_value(&jwks).unwrap();
    assert_eq!(public["keys"][0]["use"], "sig");
    assert!(
        public["keys"][0].get("d").is_none(),
        "no private part: {public}"
    );
}

#[test]
fn p256_p384_and_ed25519_keys_sign_assertions() {
    for (alg, jwt_alg) in [
        (
            &rcgen::PKCS_ECDSA_P256_SHA256,
            jsonwebtoken::Algorithm::ES256,
        ),
        (
            &rcgen::PKCS_ECDSA_P384_SHA384,
            jsonwebtoken::Algorithm::ES384,
        ),
        (&rcgen::PKCS_ED25519, jsonwebtoken::Algorithm::EdDSA),
    ] {
        let pem = rcgen::KeyPair::generate_for(alg).unwrap().serialize_pem();
        let key = AssertionKey::from_pem(pem.as_bytes()).unwrap();
        check_assertion(&key, jwt_alg);
    }
}

#[test]
fn other_files_are_refused() {
    for bad in [
        "",
        "not a key",
        "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n",
    ] {
        assert!(AssertionKey::from_pem(bad.as_bytes()).is_err(), "{bad:?}");
    }
}
