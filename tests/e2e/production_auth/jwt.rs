//! `auth.mode = "jwt"`: tokens of the operator's authorization server, checked against its
//! JWKS.

use reqwest::{Method, StatusCode};
use serde_json::json;

use super::{ALL_SCOPES, body_without_device, jwt_config, start};
use crate::support::idp::{Idp, TestKey, dead_url, hs256, now, two_legged, unsigned};
use crate::support::{Api, QOD, create_body};

#[tokio::test]
async fn valid_tokens_pass_and_every_bad_token_is_401() {
    let (rsa, ec, ed) = (
        TestKey::rsa("rsa-1"),
        TestKey::p256("ec-1"),
        TestKey::ed25519("ed-1"),
    );
    let idp = Idp::start(&[&rsa, &ec, &ed]).await;
    let dir = tempfile::tempdir().unwrap();
    let server = start(dir.path(), &jwt_config(&idp.jwks_url(), "")).await;
    let api = Api::new(&server.base);
    assert!(
        server.log().contains("PRODUCTION auth mode (jwt)"),
        "{}",
        server.log()
    );

    // RS256, ES256 and EdDSA tokens all work.
    for (i, key) in [&rsa, &ec, &ed].into_iter().enumerate() {
        let token = key.sign(&two_legged("app-jwt", ALL_SCOPES, 300));
        let phone = format!("+3460000020{i}");
        let r = api
            .post(&format!("{QOD}/sessions"), &token, &create_body(&phone, 60))
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{:?}: {}", key.alg, r.text);
        let id = r.body["sessionId"].as_str().unwrap();
        let r = api.get(&format!("{QOD}/sessions/{id}"), &token).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    }

    let mut bad: Vec<(&str, String)> = Vec::new();
    bad.push((
        "expired",
        rsa.sign(&two_legged("app-jwt", ALL_SCOPES, -120)),
    ));
    let mut early = two_legged("app-jwt", ALL_SCOPES, 3600);
    early["nbf"] = json!(now() + 600);
    bad.push(("not yet valid", rsa.sign(&early)));
    let mut wrong_iss = two_legged("app-jwt", ALL_SCOPES, 300);
    wrong_iss["iss"] = json!("https://other-idp.example.test");
    bad.push(("wrong issuer", ec.sign(&wrong_iss)));
    let mut wrong_aud = two_legged("app-jwt", ALL_SCOPES, 300);
    wrong_aud["aud"] = json!("another-api");
    bad.push(("wrong audience", ed.sign(&wrong_aud)));
    let stranger = TestKey::ed25519("unpublished");
    bad.push((
        "unknown kid",
        stranger.sign(&two_legged("app-jwt", ALL_SCOPES, 300)),
    ));
    bad.push((
        "bad signature",
        stranger.sign_as("ed-1", &two_legged("app-jwt", ALL_SCOPES, 300)),
    ));
    bad.push((
        "alg none",
        unsigned(&two_legged("app-jwt", ALL_SCOPES, 300), "rsa-1"),
    ));
    let public = serde_json::to_vec(&rsa.jwk).unwrap();
    bad.push((
        "HS256 keyed with the public key",
        hs256(&two_legged("app-jwt", ALL_SCOPES, 300), "rsa-1", &public),
    ));
    bad.push(("not a JWT", "definitely-not-a-jwt".to_owned()));
    for (what, token) in &bad {
        let r = api
            .post(
                &format!("{QOD}/sessions"),
                token,
                &create_body("+34600000299", 60),
            )
            .await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED, "{what}: {}", r.text);
        r.assert_error(401, "UNAUTHENTICATED");
    }

    // A valid token without the operation's scope.
    let reader = rsa.sign(&two_legged(
        "app-jwt",
        "quality-on-demand:sessions:read",
        300,
    ));
    let r = api
        .post(
            &format!("{QOD}/sessions"),
            &reader,
            &create_body("+34600000298", 60),
        )
        .await;
    r.assert_error(403, "PERMISSION_DENIED");
}

#[tokio::test]
async fn the_sandbox_is_off_in_production_mode() {
    let key = TestKey::ed25519("k1");
    let idp = Idp::start(&[&key]).await;
    let dir = tempfile::tempdir().unwrap();
    let server = start(dir.path(), &jwt_config(&idp.jwks_url(), "")).await;
    let api = Api::new(&server.base);

    let r = api
        .post(
            &format!("{QOD}/sessions"),
            "mock_sandbox_access_token",
            &create_body("+34600000301", 60),
        )
        .await;
    r.assert_error(401, "UNAUTHENTICATED");
    let form = [
        ("grant_type", "client_credentials"),
        ("client_id", "app"),
        ("client_secret", "sandbox-secret"),
    ];
    for path in ["/oauth2/token", "/oauth2/bc-authorize"] {
        let r = api.form(path, &form).await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "{path}: {}", r.text);
    }
    let r = api.call(Method::GET, "/oauth2/jwks", None, None, &[]).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.text);
    assert!(!server.log().contains("SANDBOX mode"), "{}", server.log());
}

