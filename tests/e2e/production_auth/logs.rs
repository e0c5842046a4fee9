//! No token, client secret or sink credential ever reaches the logs: full flows in every auth
//! mode, with the server's log captured (at `info`, and at `debug`) and searched.

use reqwest::StatusCode;
use serde_json::{Value, json};

use super::{ALL_SCOPES, introspection_config, jwt_config, start_env};
use crate::support::idp::{
    GATEWAY_CLIENT_SECRET, Idp, TestKey, hs256, now, opaque_token, two_legged, unsigned,
};
use crate::support::{Api, QOD, Server};

fn create_with_sink(phone: &str, sink_token: &str) -> Value {
    json!({
        "device": {"phoneNumber": phone},
        "applicationServer": {"ipv4Address": "198.51.100.0/24"},
        "qosProfile": "QOS_E",
        "duration": 60,
        "sink": "https://sink.invalid/notifications",
        "sinkCredential": {
            "credentialType": "ACCESSTOKEN",
            "accessToken": sink_token,
            "accessTokenExpiresUtc": "2099-01-01T00:00:00Z",
            "accessTokenType": "bearer",
        },
    })
}

/// Every call of the APIs with `token`, and a few refused calls with each of `refused`.
async fn full_flow(api: &Api, token: &str, phone: &str, sink_token: &str, refused: &[String]) {
    let r = api
        .post(
            &format!("{QOD}/sessions"),
            token,
            &create_with_sink(phone, sink_token),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    assert!(!r.text.contains(sink_token), "the sink token was returned");
    let session = format!("{QOD}/sessions/{}", r.body["sessionId"].as_str().unwrap());
    let r = api.get(&session, token).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let r = api
        .post(
            &format!("{session}/extend"),
            token,
            &json!({"requestedAdditionalDuration": 30}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let r = api
        .post(
            &format!("{QOD}/retrieve-sessions"),
            token,
            &json!({"device": {"phoneNumber": phone}}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let r = api
        .post("/qos-profiles/v1/retrieve-qos-profiles", token, &json!({}))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let r = api.get("/qos-profiles/v1/qos-profiles/QOS_E", token).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    // Refused requests: a bad body, and tokens that are not accepted.
    let r = api
        .post(&format!("{QOD}/sessions"), token, &json!({"bogus": 1}))
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.text);
    for bad in refused {
        let r = api.get(&session, bad).await;
        assert!(
            [401, 403].contains(&r.status.as_u16()),
            "{}: {}",
            r.status,
            r.text
        );
    }
    let r = api.delete(&session, token).await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.text);
}

/// What must never be logged: each secret whole, and for JWTs their claims and signature
/// parts on their own.
fn needles(secrets: &[String]) -> Vec<String> {
    let mut all = Vec::new();
    for s in secrets {
        all.push(s.clone());
        let parts: Vec<&str> = s.split('.').collect();
        if parts.len() == 3 {
            all.extend(
                parts[1..]
                    .iter()
                    .filter(|p| p.len() >= 16)
                    .map(|p| (*p).to_owned()),
            );
        }
    }
    all
}

#[track_caller]
fn assert_log_clean(server: &Server, secrets: &[String]) {
    let log = server.log();
    assert!(log.len() > 200, "the log was not captured: {log}");
    for needle in needles(secrets) {
        assert!(
            !log.contains(&needle),
            "a secret reached the log: {needle}\n{log}"
        );
    }
}

#[tokio::test]
async fn no_secret_in_the_logs_in_introspection_mode_at_info() {
    let idp = Idp::start(&[]).await;
    let dir = tempfile::tempdir().unwrap();
    let secret = format!("client_secret = \"{GATEWAY_CLIENT_SECRET}\"");
    let config = introspection_config(&idp.introspection_url(), &secret, "");
    let server = start_env(dir.path(), &config, &[("QOD_LOG", "info")]).await;
    let api = Api::new(&server.base);

    let token = opaque_token(&idp, "app-log-i", ALL_SCOPES, json!({}));
    let other = opaque_token(&idp, "app-log-other", ALL_SCOPES, json!({}));
    idp.answer("revoked-opaque-token-9f1c", json!({"active": false}));
    let refused = vec![other.clone(), "revoked-opaque-token-9f1c".to_owned()];
    let sink_token = "sink-access-token-introspection-6d2e";
    full_flow(&api, &token, "+34600000801", sink_token, &refused).await;
    // An outage on top: its errors are logged, never the token.
    idp.set_introspection_status(503);
    let during_outage = opaque_token(&idp, "app-log-i", ALL_SCOPES, json!({}));
    let r = api
        .post(
            "/qos-profiles/v1/retrieve-qos-profiles",
            &during_outage,
            &json!({}),
        )
        .await;
    r.assert_error(503, "UNAVAILABLE");

    let mut secrets = vec![
        token,
        other,
        during_outage,
        GATEWAY_CLIENT_SECRET.to_owned(),
        sink_token.to_owned(),
    ];
    secrets.extend(refused);
    assert_log_clean(&server, &secrets);
}

#[tokio::test]
async fn no_secret_in_the_logs_in_jwt_mode_at_debug() {
    let (rsa, ed) = (TestKey::rsa("rsa-log"), TestKey::ed25519("ed-log"));
    let idp = Idp::start(&[&rsa, &ed]).await;
    let dir = tempfile::tempdir().unwrap();
    let config = jwt_config(&idp.jwks_url(), "[limits]\nrequests_per_second = 1000\n");
    let server = start_env(dir.path(), &config, &[("QOD_LOG", "debug")]).await;
    let api = Api::new(&server.base);

    let token = rsa.sign(&two_legged("app-log-j", ALL_SCOPES, 300));
    let mut early = two_legged("app-log-j", ALL_SCOPES, 3600);
    early["nbf"] = json!(now() + 600);
    let refused = vec![
        rsa.sign(&two_legged("app-log-j", ALL_SCOPES, -300)),
        rsa.sign(&early),
        ed.sign(&two_legged("app-log-other", ALL_SCOPES, 300)),
        TestKey::ed25519("unpublished").sign(&two_legged("app-log-j", ALL_SCOPES, 300)),
        unsigned(&two_legged("app-log-j", ALL_SCOPES, 300), "rsa-log"),
        hs256(
            &two_legged("app-log-j", ALL_SCOPES, 300),
            "rsa-log",
            &serde_json::to_vec(&rsa.jwk).unwrap(),
        ),
    ];
    let sink_token = "sink-access-token-jwt-debug-41aa";
    full_flow(&api, &token, "+34600000802", sink_token, &refused).await;
    assert!(
        server.log().contains("DEBUG"),
        "not at debug: {}",
        server.log()
    );

    let mut secrets = vec![token, sink_token.to_owned()];
    secrets.extend(refused);
    assert_log_clean(&server, &secrets);
}

#[tokio::test]
async fn no_secret_in_the_logs_in_sandbox_mode_at_debug() {
    let dir = tempfile::tempdir().unwrap();
    let client_secret = "sandbox-client-secret-b7e9";
    let config = format!("[sandbox]\nclient_secret = \"{client_secret}\"\n");
    let server = start_env(dir.path(), &config, &[("QOD_LOG", "debug")]).await;
    let api = Api::new(&server.base);

    let token_reply = api
        .form(
            "/oauth2/token",
            &[
                ("grant_type", "client_credentials"),
                ("client_id", "app-log-s"),
                ("client_secret", client_secret),
            ],
        )
        .await;
    assert_eq!(token_reply.status, StatusCode::OK, "{}", token_reply.text);
    let token = token_reply.body["access_token"]
        .as_str()
        .unwrap()
        .to_owned();
    let auth = api
        .form_basic(
            "/oauth2/bc-authorize",
            "app-log-s",
            client_secret,
            &[("login_hint", "tel:+34600000804")],
        )
        .await;
    assert_eq!(auth.status, StatusCode::OK, "{}", auth.text);
    let auth_req_id = auth.body["auth_req_id"].as_str().unwrap().to_owned();
    let ciba = api
        .form_basic(
            "/oauth2/token",
            "app-log-s",
            client_secret,
            &[
                ("grant_type", "urn:openid:params:grant-type:ciba"),
                ("auth_req_id", &auth_req_id),
            ],
        )
        .await;
    assert_eq!(ciba.status, StatusCode::OK, "{}", ciba.text);
    let three_legged = ciba.body["access_token"].as_str().unwrap().to_owned();
    // A wrong client secret is refused, and not logged either.
    let wrong = api
        .form(
            "/oauth2/token",
            &[
                ("grant_type", "client_credentials"),
                ("client_id", "app-log-s"),
                ("client_secret", "wrong-secret-c0ffee-42"),
            ],
        )
        .await;
    assert_eq!(wrong.status, StatusCode::BAD_REQUEST, "{}", wrong.text);

    let refused = vec![three_legged.clone()];
    let sink_token = "sink-access-token-sandbox-77c3";
    full_flow(&api, &token, "+34600000803", sink_token, &refused).await;

    let secrets = vec![
        token,
        three_legged,
        auth_req_id,
        client_secret.to_owned(),
        "wrong-secret-c0ffee-42".to_owned(),
        sink_token.to_owned(),
    ];
    assert_log_clean(&server, &secrets);
}
