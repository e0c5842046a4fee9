//! The session timers: activation, network termination, expiry and purge, and how due timers
//! fire when the network fails, a write loses a race or several instances share a store.

#![allow(clippy::unwrap_used, clippy::expect_used)]

#[allow(dead_code)] // each test file uses only some of the shared helpers
mod common;

use std::sync::Arc;
use std::sync::atomic::Ordering;

use common::harness::{ALICE, BOB, Harness, T0, client, request, secs, statuses, timer};
use qod_domain::{
    Clock, DomainError, QosStatus, SessionRules, SessionService, SessionStore, StaticCatalogue,
    StatusInfo, TimerKind,
};

#[tokio::test]
async fn a_pending_session_is_requested_and_becomes_available_when_activated() {
    let h = Harness::new();
    let s = h
        .create(&client("client-a"), request("+99999990202", "QOS_E", 60))
        .await;
    assert_eq!(s.status, QosStatus::Requested);
    assert_eq!(s.started_at, None);
    assert_eq!(s.expires_at, None);
    assert_eq!(
        h.store.timers_of(s.id),
        vec![timer(&s, TimerKind::Activate, T0 + secs(2))]
    );
    assert!(h.store.changes_of(s.id).is_empty());
    assert_eq!(h.wakeup.calls(), vec![T0 + secs(2)]);

    // Not yet.
    h.advance(1).await;
    assert_eq!(h.session(s.id).status, QosStatus::Requested);

    // The activation counts from the network's activation time, not from when it was noticed.
    h.advance(2).await;
    let active = h.session(s.id);
    assert_eq!(active.status, QosStatus::Available);
    assert_eq!(active.started_at, Some(T0 + secs(2)));
    assert_eq!(active.expires_at, Some(T0 + secs(62)));
    assert_eq!(active.version, s.version + 1);
    assert_eq!(
        h.store.timers_of(s.id),
        vec![timer(&s, TimerKind::Expire, T0 + secs(62))]
    );
    assert_eq!(
        statuses(&h.store.changes_of(s.id)),
        vec![(QosStatus::Available, None, T0 + secs(2))]
    );
    assert_eq!(h.wakeup.calls().last(), Some(&(T0 + secs(62))));

    // And it expires at the end of its own duration.
    h.advance(59).await;
    let ended = h.session(s.id);
    assert_eq!(ended.status, QosStatus::Unavailable);
    assert_eq!(ended.status_info, Some(StatusInfo::DurationExpired));
    assert_eq!(ended.expires_at, Some(T0 + secs(62)));
}

#[tokio::test]
async fn a_refused_session_becomes_unavailable_and_is_purged_after_retention() {
    let h = Harness::new();
    let s = h
        .create(&client("client-a"), request("+99999990503", "QOS_E", 600))
        .await;
    assert_eq!(s.status, QosStatus::Requested);
    assert_eq!(
        h.store.timers_of(s.id),
        vec![timer(&s, TimerKind::NetworkTerminate, T0 + secs(1))]
    );

    h.advance(1).await;
    let ended = h.session(s.id);
    assert_eq!(ended.status, QosStatus::Unavailable);
    assert_eq!(ended.status_info, Some(StatusInfo::NetworkTerminated));
    assert_eq!(ended.started_at, None);
    assert_eq!(ended.expires_at, Some(T0 + secs(1)));
    assert_eq!(ended.duration_secs, 600);
    assert_eq!(
        statuses(&h.store.changes_of(s.id)),
        vec![(
            QosStatus::Unavailable,
            Some(StatusInfo::NetworkTerminated),
            T0 + secs(1)
        )]
    );
    assert_eq!(
        h.store.timers_of(s.id),
        vec![timer(&s, TimerKind::Purge, T0 + secs(361))]
    );
    assert_eq!(h.wakeup.calls().last(), Some(&(T0 + secs(361))));

    // Still readable during the retention.
    h.advance(359).await;
    let caller = client("client-a");
    assert_eq!(h.service.get(&caller, s.id).await.unwrap(), ended);

    h.advance(1).await;
    assert!(h.store.stored(s.id).is_none());
    assert!(h.store.timers_of(s.id).is_empty());
    assert!(matches!(
        h.service.get(&caller, s.id).await,
        Err(DomainError::NotFound)
    ));
}

