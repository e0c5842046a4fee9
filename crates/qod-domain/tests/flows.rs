//! The port and network helpers behind the conflict rule: normalizing port lists, intersecting
//! ports and networks, and the flows of a session.

#![allow(clippy::unwrap_used, clippy::expect_used)]

#[allow(dead_code)] // each test file uses only some of the shared helpers
mod common;

use std::collections::BTreeSet;

use common::flows::{addr, alice, ips, net, ports, r};
use proptest::prelude::*;
use qod_domain::flow::{networks_intersect, ports_intersect};
use qod_domain::{ApplicationServer, PortsSpec};

// ---------------------------------------------------------------- PortsSpec::normalized

#[test]
fn normalizing_nothing_gives_nothing() {
    let none = PortsSpec {
        ranges: None,
        ports: None,
    };
    assert!(none.normalized().is_empty());
}

#[test]
fn normalizing_sorts_ranges_and_ports() {
    assert_eq!(
        ports(&[(900, 910), (100, 200)], &[5000, 50]).normalized(),
        vec![r(50, 50), r(100, 200), r(900, 910), r(5000, 5000)]
    );
}

#[test]
fn normalizing_merges_overlapping_ranges() {
    assert_eq!(
        ports(&[(100, 200), (150, 300), (120, 130)], &[]).normalized(),
        vec![r(100, 300)]
    );
}

#[test]
fn normalizing_merges_adjacent_ranges_but_not_ranges_with_a_gap() {
    assert_eq!(
        ports(&[(10, 20), (21, 30)], &[]).normalized(),
        vec![r(10, 30)]
    );
    assert_eq!(
        ports(&[(10, 20), (22, 30)], &[]).normalized(),
        vec![r(10, 20), r(22, 30)]
    );
}

#[test]
fn normalizing_merges_single_ports_into_ranges_and_runs() {
    assert_eq!(
        ports(&[(10, 20)], &[9, 21, 15, 23]).normalized(),
        vec![r(9, 21), r(23, 23)]
    );
    assert_eq!(ports(&[], &[7, 5, 6]).normalized(), vec![r(5, 7)]);
    assert_eq!(ports(&[], &[80, 80, 80]).normalized(), vec![r(80, 80)]);
}

#[test]
fn normalizing_handles_the_ends_of_the_port_space() {
    assert_eq!(
        ports(&[(65_530, 65_535)], &[65_535, 65_529]).normalized(),
        vec![r(65_529, 65_535)]
    );
    assert_eq!(
        ports(&[(0, 0), (1, 65_535)], &[]).normalized(),
        vec![r(0, 65_535)]
    );
}

// ---------------------------------------------------------------- ports_intersect

#[test]
fn empty_port_lists_mean_every_port() {
    assert!(ports_intersect(&[], &[]));
    assert!(ports_intersect(&[], &[r(80, 80)]));
    assert!(ports_intersect(&[r(80, 80)], &[]));
}

#[test]
fn port_lists_intersect_when_any_ranges_share_a_port() {
    assert!(ports_intersect(&[r(10, 20)], &[r(20, 30)]));
    assert!(ports_intersect(&[r(20, 30)], &[r(10, 20)]));
    assert!(ports_intersect(&[r(10, 100)], &[r(50, 50)]));
    assert!(ports_intersect(
        &[r(1, 5), r(100, 110), r(500, 600)],
        &[r(6, 99), r(590, 590)]
    ));
}

#[test]
fn port_lists_do_not_intersect_when_they_interleave_without_sharing() {
    assert!(!ports_intersect(&[r(10, 20)], &[r(21, 30)]));
    assert!(!ports_intersect(
        &[r(1, 5), r(20, 25), r(40, 45)],
        &[r(6, 19), r(26, 39), r(46, 65_535)]
    ));
}

fn port_list() -> impl Strategy<Value = (Vec<(u16, u16)>, Vec<u16>)> {
    let range =
        (1u16..200, 0u16..20).prop_map(|(first, len)| (first, first.saturating_add(len).min(199)));
    (
        prop::collection::vec(range, 0..5),
        prop::collection::vec(1u16..200, 0..6),
    )
}

fn spec_of(ranges: &[(u16, u16)], singles: &[u16], some_when_empty: bool) -> PortsSpec {
    PortsSpec {
        ranges: (some_when_empty || !ranges.is_empty())
            .then(|| ranges.iter().map(|&(a, b)| r(a, b)).collect()),
        ports: (some_when_empty || !singles.is_empty()).then(|| singles.to_vec()),
    }
}

fn port_set(ranges: &[(u16, u16)], singles: &[u16]) -> BTreeSet<u16> {
    ranges
        .iter()
        .flat_map(|&(a, b)| a..=b)
        .chain(singles.iter().copied())
        .collect()
}

