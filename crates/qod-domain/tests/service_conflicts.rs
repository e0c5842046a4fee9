//! When the service refuses a new session because of the sessions already there: overlapping
//! flows of the same device, the any-session rule and the per-client quota.

#![allow(clippy::unwrap_used, clippy::expect_used)]

#[allow(dead_code)] // each test file uses only some of the shared helpers
mod common;

use std::sync::atomic::Ordering;

use common::harness::{ALICE, BOB, Harness, client, request, server};
use qod_domain::{ConflictRule, CreateSession, DomainError, QosStatus, SessionRules};
use qod_network::ResourceRef;

#[tokio::test]
async fn an_overlapping_session_of_the_same_device_conflicts() {
    let h = Harness::new();
    let first = h.create(&client("a"), request(ALICE, "QOS_E", 600)).await;
    let err = h
        .service
        .create(&client("a"), request(ALICE, "QOS_M", 60))
        .await
        .unwrap_err();
    assert!(matches!(err, DomainError::Conflict), "{err:?}");
    assert_eq!(h.store.session_count(), 1);
    assert_eq!(
        h.network.request_count(),
        1,
        "refused before asking the network"
    );

    // Another client's session of the same device blocks too: it is the same device.
    let err = h
        .service
        .create(&client("b"), request(ALICE, "QOS_E", 60))
        .await
        .unwrap_err();
    assert!(matches!(err, DomainError::Conflict), "{err:?}");

    // Other flows or another device do not.
    let other_server = CreateSession {
        application_server: server("198.51.100.8"),
        ..request(ALICE, "QOS_E", 60)
    };
    h.create(&client("a"), other_server).await;
    h.create(&client("a"), request(BOB, "QOS_E", 60)).await;
    assert_eq!(h.store.session_count(), 3);
    assert_eq!(h.session(first.id).status, QosStatus::Available);
}

#[tokio::test]
async fn any_session_rule_refuses_a_second_session_of_the_device() {
    let h = Harness::with_rules(SessionRules {
        conflict_rule: ConflictRule::AnySession,
        ..SessionRules::default()
    });
    h.create(&client("a"), request(ALICE, "QOS_E", 600)).await;
    let err = h
        .service
        .create(
            &client("a"),
            CreateSession {
                application_server: server("2001:db8::1"),
                ..request(ALICE, "QOS_E", 60)
            },
        )
        .await
        .unwrap_err();
    assert!(matches!(err, DomainError::Conflict), "{err:?}");
    h.create(&client("a"), request(BOB, "QOS_E", 60)).await;
}

#[tokio::test]
async fn a_client_beyond_its_quota_of_active_sessions_is_refused() {
    let h = Harness::with_rules(SessionRules {
        max_active_sessions_per_client: Some(2),
        ..SessionRules::default()
    });
    let first = h.create(&client("a"), request(ALICE, "QOS_E", 10)).await;
    h.create(&client("a"), request(BOB, "QOS_E", 600)).await;
    let err = h
        .service
        .create(&client("a"), request("+34600000003", "QOS_E", 60))
        .await
        .unwrap_err();
    assert!(matches!(err, DomainError::QuotaExceeded), "{err:?}");
    assert_eq!(h.store.session_count(), 2, "nothing more is stored");
    assert_eq!(h.network.request_count(), 2, "the network is not asked");
    // Another client has a quota of its own.
    h.create(&client("b"), request("+34600000003", "QOS_E", 60))
        .await;
    // A session that ended no longer counts.
    h.advance(10).await;
    assert_eq!(h.session(first.id).status, QosStatus::Unavailable);
    h.create(&client("a"), request("+34600000004", "QOS_E", 60))
        .await;
}

#[tokio::test]
async fn an_expired_session_no_longer_conflicts() {
    let h = Harness::new();
    h.create(&client("a"), request(ALICE, "QOS_E", 10)).await;
    h.advance(10).await;
    let s = h.create(&client("a"), request(ALICE, "QOS_E", 10)).await;
    assert_eq!(s.status, QosStatus::Available);
}

#[tokio::test]
async fn a_network_terminated_session_conflicts_until_it_is_deleted() {
    let h = Harness::new();
    let number = "+99999990410";
    let first = h.create(&client("a"), request(number, "QOS_E", 600)).await;
    h.advance(5).await;
    assert_eq!(h.session(first.id).status, QosStatus::Unavailable);
    let err = h
        .service
        .create(&client("a"), request(number, "QOS_E", 600))
        .await
        .unwrap_err();
    assert!(matches!(err, DomainError::Conflict), "{err:?}");

    h.service.delete(&client("a"), first.id).await.unwrap();
    h.create(&client("a"), request(number, "QOS_E", 600)).await;
}

#[tokio::test]
async fn a_conflict_found_only_by_the_store_releases_the_network_resource() {
    let h = Harness::new();
    h.create(&client("a"), request(ALICE, "QOS_E", 600)).await;
    h.store.hide_listing.store(true, Ordering::SeqCst);
    let err = h
        .service
        .create(&client("a"), request(ALICE, "QOS_E", 60))
        .await
        .unwrap_err();
    assert!(matches!(err, DomainError::Conflict), "{err:?}");
    assert_eq!(h.store.session_count(), 1);
    let requests = h.network.requests.lock().unwrap().clone();
    assert_eq!(requests.len(), 2);
    assert_eq!(
        h.network.releases(),
        vec![ResourceRef(format!("sim:{}", requests[1].correlation_id))]
    );
    assert_eq!(
        h.wakeup.calls().len(),
        1,
        "no wake-up for a session not stored"
    );
}
