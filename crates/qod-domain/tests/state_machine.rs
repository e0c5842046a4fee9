//! The session state machine: which transitions are allowed and what each one changes.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use ipnet::IpNet;
use qod_domain::{AddressValue, ApplicationServer, DomainError, QosStatus, Session, StatusInfo};
use qod_network::{ResourceRef, UeIdentity};
use time::macros::datetime;
use time::{Duration, OffsetDateTime};
use uuid::Uuid;

const CREATED: OffsetDateTime = datetime!(2025-03-01 10:00:00 UTC);
const STARTED: OffsetDateTime = datetime!(2025-03-01 10:00:02 UTC);

fn server() -> ApplicationServer {
    ApplicationServer::IpAddresses(vec![AddressValue {
        raw: "198.51.100.7".into(),
        net: "198.51.100.7/32".parse::<IpNet>().unwrap(),
    }])
}

/// A REQUESTED session as it is right after creation.
fn requested(duration_secs: i64, max_duration_secs: i64) -> Session {
    Session {
        id: Uuid::new_v4(),
        client_id: "client-a".into(),
        ue: UeIdentity::Msisdn {
            number: "+34600000001".into(),
        },
        device: None,
        application_server: server(),
        device_ports: None,
        application_server_ports: None,
        qos_profile: "QOS_E".into(),
        max_duration_secs,
        sink: None,
        duration_secs,
        status: QosStatus::Requested,
        status_info: None,
        started_at: None,
        expires_at: None,
        network_resource: Some(ResourceRef("sim:test".into())),
        created_at: CREATED,
        version: 1,
    }
}

/// An AVAILABLE session that started at [`STARTED`].
fn available(duration_secs: i64, max_duration_secs: i64) -> Session {
    requested(duration_secs, max_duration_secs)
        .activated(STARTED)
        .unwrap()
}

fn unavailable(info: StatusInfo) -> Session {
    let mut s = available(600, 86_400);
    s.status = QosStatus::Unavailable;
    s.status_info = Some(info);
    s
}

fn is_invalid_argument<T: std::fmt::Debug>(r: Result<T, DomainError>) -> bool {
    matches!(r, Err(DomainError::InvalidArgument(_)))
}

// ---------------------------------------------------------------- activated

#[test]
fn activation_starts_the_duration_at_the_activation_time() {
    let s = requested(3_600, 86_400);
    let next = s.activated(STARTED).unwrap();
    assert_eq!(next.status, QosStatus::Available);
    assert_eq!(next.status_info, None);
    assert_eq!(next.started_at, Some(STARTED));
    assert_eq!(next.expires_at, Some(STARTED + Duration::seconds(3_600)));
    assert_eq!(next.duration_secs, 3_600);
    assert_eq!(next.version, s.version + 1);
    // Nothing else moves.
    assert_eq!(next.id, s.id);
    assert_eq!(next.created_at, s.created_at);
    assert_eq!(next.client_id, s.client_id);
    assert_eq!(next.network_resource, s.network_resource);
    // The original is untouched.
    assert_eq!(s.status, QosStatus::Requested);
    assert_eq!(s.version, 1);
}

#[test]
fn activation_keeps_sub_second_precision_of_the_activation_time() {
    let at = STARTED + Duration::milliseconds(250);
    let next = requested(10, 100).activated(at).unwrap();
    assert_eq!(next.started_at, Some(at));
    assert_eq!(next.expires_at, Some(at + Duration::seconds(10)));
}

#[test]
fn activation_is_only_allowed_from_requested() {
    assert!(is_invalid_argument(available(60, 600).activated(STARTED)));
    assert!(is_invalid_argument(
        unavailable(StatusInfo::DurationExpired).activated(STARTED)
    ));
    assert!(is_invalid_argument(
        unavailable(StatusInfo::NetworkTerminated).activated(STARTED)
    ));
}

// ---------------------------------------------------------------- expired

#[test]
fn expiry_makes_the_session_unavailable_and_keeps_the_planned_end() {
    let s = available(600, 86_400);
    let next = s.expired().unwrap();
    assert_eq!(next.status, QosStatus::Unavailable);
    assert_eq!(next.status_info, Some(StatusInfo::DurationExpired));
    assert_eq!(next.expires_at, s.expires_at);
    assert_eq!(next.expires_at, Some(STARTED + Duration::seconds(600)));
    assert_eq!(next.started_at, Some(STARTED));
    assert_eq!(next.duration_secs, 600);
    assert_eq!(next.version, s.version + 1);
}