proptest! {
    #[test]
    fn ports_intersect_matches_a_brute_force_set_intersection(
        (ar, ap) in port_list(),
        (br, bp) in port_list(),
        some_a in any::<bool>(),
        some_b in any::<bool>(),
    ) {
        let a = spec_of(&ar, &ap, some_a).normalized();
        let b = spec_of(&br, &bp, some_b).normalized();
        let sa = port_set(&ar, &ap);
        let sb = port_set(&br, &bp);
        // No port at all means every port.
        let expected = sa.is_empty() || sb.is_empty() || sa.intersection(&sb).next().is_some();
        prop_assert_eq!(ports_intersect(&a, &b), expected);
        prop_assert_eq!(ports_intersect(&b, &a), expected);
    }

    #[test]
    fn normalized_ports_are_sorted_disjoint_non_adjacent_and_cover_the_same_ports(
        (ar, ap) in port_list(),
    ) {
        let n = spec_of(&ar, &ap, false).normalized();
        for range in &n {
            prop_assert!(range.first <= range.last);
        }
        for w in n.windows(2) {
            prop_assert!(u32::from(w[0].last) + 1 < u32::from(w[1].first), "{:?}", n);
        }
        let covered: BTreeSet<u16> = n.iter().flat_map(|p| p.first..=p.last).collect();
        prop_assert_eq!(covered, port_set(&ar, &ap));
    }
}

// ---------------------------------------------------------------- networks_intersect

#[test]
fn ipv4_and_ipv6_networks_never_intersect() {
    assert!(!networks_intersect(&[net("0.0.0.0/0")], &[net("::/0")]));
    assert!(!networks_intersect(
        &[net("192.0.2.1/32")],
        &[net("::ffff:192.0.2.1/128")]
    ));
}

#[test]
fn a_subnet_intersects_the_addresses_it_contains_both_ways() {
    let subnet = [net("198.51.100.0/24")];
    let host = [net("198.51.100.7/32")];
    assert!(networks_intersect(&subnet, &host));
    assert!(networks_intersect(&host, &subnet));
    assert!(!networks_intersect(&subnet, &[net("198.51.101.7/32")]));

    let v6 = [net("2001:db8:1::/48")];
    assert!(networks_intersect(&v6, &[net("2001:db8:1:2::5/128")]));
    assert!(networks_intersect(&[net("2001:db8::/32")], &v6));
    assert!(!networks_intersect(&v6, &[net("2001:db8:2::/48")]));
}

#[test]
fn equal_and_nested_prefixes_intersect_disjoint_ones_do_not() {
    assert!(networks_intersect(
        &[net("10.0.0.0/8")],
        &[net("10.0.0.0/8")]
    ));
    assert!(networks_intersect(
        &[net("10.1.0.0/16")],
        &[net("10.0.0.0/8")]
    ));
    assert!(!networks_intersect(
        &[net("10.0.0.0/16")],
        &[net("10.1.0.0/16")]
    ));
}

#[test]
fn host_bits_in_a_prefix_do_not_shrink_it() {
    // 198.51.100.7/24 is the whole 198.51.100.0/24.
    assert!(networks_intersect(
        &[net("198.51.100.7/24")],
        &[net("198.51.100.200/32")]
    ));
    assert!(networks_intersect(
        &[net("198.51.100.200/32")],
        &[net("198.51.100.7/24")]
    ));
}

#[test]
fn any_pair_of_networks_is_enough() {
    let a = [net("192.0.2.1/32"), net("2001:db8::1/128")];
    assert!(networks_intersect(&a, &[net("2001:db8::/64")]));
    assert!(!networks_intersect(&a, &[net("203.0.113.0/24")]));
    assert!(!networks_intersect(&a, &[]));
    assert!(!networks_intersect(&[], &a));
}

#[test]
fn server_networks_have_their_host_bits_cleared() {
    let server = ApplicationServer::Subnets {
        ipv4: Some(addr("198.51.100.7/24")),
        ipv6: Some(addr("2001:db8::1/64")),
    };
    assert_eq!(
        server.networks(),
        vec![net("198.51.100.0/24"), net("2001:db8::/64")]
    );
    assert_eq!(
        ips(&["192.0.2.1", "2001:db8::1"]).networks(),
        vec![net("192.0.2.1/32"), net("2001:db8::1/128")]
    );
}

#[test]
fn session_flows_use_normalized_ports_and_truncated_networks() {
    let mut s = alice(ApplicationServer::Subnets {
        ipv4: Some(addr("198.51.100.7/24")),
        ipv6: None,
    });
    s.device_ports = Some(ports(&[(10, 20)], &[21]));
    let flows = s.flows();
    assert_eq!(flows.remote, vec![net("198.51.100.0/24")]);
    assert_eq!(flows.ue_ports, vec![r(10, 21)]);
    assert!(flows.remote_ports.is_empty());
}
