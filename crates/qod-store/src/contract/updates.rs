//! Contract: updating and deleting sessions, and the status changes they record.

use qod_domain::ports::SessionUpdate;
use qod_domain::{QosStatus, StatusInfo, TimerKind};
use uuid::Uuid;

use super::Inspect;
use super::fixtures::{
    at, change, full_session, new_session, ok, phone, session, timer, with_status,
};
use super::timers::timers_of;

/// An update replaces every field, including set optional fields with empty ones and back.
pub async fn update_replaces_every_field(store: &dyn Inspect) {
    let full = full_session();
    ok(store.insert_session(new_session(&full)).await, "insert");

    let mut bare = session(full.ue.clone(), "192.0.2.9");
    bare.id = full.id;
    bare.created_at = at(42);
    bare.version = full.version + 1;
    let update = SessionUpdate {
        session: bare.clone(),
        set_timers: Vec::new(),
        clear_timers: Vec::new(),
        change: None,
    };
    assert!(ok(store.update_session(update).await, "clear every field"));
    assert_eq!(ok(store.session(full.id).await, "get"), Some(bare.clone()));

    let mut refilled = full.clone();
    refilled.version = bare.version + 1;
    let update = SessionUpdate {
        session: refilled.clone(),
        set_timers: Vec::new(),
        clear_timers: Vec::new(),
        change: None,
    };
    assert!(ok(store.update_session(update).await, "set every field"));
    assert_eq!(ok(store.session(full.id).await, "get"), Some(refilled));
}

/// An update is written only over the version it was derived from; a stale or unknown one
/// writes nothing at all.
pub async fn update_checks_the_version(store: &dyn Inspect) {
    let s = session(phone(30), "198.51.100.7");
    let mut new = new_session(&s);
    new.timers = vec![timer(&s, TimerKind::Activate, at(1_000))];
    ok(store.insert_session(new).await, "insert");

    let Ok(active) = s.activated(at(1_000)) else {
        panic!("fixture session cannot be activated");
    };
    let activation = change(&active, at(1_000));
    let update = SessionUpdate {
        session: active.clone(),
        set_timers: vec![timer(&active, TimerKind::Expire, at(61_000))],
        clear_timers: vec![TimerKind::Activate],
        change: Some(activation.clone()),
    };
    assert!(ok(store.update_session(update).await, "update"));
    assert_eq!(ok(store.session(s.id).await, "get"), Some(active.clone()));

    // Derived from version 1 too: must be refused now that version 2 is stored.
    let stale = with_status(
        &s,
        QosStatus::Unavailable,
        Some(StatusInfo::NetworkTerminated),
    );
    let stale_update = SessionUpdate {
        session: stale.clone(),
        set_timers: vec![timer(&stale, TimerKind::Purge, at(2_000))],
        clear_timers: vec![TimerKind::Expire],
        change: Some(change(&stale, at(2_000))),
    };
    assert!(!ok(
        store.update_session(stale_update).await,
        "stale update"
    ));

    // Skipping a version is refused as well.
    let mut jump = active.clone();
    jump.version += 2;
    let jump_update = SessionUpdate {
        session: jump,
        set_timers: Vec::new(),
        clear_timers: Vec::new(),
        change: None,
    };
    assert!(!ok(store.update_session(jump_update).await, "version jump"));

    assert_eq!(ok(store.session(s.id).await, "get"), Some(active.clone()));
    assert_eq!(
        timers_of(store, s.id).await,
        vec![timer(&active, TimerKind::Expire, at(61_000))]
    );
    let changes = ok(store.status_changes(s.id).await, "changes");
    assert_eq!(changes.len(), 2);
    assert_eq!(changes.last(), Some(&activation));

    let ghost = with_status(
        &session(phone(31), "198.51.100.7"),
        QosStatus::Available,
        None,
    );
    let ghost_update = SessionUpdate {
        change: Some(change(&ghost, at(5))),
        session: ghost.clone(),
        set_timers: vec![timer(&ghost, TimerKind::Expire, at(5))],
        clear_timers: Vec::new(),
    };
    assert!(!ok(
        store.update_session(ghost_update).await,
        "unknown session"
    ));
    assert!(ok(store.status_changes(ghost.id).await, "changes").is_empty());
    assert!(timers_of(store, ghost.id).await.is_empty());
}

