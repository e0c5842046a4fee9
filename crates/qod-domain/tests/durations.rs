//! Exact quantities of QoS profiles and the sandbox catalogue.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use qod_domain::profile::{Rate, RateUnit, TimeUnit, TimeValue};
use qod_domain::{ProfileCatalogue, ProfileStatus, QosProfile, StaticCatalogue};

fn tv(value: i64, unit: TimeUnit) -> TimeValue {
    TimeValue { value, unit }
}

fn profile(min: Option<TimeValue>, max: Option<TimeValue>) -> QosProfile {
    QosProfile {
        name: "TEST".into(),
        description: None,
        status: ProfileStatus::Active,
        country_availability: vec![],
        target_min_upstream_rate: None,
        max_upstream_rate: None,
        max_upstream_burst_rate: None,
        target_min_downstream_rate: None,
        max_downstream_rate: None,
        max_downstream_burst_rate: None,
        min_duration: min,
        max_duration: max,
        priority: None,
        packet_delay_budget: None,
        jitter: None,
        packet_error_loss_rate: None,
        l4s_queue_type: None,
        service_class: None,
        restricted_to: vec![],
        qos_reference: "TEST".into(),
    }
}

// ---------------------------------------------------------------- TimeValue

#[test]
fn unit_lengths_are_consistent() {
    assert_eq!(TimeUnit::Nanoseconds.nanos(), 1);
    assert_eq!(TimeUnit::Microseconds.nanos(), 1_000);
    assert_eq!(TimeUnit::Milliseconds.nanos(), 1_000_000);
    assert_eq!(TimeUnit::Seconds.nanos(), 1_000_000_000);
    assert_eq!(TimeUnit::Minutes.nanos(), 60 * TimeUnit::Seconds.nanos());
    assert_eq!(TimeUnit::Hours.nanos(), 60 * TimeUnit::Minutes.nanos());
    assert_eq!(TimeUnit::Days.nanos(), 24 * TimeUnit::Hours.nanos());
}

#[test]
fn whole_units_convert_to_the_same_seconds_both_ways() {
    let cases = [
        (tv(2, TimeUnit::Days), 172_800),
        (tv(3, TimeUnit::Hours), 10_800),
        (tv(5, TimeUnit::Minutes), 300),
        (tv(7, TimeUnit::Seconds), 7),
        (tv(4_000, TimeUnit::Milliseconds), 4),
        (tv(2_000_000, TimeUnit::Microseconds), 2),
        (tv(3_000_000_000, TimeUnit::Nanoseconds), 3),
        (tv(0, TimeUnit::Seconds), 0),
    ];
    for (value, secs) in cases {
        assert_eq!(value.ceil_seconds(), secs, "ceil of {value:?}");
        assert_eq!(value.floor_seconds(), secs, "floor of {value:?}");
    }
}

#[test]
fn fractions_of_a_second_round_up_for_ceil_and_down_for_floor() {
    let cases = [
        (tv(1_500, TimeUnit::Milliseconds), 2, 1),
        (tv(999, TimeUnit::Milliseconds), 1, 0),
        (tv(1_001, TimeUnit::Milliseconds), 2, 1),
        (tv(2_000_001, TimeUnit::Microseconds), 3, 2),
        (tv(1, TimeUnit::Microseconds), 1, 0),
        (tv(1, TimeUnit::Nanoseconds), 1, 0),
        (tv(1_999_999_999, TimeUnit::Nanoseconds), 2, 1),
    ];
    for (value, ceil, floor) in cases {
        assert_eq!(value.ceil_seconds(), ceil, "ceil of {value:?}");
        assert_eq!(value.floor_seconds(), floor, "floor of {value:?}");
    }
}

