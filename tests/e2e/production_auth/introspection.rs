//! `auth.mode = "introspection"`: tokens checked by the operator's RFC 7662 endpoint.

use reqwest::StatusCode;
use serde_json::json;

use super::{ALL_SCOPES, body_without_device, introspection_config, start};
use crate::support::idp::{GATEWAY_CLIENT_SECRET, Idp, dead_url, opaque_token};
use crate::support::{Api, QOD, create_body};

fn secret_line() -> String {
    format!("client_secret = \"{GATEWAY_CLIENT_SECRET}\"")
}

#[tokio::test]
async fn active_tokens_pass_inactive_ones_are_401_and_an_outage_is_503() {
    let idp = Idp::start(&[]).await;
    let dir = tempfile::tempdir().unwrap();
    let config = introspection_config(&idp.introspection_url(), &secret_line(), "");
    let server = start(dir.path(), &config).await;
    let api = Api::new(&server.base);
    assert!(
        server
            .log()
            .contains("PRODUCTION auth mode (introspection)"),
        "{}",
        server.log()
    );

    let token = opaque_token(&idp, "app-i", ALL_SCOPES, json!({}));
    let r = api
        .post(
            &format!("{QOD}/sessions"),
            &token,
            &create_body("+34600000501", 60),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let session = format!("{QOD}/sessions/{}", r.body["sessionId"].as_str().unwrap());
    let hits = idp.introspection_hits();
    let r = api.get(&session, &token).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(idp.introspection_hits(), hits, "the answer was cached");

    // Inactive, unknown and static sandbox tokens.
    idp.answer("revoked-token-1", json!({"active": false}));
    for t in [
        "revoked-token-1",
        "never-issued",
        "mock_sandbox_access_token",
    ] {
        api.get(&session, t)
            .await
            .assert_error(401, "UNAUTHENTICATED");
    }
    // An active token naming an expired time is refused all the same.
    let expired = opaque_token(&idp, "app-i", ALL_SCOPES, json!({"exp": 1_000_000}));
    api.get(&session, &expired)
        .await
        .assert_error(401, "UNAUTHENTICATED");

    // A valid token without the scope.
    let reader = opaque_token(&idp, "app-i", "qos-profiles:read", json!({}));
    api.get(&session, &reader)
        .await
        .assert_error(403, "PERMISSION_DENIED");
    // Another client.
    let other = opaque_token(&idp, "app-j", ALL_SCOPES, json!({}));
    api.get(&session, &other)
        .await
        .assert_error(403, "PERMISSION_DENIED");

    // A 3-legged token: `sub` names the device.
    let three = opaque_token(
        &idp,
        "app-i",
        ALL_SCOPES,
        json!({"sub": "tel:+34600000502"}),
    );
    let r = api
        .post(&format!("{QOD}/sessions"), &three, &body_without_device(60))
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let theirs = format!("{QOD}/sessions/{}", r.body["sessionId"].as_str().unwrap());
    // ... and another device's 3-legged token of the same client cannot read that session.
    let elsewhere = opaque_token(
        &idp,
        "app-i",
        ALL_SCOPES,
        json!({"sub": "tel:+34600000503"}),
    );
    api.get(&theirs, &elsewhere)
        .await
        .assert_error(403, "PERMISSION_DENIED");

    // The sandbox's token endpoint is gone.
    let r = api.client_credentials("a", None).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.text);

    // The provider fails: new tokens get 503, not 401; a cached one still works.
    idp.set_introspection_status(503);
    let fresh = opaque_token(&idp, "app-i", ALL_SCOPES, json!({}));
    api.get(&session, &fresh)
        .await
        .assert_error(503, "UNAVAILABLE");
    let r = api.get(&session, &token).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
}

#[tokio::test]
async fn an_unreachable_endpoint_or_refused_gateway_credentials_are_503() {
    let dir = tempfile::tempdir().unwrap();
    let config = introspection_config(&dead_url("/introspect"), &secret_line(), "");
    let server = start(dir.path(), &config).await;
    let api = Api::new(&server.base);
    api.post(
        "/qos-profiles/v1/retrieve-qos-profiles",
        "some-opaque-token",
        &json!({}),
    )
    .await
    .assert_error(503, "UNAVAILABLE");

    // The secret from a file, but not the one the provider knows.
    let idp = Idp::start(&[]).await;
    let token = opaque_token(&idp, "app-i", ALL_SCOPES, json!({}));
    let dir = tempfile::tempdir().unwrap();
    let secret_file = dir.path().join("introspection-secret");
    std::fs::write(&secret_file, "a-wrong-secret-value\n").unwrap();
    let line = format!("client_secret_file = \"{}\"", secret_file.display());
    let server = start(
        dir.path(),
        &introspection_config(&idp.introspection_url(), &line, ""),
    )
    .await;
    let api = Api::new(&server.base);
    api.post("/qos-profiles/v1/retrieve-qos-profiles", &token, &json!({}))
        .await
        .assert_error(503, "UNAVAILABLE");
    assert!(
        server
            .log()
            .contains("refused this gateway's client credentials"),
        "{}",
        server.log()
    );

    // The right secret from a file works.
    std::fs::write(&secret_file, format!("{GATEWAY_CLIENT_SECRET}\n")).unwrap();
    let dir2 = tempfile::tempdir().unwrap();
    let server = start(
        dir2.path(),
        &introspection_config(&idp.introspection_url(), &line, ""),
    )
    .await;
    let api = Api::new(&server.base);
    let r = api
        .post("/qos-profiles/v1/retrieve-qos-profiles", &token, &json!({}))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
}
