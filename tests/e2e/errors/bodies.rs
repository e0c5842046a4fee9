//! 400: the x-correlator header, path ids and request bodies.

use super::*;

#[tokio::test]
async fn invalid_correlator_and_path_ids() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path()).await;
    let api = Api::new(&server.base);
    let token = api.token("app-400-headers", None).await;
    let id = created_id(&api, &token, &create_body("+34600400001", 600)).await;

    let too_long = "a".repeat(257);
    for bad in ["a@b", "a=b", "with space", "é", too_long.as_str()] {
        for (name, method, path, body) in operations(&id, "+34600400002") {
            let r = api
                .call(
                    method,
                    &path,
                    Some(&token),
                    body.as_deref(),
                    &[("x-correlator", bad)],
                )
                .await;
            assert_eq!(
                r.status, 400,
                "{name} with x-correlator {bad:?}: {}",
                r.text
            );
            r.assert_error(400, "INVALID_ARGUMENT");
        }
    }
    // Nothing was created, deleted or extended by those requests.
    let r = api.get(&session_path(&id), &token).await;
    assert_eq!(r.body["duration"], 600, "{}", r.text);
    let r = api
        .post(
            &format!("{QOD}/retrieve-sessions"),
            &token,
            &json!({"device": {"phoneNumber": "+34600400002"}}),
        )
        .await;
    assert_eq!(r.body, json!([]), "{}", r.text);

    // The longest valid value, and one with every allowed punctuation mark, are echoed.
    let longest = "b".repeat(256);
    for good in [
        longest.as_str(),
        "a-_:;./<>{}Z9",
        "b4bd2b5e-0d7c-4d3c-9a4e-3c1b9b0e8f21",
    ] {
        let r = api
            .call(
                Method::GET,
                &session_path(&id),
                Some(&token),
                None,
                &[("x-correlator", good)],
            )
            .await;
        assert_eq!(r.status, 200, "{}", r.text);
        assert_echoed(&r, good);
    }
    // Without one, the server still answers with one, on errors too.
    let r = api.get(&session_path(UNKNOWN_ID), &token).await;
    r.assert_error(404, "NOT_FOUND");
    assert!(
        r.headers
            .get("x-correlator")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| !v.is_empty()),
        "no x-correlator: {:?}",
        r.headers
    );

    // Path ids that are not UUIDs.
    let long_id = "1".repeat(37);
    for bad_id in [
        "not-a-uuid",
        "123",
        "3fa85f64-5717-4562-b3fc-2c963f66afaZ",
        "3fa85f64-5717-4562-b3fc-2c963f66afa6a",
        long_id.as_str(),
    ] {
        let r = api
            .call(
                Method::GET,
                &session_path(bad_id),
                Some(&token),
                None,
                &[("x-correlator", "corr-bad-id")],
            )
            .await;
        r.assert_error(400, "INVALID_ARGUMENT");
        assert_echoed(&r, "corr-bad-id");
        api.delete(&session_path(bad_id), &token)
            .await
            .assert_error(400, "INVALID_ARGUMENT");
        api.post(
            &extend_path(bad_id),
            &token,
            &json!({"requestedAdditionalDuration": 30}),
        )
        .await
        .assert_error(400, "INVALID_ARGUMENT");
    }
}

