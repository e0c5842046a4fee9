//! 3-legged tokens (CIBA) and the sandbox token endpoint; the echo of the device identifier;
//! extensions capped at the profile's maximum.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::support::{Api, QOD, Reply, Server, create_body, lifetime};

const CIBA: &str = "urn:openid:params:grant-type:ciba";

#[track_caller]
fn assert_oauth_error(reply: &Reply, statuses: &[u16], error: &str) {
    assert!(
        statuses.contains(&reply.status.as_u16()),
        "status {} not in {statuses:?}: {}",
        reply.status,
        reply.text
    );
    assert_eq!(reply.body["error"], json!(error), "{}", reply.text);
    assert!(
        reply
            .headers
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("application/json")),
        "{:?}",
        reply.headers
    );
}

/// Starts CIBA for `login_hint` with form client authentication; returns the auth_req_id.
async fn bc_authorize(api: &Api, client_id: &str, login_hint: &str) -> String {
    let r = api
        .form(
            "/oauth2/bc-authorize",
            &[
                ("client_id", client_id),
                ("client_secret", "sandbox-secret"),
                ("login_hint", login_hint),
                (
                    "scope",
                    "quality-on-demand:sessions:create quality-on-demand:sessions:read",
                ),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    r.body["auth_req_id"]
        .as_str()
        .expect("auth_req_id")
        .to_owned()
}

#[tokio::test]
async fn sessions_with_a_three_legged_token() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path()).await;
    let api = Api::new(&server.base);

    // bc-authorize, with HTTP Basic client authentication.
    let auth = api
        .form_basic(
            "/oauth2/bc-authorize",
            "app-ciba",
            "sandbox-secret",
            &[
                ("login_hint", "tel:+34600000111"),
                ("purpose", "dpv:RequestedServiceProvision#qod"),
            ],
        )
        .await;
    assert_eq!(auth.status, StatusCode::OK, "{}", auth.text);
    let auth_req_id = auth.body["auth_req_id"].as_str().expect("auth_req_id");
    assert!(!auth_req_id.is_empty());
    assert!(
        auth.body["expires_in"].as_u64().is_some_and(|s| s > 0),
        "{}",
        auth.text
    );
    assert!(auth.body["interval"].is_u64(), "{}", auth.text);

    // The token, with HTTP Basic client authentication too.
    let r = api
        .form_basic(
            "/oauth2/token",
            "app-ciba",
            "sandbox-secret",
            &[("grant_type", CIBA), ("auth_req_id", auth_req_id)],
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.body["token_type"], "Bearer", "{}", r.text);
    assert!(
        r.body["expires_in"].as_u64().is_some_and(|s| s > 0),
        "{}",
        r.text
    );
    let scope = r.body["scope"].as_str().expect("scope");
    for needed in [
        "quality-on-demand:sessions:create",
        "quality-on-demand:sessions:read",
        "quality-on-demand:sessions:update",
        "quality-on-demand:sessions:delete",
        "quality-on-demand:sessions:retrieve-by-device",
    ] {
        assert!(
            scope.split(' ').any(|s| s == needed),
            "{needed} not in {scope}"
        );
    }
    assert_eq!(
        r.headers.get("cache-control").and_then(|v| v.to_str().ok()),
        Some("no-store")
    );
    let device_token = r.body["access_token"]
        .as_str()
        .expect("access_token")
        .to_owned();

    // Create without a device: the response names none.
    let body = {
        let mut b = create_body("+34600000111", 60);
        b.as_object_mut().unwrap().remove("device");
        b
    };
    let created = api
        .post(&format!("{QOD}/sessions"), &device_token, &body)
        .await;
    assert_eq!(created.status, 201, "{}", created.text);
    assert!(created.body.get("device").is_none(), "{}", created.text);
    assert_eq!(created.body["qosStatus"], "AVAILABLE");
    let id = created.body["sessionId"].as_str().unwrap().to_owned();
    let path = format!("{QOD}/sessions/{id}");

    let read = api.get(&path, &device_token).await;
    assert_eq!(read.status, 200, "{}", read.text);
    assert_eq!(read.body, created.body);

    let extended = api
        .post(
            &format!("{path}/extend"),
            &device_token,
            &json!({"requestedAdditionalDuration": 30}),
        )
        .await;
    assert_eq!(extended.status, 200, "{}", extended.text);
    assert_eq!(extended.body["duration"], 90);
    assert!(extended.body.get("device").is_none(), "{}", extended.text);

    let listed = api
        .post(
            &format!("{QOD}/retrieve-sessions"),
            &device_token,
            &json!({}),
        )
        .await;
    assert_eq!(listed.status, 200, "{}", listed.text);
    assert_eq!(
        listed.body.as_array().map(Vec::len),
        Some(1),
        "{}",
        listed.text
    );
    assert_eq!(listed.body[0]["sessionId"], json!(id));
    assert!(listed.body[0].get("device").is_none(), "{}", listed.text);

    // The same client's 2-legged token sees the session, also when it lists the device.
    let client_token = api.token("app-ciba", None).await;
    let r = api.get(&path, &client_token).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body["sessionId"], json!(id));
    let r = api
        .post(
            &format!("{QOD}/retrieve-sessions"),
            &client_token,
            &json!({"device": {"phoneNumber": "+34600000111"}}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body.as_array().map(Vec::len), Some(1), "{}", r.text);
    assert_eq!(r.body[0]["sessionId"], json!(id));

    // Another device's 3-legged token of the same client: 403, and it lists nothing.
    let other_device = api.token_3legged("app-ciba", "tel:+34600000222").await;
    api.get(&path, &other_device)
        .await
        .assert_error(403, "PERMISSION_DENIED");
    api.delete(&path, &other_device)
        .await
        .assert_error(403, "PERMISSION_DENIED");
    let r = api
        .post(
            &format!("{QOD}/retrieve-sessions"),
            &other_device,
            &json!({}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body, json!([]));
    // The same device, another client: 403.
    let other_client = api
        .token_3legged("app-ciba-other", "tel:+34600000111")
        .await;
    api.get(&path, &other_client)
        .await
        .assert_error(403, "PERMISSION_DENIED");

    // Delete with the 3-legged token.
    let r = api.delete(&path, &device_token).await;
    assert_eq!(r.status, 204, "{}", r.text);
    api.get(&path, &device_token)
        .await
        .assert_error(404, "NOT_FOUND");
    let r = api
        .post(
            &format!("{QOD}/retrieve-sessions"),
            &device_token,
            &json!({}),
        )
        .await;
    assert_eq!(r.body, json!([]), "{}", r.text);

    // A device named by IP address and port.
    let ip_token = api
        .token_3legged("app-ciba", "ipport:84.125.93.10:59765")
        .await;
    let r = api.post(&format!("{QOD}/sessions"), &ip_token, &body).await;
    assert_eq!(r.status, 201, "{}", r.text);
    assert!(r.body.get("device").is_none(), "{}", r.text);
    let r = api
        .post(&format!("{QOD}/retrieve-sessions"), &ip_token, &json!({}))
        .await;
    assert_eq!(r.body.as_array().map(Vec::len), Some(1), "{}", r.text);
}

#[tokio::test]
async fn token_endpoint_errors_follow_rfc_6749() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path()).await;
    let api = Api::new(&server.base);

    // Wrong secret in the form: 400 or 401 invalid_client.
    let r = api
        .form(
            "/oauth2/token",
            &[
                ("grant_type", "client_credentials"),
                ("client_id", "app-oauth"),
                ("client_secret", "wrong-secret"),
            ],
        )
        .await;
    assert_oauth_error(&r, &[400, 401], "invalid_client");
    // Wrong secret by HTTP Basic: 401 with a WWW-Authenticate challenge.
    let r = api
        .form_basic(
            "/oauth2/token",
            "app-oauth",
            "wrong-secret",
            &[("grant_type", "client_credentials")],
        )
        .await;
    assert_oauth_error(&r, &[401], "invalid_client");
    assert!(
        r.headers.contains_key("www-authenticate"),
        "{:?}",
        r.headers
    );
    // No client authentication at all.
    let r = api
        .form("/oauth2/token", &[("grant_type", "client_credentials")])
        .await;
    assert_oauth_error(&r, &[400, 401], "invalid_client");
    // bc-authorize checks the client too.
    let r = api
        .form(
            "/oauth2/bc-authorize",
            &[
                ("client_id", "app-oauth"),
                ("client_secret", "wrong-secret"),
                ("login_hint", "tel:+34600000111"),
            ],
        )
        .await;
    assert_oauth_error(&r, &[400, 401], "invalid_client");

    let creds = [
        ("client_id", "app-oauth"),
        ("client_secret", "sandbox-secret"),
    ];
    let form = |extra: &[(&'static str, &'static str)]| {
        let mut f = creds.to_vec();
        f.extend_from_slice(extra);
        f
    };
    for grant in [
        "password",
        "authorization_code",
        "urn:ietf:params:oauth:grant-type:jwt-bearer",
    ] {
        let r = api
            .form("/oauth2/token", &form(&[("grant_type", grant)]))
            .await;
        assert_oauth_error(&r, &[400], "unsupported_grant_type");
    }
    let r = api.form("/oauth2/token", &form(&[])).await;
    assert_oauth_error(&r, &[400], "invalid_request");
    let r = api
        .form(
            "/oauth2/token",
            &form(&[
                ("grant_type", "client_credentials"),
                ("scope", "quality-on-demand:sessions:fly"),
            ]),
        )
        .await;
    assert_oauth_error(&r, &[400], "invalid_scope");

    // Bad or missing login hints.
    for hint in [
        "34600000111",
        "tel:34600000111",
        "tel:+0123",
        "mailto:someone@example.com",
        "ipport:84.125.93.10",
        "ipport:300.1.1.1:80",
        "",
    ] {
        let r = api
            .form("/oauth2/bc-authorize", &form(&[("login_hint", hint)]))
            .await;
        assert_oauth_error(&r, &[400], "invalid_request");
    }
    let r = api.form("/oauth2/bc-authorize", &form(&[])).await;
    assert_oauth_error(&r, &[400], "invalid_request");
    let r = api
        .form(
            "/oauth2/bc-authorize",
            &form(&[
                ("login_hint", "tel:+34600000111"),
                ("scope", "openid not-a-scope"),
            ]),
        )
        .await;
    assert_oauth_error(&r, &[400], "invalid_scope");

    // CIBA: an auth_req_id that was never issued, or issued to another client.
    let r = api
        .form(
            "/oauth2/token",
            &form(&[("grant_type", CIBA), ("auth_req_id", "no-such-request")]),
        )
        .await;
    assert_oauth_error(&r, &[400], "invalid_grant");
    let r = api
        .form("/oauth2/token", &form(&[("grant_type", CIBA)]))
        .await;
    assert_oauth_error(&r, &[400], "invalid_request");
    let foreign = bc_authorize(&api, "app-oauth-other", "tel:+34600000111").await;
    let r = api
        .form(
            "/oauth2/token",
            &[
                ("grant_type", CIBA),
                ("auth_req_id", foreign.as_str()),
                ("client_id", "app-oauth"),
                ("client_secret", "sandbox-secret"),
            ],
        )
        .await;
    assert_oauth_error(&r, &[400], "invalid_grant");
    // Its own client still gets the token.
    let r = api
        .form(
            "/oauth2/token",
            &[
                ("grant_type", CIBA),
                ("auth_req_id", foreign.as_str()),
                ("client_id", "app-oauth-other"),
                ("client_secret", "sandbox-secret"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.body["token_type"], "Bearer");
}

#[tokio::test]
async fn static_token_and_scoped_tokens() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path()).await;
    let api = Api::new(&server.base);
    let sessions = format!("{QOD}/sessions");

    let r = api
        .post(
            &sessions,
            "mock_sandbox_access_token",
            &create_body("+34600000301", 60),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    let id = r.body["sessionId"].as_str().unwrap().to_owned();
    let r = api
        .get(&format!("{QOD}/sessions/{id}"), "mock_sandbox_access_token")
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    // The static token is the client `sandbox`: another client cannot see its session.
    let other = api.token("app-not-sandbox", None).await;
    api.get(&format!("{QOD}/sessions/{id}"), &other)
        .await
        .assert_error(403, "PERMISSION_DENIED");

    // A token asked for with the read scope only carries that scope, and cannot create.
    let r = api
        .client_credentials("app-scoped", Some("quality-on-demand:sessions:read"))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.body["scope"], "quality-on-demand:sessions:read");
    let read_only = r.body["access_token"].as_str().unwrap().to_owned();
    api.post(&sessions, &read_only, &create_body("+34600000302", 60))
        .await
        .assert_error(403, "PERMISSION_DENIED");

    // Two scopes: create and read work, delete does not.
    let both = api
        .token(
            "app-scoped",
            Some("quality-on-demand:sessions:create quality-on-demand:sessions:read"),
        )
        .await;
    let r = api
        .post(&sessions, &both, &create_body("+34600000302", 60))
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    let path = format!("{QOD}/sessions/{}", r.body["sessionId"].as_str().unwrap());
    assert_eq!(api.get(&path, &read_only).await.status, 200);
    api.delete(&path, &both)
        .await
        .assert_error(403, "PERMISSION_DENIED");
}

