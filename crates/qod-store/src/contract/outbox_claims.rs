//! Contract: claims on outbox events — order per session, room per sink origin, leases, and
//! concurrent dispatchers.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use qod_domain::ports::SessionUpdate;
use qod_domain::{AttemptOutcome, EventClaim, QosStatus, StatusInfo};
use time::Duration;
use tokio::sync::Barrier;
use uuid::Uuid;

use super::Inspect;
use super::fixtures::{at, change, claim_at, new_session, ok, phone, session, with_status};
use super::outbox::{events_of, record, with_sink};
use super::timers::LEASE;

/// Only the oldest pending event of a session is due: the next one waits while it is claimed
/// or retried, and becomes due once it is delivered or given up.
pub async fn events_of_a_session_are_claimed_in_order(store: &dyn Inspect) {
    let s = with_sink(
        &session(phone(500), "198.51.100.7"),
        "https://a.example.com/cb",
    );
    ok(store.insert_session(new_session(&s)).await, "insert");
    let mut current = s.clone();
    for n in 1..=2 {
        let next = with_status(&current, QosStatus::Available, None);
        let update = SessionUpdate {
            session: next.clone(),
            set_timers: Vec::new(),
            clear_timers: Vec::new(),
            change: Some(change(&next, at(n * 100))),
        };
        assert!(ok(store.update_session(update).await, "update"));
        current = next;
    }
    let ids: Vec<Uuid> = events_of(store, s.id).await.iter().map(|e| e.id).collect();
    assert_eq!(ids.len(), 3);

    let now = at(1_000);
    let claimed = claim_at(store, now, 10).await;
    assert_eq!(
        claimed.iter().map(|e| e.id).collect::<Vec<_>>(),
        vec![ids[0]]
    );
    assert!(claim_at(store, now, 10).await.is_empty(), "the next waits");
    assert_eq!(
        ok(store.next_event_time(&[]).await, "next"),
        Some(now + LEASE),
        "the claimed head's lease end"
    );

    let retry = now + Duration::seconds(60);
    let outcome = AttemptOutcome::Retry {
        next_attempt_at: retry,
    };
    assert!(record(store, ids[0], now, outcome).await);
    assert!(
        claim_at(store, now + Duration::seconds(59), 10)
            .await
            .is_empty(),
        "a retried head holds the session back"
    );
    let claimed = claim_at(store, retry, 10).await;
    assert_eq!(claimed[0].id, ids[0]);
    assert!(record(store, ids[0], retry, AttemptOutcome::Failed).await);

    let claimed = claim_at(store, retry, 10).await;
    assert_eq!(
        claimed.iter().map(|e| e.id).collect::<Vec<_>>(),
        vec![ids[1]]
    );
    assert!(record(store, ids[1], retry, AttemptOutcome::Delivered).await);
    let claimed = claim_at(store, retry, 10).await;
    assert_eq!(
        claimed.iter().map(|e| e.id).collect::<Vec<_>>(),
        vec![ids[2]]
    );
}