#[test]
fn expiry_is_only_allowed_from_available() {
    assert!(is_invalid_argument(requested(60, 600).expired()));
    assert!(is_invalid_argument(
        unavailable(StatusInfo::DurationExpired).expired()
    ));
    assert!(is_invalid_argument(
        unavailable(StatusInfo::NetworkTerminated).expired()
    ));
}

// ---------------------------------------------------------------- terminated_by_network

#[test]
fn network_refusal_of_a_requested_session_ends_it_at_the_refusal_time() {
    let s = requested(3_600, 86_400);
    let at = CREATED + Duration::seconds(1);
    let next = s.terminated_by_network(at).unwrap();
    assert_eq!(next.status, QosStatus::Unavailable);
    assert_eq!(next.status_info, Some(StatusInfo::NetworkTerminated));
    assert_eq!(next.started_at, None);
    assert_eq!(next.expires_at, Some(at));
    assert_eq!(next.duration_secs, 3_600, "the granted duration is kept");
    assert_eq!(next.version, s.version + 1);
}

#[test]
fn network_termination_of_an_available_session_records_the_effective_duration() {
    let s = available(3_600, 86_400);
    let at = STARTED + Duration::seconds(1_234) + Duration::milliseconds(900);
    let next = s.terminated_by_network(at).unwrap();
    assert_eq!(next.status, QosStatus::Unavailable);
    assert_eq!(next.status_info, Some(StatusInfo::NetworkTerminated));
    assert_eq!(next.started_at, Some(STARTED));
    assert_eq!(next.expires_at, Some(at));
    assert_eq!(next.duration_secs, 1_234, "whole seconds, rounded down");
    assert_eq!(next.version, s.version + 1);
}

#[test]
fn network_termination_right_after_activation_counts_at_least_one_second() {
    let s = available(3_600, 86_400);
    for at in [
        STARTED,
        STARTED + Duration::milliseconds(1),
        STARTED + Duration::milliseconds(999),
    ] {
        let next = s.terminated_by_network(at).unwrap();
        assert_eq!(next.duration_secs, 1, "terminated at {at}");
        assert_eq!(next.expires_at, Some(at));
    }
}

#[test]
fn network_termination_after_the_planned_end_does_not_lengthen_the_session() {
    let s = available(60, 86_400);
    let planned = s.expires_at.unwrap();
    let next = s
        .terminated_by_network(planned + Duration::seconds(30))
        .unwrap();
    assert_eq!(next.expires_at, Some(planned));
    assert_eq!(next.duration_secs, 60);
}

#[test]
fn network_termination_is_never_allowed_from_unavailable() {
    for info in [
        StatusInfo::DurationExpired,
        StatusInfo::NetworkTerminated,
        StatusInfo::DeleteRequested,
    ] {
        assert!(
            is_invalid_argument(unavailable(info).terminated_by_network(STARTED)),
            "from UNAVAILABLE/{}",
            info.as_str()
        );
    }
}

// ---------------------------------------------------------------- extended

#[test]
fn extension_adds_to_the_duration_and_moves_the_end_by_the_same_amount() {
    let s = available(600, 86_400);
    let next = s.extended(300).unwrap();
    assert_eq!(next.status, QosStatus::Available);
    assert_eq!(next.duration_secs, 900);
    assert_eq!(next.started_at, s.started_at);
    assert_eq!(
        next.expires_at.unwrap() - s.expires_at.unwrap(),
        Duration::seconds(300)
    );
    assert_eq!(next.expires_at, Some(STARTED + Duration::seconds(900)));
    assert_eq!(next.version, s.version + 1);
}

#[test]
fn extension_is_capped_at_the_maximum_counting_the_whole_session() {
    let s = available(30_000, 50_000);
    let next = s.extended(30_000).unwrap();
    assert_eq!(next.duration_secs, 50_000);
    assert_eq!(next.expires_at, Some(STARTED + Duration::seconds(50_000)));
    assert_eq!(
        next.expires_at.unwrap() - s.expires_at.unwrap(),
        Duration::seconds(20_000)
    );
}