#[test]
fn as_nanos_is_exact_even_beyond_i64() {
    assert_eq!(tv(1, TimeUnit::Days).as_nanos(), 86_400_000_000_000);
    assert_eq!(tv(1_500, TimeUnit::Milliseconds).as_nanos(), 1_500_000_000);
    assert_eq!(
        tv(i64::MAX, TimeUnit::Nanoseconds).as_nanos(),
        i128::from(i64::MAX)
    );
    assert_eq!(
        tv(i64::MAX, TimeUnit::Days).as_nanos(),
        i128::from(i64::MAX) * 86_400_000_000_000
    );
    assert_eq!(
        tv(i64::MIN, TimeUnit::Days).as_nanos(),
        i128::from(i64::MIN) * 86_400_000_000_000
    );
    // One nanosecond more than a whole number of days stays visible.
    assert_eq!(
        tv(86_400_000_000_001, TimeUnit::Nanoseconds).as_nanos() - tv(1, TimeUnit::Days).as_nanos(),
        1
    );
}

#[test]
fn seconds_saturate_instead_of_wrapping() {
    let huge = tv(i64::MAX, TimeUnit::Days);
    assert_eq!(huge.ceil_seconds(), i64::MAX);
    assert_eq!(huge.floor_seconds(), i64::MAX);
    let max_secs = tv(i64::MAX, TimeUnit::Seconds);
    assert_eq!(max_secs.ceil_seconds(), i64::MAX);
    assert_eq!(max_secs.floor_seconds(), i64::MAX);
}

#[test]
fn negative_values_round_in_the_right_direction() {
    let minus_one_and_a_half = tv(-1_500, TimeUnit::Milliseconds);
    assert_eq!(minus_one_and_a_half.ceil_seconds(), -1);
    assert_eq!(minus_one_and_a_half.floor_seconds(), -2);
    assert_eq!(tv(-1, TimeUnit::Nanoseconds).floor_seconds(), -1);
    assert_eq!(tv(i64::MIN, TimeUnit::Days).floor_seconds(), i64::MIN);
}

// ---------------------------------------------------------------- Rate

#[test]
fn rates_convert_exactly_to_bits_per_second() {
    let rate = |value, unit| Rate { value, unit };
    assert_eq!(rate(7, RateUnit::Bps).bits_per_second(), 7);
    assert_eq!(rate(500, RateUnit::Kbps).bits_per_second(), 500_000);
    assert_eq!(rate(4, RateUnit::Mbps).bits_per_second(), 4_000_000);
    assert_eq!(rate(3, RateUnit::Gbps).bits_per_second(), 3_000_000_000);
    assert_eq!(rate(2, RateUnit::Tbps).bits_per_second(), 2_000_000_000_000);
    assert_eq!(
        rate(u32::MAX, RateUnit::Tbps).bits_per_second(),
        u128::from(u32::MAX) * 1_000_000_000_000
    );
    assert_eq!(rate(0, RateUnit::Gbps).bits_per_second(), 0);
}

// ---------------------------------------------------------------- QosProfile

#[test]
fn durations_default_to_one_second_and_i32_max() {
    let p = profile(None, None);
    assert_eq!(p.min_duration_secs(), 1);
    assert_eq!(p.max_duration_secs(), i64::from(i32::MAX));
}

#[test]
fn the_minimum_rounds_up_and_is_at_least_one_second() {
    assert_eq!(
        profile(Some(tv(1_500, TimeUnit::Milliseconds)), None).min_duration_secs(),
        2
    );
    assert_eq!(
        profile(Some(tv(500, TimeUnit::Milliseconds)), None).min_duration_secs(),
        1
    );
    assert_eq!(
        profile(Some(tv(0, TimeUnit::Seconds)), None).min_duration_secs(),
        1
    );
    assert_eq!(
        profile(Some(tv(2, TimeUnit::Minutes)), None).min_duration_secs(),
        120
    );
}

#[test]
fn the_maximum_rounds_down() {
    assert_eq!(
        profile(None, Some(tv(1_500, TimeUnit::Milliseconds))).max_duration_secs(),
        1
    );
    assert_eq!(
        profile(None, Some(tv(1, TimeUnit::Days))).max_duration_secs(),
        86_400
    );
    assert_eq!(
        profile(None, Some(tv(90_061_999, TimeUnit::Microseconds))).max_duration_secs(),
        90
    );
}