/// Create bodies that break the schema, each with the code the gateway gives.
fn invalid_create_bodies() -> Vec<(&'static str, Value, &'static str)> {
    let base = create_body("+34600400100", 60);
    let v4 = |addr: Value| json!({"publicAddress": addr, "publicPort": 59765});
    let seventeen: Vec<String> = (1..=17).map(|i| format!("10.0.0.{i}")).collect();
    let https = "https://app.example.com/notifications";
    let mut cases = vec![
        ("empty object", json!({}), "INVALID_ARGUMENT"),
        ("array", json!([base.clone()]), "INVALID_ARGUMENT"),
        ("string", json!("session"), "INVALID_ARGUMENT"),
        ("null", Value::Null, "INVALID_ARGUMENT"),
        ("number", json!(42), "INVALID_ARGUMENT"),
        // Unknown properties at depth 1, 2 and 3.
        (
            "unknown top-level field",
            with(base.clone(), &["foo"], json!(1)),
            "INVALID_ARGUMENT",
        ),
        (
            "unknown device field",
            with(base.clone(), &["device", "imsi"], json!("214070000000001")),
            "INVALID_ARGUMENT",
        ),
        (
            "unknown applicationServer field",
            with(base.clone(), &["applicationServer", "port"], json!(443)),
            "INVALID_ARGUMENT",
        ),
        (
            "unknown device.ipv4Address field",
            with(
                base.clone(),
                &["device"],
                json!({"ipv4Address": {"publicAddress": "84.125.93.10", "publicPort": 59765, "extra": true}}),
            ),
            "INVALID_ARGUMENT",
        ),
        (
            "unknown devicePorts.ranges[0] field",
            with(
                base.clone(),
                &["devicePorts"],
                json!({"ranges": [{"from": 5000, "to": 5010, "step": 2}]}),
            ),
            "INVALID_ARGUMENT",
        ),
        (
            "unknown sinkCredential field",
            with(
                with(base.clone(), &["sink"], json!(https)),
                &["sinkCredential"],
                json!({
                    "credentialType": "ACCESSTOKEN",
                    "accessToken": "t0k3n",
                    "accessTokenExpiresUtc": "2030-01-01T00:00:00Z",
                    "accessTokenType": "bearer",
                    "scope": "x",
                }),
            ),
            "INVALID_ARGUMENT",
        ),
        // Missing required properties.
        (
            "no applicationServer",
            without(base.clone(), "applicationServer"),
            "INVALID_ARGUMENT",
        ),
        (
            "no qosProfile",
            without(base.clone(), "qosProfile"),
            "INVALID_ARGUMENT",
        ),
        (
            "no duration",
            without(base.clone(), "duration"),
            "INVALID_ARGUMENT",
        ),
        // Wrong types.
        (
            "duration as string",
            with(base.clone(), &["duration"], json!("10")),
            "INVALID_ARGUMENT",
        ),
        (
            "duration as float",
            with(base.clone(), &["duration"], json!(1.5)),
            "INVALID_ARGUMENT",
        ),
        (
            "duration as bool",
            with(base.clone(), &["duration"], json!(true)),
            "INVALID_ARGUMENT",
        ),
        (
            "duration null",
            with(base.clone(), &["duration"], Value::Null),
            "INVALID_ARGUMENT",
        ),
        (
            "qosProfile as number",
            with(base.clone(), &["qosProfile"], json!(123)),
            "INVALID_ARGUMENT",
        ),
        (
            "device as string",
            with(base.clone(), &["device"], json!("+34600400100")),
            "INVALID_ARGUMENT",
        ),
        (
            "device as array",
            with(base.clone(), &["device"], json!([])),
            "INVALID_ARGUMENT",
        ),
        (
            "phoneNumber as number",
            with(
                base.clone(),
                &["device", "phoneNumber"],
                json!(34600400100_i64),
            ),
            "INVALID_ARGUMENT",
        ),
        (
            "applicationServer as string",
            with(base.clone(), &["applicationServer"], json!("198.51.100.1")),
            "INVALID_ARGUMENT",
        ),
        (
            "devicePorts as array",
            with(base.clone(), &["devicePorts"], json!([80])),
            "INVALID_ARGUMENT",
        ),
        (
            "port as string",
            with(base.clone(), &["devicePorts"], json!({"ports": ["80"]})),
            "INVALID_ARGUMENT",
        ),
        (
            "sink as number",
            with(base.clone(), &["sink"], json!(1)),
            "INVALID_ARGUMENT",
        ),
        // Explicit null for optional properties.
        (
            "device null",
            with(base.clone(), &["device"], Value::Null),
            "INVALID_ARGUMENT",
        ),
        (
            "devicePorts null",
            with(base.clone(), &["devicePorts"], Value::Null),
            "INVALID_ARGUMENT",
        ),
        (
            "sink null",
            with(base.clone(), &["sink"], Value::Null),
            "INVALID_ARGUMENT",
        ),
        // Devices.
        (
            "device {}",
            with(base.clone(), &["device"], json!({})),
            "INVALID_ARGUMENT",
        ),
    ];
    for phone in [
        "34600400100",
        "+034600400100",
        "+1234",
        "+1234567890123456",
        "+34 600 400 100",
        "+3460040010a",
        "",
    ] {
        cases.push((
            "bad phoneNumber",
            with(base.clone(), &["device", "phoneNumber"], json!(phone)),
            "INVALID_ARGUMENT",
        ));
    }
    let device_cases = [
        (
            "ipv4Address without privateAddress or publicPort",
            json!({"ipv4Address": {"publicAddress": "84.125.93.10"}}),
        ),
        (
            "ipv4Address without publicAddress",
            json!({"ipv4Address": {"publicPort": 59765}}),
        ),
        ("ipv4Address {}", json!({"ipv4Address": {}})),
        (
            "bad publicAddress",
            json!({"ipv4Address": v4(json!("300.125.93.10"))}),
        ),
        (
            "short publicAddress",
            json!({"ipv4Address": v4(json!("84.125.93"))}),
        ),
        (
            "publicAddress with mask",
            json!({"ipv4Address": v4(json!("84.125.93.0/24"))}),
        ),
        (
            "bad privateAddress",
            json!({"ipv4Address": {"publicAddress": "84.125.93.10", "privateAddress": "10.0.0"}}),
        ),
        ("bad device ipv6", json!({"ipv6Address": "2001:db8::g"})),
        (
            "device ipv6 with prefix",
            json!({"ipv6Address": "2001:db8::/64"}),
        ),
        (
            "device ipv6 as ipv4",
            json!({"ipv6Address": "84.125.93.10"}),
        ),
    ];
    for (name, device) in device_cases {
        cases.push((
            name,
            with(base.clone(), &["device"], device),
            "INVALID_ARGUMENT",
        ));
    }
    let server_cases = [
        ("applicationServer {}", json!({})),
        (
            "mixed forms",
            json!({"ipAddresses": ["198.51.100.1"], "ipv4Address": "198.51.100.0/24"}),
        ),
        ("17 addresses", json!({"ipAddresses": seventeen})),
        ("no addresses", json!({"ipAddresses": []})),
        (
            "duplicate addresses",
            json!({"ipAddresses": ["198.51.100.1", "198.51.100.1"]}),
        ),
        (
            "mask in ipAddresses",
            json!({"ipAddresses": ["198.51.100.0/24"]}),
        ),
        (
            "ipv6 mask in ipAddresses",
            json!({"ipAddresses": ["2001:db8::/64"]}),
        ),
        (
            "bad address in ipAddresses",
            json!({"ipAddresses": ["198.51.100"]}),
        ),
        ("ipv4 /33", json!({"ipv4Address": "198.51.100.0/33"})),
        ("ipv4 empty prefix", json!({"ipv4Address": "198.51.100.0/"})),
        ("ipv4 bad octet", json!({"ipv4Address": "256.51.100.0"})),
        ("ipv4 given an ipv6", json!({"ipv4Address": "2001:db8::1"})),
        ("ipv6 /129", json!({"ipv6Address": "2001:db8::/129"})),
        ("ipv6 bad", json!({"ipv6Address": "2001:db8:::1"})),
        ("ipv6 given an ipv4", json!({"ipv6Address": "198.51.100.1"})),
    ];
    for (name, server) in server_cases {
        cases.push((
            name,
            with(base.clone(), &["applicationServer"], server),
            "INVALID_ARGUMENT",
        ));
    }
    let long_profile = "Q".repeat(257);
    for profile in [
        "QO",
        "",
        "QOS E",
        "QOS$E",
        "QOS/E",
        long_profile.as_str(),
        "QOS_NOPE",
    ] {
        cases.push((
            "bad or unknown qosProfile",
            with(base.clone(), &["qosProfile"], json!(profile)),
            "INVALID_ARGUMENT",
        ));
    }
    for duration in [
        json!(0),
        json!(-1),
        json!(2147483648_i64),
        json!("10"),
        json!(1.5),
    ] {
        cases.push((
            "bad duration",
            with(base.clone(), &["duration"], duration),
            "INVALID_ARGUMENT",
        ));
    }
    for credential_type in ["PLAIN", "REFRESHTOKEN", "accesstoken", ""] {
        cases.push((
            "unsupported credentialType",
            with(
                with(base.clone(), &["sink"], json!(https)),
                &["sinkCredential"],
                json!({"credentialType": credential_type, "accessToken": "t0k3n"}),
            ),
            "INVALID_ARGUMENT",
        ));
    }
    // Ports outside 1..65535 and inverted ranges.
    let port_cases = [
        json!({"ports": [0]}),
        json!({"ports": [65536]}),
        json!({"ports": [-1]}),
        json!({"ranges": [{"from": 0, "to": 10}]}),
        json!({"ranges": [{"from": 1, "to": 65536}]}),
        json!({"ranges": [{"from": 6000, "to": 5000}]}),
    ];
    for ports in port_cases {
        cases.push((
            "devicePorts out of range",
            with(base.clone(), &["devicePorts"], ports.clone()),
            "OUT_OF_RANGE",
        ));
        cases.push((
            "applicationServerPorts out of range",
            with(base.clone(), &["applicationServerPorts"], ports),
            "OUT_OF_RANGE",
        ));
    }
    for port in [0, 65536] {
        cases.push((
            "device publicPort out of range",
            with(
                base.clone(),
                &["device"],
                json!({"ipv4Address": {"publicAddress": "84.125.93.10", "publicPort": port}}),
            ),
            "OUT_OF_RANGE",
        ));
    }
    cases
}

