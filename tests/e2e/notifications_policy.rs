//! The sink policy (internal addresses refused at create time and again at delivery) and
//! PRIVATE_KEY_JWT sink credentials.

use std::collections::HashMap;
use std::time::Duration;

use jsonwebtoken::jwk::JwkSet;
use jsonwebtoken::{DecodingKey, Validation};
use serde_json::{Value, json};

use crate::support::notify::{
    Expected, SPEC_TYPE, check_event, sink_body, start_server, write_config,
};
use crate::support::receiver::{Receiver, Reply};
use crate::support::tls::TestCa;
use crate::support::{Api, QOD, Server};

#[tokio::test]
async fn internal_sinks_are_refused_when_sessions_are_created() {
    let dir = tempfile::tempdir().unwrap();
    let ca = TestCa::new();
    let server = start_server(dir.path(), &ca, &[("allowed_hosts", "[]")]).await;
    let api = Api::new(&server.base);
    let token = api.token("app-policy", None).await;
    let sessions = format!("{QOD}/sessions");
    for sink in [
        "https://127.0.0.1:8443/cb",
        "https://127.1.2.3/cb",
        "https://localhost/cb",
        "https://app.localhost/cb",
        "https://169.254.169.254/latest/meta-data",
        "https://10.1.2.3/cb",
        "https://172.16.0.1/cb",
        "https://192.168.1.1/cb",
        "https://100.64.0.1/cb",
        "https://0.0.0.0/cb",
        "https://224.0.0.1/cb",
        "https://[::1]/cb",
        "https://[::ffff:127.0.0.1]/cb",
        "https://[fe80::1]/cb",
        "https://[fd00:ec2::254]/cb",
    ] {
        let r = api
            .post(&sessions, &token, &sink_body("+34600000301", 60, sink))
            .await;
        r.assert_error(400, "INVALID_SINK");
        assert!(!r.text.contains("resolves"), "{}", r.text);
    }
    let mut body = sink_body("+34600000301", 60, "https://app.example.com/cb");
    body["sinkCredential"] = json!({
        "credentialType": "PRIVATE_KEY_JWT",
        "clientId": "my-app",
        "tokenUri": "https://127.0.0.1/token",
    });
    api.post(&sessions, &token, &body)
        .await
        .assert_error(400, "INVALID_ARGUMENT");
    let jwks = reqwest::get(format!("{}/notifications/jwks", server.base))
        .await
        .unwrap();
    assert_eq!(jwks.status(), 404, "no key set without a configured key");
}