/// A delete needs the stored version; the session's timers go with it, its changes stay.
pub async fn delete_checks_the_version_and_keeps_changes(store: &dyn Inspect) {
    let s = session(phone(40), "198.51.100.7");
    let mut new = new_session(&s);
    new.timers = vec![
        timer(&s, TimerKind::Activate, at(1_000)),
        timer(&s, TimerKind::NetworkTerminate, at(2_000)),
    ];
    let created = new.change.clone();
    ok(store.insert_session(new).await, "insert");

    assert!(!ok(
        store.delete_session(s.id, s.version + 1, None).await,
        "wrong version"
    ));
    assert!(ok(store.session(s.id).await, "get").is_some());
    assert_eq!(timers_of(store, s.id).await.len(), 2);

    let gone = with_status(
        &s,
        QosStatus::Unavailable,
        Some(StatusInfo::DeleteRequested),
    );
    let deletion = change(&gone, at(3_000));
    assert!(ok(
        store
            .delete_session(s.id, s.version, Some(deletion.clone()))
            .await,
        "delete"
    ));
    assert_eq!(ok(store.session(s.id).await, "get"), None);
    assert!(timers_of(store, s.id).await.is_empty(), "timers cascade");
    assert_eq!(ok(store.next_due_time().await, "next due"), None);
    let expected: Vec<_> = created.into_iter().chain([deletion]).collect();
    assert_eq!(ok(store.status_changes(s.id).await, "changes"), expected);

    assert!(!ok(
        store
            .delete_session(s.id, s.version, Some(change(&gone, at(4_000))))
            .await,
        "delete again"
    ));
    assert_eq!(ok(store.status_changes(s.id).await, "changes"), expected);
    assert!(!ok(
        store.delete_session(Uuid::new_v4(), 1, None).await,
        "delete unknown"
    ));
}

/// Changes come back in the order they were recorded (not by time or id), per session.
pub async fn status_changes_in_recorded_order(store: &dyn Inspect) {
    let a = session(phone(50), "198.51.100.7");
    let b = session(phone(51), "198.51.100.7");
    let mut expected = Vec::new();
    let new_a = new_session(&a);
    expected.extend(new_a.change.clone());
    ok(store.insert_session(new_a).await, "insert a");
    ok(store.insert_session(new_session(&b)).await, "insert b");

    let mut current = a.clone();
    for (status, info) in [
        (QosStatus::Available, None),
        (QosStatus::Unavailable, Some(StatusInfo::NetworkTerminated)),
    ] {
        let next = with_status(&current, status, info);
        // Same timestamp on purpose: order is the recording order.
        let c = change(&next, at(9_000));
        expected.push(c.clone());
        let update = SessionUpdate {
            session: next.clone(),
            set_timers: Vec::new(),
            clear_timers: Vec::new(),
            change: Some(c),
        };
        assert!(ok(store.update_session(update).await, "update a"));
        let b_next = with_status(&b, QosStatus::Available, None);
        let b_update = SessionUpdate {
            change: Some(change(&b_next, at(9_000))),
            session: b_next,
            set_timers: Vec::new(),
            clear_timers: Vec::new(),
        };
        // Only the first of these applies; both calls interleave with a's changes.
        let _ = ok(store.update_session(b_update).await, "update b");
        current = next;
    }
    assert_eq!(ok(store.status_changes(a.id).await, "changes a"), expected);
    assert_eq!(ok(store.status_changes(b.id).await, "changes b").len(), 2);
    assert!(ok(store.status_changes(Uuid::new_v4()).await, "unknown").is_empty());
}
