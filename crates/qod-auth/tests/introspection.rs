//! [`IntrospectionValidator`] against a fake identity provider on 127.0.0.1.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::time::Duration;

use common::{AUDIENCE, ISSUER, now};
use qod_auth::testing::{GATEWAY_CLIENT_ID, GATEWAY_CLIENT_SECRET, Idp, dead_url};
use qod_auth::{
    AuthError, ClaimMapping, IntrospectionSettings, IntrospectionValidator, TokenValidator, scope,
};
use serde_json::{Value, json};

fn settings(url: String) -> IntrospectionSettings {
    let mut s =
        IntrospectionSettings::new(url, GATEWAY_CLIENT_ID.into(), GATEWAY_CLIENT_SECRET.into());
    s.timeout = Duration::from_secs(2);
    s
}

fn validator(idp: &Idp) -> IntrospectionValidator {
    IntrospectionValidator::new(settings(idp.introspection_url()), ClaimMapping::default()).unwrap()
}

/// An active 2-legged token's introspection answer.
fn active(client: &str, scope: &str, exp_offset: i64) -> Value {
    json!({
        "active": true,
        "client_id": client,
        "scope": scope,
        "sub": client,
        "token_type": "Bearer",
        "iss": ISSUER,
        "aud": AUDIENCE,
        "exp": now().saturating_add_signed(exp_offset),
    })
}

#[tokio::test]
async fn active_token_is_accepted_with_client_authentication() {
    let idp = Idp::start(&[]).await;
    idp.answer("opaque-1", active("app-1", scope::SESSIONS_CREATE, 300));
    let v = validator(&idp);
    let p = v.validate("opaque-1").await.unwrap();
    assert_eq!(p.client_id, "app-1");
    assert!(p.has_scope(scope::SESSIONS_CREATE));
    assert!(!p.has_scope(scope::SESSIONS_READ), "missing scope");
    assert!(!p.is_three_legged());

    // The provider refuses other client credentials: that is an outage, not a bad token.
    let mut wrong = settings(idp.introspection_url());
    wrong.client_secret = "not-the-secret".into();
    let v = IntrospectionValidator::new(wrong, ClaimMapping::default()).unwrap();
    assert!(matches!(
        v.validate("opaque-1").await,
        Err(AuthError::Unavailable(_))
    ));
}

#[tokio::test]
async fn inactive_and_unknown_tokens_are_rejected() {
    let idp = Idp::start(&[]).await;
    idp.answer("revoked", json!({"active": false}));
    let v = validator(&idp);
    assert_eq!(v.validate("revoked").await, Err(AuthError::InvalidToken));
    assert_eq!(
        v.validate("never-issued").await,
        Err(AuthError::InvalidToken)
    );
    assert_eq!(v.validate("").await, Err(AuthError::InvalidToken));
    assert_eq!(idp.introspection_hits(), 2, "an empty token is not sent");
}

#[tokio::test]
async fn expired_not_yet_valid_and_foreign_tokens_are_rejected() {
    let idp = Idp::start(&[]).await;
    idp.answer("expired", active("app", "", -120));
    let mut early = active("app", "", 3600);
    early["nbf"] = json!(now() + 600);
    idp.answer("early", early);
    let mut foreign_iss = active("app", "", 300);
    foreign_iss["iss"] = json!("http://127.0.0.1:9999");
    idp.answer("foreign-iss", foreign_iss);
    let mut foreign_aud = active("app", "", 300);
    foreign_aud["aud"] = json!(["another-api"]);
    idp.answer("foreign-aud", foreign_aud);

    let mut s = settings(idp.introspection_url());
    s.issuer = Some(ISSUER.into());
    s.audience = Some(AUDIENCE.into());
    let v = IntrospectionValidator::new(s, ClaimMapping::default()).unwrap();
    for token in ["expired", "early", "foreign-iss", "foreign-aud"] {
        assert_eq!(
            v.validate(token).await,
            Err(AuthError::InvalidToken),
            "{token}"
        );
    }
    idp.answer("fine", active("app", "", 300));
    assert!(v.validate("fine").await.is_ok());
}

#[tokio::test]
async fn an_unreachable_or_failing_endpoint_is_unavailable() {
    let v = IntrospectionValidator::new(settings(dead_url("/introspect")), ClaimMapping::default())
        .unwrap();
    assert!(matches!(
        v.validate("any").await,
        Err(AuthError::Unavailable(_))
    ));

    let idp = Idp::start(&[]).await;
    idp.answer("t", active("app", "", 300));
    idp.set_introspection_status(503);
    let v = validator(&idp);
    let got = v.validate("t").await;
    assert!(matches!(&got, Err(AuthError::Unavailable(_))), "{got:?}");
    // The error names the status, never the token or the secret.
    let shown = format!("{got:?}");
    assert!(shown.contains("503"), "{shown}");
    assert!(!shown.contains(GATEWAY_CLIENT_SECRET));

    idp.set_introspection_status(200);
    assert!(v.validate("t").await.is_ok());
}