#[test]
fn extension_up_to_exactly_the_maximum_is_granted_in_full() {
    let next = available(30_000, 50_000).extended(20_000).unwrap();
    assert_eq!(next.duration_secs, 50_000);
}

#[test]
fn extension_of_a_session_already_at_the_maximum_changes_nothing_but_the_version() {
    let s = available(50_000, 50_000);
    let next = s.extended(1_000).unwrap();
    assert_eq!(next.duration_secs, 50_000);
    assert_eq!(next.expires_at, s.expires_at);
    assert_eq!(next.version, s.version + 1);
}

#[test]
fn extension_does_not_overflow_on_huge_requests() {
    let next = available(600, 86_400).extended(i64::MAX).unwrap();
    assert_eq!(next.duration_secs, 86_400);
    assert_eq!(next.expires_at, Some(STARTED + Duration::seconds(86_400)));
}

#[test]
fn extension_is_only_allowed_while_available() {
    let r = requested(600, 86_400).extended(60);
    assert!(
        matches!(
            r,
            Err(DomainError::ExtensionNotAllowed(QosStatus::Requested))
        ),
        "{r:?}"
    );
    for info in [StatusInfo::DurationExpired, StatusInfo::NetworkTerminated] {
        let r = unavailable(info).extended(60);
        assert!(
            matches!(
                r,
                Err(DomainError::ExtensionNotAllowed(QosStatus::Unavailable))
            ),
            "{r:?}"
        );
    }
}

// ---------------------------------------------------------------- versions and changes

#[test]
fn every_transition_bumps_the_version_by_exactly_one() {
    let s = requested(600, 86_400);
    assert_eq!(s.version, 1);
    let s = s.activated(STARTED).unwrap();
    assert_eq!(s.version, 2);
    let s = s.extended(60).unwrap();
    assert_eq!(s.version, 3);
    let s = s.extended(60).unwrap();
    assert_eq!(s.version, 4);
    let s = s.expired().unwrap();
    assert_eq!(s.version, 5);

    let t = requested(600, 86_400)
        .terminated_by_network(STARTED)
        .unwrap();
    assert_eq!(t.version, 2);
    let t = available(600, 86_400)
        .terminated_by_network(STARTED + Duration::seconds(5))
        .unwrap();
    assert_eq!(t.version, 3);
}

#[test]
fn a_refused_transition_does_not_consume_a_version() {
    let s = available(600, 86_400);
    let before = s.clone();
    assert!(s.activated(STARTED).is_err());
    assert_eq!(s, before);
}

#[test]
fn change_records_the_current_status_of_the_session() {
    let s = available(600, 86_400);
    let id = Uuid::new_v4();
    let c = s.change(id, STARTED);
    assert_eq!(c.id, id);
    assert_eq!(c.session_id, s.id);
    assert_eq!(c.status, QosStatus::Available);
    assert_eq!(c.status_info, None);
    assert_eq!(c.at, STARTED);

    let ended = s.expired().unwrap();
    let at = STARTED + Duration::seconds(600);
    let c = ended.change(Uuid::new_v4(), at);
    assert_eq!(c.session_id, s.id);
    assert_eq!(c.status, QosStatus::Unavailable);
    assert_eq!(c.status_info, Some(StatusInfo::DurationExpired));
    assert_eq!(c.at, at);
    assert_ne!(c.id, id);
}

#[test]
fn status_names_round_trip() {
    for s in [
        QosStatus::Requested,
        QosStatus::Available,
        QosStatus::Unavailable,
    ] {
        assert_eq!(QosStatus::parse(s.as_str()), Some(s));
    }
    assert_eq!(QosStatus::Available.as_str(), "AVAILABLE");
    assert_eq!(QosStatus::parse("available"), None);
    for i in [
        StatusInfo::DurationExpired,
        StatusInfo::NetworkTerminated,
        StatusInfo::DeleteRequested,
    ] {
        assert_eq!(StatusInfo::parse(i.as_str()), Some(i));
    }
    assert_eq!(StatusInfo::DurationExpired.as_str(), "DURATION_EXPIRED");
    assert_eq!(StatusInfo::parse("EXPIRED"), None);
}

#[test]
fn device_key_is_the_identity_text() {
    assert_eq!(requested(60, 600).device_key(), "tel:+34600000001");
}
