//! Extending and deleting a session, also when the network fails or another change wins a race.

#![allow(clippy::unwrap_used, clippy::expect_used)]

#[allow(dead_code)] // each test file uses only some of the shared helpers
mod common;

use std::sync::atomic::Ordering;

use common::harness::{ALICE, Harness, T0, client, request, secs, statuses, timer};
use qod_domain::{DomainError, QosStatus, StatusInfo, TimerKind};

// ---------------------------------------------------------------- extend

#[tokio::test]
async fn extension_moves_the_expiry_and_tells_the_network() {
    let h = Harness::new();
    let caller = client("a");
    let s = h.create(&caller, request(ALICE, "QOS_E", 10)).await;
    h.advance(4).await;
    let next = h.service.extend(&caller, s.id, 20).await.unwrap();
    assert_eq!(next.duration_secs, 30);
    assert_eq!(next.expires_at, Some(T0 + secs(30)));
    assert_eq!(next.version, s.version + 1);
    assert_eq!(h.session(s.id), next);
    assert_eq!(
        h.store.timers_of(s.id),
        vec![timer(&s, TimerKind::Expire, T0 + secs(30))]
    );
    assert_eq!(
        h.network.lifetimes(),
        vec![(
            s.network_resource.clone().unwrap(),
            std::time::Duration::from_secs(26)
        )]
    );
    // No status change for an extension.
    assert_eq!(h.store.changes_of(s.id).len(), 1);

    // The old end passes unnoticed; the new one ends it.
    h.advance(6).await;
    assert_eq!(h.session(s.id).status, QosStatus::Available);
    h.advance(20).await;
    let ended = h.session(s.id);
    assert_eq!(ended.status, QosStatus::Unavailable);
    assert_eq!(ended.status_info, Some(StatusInfo::DurationExpired));
    assert_eq!(ended.expires_at, Some(T0 + secs(30)));
    assert_eq!(h.store.changes_of(s.id)[1].at, T0 + secs(30));
}

#[tokio::test]
async fn extension_is_capped_at_the_profile_maximum() {
    let h = Harness::new();
    let caller = client("a");
    let s = h.create(&caller, request(ALICE, "QOS_E", 86_000)).await;
    h.clock.advance(secs(100));
    let next = h.service.extend(&caller, s.id, 1_000).await.unwrap();
    assert_eq!(next.duration_secs, 86_400);
    assert_eq!(next.expires_at, Some(T0 + secs(86_400)));
    assert_eq!(
        h.store.timer(s.id, TimerKind::Expire).map(|t| t.due_at),
        Some(T0 + secs(86_400))
    );
    assert_eq!(
        h.network.lifetimes().last().map(|(_, d)| *d),
        Some(std::time::Duration::from_secs(86_300))
    );

    let again = h.service.extend(&caller, s.id, 1).await.unwrap();
    assert_eq!(again.duration_secs, 86_400);
    assert_eq!(again.expires_at, Some(T0 + secs(86_400)));
}

#[tokio::test]
async fn only_available_sessions_can_be_extended() {
    let h = Harness::new();
    let caller = client("a");
    let pending = h
        .create(&caller, request("+99999990202", "QOS_E", 60))
        .await;
    let err = h.service.extend(&caller, pending.id, 60).await.unwrap_err();
    assert!(
        matches!(err, DomainError::ExtensionNotAllowed(QosStatus::Requested)),
        "{err:?}"
    );
    assert_eq!(h.session(pending.id), pending);

    let short = h.create(&caller, request(ALICE, "QOS_E", 5)).await;
    h.advance(5).await;
    let err = h.service.extend(&caller, short.id, 60).await.unwrap_err();
    assert!(
        matches!(
            err,
            DomainError::ExtensionNotAllowed(QosStatus::Unavailable)
        ),
        "{err:?}"
    );
    assert!(h.network.lifetimes().is_empty());
}

// ---------------------------------------------------------------- delete

#[tokio::test]
async fn deleting_an_available_session_releases_it_and_records_delete_requested() {
    let h = Harness::new();
    let caller = client("a");
    let s = h.create(&caller, request(ALICE, "QOS_E", 600)).await;
    h.clock.advance(secs(30));
    h.service.delete(&caller, s.id).await.unwrap();

    assert!(h.store.stored(s.id).is_none());
    assert!(h.store.timers_of(s.id).is_empty());
    assert_eq!(
        h.network.releases(),
        vec![s.network_resource.clone().unwrap()]
    );
    assert_eq!(
        statuses(&h.store.changes_of(s.id)),
        vec![
            (QosStatus::Available, None, T0),
            (
                QosStatus::Unavailable,
                Some(StatusInfo::DeleteRequested),
                T0 + secs(30)
            ),
        ]
    );
    assert!(matches!(
        h.service.get(&caller, s.id).await,
        Err(DomainError::NotFound)
    ));
    assert!(matches!(
        h.service.delete(&caller, s.id).await,
        Err(DomainError::NotFound)
    ));
}