#[tokio::test]
async fn a_session_the_network_terminates_records_its_effective_duration() {
    let h = Harness::new();
    let s = h
        .create(&client("client-a"), request("+99999990410", "QOS_E", 600))
        .await;
    assert_eq!(s.status, QosStatus::Available);
    assert_eq!(
        h.store.timers_of(s.id),
        vec![
            timer(&s, TimerKind::NetworkTerminate, T0 + secs(5)),
            timer(&s, TimerKind::Expire, T0 + secs(600)),
        ]
    );
    assert_eq!(h.wakeup.calls(), vec![T0 + secs(5)]);

    h.advance(4).await;
    assert_eq!(h.session(s.id).status, QosStatus::Available);

    h.advance(1).await;
    let ended = h.session(s.id);
    assert_eq!(ended.status, QosStatus::Unavailable);
    assert_eq!(ended.status_info, Some(StatusInfo::NetworkTerminated));
    assert_eq!(ended.duration_secs, 5);
    assert_eq!(ended.expires_at, Some(T0 + secs(5)));
    assert_eq!(
        statuses(&h.store.changes_of(s.id)),
        vec![
            (QosStatus::Available, None, T0),
            (
                QosStatus::Unavailable,
                Some(StatusInfo::NetworkTerminated),
                T0 + secs(5)
            ),
        ]
    );
    // The expiry no longer applies; only the purge remains.
    assert_eq!(
        h.store.timers_of(s.id),
        vec![timer(&s, TimerKind::Purge, T0 + secs(365))]
    );
}

#[tokio::test]
async fn expiry_makes_the_session_unavailable_exactly_once() {
    let h = Harness::new();
    let s = h
        .create(&client("client-a"), request(ALICE, "QOS_E", 10))
        .await;

    h.advance(9).await;
    assert_eq!(h.session(s.id).status, QosStatus::Available);
    assert!(h.network.releases().is_empty());

    h.advance(1).await;
    let ended = h.session(s.id);
    assert_eq!(ended.status, QosStatus::Unavailable);
    assert_eq!(ended.status_info, Some(StatusInfo::DurationExpired));
    assert_eq!(ended.expires_at, Some(T0 + secs(10)));
    assert_eq!(ended.duration_secs, 10);
    assert_eq!(
        h.network.releases(),
        vec![s.network_resource.clone().unwrap()]
    );
    assert_eq!(
        h.store.timers_of(s.id),
        vec![timer(&s, TimerKind::Purge, T0 + secs(370))]
    );

    h.advance(100).await;
    let expired: Vec<_> = h
        .store
        .changes_of(s.id)
        .into_iter()
        .filter(|c| c.status_info == Some(StatusInfo::DurationExpired))
        .collect();
    assert_eq!(expired.len(), 1);
    assert_eq!(expired[0].status, QosStatus::Unavailable);
    assert_eq!(expired[0].at, T0 + secs(10));
    assert_eq!(h.store.changes_of(s.id).len(), 2);
    assert_eq!(h.network.releases().len(), 1);
}

#[tokio::test]
async fn a_late_expiry_is_dated_at_the_planned_end() {
    let h = Harness::new();
    let s = h
        .create(&client("client-a"), request(ALICE, "QOS_E", 10))
        .await;
    h.advance(25).await;
    let changes = h.store.changes_of(s.id);
    assert_eq!(
        statuses(&changes[1..]),
        vec![(
            QosStatus::Unavailable,
            Some(StatusInfo::DurationExpired),
            T0 + secs(10)
        )]
    );
    assert_eq!(
        h.store.timers_of(s.id),
        vec![timer(&s, TimerKind::Purge, T0 + secs(370))]
    );
}

#[tokio::test]
async fn a_failed_release_at_expiry_is_retried_and_the_session_stays_available_meanwhile() {
    let h = Harness::new();
    let s = h.create(&client("a"), request(ALICE, "QOS_E", 10)).await;
    h.network.set_down(true);
    h.advance(10).await;
    assert_eq!(h.session(s.id).status, QosStatus::Available);
    assert_eq!(h.network.releases().len(), 1);
    assert_eq!(
        h.store.timers_of(s.id),
        vec![timer(&s, TimerKind::Expire, T0 + secs(15))]
    );
    assert_eq!(h.store.changes_of(s.id).len(), 1);

    h.network.set_down(false);
    h.advance(5).await;
    let ended = h.session(s.id);
    assert_eq!(ended.status, QosStatus::Unavailable);
    assert_eq!(ended.status_info, Some(StatusInfo::DurationExpired));
    assert_eq!(h.network.releases().len(), 2);
    let changes = h.store.changes_of(s.id);
    assert_eq!(changes.len(), 2);
    assert_eq!(changes[1].at, T0 + secs(10), "dated at the planned end");
    assert_eq!(
        h.store.timers_of(s.id),
        vec![timer(&s, TimerKind::Purge, T0 + secs(370))]
    );
}

