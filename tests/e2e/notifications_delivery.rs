//! Notifications that do not go through at once: retries with backoff, `Retry-After`, 410 Gone,
//! a sink that hangs, sinks that refuse, and an expired access token.

use std::time::{Duration, Instant};

use serde_json::json;
use time::OffsetDateTime;
use time::macros::format_description;

use crate::support::notify::{sink_body, start_server};
use crate::support::receiver::{Receiver, Reply};
use crate::support::tls::TestCa;
use crate::support::{Api, QOD, Server};

/// A server trusting `ca` with these `[notifications]` overrides, and a token for it.
async fn setup(
    dir: &std::path::Path,
    ca: &TestCa,
    overrides: &[(&str, &str)],
) -> (Server, Api, String) {
    let server = start_server(dir, ca, overrides).await;
    let api = Api::new(&server.base);
    let token = api.token("app-delivery", None).await;
    (server, api, token)
}

async fn create(api: &Api, token: &str, phone: &str, duration: i64, sink: &str) -> String {
    let r = api
        .post(
            &format!("{QOD}/sessions"),
            token,
            &sink_body(phone, duration, sink),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    r.body["sessionId"].as_str().unwrap().to_owned()
}

fn gap(a: Instant, b: Instant) -> Duration {
    b.saturating_duration_since(a)
}

#[tokio::test]
async fn failed_deliveries_are_retried_with_exponential_backoff() {
    let dir = tempfile::tempdir().unwrap();
    let ca = TestCa::new();
    let sink = Receiver::start(&ca, |_, n| Reply::status(if n < 3 { 503 } else { 204 })).await;
    let overrides = [("initial_backoff_ms", "400"), ("max_backoff_ms", "5000")];
    let (server, api, token) = setup(dir.path(), &ca, &overrides).await;
    create(&api, &token, "+34600000201", 60, &sink.url("/flaky")).await;

    let got = sink
        .wait_for_path("/flaky", 4, Duration::from_secs(15))
        .await;
    assert_eq!(got.len(), 4);
    let ids: Vec<_> = got.iter().map(|r| r.json()["id"].clone()).collect();
    assert!(
        ids.iter().all(|id| *id == ids[0]),
        "the same event each time"
    );
    // Equal jitter: at least half of 400, 800 and 1600 ms.
    for (i, min) in [200u64, 400, 800].into_iter().enumerate() {
        let waited = gap(got[i].at, got[i + 1].at);
        assert!(
            waited >= Duration::from_millis(min),
            "attempt {}: {waited:?}",
            i + 2
        );
    }
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(
        sink.requests_to("/flaky").len(),
        4,
        "delivered: no more attempts"
    );
    let log = server.log();
    assert_eq!(log.matches("it will be retried").count(), 3, "{log}");
    assert_eq!(log.matches("notification delivered").count(), 1, "{log}");
}

#[tokio::test]
async fn retry_after_is_honoured_in_seconds_and_as_a_date() {
    let dir = tempfile::tempdir().unwrap();
    let ca = TestCa::new();
    let http_date = format_description!(
        "[weekday repr:short], [day] [month repr:short] [year] [hour]:[minute]:[second] GMT"
    );
    let sink = Receiver::start(&ca, move |r, n| match (r.path.as_str(), n) {
        ("/seconds", 0) => Reply::status(503).header("retry-after", "2"),
        ("/date", 0) => {
            let at = OffsetDateTime::now_utc() + time::Duration::seconds(3);
            Reply::status(429).header("retry-after", &at.format(&http_date).unwrap())
        }
        _ => Reply::status(204),
    })
    .await;
    let (_server, api, token) = setup(dir.path(), &ca, &[("initial_backoff_ms", "100")]).await;
    create(&api, &token, "+34600000202", 60, &sink.url("/seconds")).await;
    create(&api, &token, "+34600000203", 60, &sink.url("/date")).await;

    let seconds = sink
        .wait_for_path("/seconds", 2, Duration::from_secs(10))
        .await;
    assert_eq!(seconds.len(), 2);
    let waited = gap(seconds[0].at, seconds[1].at);
    assert!(
        waited >= Duration::from_millis(1950),
        "Retry-After: 2 -> {waited:?}"
    );
    let date = sink
        .wait_for_path("/date", 2, Duration::from_secs(10))
        .await;
    assert_eq!(date.len(), 2);
    // The date has whole seconds: at least 2 s of the 3 asked for remain.
    let waited = gap(date[0].at, date[1].at);
    assert!(
        waited >= Duration::from_millis(1950),
        "Retry-After date -> {waited:?}"
    );
}

#[tokio::test]
async fn gone_stops_delivery_for_that_session_only() {
    let dir = tempfile::tempdir().unwrap();
    let ca = TestCa::new();
    let sink = Receiver::start(&ca, |r, _| {
        if r.path == "/gone" {
            Reply::status(410).json(&json!({"status": 410, "code": "GONE",
                "message": "Access to the target resource is no longer available."}))
        } else {
            Reply::status(204)
        }
    })
    .await;
    let (server, api, token) = setup(dir.path(), &ca, &[]).await;
    let gone = create(&api, &token, "+34600000204", 60, &sink.url("/gone")).await;
    create(&api, &token, "+34600000205", 1, &sink.url("/fine")).await;

    // The neighbour on the same sink host gets both its events (AVAILABLE, then expiry).
    let fine = sink
        .wait_for_path("/fine", 2, Duration::from_secs(10))
        .await;
    assert_eq!(fine.len(), 2);
    assert_eq!(sink.requests_to("/gone").len(), 1);
    // The DELETE_REQUESTED of the gone session is not sent.
    let deleted = api.delete(&format!("{QOD}/sessions/{gone}"), &token).await;
    assert_eq!(deleted.status, 204);
    tokio::time::sleep(Duration::from_millis(800)).await;
    assert_eq!(sink.requests_to("/gone").len(), 1, "nothing after 410");
    let log = server.log();
    assert!(log.contains("410 Gone"), "{log}");
}

#[tokio::test]
async fn a_hanging_sink_times_out_without_holding_up_the_others() {
    let dir = tempfile::tempdir().unwrap();
    let ca = TestCa::new();
    let sink = Receiver::start(&ca, |r, n| match (r.path.as_str(), n) {
        ("/hang", 0) => Reply::hang(),
        _ => Reply::status(204),
    })
    .await;
    let overrides = [
        ("request_timeout_ms", "1000"),
        ("claim_lease_ms", "2500"),
        ("initial_backoff_ms", "100"),
    ];
    let (server, api, token) = setup(dir.path(), &ca, &overrides).await;
    create(&api, &token, "+34600000206", 60, &sink.url("/hang")).await;
    sink.wait_for_path("/hang", 1, Duration::from_secs(5)).await;
    let started = Instant::now();
    create(&api, &token, "+34600000207", 60, &sink.url("/other")).await;
    let other = sink
        .wait_for_path("/other", 1, Duration::from_secs(5))
        .await;
    assert_eq!(other.len(), 1);
    assert!(
        started.elapsed() < Duration::from_millis(900),
        "not behind the hanging one"
    );

    let hang = sink
        .wait_for_path("/hang", 2, Duration::from_secs(10))
        .await;
    assert_eq!(hang.len(), 2, "retried after the timeout");
    // The first request took part of its second to arrive (TLS); the retry waits for the rest.
    let waited = gap(hang[0].at, hang[1].at);
    assert!(waited >= Duration::from_millis(900), "{waited:?}");
    let log = server.log();
    assert!(
        log.contains("no answer within the request timeout"),
        "{log}"
    );
}

#[tokio::test]
async fn refusals_are_not_retried_forever_and_expired_tokens_are_not_sent() {
    let dir = tempfile::tempdir().unwrap();
    let ca = TestCa::new();
    let sink = Receiver::start(&ca, |r, _| match r.path.as_str() {
        "/bad" => Reply::status(400),
        _ => Reply::status(204),
    })
    .await;
    let overrides = [("initial_backoff_ms", "100"), ("max_refused_attempts", "3")];
    let (server, api, token) = setup(dir.path(), &ca, &overrides).await;
    create(&api, &token, "+34600000208", 60, &sink.url("/bad")).await;

    let mut expired = sink_body("+34600000209", 60, &sink.url("/expired"));
    expired["sinkCredential"]["accessTokenExpiresUtc"] = json!("2020-01-01T00:00:00Z");
    let r = api.post(&format!("{QOD}/sessions"), &token, &expired).await;
    assert_eq!(r.status, 201, "{}", r.text);

    let bad = sink.wait_for_path("/bad", 3, Duration::from_secs(10)).await;
    assert_eq!(bad.len(), 3);
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(
        sink.requests_to("/bad").len(),
        3,
        "given up after 3 attempts"
    );
    assert!(
        sink.requests_to("/expired").is_empty(),
        "an expired token is not sent"
    );
    let log = server.log();
    assert!(log.contains("refused by the sink 3 times"), "{log}");
    assert!(log.contains("access token expired"), "{log}");
    let metrics = server.metrics().await;
    assert!(
        metrics.contains("qod_notification_attempts_total{outcome=\"failed\"} 2"),
        "{metrics}"
    );
    assert!(
        metrics.contains("qod_notification_attempts_total{outcome=\"retried\"} 2"),
        "{metrics}"
    );
}
