//! Notifications end to end: every status change of every scenario device reaches a real
//! HTTPS sink on 127.0.0.1 as the exact CloudEvent, with the exact headers.

use std::time::Duration;

use serde_json::{Value, json};

use crate::support::notify::{
    Expected, SINK_TOKEN, SPEC_TYPE, check_event, sink_body, start_server, write_config,
};
use crate::support::receiver::Receiver;
use crate::support::tls::TestCa;
use crate::support::{Api, QOD, Server, wait_for_session};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_status_change_of_every_scenario_device_is_delivered() {
    let dir = tempfile::tempdir().unwrap();
    let ca = TestCa::new();
    let sink = Receiver::ok(&ca).await;
    let server = start_server(dir.path(), &ca, &[]).await;
    let api = Api::new(&server.base);
    let token = api.token("app-notify", None).await;
    let sessions = format!("{QOD}/sessions");
    let create = async |phone: &str, duration: i64, path: &str, server_net: Option<&str>| {
        let mut body = sink_body(phone, duration, &sink.url(path));
        if let Some(net) = server_net {
            body["applicationServer"] = json!({"ipv4Address": net});
        }
        let r = api.post(&sessions, &token, &body).await;
        (r.status.as_u16(), r.body)
    };

    let (status, expiring) = create("+34600000101", 2, "/expire", None).await;
    assert_eq!(
        (status, expiring["qosStatus"].as_str()),
        (201, Some("AVAILABLE"))
    );
    let (_, delayed) = create("+99999990202", 60, "/delayed", None).await;
    assert_eq!(delayed["qosStatus"], "REQUESTED");
    let (_, refused) = create("+99999990503", 60, "/refused", None).await;
    assert_eq!(refused["qosStatus"], "REQUESTED");
    let (_, terminated) = create("+99999990410", 60, "/terminated", None).await;
    assert_eq!(terminated["qosStatus"], "AVAILABLE");
    let (_, deleted) = create("+34600000102", 60, "/deleted", None).await;
    assert_eq!(deleted["qosStatus"], "AVAILABLE");
    let (_, pending) = create("+99999990202", 60, "/requested", Some("203.0.113.0/24")).await;
    assert_eq!(pending["qosStatus"], "REQUESTED");
    assert_eq!(create("+99999990404", 60, "/unknown", None).await.0, 404);
    assert_eq!(create("+99999990422", 60, "/ineligible", None).await.0, 422);

    let id = |s: &Value| s["sessionId"].as_str().unwrap().to_owned();
    let path_of = |s: &Value| format!("{QOD}/sessions/{}", id(s));
    // Deleted while AVAILABLE, and while still REQUESTED: both send DELETE_REQUESTED.
    assert_eq!(api.delete(&path_of(&deleted), &token).await.status, 204);
    assert_eq!(api.delete(&path_of(&pending), &token).await.status, 204);
    // The REQUESTED session that becomes AVAILABLE, then is deleted.
    let available = wait_for_session(&api, &token, &id(&delayed), Duration::from_secs(10), |s| {
        s["qosStatus"] == "AVAILABLE"
    })
    .await;
    assert_eq!(available["qosStatus"], "AVAILABLE");
    assert_eq!(api.delete(&path_of(&delayed), &token).await.status, 204);
    // The one the network refused: deleting it while UNAVAILABLE sends nothing.
    let failed = wait_for_session(&api, &token, &id(&refused), Duration::from_secs(10), |s| {
        s["qosStatus"] == "UNAVAILABLE"
    })
    .await;
    assert_eq!(failed["statusInfo"], "NETWORK_TERMINATED");
    assert_eq!(api.delete(&path_of(&refused), &token).await.status, 204);
    let ended = wait_for_session(
        &api,
        &token,
        &id(&terminated),
        Duration::from_secs(15),
        |s| s["qosStatus"] == "UNAVAILABLE",
    )
    .await;
    assert_eq!(ended["statusInfo"], "NETWORK_TERMINATED");
    let expired = wait_for_session(&api, &token, &id(&expiring), Duration::from_secs(10), |s| {
        s["qosStatus"] == "UNAVAILABLE"
    })
    .await;
    assert_eq!(expired["statusInfo"], "DURATION_EXPIRED");

    let expected_counts = [
        ("/expire", 2),
        ("/delayed", 2),
        ("/refused", 1),
        ("/terminated", 2),
        ("/deleted", 2),
        ("/requested", 1),
    ];
    sink.wait_for(Duration::from_secs(15), |all| {
        expected_counts
            .iter()
            .all(|(p, n)| all.iter().filter(|r| r.path == *p).count() >= *n)
    })
    .await;
    // Nothing more comes: no event for the deleted UNAVAILABLE session, none for refused creates.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    for (path, n) in expected_counts {
        assert_eq!(
            sink.requests_to(path).len(),
            n,
            "{path}: {:?}",
            sink.requests_to(path)
        );
    }
    assert_eq!(sink.requests().len(), 10, "{:?}", sink.requests());

    let check = |path: &str, n: usize, session: &Value, status: &str, info: Option<&str>| {
        let requests = sink.requests_to(path);
        let sid = id(session);
        check_event(
            &requests[n],
            &Expected {
                base: &server.base,
                session_id: &sid,
                status,
                info,
                event_type: SPEC_TYPE,
                token: Some(SINK_TOKEN),
            },
        )
    };
    let e = check("/expire", 0, &expiring, "AVAILABLE", None);
    assert_eq!(e["time"], expiring["startedAt"]);
    let e = check(
        "/expire",
        1,
        &expiring,
        "UNAVAILABLE",
        Some("DURATION_EXPIRED"),
    );
    assert_eq!(e["time"], expired["expiresAt"]);
    let e = check("/delayed", 0, &delayed, "AVAILABLE", None);
    assert_eq!(e["time"], available["startedAt"]);
    check(
        "/delayed",
        1,
        &delayed,
        "UNAVAILABLE",
        Some("DELETE_REQUESTED"),
    );
    let e = check(
        "/refused",
        0,
        &refused,
        "UNAVAILABLE",
        Some("NETWORK_TERMINATED"),
    );
    assert_eq!(e["time"], failed["expiresAt"]);
    check("/terminated", 0, &terminated, "AVAILABLE", None);
    let e = check(
        "/terminated",
        1,
        &terminated,
        "UNAVAILABLE",
        Some("NETWORK_TERMINATED"),
    );
    assert_eq!(e["time"], ended["expiresAt"]);
    check("/deleted", 0, &deleted, "AVAILABLE", None);
    check(
        "/deleted",
        1,
        &deleted,
        "UNAVAILABLE",
        Some("DELETE_REQUESTED"),
    );
    check(
        "/requested",
        0,
        &pending,
        "UNAVAILABLE",
        Some("DELETE_REQUESTED"),
    );
    let ids: std::collections::BTreeSet<String> = sink
        .requests()
        .iter()
        .map(|r| r.json()["id"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(ids.len(), 10, "every event has its own id");

    let text = server.metrics().await;
    assert!(
        text.contains("qod_notification_attempts_total{outcome=\"delivered\"} 10"),
        "{text}"
    );
    assert!(
        text.contains("qod_notification_outbox_events{state=\"pending\"} 0"),
        "{text}"
    );
    let log = server.log();
    assert!(log.contains("notification delivered"), "{log}");
    assert!(!log.contains(SINK_TOKEN), "the token is never logged");
}

#[tokio::test]
async fn event_type_and_source_are_configurable() {
    let dir = tempfile::tempdir().unwrap();
    let ca = TestCa::new();
    let sink = Receiver::ok(&ca).await;
    let config = write_config(
        dir.path(),
        &ca,
        &[(
            "event_type",
            "\"org.camaraproject.qod.v1.qos-status-changed\"",
        )],
        "[api]\npublic_base_url = \"https://api.example.com/\"\n",
    );
    let server = Server::start_with(dir.path(), &["--config", config.to_str().unwrap()]).await;
    let api = Api::new(&server.base);
    let token = api.token("app-type", None).await;
    let created = api
        .post(
            &format!("{QOD}/sessions"),
            &token,
            &sink_body("+34600000103", 60, &sink.url("/typed")),
        )
        .await;
    assert_eq!(created.status, 201, "{}", created.text);
    let requests = sink
        .wait_for_path("/typed", 1, Duration::from_secs(10))
        .await;
    check_event(
        &requests[0],
        &Expected {
            base: "https://api.example.com",
            session_id: created.body["sessionId"].as_str().unwrap(),
            status: "AVAILABLE",
            info: None,
            event_type: "org.camaraproject.qod.v1.qos-status-changed",
            token: Some(SINK_TOKEN),
        },
    );
}
