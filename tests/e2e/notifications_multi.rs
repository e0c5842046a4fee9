//! Two `qod-server` instances on one PostgreSQL database deliver each change once between them,
//! in order per session.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use serde_json::Value;

use crate::support::notify::{sink_body, write_config};
use crate::support::postgres::TestDatabase;
use crate::support::receiver::Receiver;
use crate::support::tls::TestCa;
use crate::support::{Api, QOD, Server};

const TOKEN: &str = "mock_sandbox_access_token";
const SESSIONS: usize = 40;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_instances_deliver_each_change_once() {
    let database = TestDatabase::create();
    Server::migrate(&database.url);
    let dir = tempfile::tempdir().unwrap();
    let ca = TestCa::new();
    let sink = Receiver::ok(&ca).await;
    let config = write_config(
        dir.path(),
        &ca,
        &[("poll_interval_ms", "300")],
        "[database]\nscheduler_poll_ms = 300\nclaim_lease_ms = 10000\n",
    );
    let mut servers = Vec::new();
    for i in 0..2 {
        let data = dir.path().join(format!("instance-{i}"));
        std::fs::create_dir_all(&data).unwrap();
        let args = [
            "--database-url",
            &database.url,
            "--config",
            config.to_str().unwrap(),
        ];
        servers.push(Server::start_with(&data, &args).await);
    }
    let apis: Vec<Api> = servers.iter().map(|s| Api::new(&s.base)).collect();

    // Short sessions, created on both instances: each is AVAILABLE, then expires on whichever
    // instance fires its timer.
    let mut ids = Vec::new();
    for i in 0..SESSIONS {
        let body = sink_body(&format!("+3463{i:07}"), 2, &sink.url(&format!("/s/{i}")));
        let r = apis[i % 2]
            .post(&format!("{QOD}/sessions"), TOKEN, &body)
            .await;
        assert_eq!(r.status, 201, "{}", r.text);
        ids.push(r.body["sessionId"].as_str().unwrap().to_owned());
    }
    sink.wait_for(Duration::from_secs(20), |all| all.len() >= 2 * SESSIONS)
        .await;
    tokio::time::sleep(Duration::from_millis(1000)).await;
    let requests = sink.requests();
    assert_eq!(requests.len(), 2 * SESSIONS, "one delivery per change");
    let unique: BTreeSet<String> = requests
        .iter()
        .map(|r| r.json()["id"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(unique.len(), 2 * SESSIONS);

    let mut per_session: BTreeMap<String, Vec<Value>> = BTreeMap::new();
    for r in &requests {
        let event = r.json();
        let session = event["data"]["sessionId"].as_str().unwrap().to_owned();
        per_session
            .entry(session)
            .or_default()
            .push(event["data"].clone());
    }
    for id in &ids {
        let events = &per_session[id];
        assert_eq!(events[0]["qosStatus"], "AVAILABLE", "{events:?}");
        assert_eq!(events[1]["statusInfo"], "DURATION_EXPIRED", "{events:?}");
    }
    for server in &servers {
        assert!(
            server.log().contains("notification delivered"),
            "both instances deliver"
        );
    }
}