#[tokio::test]
async fn a_rotated_key_is_picked_up_and_the_withdrawn_one_refused() {
    let old = TestKey::rsa("2026-10");
    let new = TestKey::ed25519("2026-11");
    let idp = Idp::start(&[&old]).await;
    let dir = tempfile::tempdir().unwrap();
    let server = start(dir.path(), &jwt_config(&idp.jwks_url(), "")).await;
    let api = Api::new(&server.base);
    let profiles = "/qos-profiles/v1/retrieve-qos-profiles";

    let old_token = old.sign(&two_legged("app-rot", ALL_SCOPES, 300));
    let r = api.post(profiles, &old_token, &json!({})).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);

    idp.set_keys(&[&new]);
    let new_token = new.sign(&two_legged("app-rot", ALL_SCOPES, 300));
    let r = api.post(profiles, &new_token, &json!({})).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let r = api.post(profiles, &old_token, &json!({})).await;
    r.assert_error(401, "UNAUTHENTICATED");
}

#[tokio::test]
async fn an_unreachable_key_set_is_503_not_401() {
    let key = TestKey::ed25519("k1");
    let dir = tempfile::tempdir().unwrap();
    let server = start(dir.path(), &jwt_config(&dead_url("/jwks"), "")).await;
    let api = Api::new(&server.base);
    let token = key.sign(&two_legged("app", ALL_SCOPES, 300));
    let r = api
        .post("/qos-profiles/v1/retrieve-qos-profiles", &token, &json!({}))
        .await;
    r.assert_error(503, "UNAVAILABLE");
    assert!(
        server.log().contains("could not be fetched at start"),
        "{}",
        server.log()
    );

    // A provider that answers 503 is no different.
    let idp = Idp::start(&[&key]).await;
    idp.set_jwks_status(503);
    let dir = tempfile::tempdir().unwrap();
    let server = start(dir.path(), &jwt_config(&idp.jwks_url(), "")).await;
    let api = Api::new(&server.base);
    let r = api
        .post("/qos-profiles/v1/retrieve-qos-profiles", &token, &json!({}))
        .await;
    r.assert_error(503, "UNAVAILABLE");
    // Once the provider is back, the same token passes.
    idp.set_jwks_status(200);
    let r = api
        .post("/qos-profiles/v1/retrieve-qos-profiles", &token, &json!({}))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
}

#[tokio::test]
async fn claims_decide_two_or_three_legs_and_ownership() {
    let key = TestKey::p256("ec-1");
    let idp = Idp::start(&[&key]).await;
    let dir = tempfile::tempdir().unwrap();
    let claims = "[auth.claims]\nsubject = [\"phone_number\", \"sub\"]\n";
    let server = start(dir.path(), &jwt_config(&idp.jwks_url(), claims)).await;
    let api = Api::new(&server.base);
    let three_legged = |client: &str, phone: &str| {
        let mut c = two_legged(client, "dpv:RequestedServiceProvision#qod", 300);
        c["sub"] = json!("account-4711");
        c["phone_number"] = json!(phone);
        key.sign(&c)
    };
    let alice = three_legged("app-a", "+34600000401");
    let a_2l = key.sign(&two_legged("app-a", ALL_SCOPES, 300));
    let b_2l = key.sign(&two_legged("app-b", ALL_SCOPES, 300));

    // 3-legged: the device comes from the token; naming it again is refused.
    let r = api
        .post(&format!("{QOD}/sessions"), &alice, &body_without_device(60))
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    assert!(r.body.get("device").is_none(), "{}", r.text);
    let id = r.body["sessionId"].as_str().unwrap().to_owned();
    let r = api
        .post(
            &format!("{QOD}/sessions"),
            &alice,
            &create_body("+34600000401", 60),
        )
        .await;
    r.assert_error(422, "UNNECESSARY_IDENTIFIER");

    // 2-legged: the device must be named.
    let r = api
        .post(&format!("{QOD}/sessions"), &a_2l, &body_without_device(60))
        .await;
    r.assert_error(422, "MISSING_IDENTIFIER");

    // The creating client reads its session with a 2-legged token too.
    let session = format!("{QOD}/sessions/{id}");
    let r = api.get(&session, &a_2l).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    // Another client may not read or delete it.
    api.get(&session, &b_2l)
        .await
        .assert_error(403, "PERMISSION_DENIED");
    api.delete(&session, &b_2l)
        .await
        .assert_error(403, "PERMISSION_DENIED");
    // A 3-legged token of the same client for another device may not read it.
    let bob = three_legged("app-a", "+34600000402");
    api.get(&session, &bob)
        .await
        .assert_error(403, "PERMISSION_DENIED");
    // A phone number claim that is not E.164 makes the token unacceptable.
    let garbled = three_legged("app-a", "0034 600 000 401");
    api.get(&session, &garbled)
        .await
        .assert_error(401, "UNAUTHENTICATED");
    // The owner (client and device) may delete it.
    let r = api.delete(&session, &alice).await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.text);
}
