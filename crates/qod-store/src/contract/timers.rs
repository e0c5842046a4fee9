//! Contract: due times.

use qod_domain::ports::SessionUpdate;
use qod_domain::{Timer, TimerKind};
use uuid::Uuid;

use super::Inspect;
use super::fixtures::{at, new_session, ok, phone, session, timer};

/// The claim lease the suite uses.
pub const LEASE: time::Duration = time::Duration::seconds(30);

/// Timers as (kind, due milliseconds after [`at`]'s origin).
type Planned = Vec<(TimerKind, i64)>;

/// Every timer of the session, claimed or not, by kind.
pub async fn timers_of(store: &dyn Inspect, session_id: Uuid) -> Vec<Timer> {
    ok(store.timers_of(session_id).await, "timers of a session")
}

/// Updates clear the listed kinds, then set (insert or move) one timer per kind.
pub async fn update_sets_clears_and_upserts_timers(store: &dyn Inspect) {
    let s = session(phone(60), "198.51.100.7");
    let mut new = new_session(&s);
    new.timers = vec![
        timer(&s, TimerKind::Activate, at(1_000)),
        timer(&s, TimerKind::NetworkTerminate, at(5_000)),
    ];
    ok(store.insert_session(new).await, "insert");

    let mut current = s.clone();
    // Each step: kinds cleared, timers set, then every timer expected.
    let steps: [(&[TimerKind], Planned, Planned); 4] = [
        (
            &[TimerKind::Activate],
            vec![(TimerKind::Expire, 8_000)],
            vec![
                (TimerKind::Expire, 8_000),
                (TimerKind::NetworkTerminate, 5_000),
            ],
        ),
        (
            &[],
            vec![(TimerKind::Expire, 9_000)],
            vec![
                (TimerKind::Expire, 9_000),
                (TimerKind::NetworkTerminate, 5_000),
            ],
        ),
        (
            &[TimerKind::NetworkTerminate, TimerKind::Expire],
            vec![(TimerKind::Purge, 10_000)],
            vec![(TimerKind::Purge, 10_000)],
        ),
        (
            &[TimerKind::Purge],
            vec![(TimerKind::Purge, 11_000)],
            vec![(TimerKind::Purge, 11_000)],
        ),
    ];
    for (clear, set, expected) in steps {
        let mut next = current.clone();
        next.version += 1;
        let update = SessionUpdate {
            session: next.clone(),
            set_timers: set.iter().map(|&(k, ms)| timer(&next, k, at(ms))).collect(),
            clear_timers: clear.to_vec(),
            change: None,
        };
        assert!(ok(store.update_session(update).await, "update"));
        let expected: Vec<Timer> = expected
            .iter()
            .map(|&(k, ms)| timer(&next, k, at(ms)))
            .collect();
        assert_eq!(
            timers_of(store, s.id).await,
            expected,
            "after clearing {clear:?}"
        );
        current = next;
    }
}

/// Claims return timers due at or before now, earliest first, at most `limit`; each timer once.
pub async fn claims_take_due_timers_earliest_first(store: &dyn Inspect) {
    let a = session(phone(70), "198.51.100.7");
    let b = session(phone(71), "198.51.100.7");
    let c = session(phone(72), "198.51.100.7");
    let plan = [
        (&a, TimerKind::Activate, 3_000),
        (&a, TimerKind::Expire, 5_000),
        (&b, TimerKind::NetworkTerminate, 1_000),
        (&c, TimerKind::Purge, 2_000),
    ];
    for s in [&a, &b, &c] {
        let mut new = new_session(s);
        new.timers = plan
            .iter()
            .filter(|(owner, _, _)| owner.id == s.id)
            .map(|&(owner, kind, ms)| timer(owner, kind, at(ms)))
            .collect();
        ok(store.insert_session(new).await, "insert");
    }
    let claim = async |now: i64, limit: usize| {
        ok(store.claim_due_timers(at(now), limit, LEASE).await, "claim")
    };
    assert!(claim(999, 10).await.is_empty(), "none due");
    assert!(claim(9_000, 0).await.is_empty(), "limit 0");
    assert_eq!(
        claim(3_000, 2).await,
        vec![
            timer(&b, TimerKind::NetworkTerminate, at(1_000)),
            timer(&c, TimerKind::Purge, at(2_000)),
        ]
    );
    assert_eq!(
        claim(3_000, 10).await,
        vec![timer(&a, TimerKind::Activate, at(3_000))]
    );
    assert!(claim(3_000, 10).await.is_empty(), "all due ones claimed");
    assert_eq!(
        claim(9_000, usize::MAX).await,
        vec![timer(&a, TimerKind::Expire, at(5_000))]
    );
}

