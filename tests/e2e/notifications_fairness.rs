//! A thousand sessions whose sinks take 2 s to answer do not hold up the event of a healthy
//! sink: deliveries are bounded in all and per sink origin, and a claim leaves out origins at
//! their cap.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use crate::support::notify::{sink_body, start_server};
use crate::support::receiver::{Receiver, Reply};
use crate::support::tls::TestCa;
use crate::support::{Api, QOD};

const SLOW_SESSIONS: usize = 1000;
const SLOW_ORIGINS: usize = 4;
const PER_ORIGIN: usize = 8;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_thousand_slow_sinks_do_not_delay_a_healthy_one() {
    let dir = tempfile::tempdir().unwrap();
    let ca = TestCa::new();
    let mut slow = Vec::new();
    for _ in 0..SLOW_ORIGINS {
        let receiver =
            Receiver::start(&ca, |_, _| Reply::status(204).after(Duration::from_secs(2))).await;
        slow.push(receiver);
    }
    let healthy = Receiver::ok(&ca).await;
    let overrides = [
        ("max_in_flight", "64"),
        ("max_in_flight_per_origin", "8"),
        ("request_timeout_ms", "5000"),
        ("claim_lease_ms", "11000"),
    ];
    let server = start_server(dir.path(), &ca, &overrides).await;
    let api = Api::new(&server.base);
    // The static sandbox token: checking a signed token a thousand times in a debug build
    // would take longer than the deliveries this test is about.
    let token = "mock_sandbox_access_token".to_owned();

    let urls: Arc<Vec<String>> = Arc::new(
        (0..SLOW_SESSIONS)
            .map(|i| slow[i % SLOW_ORIGINS].url(&format!("/slow/{i}")))
            .collect(),
    );
    let next = Arc::new(AtomicUsize::new(0));
    let mut tasks = Vec::new();
    for _ in 0..16 {
        let (api, token, urls, next) = (api.clone(), token.clone(), urls.clone(), next.clone());
        tasks.push(tokio::spawn(async move {
            loop {
                let i = next.fetch_add(1, Ordering::SeqCst);
                if i >= SLOW_SESSIONS {
                    return;
                }
                let body = sink_body(&format!("+3461{i:07}"), 300, &urls[i]);
                let r = api.post(&format!("{QOD}/sessions"), &token, &body).await;
                assert_eq!(r.status, 201, "{}", r.text);
            }
        }));
    }
    for task in tasks {
        task.await.unwrap();
    }
    // Every slow origin is busy by now.
    for receiver in &slow {
        receiver
            .wait_for(Duration::from_secs(5), |all| all.len() >= PER_ORIGIN)
            .await;
    }

    let started = Instant::now();
    let created = api
        .post(
            &format!("{QOD}/sessions"),
            &token,
            &sink_body("+34620000000", 300, &healthy.url("/healthy")),
        )
        .await;
    assert_eq!(created.status, 201, "{}", created.text);
    let got = healthy
        .wait_for_path("/healthy", 1, Duration::from_secs(10))
        .await;
    let waited = started.elapsed();
    assert_eq!(got.len(), 1);
    assert!(
        waited < Duration::from_millis(1500),
        "the healthy sink waited {waited:?} behind the slow ones"
    );

    let slow_received: usize = slow.iter().map(|r| r.requests().len()).sum();
    assert!(
        slow_received < SLOW_SESSIONS / 2,
        "most slow events are still queued ({slow_received} received)"
    );
    for receiver in &slow {
        let max = receiver.max_concurrent();
        assert!(
            (1..=PER_ORIGIN).contains(&max),
            "at most {PER_ORIGIN} at once per origin, saw {max}"
        );
    }
}