#[tokio::test]
async fn deleting_a_requested_session_records_delete_requested() {
    let h = Harness::new();
    let caller = client("a");
    let s = h
        .create(&caller, request("+99999990202", "QOS_E", 60))
        .await;
    h.service.delete(&caller, s.id).await.unwrap();
    assert_eq!(
        statuses(&h.store.changes_of(s.id)),
        vec![(
            QosStatus::Unavailable,
            Some(StatusInfo::DeleteRequested),
            T0
        )]
    );
    // The pending activation no longer fires.
    h.advance(5).await;
    assert!(h.store.stored(s.id).is_none());
    assert_eq!(h.store.changes_of(s.id).len(), 1);
}

#[tokio::test]
async fn deleting_an_unavailable_session_records_nothing() {
    let h = Harness::new();
    let caller = client("a");
    let s = h.create(&caller, request(ALICE, "QOS_E", 5)).await;
    h.advance(5).await;
    let before = h.store.changes_of(s.id);
    assert_eq!(before.len(), 2);
    let releases = h.network.releases().len();

    h.service.delete(&caller, s.id).await.unwrap();
    assert!(h.store.stored(s.id).is_none());
    assert!(h.store.timers_of(s.id).is_empty());
    assert_eq!(h.store.changes_of(s.id), before);
    assert_eq!(h.network.releases().len(), releases);
}

// ---------------------------------------------------------------- network failures and races

#[tokio::test]
async fn a_delete_the_network_cannot_release_changes_nothing() {
    let h = Harness::new();
    let caller = client("a");
    let s = h.create(&caller, request(ALICE, "QOS_E", 600)).await;
    h.network.set_down(true);
    let err = h.service.delete(&caller, s.id).await.unwrap_err();
    assert!(matches!(err, DomainError::NetworkUnavailable(_)), "{err:?}");
    assert_eq!(h.session(s.id), s);
    assert_eq!(h.store.changes_of(s.id).len(), 1);
}

#[tokio::test]
async fn an_extension_the_network_cannot_apply_changes_nothing() {
    let h = Harness::new();
    let caller = client("a");
    let s = h.create(&caller, request(ALICE, "QOS_E", 600)).await;
    h.network.set_down(true);
    let err = h.service.extend(&caller, s.id, 60).await.unwrap_err();
    assert!(matches!(err, DomainError::NetworkUnavailable(_)), "{err:?}");
    assert_eq!(h.session(s.id), s);
    assert_eq!(
        h.store.timers_of(s.id),
        vec![timer(&s, TimerKind::Expire, T0 + secs(600))]
    );
}

#[tokio::test]
async fn extend_and_delete_retry_after_losing_a_race() {
    let h = Harness::new();
    let caller = client("a");
    let s = h.create(&caller, request(ALICE, "QOS_E", 600)).await;

    h.store.lost_races.store(1, Ordering::SeqCst);
    let next = h.service.extend(&caller, s.id, 60).await.unwrap();
    assert_eq!(next.duration_secs, 660);
    assert_eq!(h.session(s.id).version, s.version + 1);

    h.store.lost_races.store(1, Ordering::SeqCst);
    h.service.delete(&caller, s.id).await.unwrap();
    assert!(h.store.stored(s.id).is_none());
    let delete_changes = h
        .store
        .changes_of(s.id)
        .into_iter()
        .filter(|c| c.status_info == Some(StatusInfo::DeleteRequested))
        .count();
    assert_eq!(delete_changes, 1);
}

#[tokio::test]
async fn extend_and_delete_give_up_with_a_conflict_after_repeated_races() {
    let h = Harness::new();
    let caller = client("a");
    let s = h.create(&caller, request(ALICE, "QOS_E", 600)).await;

    h.store.lost_races.store(usize::MAX, Ordering::SeqCst);
    let err = h.service.extend(&caller, s.id, 60).await.unwrap_err();
    assert!(matches!(err, DomainError::Conflict), "{err:?}");
    let err = h.service.delete(&caller, s.id).await.unwrap_err();
    assert!(matches!(err, DomainError::Conflict), "{err:?}");
    assert_eq!(h.session(s.id), s);
}