#[tokio::test]
async fn sinks_are_checked_again_at_delivery() {
    let dir = tempfile::tempdir().unwrap();
    let ca = TestCa::new();
    let sink = Receiver::start(&ca, |_, n| {
        if n == 0 {
            Reply::status(503).header("retry-after", "6")
        } else {
            Reply::status(204)
        }
    })
    .await;
    let mut server = start_server(dir.path(), &ca, &[]).await;
    let api = Api::new(&server.base);
    let token = api.token("app-rebind", None).await;
    for (phone, url) in [
        (
            "+34600000302",
            format!("https://localhost:{}/by-name", sink.port),
        ),
        ("+34600000303", sink.url("/by-address")),
    ] {
        let r = api
            .post(
                &format!("{QOD}/sessions"),
                &token,
                &sink_body(phone, 60, &url),
            )
            .await;
        assert_eq!(r.status, 201, "{}", r.text);
    }
    sink.wait_for(Duration::from_secs(5), |all| all.len() >= 2)
        .await;
    assert_eq!(
        sink.requests().len(),
        2,
        "one attempt each, to be retried in 6 s"
    );
    // Both attempts are recorded before the restart.
    let deadline = std::time::Instant::now() + Duration::from_secs(5);
    while server.log().matches("it will be retried").count() < 2 {
        assert!(std::time::Instant::now() < deadline, "{}", server.log());
        tokio::time::sleep(Duration::from_millis(20)).await;
    }

    // The operator narrows the policy: the pending events must not go out any more.
    write_config(dir.path(), &ca, &[("allowed_hosts", "[]")], "");
    server.restart().await;
    // When the retries fall due, the new policy refuses both.
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    while server.log().matches("notification given up").count() < 2 {
        assert!(std::time::Instant::now() < deadline, "{}", server.log());
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(sink.requests().len(), 2, "{:?}", sink.requests());
    let log = server.log();
    assert!(log.contains("notification given up"), "{log}");
    assert!(log.contains("localhost resolves to 127.0.0.1"), "{log}");
    assert!(log.contains("which the sink policy refuses"), "{log}");
    let metrics = server.metrics().await;
    assert!(
        metrics.contains("qod_notification_outbox_events{state=\"failed\"} 2"),
        "{metrics}"
    );
}

#[tokio::test]
async fn private_key_jwt_credentials_get_a_token_with_a_signed_assertion() {
    let dir = tempfile::tempdir().unwrap();
    let ca = TestCa::new();
    let key = rcgen::KeyPair::generate().unwrap();
    let key_file = dir.path().join("notify-key.pem");
    std::fs::write(&key_file, key.serialize_pem()).unwrap();
    let sink = Receiver::start(&ca, |r, _| match r.path.as_str() {
        "/token" => Reply::status(200).json(&json!({
            "access_token": "issued-token", "token_type": "Bearer", "expires_in": 3600})),
        _ => Reply::status(204),
    })
    .await;
    let tail = format!(
        "[notifications.private_key_jwt]\nkey_file = {:?}\n",
        key_file.display().to_string()
    );
    let config = write_config(dir.path(), &ca, &[], &tail);
    let server = Server::start_with(dir.path(), &["--config", config.to_str().unwrap()]).await;
    let api = Api::new(&server.base);
    let token = api.token("app-pkjwt", None).await;

    let jwks: JwkSet = reqwest::get(format!("{}/notifications/jwks", server.base))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(jwks.keys.len(), 1);
    let token_uri = sink.url("/token");
    let mut body = sink_body("+34600000304", 60, &sink.url("/pk"));
    body["sinkCredential"] = json!({
        "credentialType": "PRIVATE_KEY_JWT",
        "clientId": "my-app",
        "tokenUri": token_uri,
    });
    let created = api.post(&format!("{QOD}/sessions"), &token, &body).await;
    assert_eq!(created.status, 201, "{}", created.text);
    assert!(!created.text.contains("tokenUri"), "{}", created.text);
    let id = created.body["sessionId"].as_str().unwrap().to_owned();

    let events = sink.wait_for_path("/pk", 1, Duration::from_secs(10)).await;
    let expected = |status, info| Expected {
        base: &server.base,
        session_id: &id,
        status,
        info,
        event_type: SPEC_TYPE,
        token: Some("issued-token"),
    };
    check_event(&events[0], &expected("AVAILABLE", None));

    let token_requests = sink.requests_to("/token");
    assert_eq!(token_requests.len(), 1);
    let form: HashMap<String, String> =
        serde_urlencoded::from_bytes(&token_requests[0].body).unwrap();
    assert_eq!(form["grant_type"], "client_credentials");
    assert_eq!(
        form["client_assertion_type"],
        "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
    );
    let assertion = &form["client_assertion"];
    let header = jsonwebtoken::decode_header(assertion).unwrap();
    let jwk = jwks
        .find(header.kid.as_deref().unwrap())
        .expect("the key of the assertion");
    let mut validation = Validation::new(header.alg);
    validation.set_audience(&[token_uri.as_str()]);
    validation.set_issuer(&["my-app"]);
    let claims =
        jsonwebtoken::decode::<Value>(assertion, &DecodingKey::from_jwk(jwk).unwrap(), &validation)
            .unwrap()
            .claims;
    assert_eq!(claims["sub"], "my-app");
    assert!(
        claims["jti"].as_str().is_some_and(|j| !j.is_empty()),
        "{claims}"
    );

    // The token is reused until it expires.
    let deleted = api.delete(&format!("{QOD}/sessions/{id}"), &token).await;
    assert_eq!(deleted.status, 204);
    let events = sink.wait_for_path("/pk", 2, Duration::from_secs(10)).await;
    check_event(
        &events[1],
        &expected("UNAVAILABLE", Some("DELETE_REQUESTED")),
    );
    assert_eq!(sink.requests_to("/token").len(), 1);
    assert!(
        !server.log().contains("issued-token"),
        "tokens are never logged"
    );
}