#[tokio::test]
async fn invalid_create_and_extend_bodies() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path()).await;
    let api = Api::new(&server.base);
    let token = api.token("app-400-bodies", None).await;
    let sessions = format!("{QOD}/sessions");

    // Malformed JSON and missing bodies.
    for raw in [
        "",
        "   ",
        "{",
        "not json",
        r#"{"duration":60,}"#,
        r#"{"device":{"phoneNumber":"+34600400100"}"#,
        r#"{'qosProfile':'QOS_E'}"#,
    ] {
        let r = api
            .call(
                Method::POST,
                &sessions,
                Some(&token),
                Some(raw),
                &[("x-correlator", "corr-json")],
            )
            .await;
        assert_eq!(r.status, 400, "body {raw:?}: {}", r.text);
        r.assert_error(400, "INVALID_ARGUMENT");
        assert_echoed(&r, "corr-json");
    }
    let r = api
        .call(Method::POST, &sessions, Some(&token), None, &[])
        .await;
    r.assert_error(400, "INVALID_ARGUMENT");

    let cases = invalid_create_bodies();
    assert!(cases.len() > 80, "{} cases", cases.len());
    for (i, (name, body, code)) in cases.iter().enumerate() {
        // A phone of its own per case, so that a wrongly accepted body cannot turn a later
        // case into a conflict.
        let body = if body.pointer("/device/phoneNumber") == Some(&json!("+34600400100")) {
            with(
                body.clone(),
                &["device", "phoneNumber"],
                json!(format!("+346004{i:05}")),
            )
        } else {
            body.clone()
        };
        let r = api.post(&sessions, &token, &body).await;
        assert_eq!(r.status, 400, "case {i} ({name}) {body}: {}", r.text);
        assert_eq!(
            r.body["code"],
            json!(code),
            "case {i} ({name}) {body}: {}",
            r.text
        );
        r.assert_error(400, code);
    }
    // No case created a session: the valid base body is accepted afterwards.
    let r = api
        .post(&sessions, &token, &create_body("+34600400100", 60))
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    let id = r.body["sessionId"].as_str().unwrap().to_owned();

    // Extend bodies.
    let path = extend_path(&id);
    for raw in ["", "{", "null", "[]", "60"] {
        let r = api
            .call(Method::POST, &path, Some(&token), Some(raw), &[])
            .await;
        r.assert_error(400, "INVALID_ARGUMENT");
    }
    api.call(Method::POST, &path, Some(&token), None, &[])
        .await
        .assert_error(400, "INVALID_ARGUMENT");
    for body in [
        json!({}),
        json!({"requestedAdditionalDuration": 0}),
        json!({"requestedAdditionalDuration": -5}),
        json!({"requestedAdditionalDuration": 2147483648_i64}),
        json!({"requestedAdditionalDuration": "10"}),
        json!({"requestedAdditionalDuration": 1.5}),
        json!({"requestedAdditionalDuration": null}),
        json!({"requestedAdditionalDuration": 10, "duration": 10}),
        json!({"additionalDuration": 10}),
    ] {
        let r = api.post(&path, &token, &body).await;
        assert_eq!(r.status, 400, "{body}: {}", r.text);
        r.assert_error(400, "INVALID_ARGUMENT");
    }
    // The session was not extended by any of them.
    let r = api.get(&session_path(&id), &token).await;
    assert_eq!(r.body["duration"], 60, "{}", r.text);

    // retrieve-sessions bodies.
    let retrieve = format!("{QOD}/retrieve-sessions");
    for body in [
        json!({"device": {}}),
        json!({"device": {"phoneNumber": "34600400100"}}),
        json!({"device": {"phoneNumber": "+34600400100"}, "qosProfile": "QOS_E"}),
        json!({"device": {"phoneNumber": "+34600400100", "x": 1}}),
        json!({"device": null}),
        json!({"device": "+34600400100"}),
        json!({"device": {"ipv4Address": {"publicAddress": "84.125.93.10"}}}),
    ] {
        let r = api.post(&retrieve, &token, &body).await;
        assert_eq!(r.status, 400, "{body}: {}", r.text);
        r.assert_error(400, "INVALID_ARGUMENT");
    }
    api.post(
        &retrieve,
        &token,
        &json!({"device": {"ipv4Address": {"publicAddress": "84.125.93.10", "publicPort": 0}}}),
    )
    .await
    .assert_error(400, "OUT_OF_RANGE");
    api.call(Method::POST, &retrieve, Some(&token), Some("{"), &[])
        .await
        .assert_error(400, "INVALID_ARGUMENT");
}

