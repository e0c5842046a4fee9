//! Who may reach a session, and listing the sessions of a device.

#![allow(clippy::unwrap_used, clippy::expect_used)]

#[allow(dead_code)] // each test file uses only some of the shared helpers
mod common;

use common::harness::{
    ALICE, BOB, Harness, client, phone_device, request, secs, server, three_legged,
};
use qod_domain::{Caller, CreateSession, Device, DomainError, QosStatus};
use uuid::Uuid;

// ---------------------------------------------------------------- permissions

#[tokio::test]
async fn another_client_may_not_see_extend_or_delete_a_session() {
    let h = Harness::new();
    let s = h.create(&client("a"), request(ALICE, "QOS_E", 600)).await;
    let other = client("b");
    assert!(matches!(
        h.service.get(&other, s.id).await,
        Err(DomainError::PermissionDenied)
    ));
    assert!(matches!(
        h.service.extend(&other, s.id, 60).await,
        Err(DomainError::PermissionDenied)
    ));
    assert!(matches!(
        h.service.delete(&other, s.id).await,
        Err(DomainError::PermissionDenied)
    ));
    // Three-legged, with the right device but the wrong client.
    assert!(matches!(
        h.service.get(&three_legged("b", ALICE), s.id).await,
        Err(DomainError::PermissionDenied)
    ));
    assert_eq!(h.session(s.id), s);
    assert!(h.network.releases().is_empty());
    assert!(h.network.lifetimes().is_empty());
}

#[tokio::test]
async fn a_three_legged_caller_may_only_reach_its_own_device() {
    let h = Harness::new();
    let s = h.create(&client("a"), request(ALICE, "QOS_E", 600)).await;
    let bob = three_legged("a", BOB);
    assert!(matches!(
        h.service.get(&bob, s.id).await,
        Err(DomainError::PermissionDenied)
    ));
    assert!(matches!(
        h.service.extend(&bob, s.id, 60).await,
        Err(DomainError::PermissionDenied)
    ));
    assert!(matches!(
        h.service.delete(&bob, s.id).await,
        Err(DomainError::PermissionDenied)
    ));
    assert_eq!(h.session(s.id), s);

    let alice = three_legged("a", ALICE);
    assert_eq!(h.service.get(&alice, s.id).await.unwrap(), s);
    assert_eq!(
        h.service
            .extend(&alice, s.id, 60)
            .await
            .unwrap()
            .duration_secs,
        660
    );
    h.service.delete(&alice, s.id).await.unwrap();
    assert!(h.store.stored(s.id).is_none());
}

#[tokio::test]
async fn unknown_sessions_are_not_found() {
    let h = Harness::new();
    h.create(&client("a"), request(ALICE, "QOS_E", 600)).await;
    let id = Uuid::new_v4();
    let caller = client("a");
    assert!(matches!(
        h.service.get(&caller, id).await,
        Err(DomainError::NotFound)
    ));
    assert!(matches!(
        h.service.extend(&caller, id, 60).await,
        Err(DomainError::NotFound)
    ));
    assert!(matches!(
        h.service.delete(&caller, id).await,
        Err(DomainError::NotFound)
    ));
}

// ---------------------------------------------------------------- sessions_of_device

#[tokio::test]
async fn listing_returns_only_the_callers_sessions_of_the_device_oldest_first() {
    let h = Harness::new();
    let a = client("a");
    let first = h.create(&a, request(ALICE, "QOS_E", 600)).await;
    h.clock.advance(secs(1));
    h.create(
        &client("b"),
        CreateSession {
            application_server: server("198.51.100.9"),
            ..request(ALICE, "QOS_E", 600)
        },
    )
    .await;
    h.clock.advance(secs(1));
    let second = h
        .create(
            &a,
            CreateSession {
                application_server: server("198.51.100.8"),
                ..request(ALICE, "QOS_E", 600)
            },
        )
        .await;
    h.create(&a, request(BOB, "QOS_E", 600)).await;

    let listed = h
        .service
        .sessions_of_device(&a, Some(&phone_device(ALICE)))
        .await
        .unwrap();
    let ids: Vec<Uuid> = listed.iter().map(|s| s.id).collect();
    assert_eq!(ids, vec![first.id, second.id]);

    // The same through a 3-legged token for the device.
    let listed = h
        .service
        .sessions_of_device(&three_legged("a", ALICE), None)
        .await
        .unwrap();
    assert_eq!(
        listed.iter().map(|s| s.id).collect::<Vec<_>>(),
        vec![first.id, second.id]
    );

    let none = h
        .service
        .sessions_of_device(&client("c"), Some(&phone_device(ALICE)))
        .await
        .unwrap();
    assert!(none.is_empty());
}

#[tokio::test]
async fn listing_applies_the_device_rules_and_the_network_check() {
    let h = Harness::new();
    assert!(matches!(
        h.service
            .sessions_of_device(&client("a"), Some(&phone_device("+99999990404")))
            .await,
        Err(DomainError::IdentifierNotFound)
    ));
    assert!(matches!(
        h.service.sessions_of_device(&client("a"), None).await,
        Err(DomainError::MissingIdentifier)
    ));
    assert!(matches!(
        h.service
            .sessions_of_device(&three_legged("a", ALICE), Some(&phone_device(ALICE)))
            .await,
        Err(DomainError::UnnecessaryIdentifier)
    ));
}

#[tokio::test]
async fn listing_includes_unavailable_sessions_until_they_are_purged() {
    let h = Harness::new();
    let a = client("a");
    let s = h.create(&a, request(ALICE, "QOS_E", 5)).await;
    h.advance(5).await;
    let listed = h
        .service
        .sessions_of_device(&a, Some(&phone_device(ALICE)))
        .await
        .unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].status, QosStatus::Unavailable);
    h.advance(360).await;
    assert!(h.store.stored(s.id).is_none());
    let listed = h
        .service
        .sessions_of_device(&a, Some(&phone_device(ALICE)))
        .await
        .unwrap();
    assert!(listed.is_empty());
}

#[tokio::test]
async fn every_session_a_caller_lists_is_one_it_may_read() {
    let h = Harness::new();
    let device = Device {
        ipv4_address: Some(qod_domain::DeviceIpv4 {
            public_address: "203.0.113.5".parse().unwrap(),
            private_address: Some("10.0.0.7".parse().unwrap()),
            public_port: Some(5_000),
        }),
        ..Device::default()
    };
    let s = h
        .create(
            &client("a"),
            CreateSession {
                device: Some(device),
                ..request(ALICE, "QOS_E", 600)
            },
        )
        .await;
    let subject = Caller {
        client_id: "a".into(),
        subject: Caller::subject_identity("ipport:203.0.113.5:5000"),
    };
    let listed = h.service.sessions_of_device(&subject, None).await.unwrap();
    assert_eq!(listed.iter().map(|l| l.id).collect::<Vec<_>>(), vec![s.id]);
    for l in listed {
        assert!(h.service.get(&subject, l.id).await.is_ok(), "{l:?}");
    }
}
