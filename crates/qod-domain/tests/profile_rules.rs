//! The rules every profile of a catalogue obeys, each naming the field it concerns.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use qod_domain::profile::{
    CountryAvailability, L4sQueueType, ProfileViolation, Rate, RateUnit, ServiceClass, TimeUnit,
    TimeValue, canonical_device_key,
};
use qod_domain::{ProfileCatalogue, ProfileStatus, QosProfile, StaticCatalogue};
use qod_network::UeIdentity;

const LISTED: &str = "tel:+34600000001";

fn violation(change: impl FnOnce(&mut QosProfile)) -> ProfileViolation {
    let mut p = (*StaticCatalogue::sandbox().profiles()[0]).clone();
    change(&mut p);
    p.validate().expect_err("should break a rule")
}

#[test]
fn the_sandbox_catalogue_obeys_every_rule() {
    let all: Vec<QosProfile> = StaticCatalogue::sandbox()
        .profiles()
        .iter()
        .map(|p| (**p).clone())
        .collect();
    assert_eq!(StaticCatalogue::validated(all).unwrap().len(), 6);
}

#[test]
fn each_rule_names_its_field() {
    let tv = TimeValue::new;
    let cases: Vec<(ProfileViolation, &str, Option<usize>)> = vec![
        (violation(|p| p.name = "ab".into()), "name", None),
        (violation(|p| p.name = "a b c".into()), "name", None),
        (
            violation(|p| p.description = Some("bell\u{7}".into())),
            "description",
            None,
        ),
        (
            violation(|p| p.description = Some("x".repeat(1025))),
            "description",
            None,
        ),
        (
            violation(|p| {
                p.min_duration = Some(tv(2, TimeUnit::Days));
                p.max_duration = Some(tv(1, TimeUnit::Days));
            }),
            "min_duration",
            None,
        ),
        (
            violation(|p| {
                p.min_duration = Some(tv(1_500, TimeUnit::Milliseconds));
                p.max_duration = Some(tv(1_900, TimeUnit::Milliseconds));
            }),
            "max_duration",
            None,
        ),
        (
            violation(|p| {
                p.min_duration = Some(tv(1, TimeUnit::Milliseconds));
                p.max_duration = Some(tv(999, TimeUnit::Milliseconds));
            }),
            "max_duration",
            None,
        ),
        (
            violation(|p| p.jitter = Some(tv(0, TimeUnit::Milliseconds))),
            "jitter",
            None,
        ),
        (
            violation(|p| {
                p.packet_delay_budget = Some(tv(i64::from(i32::MAX) + 1, TimeUnit::Nanoseconds))
            }),
            "packet_delay_budget",
            None,
        ),
        (
            violation(|p| p.max_upstream_burst_rate = Some(Rate::new(1025, RateUnit::Kbps))),
            "max_upstream_burst_rate",
            None,
        ),
        (
            violation(|p| {
                p.target_min_downstream_rate = Some(Rate::new(1, RateUnit::Mbps));
                p.max_downstream_rate = Some(Rate::new(999, RateUnit::Kbps));
            }),
            "target_min_downstream_rate",
            None,
        ),
        (violation(|p| p.priority = Some(0)), "priority", None),
        (violation(|p| p.priority = Some(101)), "priority", None),
        (
            violation(|p| p.packet_error_loss_rate = Some(11)),
            "packet_error_loss_rate",
            None,
        ),
        (
            violation(|p| {
                p.country_availability = vec![
                    CountryAvailability {
                        country_name: "ES".into(),
                        networks: vec![],
                    },
                    CountryAvailability {
                        country_name: "es".into(),
                        networks: vec![],
                    },
                ]
            }),
            "country_availability",
            Some(1),
        ),
        (
            violation(|p| {
                p.country_availability = vec![CountryAvailability {
                    country_name: "ES".into(),
                    networks: vec!["2140".into()],
                }]
            }),
            "country_availability",
            Some(0),
        ),
        (
            violation(|p| p.restricted_to = vec![LISTED.into(), "+34600000002".into()]),
            "restricted_to",
            Some(1),
        ),
        (
            violation(|p| p.restricted_to = vec!["ipv6:2001:DB8::1".into()]),
            "restricted_to",
            Some(0),
        ),
        (
            violation(|p| p.qos_reference = " ".into()),
            "qos_reference",
            None,
        ),
    ];
    for (v, field, index) in cases {
        assert_eq!((v.field, v.index), (field, index), "{v}");
        assert!(!v.message.is_empty());
    }
}

#[test]
fn duplicate_names_are_refused_at_the_second() {
    let p = (*StaticCatalogue::sandbox().profiles()[0]).clone();
    let (at, v) = StaticCatalogue::validated(vec![p.clone(), p]).unwrap_err();
    assert_eq!(at, 1);
    assert_eq!(v.field, "name");
}

#[test]
fn device_keys_are_canonical() {
    let canon = |k: &str| canonical_device_key(k);
    assert_eq!(
        canon("tel:+34600000001").as_deref(),
        Some("tel:+34600000001")
    );
    assert_eq!(
        canon("ipv4:84.125.93.10:59765").as_deref(),
        Some("ipv4:84.125.93.10:59765")
    );
    assert_eq!(
        canon("ipv4:84.125.93.10/10.0.0.1").as_deref(),
        Some("ipv4:84.125.93.10/10.0.0.1")
    );
    assert_eq!(
        canon("ipv6:2001:DB8:0::1").as_deref(),
        Some("ipv6:2001:db8::1")
    );
    for bad in [
        "",
        "tel:34600000001",
        "ipv4:1.2.3.4",
        "ipv4:1.2.3.4:0",
        "ipv4:1.2.3:80",
        "ipv6:x",
        "nai:a@b",
    ] {
        assert_eq!(canon(bad), None, "{bad}");
    }
    // Keys match what sessions record for the same device.
    let ue = UeIdentity::Ipv4 {
        public: "84.125.93.10".parse().unwrap(),
        private: Some("10.0.0.1".parse().unwrap()),
        port: Some(59765),
    };
    assert_eq!(canon(&ue.to_string()), Some(ue.to_string()));
}

#[test]
fn experimental_enums_have_camara_names() {
    for q in L4sQueueType::ALL {
        assert_eq!(L4sQueueType::from_name(q.as_str()), Some(q));
    }
    for c in ServiceClass::ALL {
        assert_eq!(ServiceClass::from_name(c.as_str()), Some(c));
    }
    assert_eq!(ServiceClass::ALL.len(), 9);
    assert_eq!(
        ProfileStatus::from_name("ACTIVE"),
        Some(ProfileStatus::Active)
    );
    assert_eq!(ProfileStatus::from_name("active"), None);
}
