//! Sessions through their whole life, the scenario devices, and survival of a SIGKILL.

use std::time::Duration;

use serde_json::json;

use crate::support::{Api, QOD, Server, create_body, date_time, wait_for_session};

#[tokio::test]
async fn create_read_extend_list_delete_with_a_two_legged_token() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path()).await;
    let api = Api::new(&server.base);
    let token = api.token("app-one", None).await;

    let created = api
        .post(
            &format!("{QOD}/sessions"),
            &token,
            &create_body("+34600000001", 60),
        )
        .await;
    assert_eq!(created.status, 201, "{}", created.text);
    let s = &created.body;
    let id = s["sessionId"].as_str().unwrap().to_owned();
    assert_eq!(s["qosStatus"], "AVAILABLE");
    assert_eq!(s["duration"], 60);
    assert_eq!(s["device"], json!({"phoneNumber": "+34600000001"}));
    assert_eq!(
        s["applicationServer"],
        json!({"ipv4Address": "198.51.100.0/24"})
    );
    assert_eq!(s["qosProfile"], "QOS_E");
    assert!(s.get("statusInfo").is_none());
    let started = date_time(&s["startedAt"]);
    let expires = date_time(&s["expiresAt"]);
    assert_eq!(expires - started, time::Duration::seconds(60));
    assert_eq!(
        created.headers["location"].to_str().unwrap(),
        format!("{QOD}/sessions/{id}")
    );

    let read = api.get(&format!("{QOD}/sessions/{id}"), &token).await;
    assert_eq!(read.status, 200);
    assert_eq!(read.body, created.body);

    let extended = api
        .post(
            &format!("{QOD}/sessions/{id}/extend"),
            &token,
            &json!({"requestedAdditionalDuration": 30}),
        )
        .await;
    assert_eq!(extended.status, 200, "{}", extended.text);
    assert_eq!(extended.body["duration"], 90);
    assert_eq!(extended.body["startedAt"], s["startedAt"]);

    let listed = api
        .post(
            &format!("{QOD}/retrieve-sessions"),
            &token,
            &json!({"device": {"phoneNumber": "+34600000001"}}),
        )
        .await;
    assert_eq!(listed.status, 200);
    assert_eq!(listed.body.as_array().unwrap().len(), 1);
    assert_eq!(listed.body[0]["sessionId"], json!(id));

    let deleted = api.delete(&format!("{QOD}/sessions/{id}"), &token).await;
    assert_eq!(deleted.status, 204);
    api.get(&format!("{QOD}/sessions/{id}"), &token)
        .await
        .assert_error(404, "NOT_FOUND");
    let listed = api
        .post(
            &format!("{QOD}/retrieve-sessions"),
            &token,
            &json!({"device": {"phoneNumber": "+34600000001"}}),
        )
        .await;
    assert_eq!(listed.body, json!([]));
}

#[tokio::test]
async fn scenario_devices_drive_every_status_path() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path()).await;
    let api = Api::new(&server.base);
    let token = api.token("app-scenarios", None).await;
    let create = |phone, duration| api.create_session(&token, phone, duration);

    // REQUESTED, then AVAILABLE after 2 s.
    let pending = create("+99999990202", 600).await;
    assert_eq!(pending["qosStatus"], "REQUESTED");
    assert!(pending.get("startedAt").is_none() && pending.get("expiresAt").is_none());
    // REQUESTED, then UNAVAILABLE / NETWORK_TERMINATED after 1 s.
    let refused = create("+99999990503", 600).await;
    assert_eq!(refused["qosStatus"], "REQUESTED");
    // AVAILABLE, then UNAVAILABLE / NETWORK_TERMINATED after 5 s.
    let dropped = create("+99999990410", 600).await;
    assert_eq!(dropped["qosStatus"], "AVAILABLE");
    // AVAILABLE, then UNAVAILABLE / DURATION_EXPIRED after its 2 s.
    let short = create("+34600000002", 2).await;
    assert_eq!(short["qosStatus"], "AVAILABLE");

    let id = |v: &serde_json::Value| v["sessionId"].as_str().unwrap().to_owned();
    let wait = Duration::from_secs(10);
    let s = wait_for_session(&api, &token, &id(&pending), wait, |b| {
        b["qosStatus"] == "AVAILABLE"
    })
    .await;
    assert_eq!(s["qosStatus"], "AVAILABLE", "{s}");
    assert!(s["startedAt"].is_string() && s["expiresAt"].is_string());

    let s = wait_for_session(&api, &token, &id(&refused), wait, |b| {
        b["qosStatus"] == "UNAVAILABLE"
    })
    .await;
    assert_eq!(s["statusInfo"], "NETWORK_TERMINATED", "{s}");
    assert!(s.get("startedAt").is_none(), "{s}");

    let s = wait_for_session(&api, &token, &id(&short), wait, |b| {
        b["qosStatus"] == "UNAVAILABLE"
    })
    .await;
    assert_eq!(s["statusInfo"], "DURATION_EXPIRED", "{s}");
    assert_eq!(s["expiresAt"], short["expiresAt"]);

    let s = wait_for_session(&api, &token, &id(&dropped), wait, |b| {
        b["qosStatus"] == "UNAVAILABLE"
    })
    .await;
    assert_eq!(s["statusInfo"], "NETWORK_TERMINATED", "{s}");
    assert_eq!(s["startedAt"], dropped["startedAt"]);
    let d = s["duration"].as_i64().unwrap();
    assert!((4..=6).contains(&d), "effective duration {d}");
}

#[tokio::test]
async fn acknowledged_sessions_survive_sigkill_and_expire_while_down() {
    let dir = tempfile::tempdir().unwrap();
    let mut server = Server::start(dir.path()).await;
    let api = Api::new(&server.base);
    let token = api.token("app-durable", None).await;

    let mut long = Vec::new();
    let mut short = Vec::new();
    for i in 0..40 {
        let duration = if i % 4 == 0 { 2 } else { 3600 };
        let r = api
            .post(
                &format!("{QOD}/sessions"),
                &token,
                &create_body(&format!("+3461000{i:04}"), duration),
            )
            .await;
        assert_eq!(r.status, 201, "{}", r.text);
        let id = r.body["sessionId"].as_str().unwrap().to_owned();
        if duration == 2 {
            short.push(id)
        } else {
            long.push(id)
        }
    }
    server.kill();
    // The short sessions' end passes while no server runs.
    tokio::time::sleep(Duration::from_secs(3)).await;
    server.restart().await;
    let api = Api::new(&server.base);

    for id in &long {
        let r = api.get(&format!("{QOD}/sessions/{id}"), &token).await;
        assert_eq!(r.status, 200, "{}", r.text);
        assert_eq!(r.body["qosStatus"], "AVAILABLE");
    }
    for id in &short {
        let s = wait_for_session(&api, &token, id, Duration::from_secs(5), |b| {
            b["qosStatus"] == "UNAVAILABLE"
        })
        .await;
        assert_eq!(s["qosStatus"], "UNAVAILABLE", "{s}");
        assert_eq!(s["statusInfo"], "DURATION_EXPIRED", "{s}");
    }
}
