//! When two sessions of a device collide: [`ConflictRule::blocks`].

#![allow(clippy::unwrap_used, clippy::expect_used)]

#[allow(dead_code)] // each test file uses only some of the shared helpers
mod common;

use common::flows::{addr, alice, ips, ports, session};
use common::harness::msisdn;
use qod_domain::{ApplicationServer, ConflictRule, QosStatus, StatusInfo};
use qod_network::UeIdentity;

const RULE: ConflictRule = ConflictRule::OverlappingFlows;

#[test]
fn the_default_rule_is_overlapping_flows() {
    assert_eq!(ConflictRule::default(), ConflictRule::OverlappingFlows);
}

#[test]
fn same_device_and_same_flows_block() {
    let existing = alice(ips(&["198.51.100.7"]));
    let new = alice(ips(&["198.51.100.7"]));
    assert!(RULE.blocks(&existing, &new));
    assert!(ConflictRule::AnySession.blocks(&existing, &new));
}

#[test]
fn a_session_never_blocks_itself() {
    let s = alice(ips(&["198.51.100.7"]));
    assert!(!RULE.blocks(&s, &s));
    assert!(!ConflictRule::AnySession.blocks(&s, &s));
}

#[test]
fn different_devices_never_block() {
    let existing = alice(ips(&["198.51.100.7"]));
    let new = session(msisdn("+34600000002"), ips(&["198.51.100.7"]));
    assert!(!RULE.blocks(&existing, &new));
    assert!(!ConflictRule::AnySession.blocks(&existing, &new));

    let v4 = session(
        UeIdentity::Ipv4 {
            public: "203.0.113.5".parse().unwrap(),
            private: None,
            port: Some(5_000),
        },
        ips(&["198.51.100.7"]),
    );
    let other_port = session(
        UeIdentity::Ipv4 {
            public: "203.0.113.5".parse().unwrap(),
            private: None,
            port: Some(5_001),
        },
        ips(&["198.51.100.7"]),
    );
    assert!(!ConflictRule::AnySession.blocks(&v4, &other_port));
}

#[test]
fn subnet_and_contained_address_block() {
    let existing = alice(ApplicationServer::Subnets {
        ipv4: Some(addr("198.51.100.0/24")),
        ipv6: None,
    });
    let new = alice(ips(&["198.51.100.7"]));
    assert!(RULE.blocks(&existing, &new));
    assert!(RULE.blocks(&new, &existing));
}

#[test]
fn host_bits_in_the_server_prefix_count_as_the_whole_subnet() {
    let existing = alice(ApplicationServer::Subnets {
        ipv4: Some(addr("198.51.100.7/24")),
        ipv6: None,
    });
    let new = alice(ips(&["198.51.100.200"]));
    assert!(RULE.blocks(&existing, &new));
}

#[test]
fn different_servers_do_not_block() {
    let existing = alice(ips(&["198.51.100.7"]));
    let new = alice(ips(&["198.51.100.8"]));
    assert!(!RULE.blocks(&existing, &new));
    assert!(ConflictRule::AnySession.blocks(&existing, &new));
}

#[test]
fn ipv4_and_ipv6_servers_do_not_block() {
    let existing = alice(ips(&["198.51.100.7"]));
    let new = alice(ips(&["2001:db8::7"]));
    assert!(!RULE.blocks(&existing, &new));
    let existing = alice(ApplicationServer::Subnets {
        ipv4: None,
        ipv6: Some(addr("2001:db8::/32")),
    });
    let new = alice(ApplicationServer::Subnets {
        ipv4: Some(addr("0.0.0.0/0")),
        ipv6: None,
    });
    assert!(!RULE.blocks(&existing, &new));
}

