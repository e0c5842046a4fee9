//! Retry decisions: backoff, jitter, `Retry-After`, and when to give up.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Duration;

use qod_domain::{AttemptOutcome, DeliveryState, OutboxEvent, QosStatus, Sink};
use qod_notify::RetryPolicy;
use qod_notify::retry::{Decision, Verdict, parse_retry_after};
use time::macros::datetime;
use uuid::Uuid;

const POLICY: RetryPolicy = RetryPolicy {
    initial_backoff: Duration::from_secs(1),
    max_backoff: Duration::from_secs(60),
    max_age: Duration::from_secs(3600),
    max_refused_attempts: 3,
};

fn event(attempts: u32) -> OutboxEvent {
    let at = datetime!(2030-01-01 00:00 UTC);
    OutboxEvent {
        id: Uuid::new_v4(),
        session_id: Uuid::new_v4(),
        seq: 1,
        sink: Sink {
            url: "https://a.example.com/".into(),
            credential: None,
        },
        status: QosStatus::Available,
        status_info: None,
        occurred_at: at,
        state: DeliveryState::Pending,
        attempts,
        next_attempt_at: at,
        last_error: None,
        last_http_status: None,
        updated_at: at,
    }
}

#[test]
fn backoff_doubles_up_to_its_cap_with_equal_jitter() {
    let secs: Vec<u64> = (1..=9).map(|n| POLICY.backoff(n).as_secs()).collect();
    assert_eq!(secs, vec![1, 2, 4, 8, 16, 32, 60, 60, 60]);
    assert_eq!(POLICY.backoff(u32::MAX), Duration::from_secs(60));
    for random in [0, 1, 499, 500, 12_345, u64::MAX] {
        let d = POLICY.jittered(3, random);
        assert!(
            d >= Duration::from_secs(2) && d <= Duration::from_secs(4),
            "{d:?}"
        );
    }
    assert_eq!(POLICY.jittered(3, 0), Duration::from_secs(2));
    assert_eq!(POLICY.jittered(3, 2000), Duration::from_secs(4));
}

#[test]
fn decisions() {
    let now = datetime!(2030-01-01 00:10 UTC);
    let retry_at = |d: Decision| match d {
        Decision::Done(AttemptOutcome::Retry { next_attempt_at }) => next_attempt_at - now,
        other => panic!("{other:?}"),
    };
    let e = event(0);
    assert_eq!(
        POLICY.decide(&e, Verdict::Delivered, now),
        Decision::Done(AttemptOutcome::Delivered)
    );
    assert_eq!(
        POLICY.decide(&e, Verdict::Gone, now),
        Decision::Done(AttemptOutcome::Gone)
    );
    assert_eq!(
        POLICY.decide(&e, Verdict::Fatal, now),
        Decision::Done(AttemptOutcome::Failed)
    );
    let wait = retry_at(POLICY.decide(&e, Verdict::Transient { retry_after: None }, now));
    assert!(wait >= time::Duration::milliseconds(500) && wait <= time::Duration::SECOND);
    // Retry-After wins when it asks for more than the backoff, never less than the backoff.
    let asked = Verdict::Transient {
        retry_after: Some(Duration::from_secs(30)),
    };
    assert_eq!(
        retry_at(POLICY.decide(&e, asked, now)),
        time::Duration::seconds(30)
    );
    let asked = Verdict::Transient {
        retry_after: Some(Duration::ZERO),
    };
    assert!(retry_at(POLICY.decide(&event(5), asked, now)) >= time::Duration::seconds(16));
    // Refusals: a few attempts, then given up.
    assert!(matches!(
        POLICY.decide(&event(1), Verdict::Refused, now),
        Decision::Done(AttemptOutcome::Retry { .. })
    ));
    assert!(matches!(
        POLICY.decide(&event(2), Verdict::Refused, now),
        Decision::GaveUp(why) if why == "refused by the sink 3 times"
    ));
    // Too old: the next attempt would fall after max_age.
    let late = datetime!(2030-01-01 00:59:59.900 UTC);
    assert!(matches!(
        POLICY.decide(&event(4), Verdict::Transient { retry_after: None }, late),
        Decision::GaveUp(why) if why.contains("not delivered within 3600s after 5 attempts")
    ));
    let asked = Verdict::Transient {
        retry_after: Some(Duration::from_secs(7200)),
    };
    assert!(matches!(POLICY.decide(&e, asked, now), Decision::GaveUp(_)));
}

#[test]
fn retry_after_values() {
    let now = datetime!(2015-10-21 07:28:00 UTC);
    assert_eq!(
        parse_retry_after("120", now),
        Some(Duration::from_secs(120))
    );
    assert_eq!(parse_retry_after(" 0 ", now), Some(Duration::ZERO));
    assert_eq!(
        parse_retry_after("Wed, 21 Oct 2015 07:28:30 GMT", now),
        Some(Duration::from_secs(30))
    );
    assert_eq!(
        parse_retry_after("Wed, 21 Oct 2015 07:20:00 GMT", now),
        Some(Duration::ZERO),
        "a date in the past asks for no wait"
    );
    for bad in ["", "soon", "-5", "1.5", "Wed, 21 Oct 2015 07:28:30 CET"] {
        assert_eq!(parse_retry_after(bad, now), None, "{bad:?}");
    }
}
