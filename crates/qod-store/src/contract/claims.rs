//! Contract: claims on due timers, within one store and across stores on one database.

use std::collections::HashSet;
use std::sync::Arc;

use qod_domain::TimerKind;
use qod_domain::ports::SessionUpdate;
use time::{Duration, OffsetDateTime};
use tokio::sync::Barrier;
use uuid::Uuid;

use super::Inspect;
use super::fixtures::{at, new_session, ok, phone, session, timer};
use super::timers::{LEASE, timers_of};

/// A claimed timer is not claimed again until its lease has passed; then it is. The next due
/// time counts a live claim's end, not the claimed timer's due time.
pub async fn a_claimed_timer_is_hidden_until_its_lease_ends(store: &dyn Inspect) {
    let a = session(phone(300), "198.51.100.7");
    let b = session(phone(301), "198.51.100.7");
    let expire = timer(&a, TimerKind::Expire, at(1_000));
    let purge = timer(&b, TimerKind::Purge, at(2_000));
    let late = timer(&b, TimerKind::NetworkTerminate, at(90_000));
    let mut new = new_session(&a);
    new.timers = vec![expire];
    ok(store.insert_session(new).await, "insert a");
    let mut new = new_session(&b);
    new.timers = vec![purge, late];
    ok(store.insert_session(new).await, "insert b");
    let claim =
        async |now: OffsetDateTime| ok(store.claim_due_timers(now, 10, LEASE).await, "claim");

    assert_eq!(claim(at(1_000)).await, vec![expire]);
    assert_eq!(claim(at(2_000)).await, vec![purge]);
    assert!(claim(at(2_000)).await.is_empty(), "both are claimed");
    let first_end = at(1_000) + LEASE;
    assert!(
        claim(first_end - Duration::milliseconds(1))
            .await
            .is_empty(),
        "the lease is not over a millisecond before its end"
    );
    assert_eq!(ok(store.next_due_time().await, "next"), Some(first_end));
    // Claimed timers stay stored as they were.
    assert_eq!(timers_of(store, a.id).await, vec![expire]);

    assert_eq!(
        claim(first_end).await,
        vec![expire],
        "a lease ending now is over"
    );
    assert_eq!(
        ok(store.next_due_time().await, "next"),
        Some(at(2_000) + LEASE)
    );
    assert_eq!(claim(at(2_000) + LEASE).await, vec![purge]);
    assert_eq!(
        ok(store.next_due_time().await, "next"),
        Some(at(1_000) + LEASE + LEASE),
        "the renewed claim on the expiry ends first"
    );
}

/// Setting a claimed timer anew, by an update's upsert or by a reschedule (even to the same
/// due time), makes it claimable at once.
pub async fn setting_a_timer_anew_clears_its_claim(store: &dyn Inspect) {
    let s = session(phone(310), "198.51.100.7");
    let expire = timer(&s, TimerKind::Expire, at(1_000));
    let activate = timer(&s, TimerKind::Activate, at(1_000));
    let purge = timer(&s, TimerKind::Purge, at(1_000));
    let mut new = new_session(&s);
    new.timers = vec![activate, expire, purge];
    ok(store.insert_session(new).await, "insert");
    let claim = async || ok(store.claim_due_timers(at(1_000), 10, LEASE).await, "claim");
    assert_eq!(claim().await.len(), 3);
    assert!(claim().await.is_empty());

    let mut next = s.clone();
    next.version += 1;
    let update = SessionUpdate {
        session: next.clone(),
        set_timers: vec![timer(&next, TimerKind::Expire, at(1_000))],
        clear_timers: Vec::new(),
        change: None,
    };
    assert!(ok(store.update_session(update).await, "update"));
    assert_eq!(claim().await, vec![expire], "upserted with its due time");

    ok(
        store.reschedule_timer(activate, Some(at(1_000))).await,
        "release",
    );
    assert_eq!(claim().await, vec![activate], "rescheduled to its due time");

    ok(store.reschedule_timer(purge, Some(at(500))).await, "move");
    assert_eq!(claim().await, vec![timer(&s, TimerKind::Purge, at(500))]);
    assert!(claim().await.is_empty());
}

/// Workers claiming at the same time, through one or more stores on one database, get every
/// due timer exactly once between them.
pub async fn concurrent_claims_take_each_timer_once(stores: Vec<Arc<dyn Inspect>>) {
    const SESSIONS: u32 = 60;
    const WORKERS: usize = 12;
    let Some(first) = stores.first() else {
        panic!("no store given");
    };
    for n in 0..SESSIONS {
        let s = session(phone(2_000 + n), "198.51.100.7");
        let mut new = new_session(&s);
        new.timers = vec![timer(&s, TimerKind::Expire, at(i64::from(n % 7)))];
        ok(first.insert_session(new).await, "insert");
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
                let got = ok(store.claim_due_timers(at(10), 4, LEASE).await, "claim");
                if got.is_empty() {
                    return mine;
                }
                mine.extend(got);
            }
        }));
    }
    let mut seen: HashSet<(Uuid, TimerKind)> = HashSet::new();
    for handle in handles {
        let claimed = match handle.await {
            Ok(claimed) => claimed,
            Err(e) => panic!("claiming task failed: {e}"),
        };
        for t in claimed {
            assert!(seen.insert((t.session_id, t.kind)), "claimed twice: {t:?}");
        }
    }
    assert_eq!(seen.len(), SESSIONS as usize, "every due timer is claimed");
}