#[tokio::test]
async fn sink_errors() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path()).await;
    let api = Api::new(&server.base);
    let token = api.token("app-sink", None).await;
    let sessions = format!("{QOD}/sessions");
    let base = create_body("+34600400200", 60);

    for sink in [
        "http://app.example.com/notifications",
        "ftp://app.example.com/notifications",
        "app.example.com/notifications",
    ] {
        let r = api
            .call(
                Method::POST,
                &sessions,
                Some(&token),
                Some(&with(base.clone(), &["sink"], json!(sink)).to_string()),
                &[("x-correlator", "corr-sink")],
            )
            .await;
        assert_eq!(r.status, 400, "sink {sink}: {}", r.text);
        r.assert_error(400, "INVALID_SINK");
        assert_echoed(&r, "corr-sink");
    }

    let with_sink = with(
        base.clone(),
        &["sink"],
        json!("https://app.example.com/notifications"),
    );
    let token_credential = |token_type: &str| {
        json!({
            "credentialType": "ACCESSTOKEN",
            "accessToken": "t0k3n",
            "accessTokenExpiresUtc": "2030-01-01T00:00:00Z",
            "accessTokenType": token_type,
        })
    };
    for token_type in ["mac", "Bearer", "basic"] {
        let r = api
            .post(
                &sessions,
                &token,
                &with(
                    with_sink.clone(),
                    &["sinkCredential"],
                    token_credential(token_type),
                ),
            )
            .await;
        assert_eq!(r.status, 400, "accessTokenType {token_type}: {}", r.text);
        r.assert_error(400, "INVALID_TOKEN");
    }

    let r = api
        .call(
            Method::POST,
            &sessions,
            Some(&token),
            Some(
                &with(
                    with_sink.clone(),
                    &["sinkCredential"],
                    json!({
                        "credentialType": "PRIVATE_KEY_JWT",
                        "clientId": "my-app",
                        "tokenUri": "https://auth.example.com/token",
                    }),
                )
                .to_string(),
            ),
            &[("x-correlator", "corr-pkjwt")],
        )
        .await;
    r.assert_error(422, "PRIVATE_KEY_JWT_NOT_CONFIGURED");
    assert_echoed(&r, "corr-pkjwt");

    // The same body with a bearer credential is accepted, and the secret is not returned.
    let r = api
        .post(
            &sessions,
            &token,
            &with(with_sink, &["sinkCredential"], token_credential("bearer")),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    assert!(!r.text.contains("t0k3n"), "{}", r.text);
}