/// `next_due_time` is the earliest due time, or nothing without timers.
pub async fn next_due_time_is_the_earliest(store: &dyn Inspect) {
    assert_eq!(ok(store.next_due_time().await, "empty store"), None);
    let s = session(phone(80), "198.51.100.7");
    let mut new = new_session(&s);
    new.timers = vec![
        timer(&s, TimerKind::Expire, at(7_000)),
        timer(&s, TimerKind::Activate, at(4_000)),
    ];
    ok(store.insert_session(new).await, "insert");
    let t = session(phone(81), "198.51.100.7");
    let mut new = new_session(&t);
    new.timers = vec![timer(&t, TimerKind::Purge, at(6_000))];
    ok(store.insert_session(new).await, "insert");
    assert_eq!(ok(store.next_due_time().await, "next"), Some(at(4_000)));

    let earliest = timer(&s, TimerKind::Activate, at(4_000));
    ok(store.reschedule_timer(earliest, None).await, "remove");
    assert_eq!(ok(store.next_due_time().await, "next"), Some(at(6_000)));
}

/// `reschedule_timer` moves or removes an existing timer and never creates one.
pub async fn reschedule_moves_and_removes(store: &dyn Inspect) {
    let s = session(phone(90), "198.51.100.7");
    let mut new = new_session(&s);
    let expire = timer(&s, TimerKind::Expire, at(1_000));
    let purge = timer(&s, TimerKind::Purge, at(2_000));
    new.timers = vec![expire, purge];
    ok(store.insert_session(new).await, "insert");

    ok(
        store.reschedule_timer(expire, Some(at(4_000))).await,
        "move",
    );
    assert_eq!(
        timers_of(store, s.id).await,
        vec![timer(&s, TimerKind::Expire, at(4_000)), purge]
    );
    assert_eq!(ok(store.next_due_time().await, "next"), Some(at(2_000)));

    ok(store.reschedule_timer(purge, None).await, "remove");
    assert_eq!(
        timers_of(store, s.id).await,
        vec![timer(&s, TimerKind::Expire, at(4_000))]
    );

    let absent = timer(&s, TimerKind::Activate, at(500));
    ok(
        store.reschedule_timer(absent, Some(at(600))).await,
        "move absent",
    );
    ok(store.reschedule_timer(absent, None).await, "remove absent");
    let orphan = timer(
        &session(phone(91), "198.51.100.7"),
        TimerKind::Expire,
        at(1),
    );
    ok(
        store.reschedule_timer(orphan, Some(at(2))).await,
        "unknown session",
    );
    assert_eq!(
        timers_of(store, s.id).await,
        vec![timer(&s, TimerKind::Expire, at(4_000))]
    );
    assert!(timers_of(store, orphan.session_id).await.is_empty());

    // A timer read before it was set anew is stale: moving or removing it changes nothing.
    let stale = timer(&s, TimerKind::Expire, at(1_000));
    ok(store.reschedule_timer(stale, None).await, "remove stale");
    ok(
        store.reschedule_timer(stale, Some(at(9_000))).await,
        "move stale",
    );
    assert_eq!(
        timers_of(store, s.id).await,
        vec![timer(&s, TimerKind::Expire, at(4_000))]
    );
}