#[test]
fn an_unrestricted_profile_is_available_to_every_device() {
    let p = profile(None, None);
    assert!(p.available_to("tel:+34600000001"));
    assert!(p.available_to("ipv4:203.0.113.5:5000"));
}

#[test]
fn a_restricted_profile_is_available_only_to_its_devices() {
    let mut p = profile(None, None);
    p.restricted_to = vec!["tel:+34600000001".into(), "ipv6:2001:db8::1".into()];
    assert!(p.available_to("tel:+34600000001"));
    assert!(p.available_to("ipv6:2001:db8::1"));
    assert!(!p.available_to("tel:+34600000002"));
    assert!(!p.available_to("+34600000001"));
    assert!(!p.available_to(""));
}

// ---------------------------------------------------------------- sandbox catalogue

#[test]
fn the_sandbox_catalogue_lists_its_profiles_in_order_with_their_statuses() {
    let catalogue = StaticCatalogue::sandbox();
    let listed: Vec<(String, ProfileStatus)> = catalogue
        .profiles()
        .iter()
        .map(|p| (p.name.clone(), p.status))
        .collect();
    assert_eq!(
        listed,
        vec![
            ("QOS_E".to_string(), ProfileStatus::Active),
            ("QOS_S".to_string(), ProfileStatus::Active),
            ("QOS_M".to_string(), ProfileStatus::Active),
            ("QOS_L".to_string(), ProfileStatus::Active),
            ("QOS_XL".to_string(), ProfileStatus::Inactive),
            ("QOS_LEGACY".to_string(), ProfileStatus::Deprecated),
        ]
    );
}

#[test]
fn every_sandbox_profile_runs_from_one_second_to_one_day() {
    for p in StaticCatalogue::sandbox().profiles() {
        assert_eq!(p.min_duration_secs(), 1, "{}", p.name);
        assert_eq!(p.max_duration_secs(), 86_400, "{}", p.name);
        assert!(p.restricted_to.is_empty(), "{}", p.name);
        assert_eq!(p.qos_reference, p.name);
        assert!(p.description.is_some(), "{}", p.name);
    }
}

#[test]
fn sandbox_profiles_are_found_by_exact_name() {
    let catalogue = StaticCatalogue::sandbox();
    let e = catalogue.profile("QOS_E").unwrap();
    assert_eq!(e.name, "QOS_E");
    assert_eq!(
        e.max_downstream_rate.map(Rate::bits_per_second),
        Some(500_000)
    );
    assert_eq!(
        e.packet_delay_budget.map(TimeValue::as_nanos),
        Some(20_000_000)
    );
    let l = catalogue.profile("QOS_L").unwrap();
    assert_eq!(
        l.max_upstream_rate.map(Rate::bits_per_second),
        Some(20_000_000)
    );
    assert_eq!(
        l.target_min_upstream_rate.map(Rate::bits_per_second),
        Some(10_000_000)
    );
    assert!(catalogue.profile("QOS_XL").is_some());
    assert!(catalogue.profile("qos_e").is_none());
    assert!(catalogue.profile("QOS_NOPE").is_none());
    assert!(catalogue.profile("").is_none());
}

#[test]
fn a_custom_catalogue_holds_exactly_its_profiles() {
    let catalogue = StaticCatalogue::new(vec![profile(None, None)]);
    assert_eq!(catalogue.profiles().len(), 1);
    assert!(catalogue.profile("TEST").is_some());
    assert!(catalogue.profile("QOS_E").is_none());
    assert!(StaticCatalogue::default().profiles().is_empty());
}

#[test]
fn profile_status_names() {
    assert_eq!(ProfileStatus::Active.as_str(), "ACTIVE");
    assert_eq!(ProfileStatus::Inactive.as_str(), "INACTIVE");
    assert_eq!(ProfileStatus::Deprecated.as_str(), "DEPRECATED");
}