#[tokio::test]
async fn path_ids_are_uuids_in_their_hyphenated_form() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path()).await;
    let api = Api::new(&server.base);
    let token = api.token("app-uuid-forms", None).await;
    let id = created_id(&api, &token, &create_body("+34600400500", 600)).await;

    // Hex digits are case-insensitive on input (RFC 9562 section 4).
    let r = api.get(&session_path(&id.to_uppercase()), &token).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body["sessionId"], json!(id));

    // Other spellings are not the `uuid` format of the path parameter.
    for other in [
        id.replace('-', ""),
        format!("{{{id}}}"),
        format!("urn:uuid:{id}"),
    ] {
        api.get(&session_path(&other), &token)
            .await
            .assert_error(400, "INVALID_ARGUMENT");
        api.post(
            &extend_path(&other),
            &token,
            &json!({"requestedAdditionalDuration": 30}),
        )
        .await
        .assert_error(400, "INVALID_ARGUMENT");
        api.delete(&session_path(&other), &token)
            .await
            .assert_error(400, "INVALID_ARGUMENT");
    }
    let r = api.get(&session_path(&id), &token).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body["duration"], 600);
}

#[tokio::test]
async fn arrays_are_not_objects() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path()).await;
    let api = Api::new(&server.base);
    let token = api.token("app-arrays", None).await;
    let sessions = format!("{QOD}/sessions");
    let retrieve = format!("{QOD}/retrieve-sessions");
    let id = created_id(&api, &token, &create_body("+34600400600", 60)).await;

    let bodies = [
        (
            sessions.clone(),
            r#"[{"phoneNumber":"+34600400601"},{"ipv4Address":"198.51.100.0/24"},{"ports":[80]},{"ports":[443]},"QOS_E",60]"#.to_owned(),
        ),
        (
            sessions.clone(),
            with(
                create_body("+34600400602", 60),
                &["devicePorts"],
                json!({"ranges": [[5000, 5010]]}),
            )
            .to_string(),
        ),
        (
            sessions.clone(),
            with(create_body("+34600400603", 60), &["device"], json!(["+34600400603"])).to_string(),
        ),
        (
            sessions.clone(),
            with(
                create_body("+34600400604", 60),
                &["applicationServer"],
                json!([["198.51.100.7"]]),
            )
            .to_string(),
        ),
        (extend_path(&id), "[60]".to_owned()),
        (retrieve.clone(), r#"[{"phoneNumber":"+34600400600"}]"#.to_owned()),
        (retrieve.clone(), "[]".to_owned()),
    ];
    for (path, body) in &bodies {
        let r = api
            .call(Method::POST, path, Some(&token), Some(body), &[])
            .await;
        assert_eq!(r.status, 400, "POST {path} {body}: {}", r.text);
        r.assert_error(400, "INVALID_ARGUMENT");
    }
    let r = api.get(&session_path(&id), &token).await;
    assert_eq!(r.body["duration"], 60, "{}", r.text);
}
