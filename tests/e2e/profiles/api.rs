//! Both operations over the sandbox catalogue: filters, attributes, errors, 2- and 3-legged.

use reqwest::Method;
use serde_json::json;

use super::{PROFILES, names};
use crate::support::{Api, Server};

const SANDBOX: [&str; 6] = ["QOS_E", "QOS_S", "QOS_M", "QOS_L", "QOS_XL", "QOS_LEGACY"];

async fn retrieve(api: &Api, token: &str, body: serde_json::Value) -> crate::support::Reply {
    api.post(&format!("{PROFILES}/retrieve-qos-profiles"), token, &body)
        .await
}

#[tokio::test]
async fn retrieve_lists_and_filters_the_sandbox_catalogue() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path()).await;
    let api = Api::new(&server.base);
    let token = api.token("app-one", None).await;

    let all = retrieve(&api, &token, json!({})).await;
    assert_eq!(all.status, 200, "{}", all.text);
    assert_eq!(names(&all.body), SANDBOX);
    assert_eq!(
        all.body[0],
        json!({
            "name": "QOS_E",
            "description": "Stable low latency for real-time interaction",
            "status": "ACTIVE",
            "maxUpstreamRate": {"value": 500, "unit": "kbps"},
            "maxDownstreamRate": {"value": 500, "unit": "kbps"},
            "minDuration": {"value": 1, "unit": "Seconds"},
            "maxDuration": {"value": 86400, "unit": "Seconds"},
            "priority": 10,
            "packetDelayBudget": {"value": 20, "unit": "Milliseconds"},
            "jitter": {"value": 5, "unit": "Milliseconds"},
            "packetErrorLossRate": 3,
            "l4sQueueType": "non-l4s-queue",
            "serviceClass": "real_time_interactive"
        })
    );
    assert_eq!(
        all.body[3]["targetMinUpstreamRate"],
        json!({"value": 10, "unit": "Mbps"})
    );

    let cases = [
        (json!({"name": "QOS_M"}), vec!["QOS_M"]),
        (json!({"name": "QOS_NOPE"}), vec![]),
        (json!({"name": "qos_m"}), vec![]),
        (
            json!({"status": "ACTIVE"}),
            vec!["QOS_E", "QOS_S", "QOS_M", "QOS_L"],
        ),
        (json!({"status": "INACTIVE"}), vec!["QOS_XL"]),
        (json!({"status": "DEPRECATED"}), vec!["QOS_LEGACY"]),
        (
            json!({"name": "QOS_XL", "status": "INACTIVE"}),
            vec!["QOS_XL"],
        ),
        (json!({"name": "QOS_XL", "status": "ACTIVE"}), vec![]),
        (
            json!({"device": {"phoneNumber": "+34600000009"}, "status": "ACTIVE"}),
            vec!["QOS_E", "QOS_S", "QOS_M", "QOS_L"],
        ),
        (
            json!({"device": {"ipv4Address": {"publicAddress": "84.125.93.10", "publicPort": 59765}}}),
            SANDBOX.to_vec(),
        ),
        (
            json!({"device": {"ipv6Address": "2001:db8::1"}, "name": "QOS_L"}),
            vec!["QOS_L"],
        ),
        (
            // Several identifiers: the phone number is used, no cross-matching.
            json!({"device": {"phoneNumber": "+34600000009", "networkAccessIdentifier": "a@b.c"}}),
            SANDBOX.to_vec(),
        ),
    ];
    for (body, expected) in cases {
        let r = retrieve(&api, &token, body.clone()).await;
        assert_eq!(r.status, 200, "{body}: {}", r.text);
        assert_eq!(names(&r.body), expected, "{body}");
    }
}

#[tokio::test]
async fn get_reads_one_profile_by_name() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path()).await;
    let api = Api::new(&server.base);
    let token = api.token("app-one", None).await;

    let listed = retrieve(&api, &token, json!({})).await;
    for (i, name) in SANDBOX.iter().enumerate() {
        let r = api
            .get(&format!("{PROFILES}/qos-profiles/{name}"), &token)
            .await;
        assert_eq!(r.status, 200, "{}", r.text);
        assert_eq!(
            r.body, listed.body[i],
            "the same rendering in both operations"
        );
    }
    api.get(&format!("{PROFILES}/qos-profiles/QOS_NOPE"), &token)
        .await
        .assert_error(404, "NOT_FOUND");
    for bad in ["ab", "a%20b%20c", "QOS%2FE", &"x".repeat(257)] {
        api.get(&format!("{PROFILES}/qos-profiles/{bad}"), &token)
            .await
            .assert_error(400, "INVALID_ARGUMENT");
    }
    let r = api
        .get(
            &format!("{PROFILES}/qos-profiles/{}", "x".repeat(256)),
            &token,
        )
        .await;
    r.assert_error(404, "NOT_FOUND");

    // 3-legged: every sandbox profile is open to every device.
    let three = api.token_3legged("app-one", "tel:+34600000001").await;
    let r = api
        .get(&format!("{PROFILES}/qos-profiles/QOS_XL"), &three)
        .await;
    assert_eq!(r.body["status"], "INACTIVE", "{}", r.text);
}

