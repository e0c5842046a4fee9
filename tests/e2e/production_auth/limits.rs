//! Per-client limits: the request rate (429 TOO_MANY_REQUESTS with Retry-After) and the
//! quota of active sessions (429 QUOTA_EXCEEDED).

use std::time::Duration;

use reqwest::{Method, StatusCode};
use serde_json::json;

use super::{ALL_SCOPES, jwt_config, start};
use crate::support::idp::{Idp, TestKey, two_legged};
use crate::support::{Api, QOD, create_body};

const PROFILES: &str = "/qos-profiles/v1/retrieve-qos-profiles";

#[tokio::test]
async fn a_client_past_its_rate_gets_429_while_another_is_unaffected() {
    let key = TestKey::ed25519("k1");
    let idp = Idp::start(&[&key]).await;
    let dir = tempfile::tempdir().unwrap();
    let limits = "[limits]\nrequests_per_second = 1\nburst = 5\n";
    let server = start(dir.path(), &jwt_config(&idp.jwks_url(), limits)).await;
    let api = Api::new(&server.base);
    let busy = key.sign(&two_legged("app-busy", ALL_SCOPES, 300));
    let calm = key.sign(&two_legged("app-calm", ALL_SCOPES, 300));

    let mut limited = None;
    for i in 0..30 {
        let r = api
            .call(
                Method::POST,
                PROFILES,
                Some(&busy),
                Some("{}"),
                &[("x-correlator", "rate-1")],
            )
            .await;
        if r.status == StatusCode::TOO_MANY_REQUESTS {
            assert!(
                i >= 5,
                "limited after {i} requests, before the burst was used"
            );
            limited = Some(r);
            break;
        }
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    }
    let r = limited.expect("the busy client was never limited");
    r.assert_error(429, "TOO_MANY_REQUESTS");
    let retry_after: u64 = r
        .headers
        .get("retry-after")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok())
        .expect("a Retry-After of whole seconds");
    assert!((1..=2).contains(&retry_after), "Retry-After {retry_after}");
    assert_eq!(r.headers["x-correlator"], "rate-1");

    // Another client is not affected.
    let r = api
        .post(
            &format!("{QOD}/sessions"),
            &calm,
            &create_body("+34600000601", 60),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let r = api.post(PROFILES, &calm, &json!({})).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    // Nor is the health check.
    for _ in 0..10 {
        let r = api.call(Method::GET, "/health", None, None, &[]).await;
        assert_eq!(r.status, StatusCode::OK);
    }
    // Bad tokens are 401 before any limit.
    api.post(PROFILES, "not-a-token", &json!({}))
        .await
        .assert_error(401, "UNAUTHENTICATED");

    // After the advertised wait the busy client may go on.
    tokio::time::sleep(Duration::from_secs(retry_after)).await;
    let r = api.post(PROFILES, &busy, &json!({})).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
}

#[tokio::test]
async fn a_client_at_its_session_quota_gets_quota_exceeded() {
    let key = TestKey::rsa("k1");
    let idp = Idp::start(&[&key]).await;
    let dir = tempfile::tempdir().unwrap();
    let limits = "[limits]\nmax_active_sessions_per_client = 2\n";
    let server = start(dir.path(), &jwt_config(&idp.jwks_url(), limits)).await;
    let api = Api::new(&server.base);
    let a = key.sign(&two_legged("app-quota-a", ALL_SCOPES, 300));
    let b = key.sign(&two_legged("app-quota-b", ALL_SCOPES, 300));
    let create = |token: &str, phone: &str| {
        let (api, token, phone) = (api.clone(), token.to_owned(), phone.to_owned());
        async move {
            api.post(
                &format!("{QOD}/sessions"),
                &token,
                &create_body(&phone, 600),
            )
            .await
        }
    };

    let first = create(&a, "+34600000701").await;
    assert_eq!(first.status, StatusCode::CREATED, "{}", first.text);
    let r = create(&a, "+34600000702").await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let r = create(&a, "+34600000703").await;
    r.assert_error(429, "QUOTA_EXCEEDED");
    assert_eq!(r.body["message"], "Out of resource quota.");

    // Another client has its own quota.
    let r = create(&b, "+34600000704").await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);

    // Deleting a session frees room.
    let id = first.body["sessionId"].as_str().unwrap();
    let r = api.delete(&format!("{QOD}/sessions/{id}"), &a).await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.text);
    let r = create(&a, "+34600000703").await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
}