#[test]
fn disjoint_device_ports_do_not_block() {
    let mut existing = alice(ips(&["198.51.100.7"]));
    existing.device_ports = Some(ports(&[(5_000, 5_010)], &[]));
    let mut new = alice(ips(&["198.51.100.7"]));
    new.device_ports = Some(ports(&[(5_011, 5_020)], &[5_100]));
    assert!(!RULE.blocks(&existing, &new));
    new.device_ports = Some(ports(&[], &[5_010]));
    assert!(RULE.blocks(&existing, &new));
}

#[test]
fn disjoint_server_ports_do_not_block() {
    let mut existing = alice(ips(&["198.51.100.7"]));
    existing.application_server_ports = Some(ports(&[], &[443]));
    let mut new = alice(ips(&["198.51.100.7"]));
    new.application_server_ports = Some(ports(&[], &[80]));
    assert!(!RULE.blocks(&existing, &new));
    new.application_server_ports = Some(ports(&[(400, 500)], &[]));
    assert!(RULE.blocks(&existing, &new));
}

#[test]
fn both_port_dimensions_must_overlap_to_block() {
    let mut existing = alice(ips(&["198.51.100.7"]));
    existing.device_ports = Some(ports(&[], &[5_000]));
    existing.application_server_ports = Some(ports(&[], &[443]));
    let mut new = alice(ips(&["198.51.100.7"]));
    new.device_ports = Some(ports(&[], &[5_000]));
    new.application_server_ports = Some(ports(&[], &[8_443]));
    assert!(!RULE.blocks(&existing, &new));
}

#[test]
fn omitted_ports_mean_every_port() {
    let mut existing = alice(ips(&["198.51.100.7"]));
    existing.device_ports = Some(ports(&[], &[5_000]));
    existing.application_server_ports = Some(ports(&[], &[443]));
    let new = alice(ips(&["198.51.100.7"]));
    assert!(RULE.blocks(&existing, &new));
    assert!(RULE.blocks(&new, &existing));
}

#[test]
fn requested_sessions_block() {
    let mut existing = alice(ips(&["198.51.100.7"]));
    existing.status = QosStatus::Requested;
    existing.started_at = None;
    existing.expires_at = None;
    assert!(RULE.blocks(&existing, &alice(ips(&["198.51.100.7"]))));
}

#[test]
fn expired_sessions_do_not_block_network_terminated_ones_do() {
    let new = alice(ips(&["198.51.100.7"]));
    let mut existing = alice(ips(&["198.51.100.7"]));
    existing.status = QosStatus::Unavailable;

    existing.status_info = Some(StatusInfo::DurationExpired);
    assert!(!RULE.blocks(&existing, &new));
    assert!(!ConflictRule::AnySession.blocks(&existing, &new));

    existing.status_info = Some(StatusInfo::NetworkTerminated);
    assert!(RULE.blocks(&existing, &new));
    assert!(ConflictRule::AnySession.blocks(&existing, &new));
}

#[test]
fn any_session_blocks_a_second_session_whatever_its_flows() {
    let mut existing = alice(ips(&["198.51.100.7"]));
    existing.device_ports = Some(ports(&[], &[1]));
    let mut new = alice(ips(&["2001:db8::7"]));
    new.device_ports = Some(ports(&[], &[2]));
    assert!(!RULE.blocks(&existing, &new));
    assert!(ConflictRule::AnySession.blocks(&existing, &new));
}

#[test]
fn identities_with_the_same_device_key_are_the_same_device() {
    let with_private = UeIdentity::Ipv4 {
        public: "203.0.113.5".parse().unwrap(),
        private: Some("10.0.0.7".parse().unwrap()),
        port: Some(5_000),
    };
    let without_private = UeIdentity::Ipv4 {
        public: "203.0.113.5".parse().unwrap(),
        private: None,
        port: Some(5_000),
    };
    let existing = session(with_private, ips(&["198.51.100.7"]));
    let new = session(without_private, ips(&["198.51.100.7"]));
    assert_eq!(existing.device_key(), new.device_key());
    assert!(RULE.blocks(&existing, &new));
    assert!(ConflictRule::AnySession.blocks(&existing, &new));
}
