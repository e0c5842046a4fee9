//! [`JwksValidator`] against a fake identity provider on 127.0.0.1.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use common::{AUDIENCE, ISSUER, now, unsigned_token};
use jsonwebtoken::{Algorithm, EncodingKey, Header, encode};
use qod_auth::testing::{Idp, TestKey, dead_url};
use qod_auth::{
    AuthError, ClaimMapping, JwksSettings, JwksValidator, Principal, TokenValidator, scope,
};
use serde_json::{Value, json};

/// Claims of a 2-legged token of `client` with `scope`, expiring in `exp_offset` seconds.
fn claims(client: &str, scope: &str, exp_offset: i64) -> Value {
    let now = now();
    json!({
        "iss": ISSUER,
        "aud": AUDIENCE,
        "sub": client,
        "client_id": client,
        "scope": scope,
        "iat": now,
        "exp": now.saturating_add_signed(exp_offset),
    })
}

fn settings(url: String) -> JwksSettings {
    let mut s = JwksSettings::new(url, ISSUER.into(), AUDIENCE.into());
    s.refresh_min_interval = Duration::from_millis(300);
    s.timeout = Duration::from_secs(2);
    s
}

fn validator(idp: &Idp) -> JwksValidator {
    JwksValidator::new(settings(idp.jwks_url()), ClaimMapping::default()).unwrap()
}

async fn check(v: &JwksValidator, token: &str) -> Result<Principal, AuthError> {
    v.validate(token).await
}

#[tokio::test]
async fn valid_tokens_of_every_algorithm() {
    let (rsa, ec, ed) = (
        TestKey::rsa("rsa-1"),
        TestKey::p256("ec-1"),
        TestKey::ed25519("ed-1"),
    );
    let idp = Idp::start(&[&rsa, &ec, &ed]).await;
    let v = validator(&idp);
    for key in [&rsa, &ec, &ed] {
        let token = key.sign(&claims("app-1", scope::SESSIONS_CREATE, 300));
        let p = check(&v, &token).await.unwrap();
        assert_eq!(p.client_id, "app-1", "{:?}", key.alg);
        assert!(p.has_scope(scope::SESSIONS_CREATE));
        assert!(!p.is_three_legged());
    }
    assert_eq!(idp.jwks_hits(), 1, "the key set is fetched once and cached");
}

#[tokio::test]
async fn expired_and_not_yet_valid_tokens_are_rejected() {
    let key = TestKey::ed25519("k1");
    let idp = Idp::start(&[&key]).await;
    let mut s = settings(idp.jwks_url());
    s.leeway_secs = 5;
    let v = JwksValidator::new(s, ClaimMapping::default()).unwrap();

    let expired = key.sign(&claims("app", scope::SESSIONS_READ, -60));
    assert_eq!(check(&v, &expired).await, Err(AuthError::InvalidToken));
    // Within the leeway it still passes.
    let just_expired = key.sign(&claims("app", scope::SESSIONS_READ, -2));
    assert!(check(&v, &just_expired).await.is_ok());

    let mut future = claims("app", scope::SESSIONS_READ, 3600);
    future["nbf"] = json!(now() + 600);
    let not_yet = key.sign(&future);
    assert_eq!(check(&v, &not_yet).await, Err(AuthError::InvalidToken));
}

#[tokio::test]
async fn wrong_issuer_or_audience_is_rejected() {
    let key = TestKey::rsa("k1");
    let idp = Idp::start(&[&key]).await;
    let v = validator(&idp);
    for (claim, value) in [
        ("iss", json!("http://127.0.0.1:9999")),
        ("aud", json!("another-api")),
    ] {
        let mut c = claims("app", scope::SESSIONS_READ, 300);
        c[claim] = value;
        assert_eq!(
            check(&v, &key.sign(&c)).await,
            Err(AuthError::InvalidToken),
            "{claim}"
        );
    }
}