#[tokio::test]
async fn active_tokens_are_cached_until_the_earlier_of_ttl_and_exp() {
    let idp = Idp::start(&[]).await;
    idp.answer("long", active("app", "", 3600));
    idp.answer("short", active("app", "", 2));
    let mut s = settings(idp.introspection_url());
    s.leeway_secs = 0;
    let v = IntrospectionValidator::new(s, ClaimMapping::default()).unwrap();

    for _ in 0..5 {
        assert!(v.validate("long").await.is_ok());
    }
    assert_eq!(idp.introspection_hits(), 1, "cached after the first call");
    // A cached token survives an outage of the provider.
    idp.set_introspection_status(503);
    assert!(v.validate("long").await.is_ok());
    idp.set_introspection_status(200);

    assert!(v.validate("short").await.is_ok());
    assert!(v.validate("short").await.is_ok());
    assert_eq!(idp.introspection_hits(), 2);
    // Past its exp the token is not served from the cache: the provider is asked again and
    // its (stale) answer is refused.
    tokio::time::sleep(Duration::from_millis(2600)).await;
    assert_eq!(v.validate("short").await, Err(AuthError::InvalidToken));
    assert_eq!(idp.introspection_hits(), 3);

    // Inactive answers are not cached.
    assert!(v.validate("nope").await.is_err());
    assert!(v.validate("nope").await.is_err());
    assert_eq!(idp.introspection_hits(), 5);
}

#[tokio::test]
async fn the_cache_is_bounded_and_can_be_off() {
    let idp = Idp::start(&[]).await;
    for i in 0..6 {
        idp.answer(&format!("t{i}"), active("app", "", 300));
    }
    let mut s = settings(idp.introspection_url());
    s.cache_max_entries = 2;
    let v = IntrospectionValidator::new(s, ClaimMapping::default()).unwrap();
    for i in 0..6 {
        assert!(v.validate(&format!("t{i}")).await.is_ok());
        assert!(v.cached_tokens() <= 2);
    }

    let mut s = settings(idp.introspection_url());
    s.cache_ttl = Duration::ZERO;
    let v = IntrospectionValidator::new(s, ClaimMapping::default()).unwrap();
    let before = idp.introspection_hits();
    assert!(v.validate("t0").await.is_ok());
    assert!(v.validate("t0").await.is_ok());
    assert_eq!(idp.introspection_hits(), before + 2);
    assert_eq!(v.cached_tokens(), 0);
}

#[tokio::test]
async fn three_legged_tokens_and_extra_claims() {
    let idp = Idp::start(&[]).await;
    let mut three = active("app", scope::QOD_PURPOSE, 300);
    three["sub"] = json!("tel:+34600000007");
    idp.answer("three", three);
    let mut by_phone = active("app", scope::SESSIONS_READ, 300);
    by_phone["sub"] = json!("account-17");
    by_phone["phone_number"] = json!("+34600000008");
    idp.answer("by-phone", by_phone);

    let v = validator(&idp);
    let p = v.validate("three").await.unwrap();
    assert_eq!(p.subject.as_deref(), Some("tel:+34600000007"));
    assert_eq!(p.scopes.len(), scope::ALL.len());

    let mapping = ClaimMapping {
        subject_claims: vec!["phone_number".into(), "sub".into()],
        ..ClaimMapping::default()
    };
    let v = IntrospectionValidator::new(settings(idp.introspection_url()), mapping).unwrap();
    let p = v.validate("by-phone").await.unwrap();
    assert_eq!(p.subject.as_deref(), Some("tel:+34600000008"));
    assert_eq!(p.client_id, "app");
}

#[tokio::test]
async fn settings_are_checked_and_the_secret_is_never_shown() {
    let s = settings("ftp://127.0.0.1/x".into());
    assert!(matches!(
        IntrospectionValidator::new(s, ClaimMapping::default()),
        Err(AuthError::Config(_))
    ));
    let mut s = settings("http://127.0.0.1:1/introspect".into());
    s.client_secret = String::new();
    assert!(matches!(
        IntrospectionValidator::new(s, ClaimMapping::default()),
        Err(AuthError::Config(_))
    ));
    let v = IntrospectionValidator::new(
        settings("http://127.0.0.1:1/introspect".into()),
        ClaimMapping::default(),
    )
    .unwrap();
    let shown = format!("{v:?} {:?}", v.settings());
    assert!(shown.contains(GATEWAY_CLIENT_ID), "{shown}");
    assert!(!shown.contains(GATEWAY_CLIENT_SECRET), "{shown}");
}
