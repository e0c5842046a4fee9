//! Notifications survive a crash: a server killed after a change was committed but before its
//! delivery finished delivers it after a restart, once per change as a receiver that
//! deduplicates by id sees it.

use std::time::Duration;

use crate::support::notify::start_server;
use crate::support::notify::{
    Expected, SINK_TOKEN, SPEC_TYPE, check_event, sink_body, unique_events,
};
use crate::support::receiver::{Receiver, Reply};
use crate::support::tls::TestCa;
use crate::support::{Api, QOD};

#[tokio::test]
async fn an_event_in_flight_when_the_server_dies_is_delivered_after_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let ca = TestCa::new();
    // The first delivery is received but never answered: the server dies meanwhile.
    let sink = Receiver::start(&ca, |_, _| Reply::hang()).await;
    let overrides = [("request_timeout_ms", "1000"), ("claim_lease_ms", "2500")];
    let mut server = start_server(dir.path(), &ca, &overrides).await;
    let api = Api::new(&server.base);
    let token = api.token("app-crash", None).await;
    let created = api
        .post(
            &format!("{QOD}/sessions"),
            &token,
            &sink_body("+34600000401", 60, &sink.url("/crash")),
        )
        .await;
    assert_eq!(created.status, 201, "{}", created.text);
    let id = created.body["sessionId"].as_str().unwrap().to_owned();
    let first = sink
        .wait_for_path("/crash", 1, Duration::from_secs(5))
        .await;
    assert_eq!(first.len(), 1, "the delivery started");
    server.kill();

    sink.set_script(|_, _| Reply::status(204));
    server.restart().await;
    // After the dead instance's claim ran out, the event goes out again.
    let again = sink
        .wait_for_path("/crash", 2, Duration::from_secs(10))
        .await;
    assert_eq!(again.len(), 2, "delivered after the restart");
    assert_eq!(again[0].json(), again[1].json(), "the same event");

    // A change after the restart follows it, in order.
    let token = api.token("app-crash", None).await;
    let deleted = api.delete(&format!("{QOD}/sessions/{id}"), &token).await;
    assert_eq!(deleted.status, 204);
    let all = sink
        .wait_for_path("/crash", 3, Duration::from_secs(10))
        .await;
    tokio::time::sleep(Duration::from_millis(800)).await;
    let all = if sink.requests_to("/crash").len() > all.len() {
        sink.requests_to("/crash")
    } else {
        all
    };
    let events = unique_events(&all);
    assert_eq!(events.len(), 2, "one event per change: {events:?}");
    let expected = |status, info| Expected {
        base: &server.base,
        session_id: &id,
        status,
        info,
        event_type: SPEC_TYPE,
        token: Some(SINK_TOKEN),
    };
    check_event(&all[0], &expected("AVAILABLE", None));
    check_event(
        all.last().unwrap(),
        &expected("UNAVAILABLE", Some("DELETE_REQUESTED")),
    );
    assert_eq!(events[0]["data"]["qosStatus"], "AVAILABLE");
    assert_eq!(events[1]["data"]["statusInfo"], "DELETE_REQUESTED");
}
