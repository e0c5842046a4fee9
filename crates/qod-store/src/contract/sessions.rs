//! Contract: storing and finding sessions, and the conflict rule at insert.

use qod_domain::{ConflictRule, QosStatus, StatusInfo, StoreError, TimerKind};
use uuid::Uuid;

use super::Inspect;
use super::fixtures::{
    at, full_session, new_session, ok, phone, ports, session, timer, unavailable_ipv6_session,
    with_status,
};
use super::timers::timers_of;

/// Every field of a session, set or empty, comes back as it was stored; so do the change
/// and the timers stored with it.
pub async fn round_trip_of_every_field(store: &dyn Inspect) {
    let mut minimal = session(phone(1), "198.51.100.1");
    minimal.application_server = qod_domain::ApplicationServer::Subnets {
        ipv4: None,
        ipv6: Some(super::fixtures::address("2001:db8:ffff::/48")),
    };
    let mut no_credential = session(phone(2), "198.51.100.2");
    no_credential.sink = Some(qod_domain::Sink {
        url: "https://sink.example.net/cb".into(),
        credential: None,
    });
    no_credential.status = QosStatus::Unavailable;
    no_credential.status_info = Some(StatusInfo::DeleteRequested);

    for s in [
        full_session(),
        unavailable_ipv6_session(),
        minimal,
        no_credential,
    ] {
        let mut new = new_session(&s);
        new.timers = vec![timer(&s, TimerKind::Expire, at(7_000))];
        ok(store.insert_session(new.clone()).await, "insert");
        let stored = ok(store.session(s.id).await, "get");
        assert_eq!(stored.as_ref(), Some(&s), "session round trip");
        let devices = ok(store.sessions_of_device(&s.device_key()).await, "by device");
        assert_eq!(devices, vec![s.clone()], "found by its device key");
        let changes = ok(store.status_changes(s.id).await, "changes");
        assert_eq!(changes, new.change.into_iter().collect::<Vec<_>>());
        assert_eq!(timers_of(store, s.id).await, new.timers);
    }
    assert_eq!(ok(store.session(Uuid::new_v4()).await, "get unknown"), None);
}

/// A session whose flows overlap a stored one of the same device is refused, and nothing of
/// it is stored.
pub async fn insert_refuses_overlapping_flows(store: &dyn Inspect) {
    let first = session(phone(10), "198.51.100.7");
    ok(
        store.insert_session(new_session(&first)).await,
        "first insert",
    );

    let mut second = session(phone(10), "198.51.100.200");
    second.application_server = qod_domain::ApplicationServer::Subnets {
        ipv4: Some(super::fixtures::address("198.51.100.0/24")),
        ipv6: None,
    };
    let mut new = new_session(&second);
    new.timers = vec![timer(&second, TimerKind::Activate, at(1))];
    assert_eq!(
        store.insert_session(new).await,
        Err(StoreError::Conflict),
        "overlapping flows"
    );
    assert_eq!(ok(store.session(second.id).await, "get"), None);
    assert!(ok(store.status_changes(second.id).await, "changes").is_empty());
    assert!(timers_of(store, second.id).await.is_empty());
    let stored = ok(
        store.sessions_of_device(&first.device_key()).await,
        "by device",
    );
    assert_eq!(stored, vec![first]);
}