/// A claim takes at most its room per origin and its limit in all, earliest first, skipping
/// origins without room; the next event time ignores skipped origins.
pub async fn claims_respect_the_room_of_each_origin(store: &dyn Inspect) {
    let slow = "https://slow.example.com/cb";
    let fast = "https://fast.example.com/cb";
    let mut ids: HashMap<&str, Vec<Uuid>> = HashMap::new();
    for n in 0..6u32 {
        let url = if n < 4 { slow } else { fast };
        let mut s = with_sink(&session(phone(510 + n), "198.51.100.7"), url);
        s.created_at = at(i64::from(n));
        ok(store.insert_session(new_session(&s)).await, "insert");
        ids.entry(url)
            .or_default()
            .push(events_of(store, s.id).await[0].id);
    }
    let slow_origin = "https://slow.example.com:443".to_owned();
    let fast_origin = "https://fast.example.com:443".to_owned();
    let claim = |limit, per_origin, room: &[(&String, usize)]| EventClaim {
        now: at(100),
        lease: LEASE,
        limit,
        per_origin,
        origin_room: room.iter().map(|(o, n)| ((*o).clone(), *n)).collect(),
    };

    let got = ok(
        store
            .claim_events(&claim(10, 10, &[(&slow_origin, 0)]))
            .await,
        "claim",
    );
    let got: Vec<Uuid> = got.iter().map(|e| e.id).collect();
    assert_eq!(got, ids[fast], "a full origin is skipped");
    assert_eq!(
        ok(
            store
                .next_event_time(std::slice::from_ref(&slow_origin))
                .await,
            "next"
        ),
        Some(at(100) + LEASE),
        "only the claimed fast events count"
    );
    assert_eq!(
        ok(store.next_event_time(&[]).await, "next"),
        Some(at(0)),
        "the slow events are due"
    );

    let got = ok(
        store
            .claim_events(&claim(10, 3, &[(&slow_origin, 1)]))
            .await,
        "claim",
    );
    assert_eq!(got.len(), 1, "the origin's own room");
    assert_eq!(got[0].id, ids[slow][0], "earliest first");
    let got = ok(store.claim_events(&claim(2, 2, &[])).await, "claim");
    let got: Vec<Uuid> = got.iter().map(|e| e.id).collect();
    assert_eq!(got, ids[slow][1..3].to_vec(), "per origin and in all");
    assert!(got.iter().all(|id| !ids[fast].contains(id)));
    let got = ok(
        store
            .claim_events(&claim(10, 10, &[(&fast_origin, 0)]))
            .await,
        "claim",
    );
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].id, ids[slow][3]);
    assert!(ok(store.claim_events(&claim(10, 10, &[])).await, "claim").is_empty());
}

/// Dispatchers claiming at the same time, through one or more stores on one database, get
/// every due event exactly once between them, and never two events of one session.
pub async fn concurrent_event_claims_take_each_event_once(stores: Vec<Arc<dyn Inspect>>) {
    const SESSIONS: u32 = 40;
    const WORKERS: usize = 8;
    let Some(first) = stores.first() else {
        panic!("no store given");
    };
    for n in 0..SESSIONS {
        let url = format!("https://sink{}.example.com/cb", n % 5);
        let s = with_sink(&session(phone(3_000 + n), "198.51.100.7"), &url);
        ok(first.insert_session(new_session(&s)).await, "insert");
        let ended = with_status(
            &s,
            QosStatus::Unavailable,
            Some(StatusInfo::NetworkTerminated),
        );
        let update = SessionUpdate {
            session: ended.clone(),
            set_timers: Vec::new(),
            clear_timers: Vec::new(),
            change: Some(change(&ended, at(1))),
        };
        assert!(ok(first.update_session(update).await, "terminate"));
    }
    let barrier = Arc::new(Barrier::new(WORKERS));
    let mut handles = Vec::with_capacity(WORKERS);
    for w in 0..WORKERS {
        let store = Arc::clone(&stores[w % stores.len()]);
        let barrier = Arc::clone(&barrier);
        handles.push(tokio::spawn(async move {
            barrier.wait().await;
            let mut mine = Vec::new();
            loop {
                let got = ok(
                    store
                        .claim_events(&EventClaim {
                            now: at(10),
                            lease: LEASE,
                            limit: 3,
                            per_origin: 3,
                            origin_room: HashMap::new(),
                        })
                        .await,
                    "claim",
                );
                if got.is_empty() {
                    return mine;
                }
                mine.extend(got);
            }
        }));
    }
    let mut seen: HashSet<Uuid> = HashSet::new();
    let mut sessions: HashSet<Uuid> = HashSet::new();
    for handle in handles {
        let claimed = match handle.await {
            Ok(claimed) => claimed,
            Err(e) => panic!("claiming task failed: {e}"),
        };
        for event in claimed {
            assert!(seen.insert(event.id), "claimed twice: {event:?}");
            assert!(
                sessions.insert(event.session_id),
                "two events of one session claimed at once: {event:?}"
            );
        }
    }
    assert_eq!(
        seen.len(),
        SESSIONS as usize,
        "each session's first event, once"
    );
}