#[tokio::test]
async fn unknown_kid_is_rejected_and_refreshes_at_most_once_per_interval() {
    let key = TestKey::ed25519("k1");
    let stranger = TestKey::ed25519("not-published");
    let idp = Idp::start(&[&key]).await;
    let v = validator(&idp);
    assert!(check(&v, &key.sign(&claims("app", "", 300))).await.is_ok());
    assert_eq!(idp.jwks_hits(), 1);
    // Within the interval after a fetch, even an unknown kid does not fetch again.
    let token = stranger.sign(&claims("app", "", 300));
    assert_eq!(check(&v, &token).await, Err(AuthError::InvalidToken));
    assert_eq!(idp.jwks_hits(), 1);
    tokio::time::sleep(Duration::from_millis(400)).await;

    assert_eq!(check(&v, &token).await, Err(AuthError::InvalidToken));
    assert_eq!(idp.jwks_hits(), 2, "an unknown kid fetches the set again");
    for _ in 0..20 {
        assert_eq!(check(&v, &token).await, Err(AuthError::InvalidToken));
    }
    assert_eq!(idp.jwks_hits(), 2, "but not again within the interval");
    tokio::time::sleep(Duration::from_millis(400)).await;
    assert_eq!(check(&v, &token).await, Err(AuthError::InvalidToken));
    assert_eq!(idp.jwks_hits(), 3);
}

#[tokio::test]
async fn rotated_key_is_picked_up() {
    let old = TestKey::rsa("2026-01");
    let new = TestKey::ed25519("2026-02");
    let idp = Idp::start(&[&old]).await;
    let v = validator(&idp);
    let old_token = old.sign(&claims("app", "", 300));
    assert!(check(&v, &old_token).await.is_ok());

    // The provider rotates: the new key is published and the old one withdrawn.
    idp.set_keys(&[&new]);
    tokio::time::sleep(Duration::from_millis(400)).await;
    let new_token = new.sign(&claims("app", "", 300));
    let p = check(&v, &new_token).await.unwrap();
    assert_eq!(p.client_id, "app");
    assert_eq!(idp.jwks_hits(), 2);
    // The refreshed set no longer has the old key.
    assert_eq!(check(&v, &old_token).await, Err(AuthError::InvalidToken));
}

#[tokio::test]
async fn bad_signatures_are_rejected() {
    let key = TestKey::p256("k1");
    let impostor = TestKey::ed25519("k-imp");
    let idp = Idp::start(&[&key]).await;
    let v = validator(&idp);

    // Another key claiming the published kid (and its algorithm family differs).
    let forged = impostor.sign_as("k1", &claims("app", "", 300));
    assert_eq!(check(&v, &forged).await, Err(AuthError::InvalidToken));

    // A genuine token whose payload was changed.
    let token = key.sign(&claims("app", scope::SESSIONS_READ, 300));
    let parts: Vec<&str> = token.split('.').collect();
    let payload = URL_SAFE_NO_PAD.encode(claims("app", &scope::ALL.join(" "), 300).to_string());
    let tampered = format!("{}.{}.{}", parts[0], payload, parts[2]);
    assert_eq!(check(&v, &tampered).await, Err(AuthError::InvalidToken));

    for garbage in ["", "abc", "a.b.c", &"x".repeat(20_000)] {
        assert_eq!(check(&v, garbage).await, Err(AuthError::InvalidToken));
    }
}

#[tokio::test]
async fn alg_none_and_hs256_with_the_public_key_are_rejected() {
    let key = TestKey::rsa("k1");
    let idp = Idp::start(&[&key]).await;
    let v = validator(&idp);
    let c = claims("app", &scope::ALL.join(" "), 300);
    assert_eq!(
        check(&v, &unsigned_token(&c, "k1")).await,
        Err(AuthError::InvalidToken)
    );

    // The key-confusion attack: the public key (as published) used as an HMAC secret.
    let published = serde_json::to_vec(&key.jwk).unwrap();
    let modulus = match &key.jwk.algorithm {
        jsonwebtoken::jwk::AlgorithmParameters::RSA(p) => URL_SAFE_NO_PAD.decode(&p.n).unwrap(),
        _ => unreachable!(),
    };
    for secret in [published.as_slice(), modulus.as_slice()] {
        let mut header = Header::new(Algorithm::HS256);
        header.kid = Some("k1".into());
        let token = encode(&header, &c, &EncodingKey::from_secret(secret)).unwrap();
        assert_eq!(check(&v, &token).await, Err(AuthError::InvalidToken));
    }
}