/// Sessions of one device whose flows are disjoint (by server or by ports) coexist; the
/// `AnySession` rule refuses them all the same.
pub async fn insert_accepts_disjoint_flows(store: &dyn Inspect) {
    let mut first = session(phone(11), "198.51.100.7");
    first.device_ports = Some(ports(&[5000]));
    ok(store.insert_session(new_session(&first)).await, "first");

    let other_server = session(phone(11), "198.51.100.8");
    ok(
        store.insert_session(new_session(&other_server)).await,
        "other server",
    );

    let mut other_ports = session(phone(11), "198.51.100.7");
    other_ports.device_ports = Some(ports(&[6000]));
    ok(
        store.insert_session(new_session(&other_ports)).await,
        "other device ports",
    );

    let mut same_ports = session(phone(11), "198.51.100.7");
    same_ports.device_ports = Some(ports(&[5000, 7000]));
    assert_eq!(
        store.insert_session(new_session(&same_ports)).await,
        Err(StoreError::Conflict),
        "shared device port"
    );

    let mut any = new_session(&session(phone(11), "203.0.113.99"));
    any.conflict_rule = ConflictRule::AnySession;
    assert_eq!(
        store.insert_session(any).await,
        Err(StoreError::Conflict),
        "AnySession refuses a second session"
    );
    let stored = ok(
        store.sessions_of_device(&first.device_key()).await,
        "by device",
    );
    assert_eq!(stored.len(), 3);
}

/// Sessions of another device never block.
pub async fn insert_ignores_other_devices(store: &dyn Inspect) {
    let first = session(phone(12), "198.51.100.7");
    ok(store.insert_session(new_session(&first)).await, "first");
    let second = session(phone(13), "198.51.100.7");
    ok(
        store.insert_session(new_session(&second)).await,
        "other device",
    );
    let third = session(
        qod_network::UeIdentity::Ipv4 {
            public: std::net::Ipv4Addr::new(203, 0, 113, 1),
            private: None,
            port: Some(1),
        },
        "198.51.100.7",
    );
    let mut new = new_session(&third);
    new.conflict_rule = ConflictRule::AnySession;
    ok(store.insert_session(new).await, "other device, AnySession");
}

/// An expired session does not block a new one with the same flows; a session the network
/// terminated does, until it is deleted.
pub async fn insert_ignores_finished_sessions(store: &dyn Inspect) {
    let expired = with_status(
        &session(phone(14), "198.51.100.7"),
        QosStatus::Unavailable,
        Some(StatusInfo::DurationExpired),
    );
    ok(store.insert_session(new_session(&expired)).await, "expired");
    let next = session(phone(14), "198.51.100.7");
    ok(
        store.insert_session(new_session(&next)).await,
        "after an expired one",
    );

    let terminated = with_status(
        &session(phone(15), "198.51.100.7"),
        QosStatus::Unavailable,
        Some(StatusInfo::NetworkTerminated),
    );
    ok(
        store.insert_session(new_session(&terminated)).await,
        "terminated",
    );
    let blocked = session(phone(15), "198.51.100.7");
    assert_eq!(
        store.insert_session(new_session(&blocked)).await,
        Err(StoreError::Conflict),
        "a network-terminated session blocks"
    );
    let deleted = ok(
        store
            .delete_session(terminated.id, terminated.version, None)
            .await,
        "delete",
    );
    assert!(deleted);
    ok(
        store.insert_session(new_session(&blocked)).await,
        "after the delete",
    );
}

/// `sessions_of_device` lists the device's sessions only, oldest first.
pub async fn sessions_of_device_oldest_first(store: &dyn Inspect) {
    let mut expected = Vec::new();
    for (ms, server) in [
        (3_000, "198.51.100.3"),
        (1_000, "198.51.100.1"),
        (2_000, "198.51.100.2"),
    ] {
        let mut s = session(phone(20), server);
        s.created_at = at(ms);
        ok(store.insert_session(new_session(&s)).await, "insert");
        expected.push(s);
    }
    ok(
        store
            .insert_session(new_session(&session(phone(21), "198.51.100.1")))
            .await,
        "other device",
    );
    expected.sort_by_key(|s| s.created_at);
    let stored = ok(
        store.sessions_of_device(&phone(20).to_string()).await,
        "list",
    );
    assert_eq!(stored, expected);
    let none = ok(
        store.sessions_of_device(&phone(29).to_string()).await,
        "list",
    );
    assert!(none.is_empty());
}