#[tokio::test]
async fn device_identification_two_and_three_legged() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path()).await;
    let api = Api::new(&server.base);
    let two = api.token("app-one", None).await;

    let phone = |n: &str| json!({"device": {"phoneNumber": n}});
    retrieve(&api, &two, phone("+99999990404"))
        .await
        .assert_error(404, "IDENTIFIER_NOT_FOUND");
    retrieve(&api, &two, phone("+99999990422"))
        .await
        .assert_error(422, "SERVICE_NOT_APPLICABLE");
    retrieve(
        &api,
        &two,
        json!({"device": {"networkAccessIdentifier": "a@example.com"}}),
    )
    .await
    .assert_error(422, "UNSUPPORTED_IDENTIFIER");

    let three = api.token_3legged("app-one", "tel:+34600000001").await;
    let r = retrieve(&api, &three, json!({})).await;
    assert_eq!(names(&r.body), SANDBOX, "{}", r.text);
    let r = retrieve(&api, &three, json!({"status": "DEPRECATED"})).await;
    assert_eq!(names(&r.body), ["QOS_LEGACY"]);
    retrieve(&api, &three, phone("+34600000001"))
        .await
        .assert_error(422, "UNNECESSARY_IDENTIFIER");
    let unknown = api.token_3legged("app-one", "tel:+99999990404").await;
    retrieve(&api, &unknown, json!({}))
        .await
        .assert_error(404, "IDENTIFIER_NOT_FOUND");
    let by_address = api
        .token_3legged("app-one", "ipport:84.125.93.10:59765")
        .await;
    let r = retrieve(&api, &by_address, json!({"name": "QOS_S"})).await;
    assert_eq!(names(&r.body), ["QOS_S"], "{}", r.text);
}

#[tokio::test]
async fn every_error_of_both_operations() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path()).await;
    let api = Api::new(&server.base);
    let token = api.token("app-one", None).await;
    let retrieve_path = format!("{PROFILES}/retrieve-qos-profiles");
    let get_path = format!("{PROFILES}/qos-profiles/QOS_E");

    // 401 and 403, with the correlator echoed.
    let correlator = [("x-correlator", "b4333c46-49c0-4f62-80d7-f0ef930f1c46")];
    for (method, path, body) in [
        (Method::POST, &retrieve_path, Some("{}")),
        (Method::GET, &get_path, None),
    ] {
        let r = api
            .call(method.clone(), path, None, body, &correlator)
            .await;
        r.assert_error(401, "UNAUTHENTICATED");
        assert_eq!(r.headers["x-correlator"], correlator[0].1);
        api.call(method.clone(), path, Some("not-a-token"), body, &[])
            .await
            .assert_error(401, "UNAUTHENTICATED");
        let other = api
            .token("app-one", Some("quality-on-demand:sessions:read"))
            .await;
        let r = api
            .call(method.clone(), path, Some(&other), body, &correlator)
            .await;
        r.assert_error(403, "PERMISSION_DENIED");
        assert_eq!(r.headers["x-correlator"], correlator[0].1);
        api.call(
            method.clone(),
            path,
            Some(&token),
            body,
            &[("x-correlator", "a b")],
        )
        .await
        .assert_error(400, "INVALID_ARGUMENT");
        let r = api
            .call(method, path, Some(&token), body, &correlator)
            .await;
        assert_eq!(r.status, 200, "{}", r.text);
        assert_eq!(r.headers["x-correlator"], correlator[0].1);
    }
    let scoped = api.token("app-one", Some("qos-profiles:read")).await;
    assert_eq!(api.get(&get_path, &scoped).await.status, 200);

    // Strict bodies.
    for body in [
        "",
        "[]",
        "{",
        "null",
        r#"{"name": null}"#,
        r#"{"status": null}"#,
        r#"{"device": null}"#,
        r#"{"device": {}}"#,
        r#"{"name": "ab"}"#,
        r#"{"name": "QOS E"}"#,
        r#"{"name": 1}"#,
        r#"{"status": "active"}"#,
        r#"{"status": "RETIRED"}"#,
        r#"{"qosProfile": "QOS_E"}"#,
        r#"{"device": {"phoneNumber": "34600000001"}}"#,
        r#"{"device": {"phoneNumber": "+34600000001", "imsi": "1"}}"#,
        r#"{"device": {"ipv4Address": {"publicAddress": "84.125.93.10"}}}"#,
    ] {
        api.call(Method::POST, &retrieve_path, Some(&token), Some(body), &[])
            .await
            .assert_error(400, "INVALID_ARGUMENT");
    }
    let bad_port =
        r#"{"device": {"ipv4Address": {"publicAddress": "84.125.93.10", "publicPort": 0}}}"#;
    api.call(
        Method::POST,
        &retrieve_path,
        Some(&token),
        Some(bad_port),
        &[],
    )
    .await
    .assert_error(400, "OUT_OF_RANGE");

    // Wrong methods, and the admin endpoint that does not exist without a token.
    api.call(Method::GET, &retrieve_path, Some(&token), None, &[])
        .await
        .assert_error(405, "METHOD_NOT_ALLOWED");
    api.call(Method::DELETE, &get_path, Some(&token), None, &[])
        .await
        .assert_error(405, "METHOD_NOT_ALLOWED");
    api.call(
        Method::POST,
        "/admin/reload-catalogue",
        Some(&token),
        None,
        &[],
    )
    .await
    .assert_error(404, "NOT_FOUND");
}