#[tokio::test]
async fn several_identifiers_echo_the_chosen_one_as_sent() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path()).await;
    let api = Api::new(&server.base);
    let token = api.token("app-identifiers", None).await;
    let sessions = format!("{QOD}/sessions");
    let retrieve = format!("{QOD}/retrieve-sessions");
    let with_device = |device: Value| {
        let mut b = create_body("+34600000000", 60);
        b["device"] = device;
        b
    };

    // No sessions yet: an empty list.
    for device in [
        json!({"phoneNumber": "+34600000401"}),
        json!({"ipv6Address": "2001:db8::1"}),
        json!({"ipv4Address": {"publicAddress": "84.125.93.10", "publicPort": 59765}}),
    ] {
        let r = api
            .post(&retrieve, &token, &json!({"device": device}))
            .await;
        assert_eq!(r.status, 200, "{}", r.text);
        assert_eq!(r.body, json!([]), "{}", r.text);
    }

    let all_three = json!({
        "phoneNumber": "+34600000401",
        "ipv4Address": {"publicAddress": "84.125.93.10", "publicPort": 59765},
        "ipv6Address": "2001:db8:85a3::8a2e:370:7334",
    });
    let r = api.post(&sessions, &token, &with_device(all_three)).await;
    assert_eq!(r.status, 201, "{}", r.text);
    assert_eq!(r.body["device"], json!({"phoneNumber": "+34600000401"}));
    let id = r.body["sessionId"].clone();
    let r = api
        .get(&format!("{QOD}/sessions/{}", id.as_str().unwrap()), &token)
        .await;
    assert_eq!(r.body["device"], json!({"phoneNumber": "+34600000401"}));

    let v4 = json!({"publicAddress": "84.125.93.11", "privateAddress": "10.0.0.7"});
    let r = api
        .post(
            &sessions,
            &token,
            &with_device(json!({"ipv4Address": v4, "ipv6Address": "2001:db8::7"})),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    assert_eq!(r.body["device"], json!({"ipv4Address": v4}));

    let v4_port = json!({"publicAddress": "84.125.93.12", "publicPort": 443});
    let r = api
        .post(
            &sessions,
            &token,
            &with_device(json!({"ipv4Address": v4_port})),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    assert_eq!(r.body["device"], json!({"ipv4Address": v4_port}));

    let r = api
        .post(
            &sessions,
            &token,
            &with_device(json!({"ipv6Address": "2001:DB8::1"})),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    assert_eq!(r.body["device"], json!({"ipv6Address": "2001:DB8::1"}));
    let v6_id = r.body["sessionId"].clone();
    let r = api
        .get(
            &format!("{QOD}/sessions/{}", v6_id.as_str().unwrap()),
            &token,
        )
        .await;
    assert_eq!(r.body["device"], json!({"ipv6Address": "2001:DB8::1"}));
    // The same address written another way is the same device.
    let r = api
        .post(
            &retrieve,
            &token,
            &json!({"device": {"ipv6Address": "2001:db8:0:0::1"}}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body.as_array().map(Vec::len), Some(1), "{}", r.text);
    assert_eq!(r.body[0]["sessionId"], v6_id);

    // A network access identifier next to a phone number is ignored.
    let r = api
        .post(
            &sessions,
            &token,
            &with_device(json!({
                "phoneNumber": "+34600000402",
                "networkAccessIdentifier": "123456789@domain.com",
            })),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    assert_eq!(r.body["device"], json!({"phoneNumber": "+34600000402"}));

    // The sessions are listed by the chosen identifier.
    let r = api
        .post(
            &retrieve,
            &token,
            &json!({"device": {"phoneNumber": "+34600000401"}}),
        )
        .await;
    assert_eq!(r.body.as_array().map(Vec::len), Some(1), "{}", r.text);
    assert_eq!(r.body[0]["sessionId"], id);
}

#[tokio::test]
async fn extension_is_capped_at_the_profile_maximum() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path()).await;
    let api = Api::new(&server.base);
    let token = api.token("app-extend", None).await;
    let create = |phone, duration| api.create_session(&token, phone, duration);
    let extend = |session: Value, additional: i64| {
        let api = api.clone();
        let token = token.clone();
        async move {
            let id = session["sessionId"].as_str().unwrap();
            let r = api
                .post(
                    &format!("{QOD}/sessions/{id}/extend"),
                    &token,
                    &json!({"requestedAdditionalDuration": additional}),
                )
                .await;
            assert_eq!(r.status, 200, "{}", r.text);
            r.body
        }
    };

    let short = create("+34600000501", 60).await;
    assert_eq!(lifetime(&short), 60);
    let s = extend(short.clone(), 30).await;
    assert_eq!(s["duration"], 90);
    assert_eq!(s["startedAt"], short["startedAt"]);
    assert_eq!(lifetime(&s), 90);
    assert_eq!(s["qosStatus"], "AVAILABLE");

    let long = create("+34600000502", 86000).await;
    let s = extend(long.clone(), 1000).await;
    assert_eq!(s["duration"], 86400);
    assert_eq!(lifetime(&s), 86400);
    // Already at the maximum: still 200, unchanged.
    let s = extend(long.clone(), 10).await;
    assert_eq!(s["duration"], 86400);
    assert_eq!(lifetime(&s), 86400);
    // The largest allowed addition is capped too.
    let s = extend(short.clone(), 2147483647).await;
    assert_eq!(s["duration"], 86400);
    assert_eq!(lifetime(&s), 86400);
    let r = api
        .get(
            &format!("{QOD}/sessions/{}", short["sessionId"].as_str().unwrap()),
            &token,
        )
        .await;
    assert_eq!(r.body["duration"], 86400, "{}", r.text);
    assert_eq!(r.body["expiresAt"], s["expiresAt"]);
}