// ---------------------------------------------------------------- firing

#[tokio::test]
async fn a_timer_that_loses_a_race_stays_and_fires_on_the_next_pass() {
    let h = Harness::new();
    let s = h
        .create(&client("a"), request("+99999990202", "QOS_E", 60))
        .await;
    h.clock.advance(secs(2));
    h.store.lost_races.store(1, Ordering::SeqCst);
    assert_eq!(h.service.fire_due_timers(100).await.unwrap(), 1);
    assert_eq!(h.session(s.id).status, QosStatus::Requested);
    assert_eq!(
        h.store.timers_of(s.id),
        vec![timer(&s, TimerKind::Activate, T0 + secs(2))]
    );

    assert_eq!(h.service.fire_due_timers(100).await.unwrap(), 1);
    let active = h.session(s.id);
    assert_eq!(active.status, QosStatus::Available);
    assert_eq!(active.started_at, Some(T0 + secs(2)));
    assert_eq!(h.store.changes_of(s.id).len(), 1);
}

#[tokio::test]
async fn fire_due_timers_honours_its_limit() {
    let h = Harness::new();
    let a = h.create(&client("a"), request(ALICE, "QOS_E", 10)).await;
    let b = h.create(&client("a"), request(BOB, "QOS_E", 20)).await;
    h.clock.advance(secs(30));
    assert_eq!(h.service.fire_due_timers(1).await.unwrap(), 1);
    assert_eq!(h.session(a.id).status, QosStatus::Unavailable);
    assert_eq!(h.session(b.id).status, QosStatus::Available);
    assert_eq!(h.service.fire_due_timers(1).await.unwrap(), 1);
    assert_eq!(h.session(b.id).status, QosStatus::Unavailable);
    assert_eq!(h.service.fire_due_timers(1).await.unwrap(), 0);
}

#[tokio::test]
async fn a_timer_claimed_by_an_instance_that_died_fires_once_its_lease_is_over() {
    let h = Harness::new();
    let s = h.create(&client("a"), request(ALICE, "QOS_E", 10)).await;
    h.clock.advance(secs(10));
    let lease = SessionRules::default().claim_lease;
    // Another instance claims the expiry, then dies before firing it.
    let claimed = h
        .store
        .claim_due_timers(h.clock.now(), 10, lease)
        .await
        .unwrap();
    assert_eq!(claimed, vec![timer(&s, TimerKind::Expire, T0 + secs(10))]);

    assert_eq!(h.service.fire_due_timers(100).await.unwrap(), 0);
    assert_eq!(
        h.service.next_due_time().await.unwrap(),
        Some(T0 + secs(10) + lease),
        "the worker sleeps until the claim runs out"
    );
    h.clock.advance(lease - secs(1));
    assert_eq!(h.service.fire_due_timers(100).await.unwrap(), 0);
    assert_eq!(h.session(s.id).status, QosStatus::Available);

    h.clock.advance(secs(1));
    assert_eq!(h.service.fire_due_timers(100).await.unwrap(), 1);
    let ended = h.session(s.id);
    assert_eq!(ended.status, QosStatus::Unavailable);
    assert_eq!(ended.status_info, Some(StatusInfo::DurationExpired));
    assert_eq!(h.store.changes_of(s.id).len(), 2);
}

#[tokio::test]
async fn two_services_on_one_store_fire_a_due_timer_once() {
    let h = Harness::new();
    let other = SessionService::new(
        h.store.clone(),
        h.network.clone(),
        Arc::new(StaticCatalogue::sandbox()),
        h.clock.clone(),
        h.wakeup.clone(),
        SessionRules::default(),
    );
    let s = h.create(&client("a"), request(ALICE, "QOS_E", 10)).await;
    h.clock.advance(secs(10));
    let (a, b) = tokio::join!(h.service.fire_due_timers(100), other.fire_due_timers(100));
    assert_eq!(a.unwrap() + b.unwrap(), 1);
    assert_eq!(h.session(s.id).status, QosStatus::Unavailable);
    assert_eq!(h.store.changes_of(s.id).len(), 2);
    assert_eq!(h.network.releases().len(), 1);
}

#[test]
fn the_system_clock_reads_whole_milliseconds_in_utc() {
    let now = qod_domain::SystemClock.now();
    assert_eq!(now.nanosecond() % 1_000_000, 0);
    assert!(now.offset().is_utc());
}