#[tokio::test]
async fn algorithms_can_be_restricted() {
    let (rsa, ec) = (TestKey::rsa("rsa"), TestKey::p256("ec"));
    let idp = Idp::start(&[&rsa, &ec]).await;
    let mut s = settings(idp.jwks_url());
    s.algorithms = vec![Algorithm::ES256];
    let v = JwksValidator::new(s, ClaimMapping::default()).unwrap();
    assert!(check(&v, &ec.sign(&claims("app", "", 300))).await.is_ok());
    assert_eq!(
        check(&v, &rsa.sign(&claims("app", "", 300))).await,
        Err(AuthError::InvalidToken)
    );

    let mut bad = settings(idp.jwks_url());
    bad.algorithms = vec![Algorithm::HS256];
    assert!(matches!(
        JwksValidator::new(bad, ClaimMapping::default()),
        Err(AuthError::Config(_))
    ));
    let no_url = settings("not a url".into());
    assert!(matches!(
        JwksValidator::new(no_url, ClaimMapping::default()),
        Err(AuthError::Config(_))
    ));
}

#[tokio::test]
async fn missing_scope_and_three_legged_mapping() {
    let key = TestKey::ed25519("k1");
    let idp = Idp::start(&[&key]).await;
    let mapping = ClaimMapping {
        subject_claims: vec!["phone_number".into(), "sub".into()],
        ..ClaimMapping::default()
    };
    let v = JwksValidator::new(settings(idp.jwks_url()), mapping).unwrap();

    let p = check(&v, &key.sign(&claims("app", scope::SESSIONS_READ, 300)))
        .await
        .unwrap();
    assert!(!p.has_scope(scope::SESSIONS_CREATE));

    let mut three = claims("app", scope::QOD_PURPOSE, 300);
    three["sub"] = json!("user-8812");
    three["phone_number"] = json!("+34600000042");
    let p = check(&v, &key.sign(&three)).await.unwrap();
    assert_eq!(p.client_id, "app");
    assert_eq!(p.subject.as_deref(), Some("tel:+34600000042"));
    assert!(
        p.has_scope(scope::SESSIONS_CREATE),
        "the purpose grants all"
    );
}

#[tokio::test]
async fn an_unreachable_key_set_is_unavailable_not_invalid() {
    let key = TestKey::ed25519("k1");
    let token = key.sign(&claims("app", "", 300));

    let v = JwksValidator::new(settings(dead_url("/jwks")), ClaimMapping::default()).unwrap();
    assert!(matches!(
        check(&v, &token).await,
        Err(AuthError::Unavailable(_))
    ));
    assert!(matches!(v.refresh().await, Err(AuthError::Unavailable(_))));

    // A provider answering 503, or a document that is no key set.
    let idp = Idp::start(&[&key]).await;
    idp.set_jwks_status(503);
    let v = validator(&idp);
    assert!(matches!(
        check(&v, &token).await,
        Err(AuthError::Unavailable(_))
    ));
    idp.set_jwks_status(200);
    idp.set_raw_keys(Vec::new());
    tokio::time::sleep(Duration::from_millis(400)).await;
    assert!(matches!(
        check(&v, &token).await,
        Err(AuthError::Unavailable(_))
    ));

    // Once keys are cached, an outage does not stop validation.
    idp.set_keys(&[&key]);
    tokio::time::sleep(Duration::from_millis(400)).await;
    assert!(check(&v, &token).await.is_ok());
    idp.set_jwks_status(503);
    let unknown = TestKey::ed25519("k2").sign(&claims("app", "", 300));
    assert_eq!(check(&v, &unknown).await, Err(AuthError::InvalidToken));
    assert!(check(&v, &token).await.is_ok());
}

#[tokio::test]
async fn refresh_reports_the_usable_keys() {
    let (rsa, ec) = (TestKey::rsa("rsa"), TestKey::p256("ec"));
    let idp = Idp::start(&[&rsa, &ec]).await;
    let v = validator(&idp);
    assert_eq!(v.refresh().await, Ok(2));
    let shown = format!("{v:?}");
    assert!(shown.contains("jwks"), "{shown}");
}
