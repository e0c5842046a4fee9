//! Property tests: every duration and rate unit converts exactly, and unit names round-trip.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::cmp::Ordering;

use proptest::prelude::*;
use qod_domain::profile::{
    DURATION_VALUE_RANGE, RATE_VALUE_RANGE, Rate, RateUnit, TimeUnit, TimeValue,
};

fn time_unit() -> impl Strategy<Value = TimeUnit> {
    prop::sample::select(TimeUnit::ALL.to_vec())
}

fn rate_unit() -> impl Strategy<Value = RateUnit> {
    prop::sample::select(RateUnit::ALL.to_vec())
}

fn camara_duration() -> impl Strategy<Value = TimeValue> {
    (DURATION_VALUE_RANGE, time_unit()).prop_map(|(v, u)| TimeValue::new(v, u))
}

fn camara_rate() -> impl Strategy<Value = Rate> {
    (RATE_VALUE_RANGE, rate_unit()).prop_map(|(v, u)| Rate::new(v, u))
}

proptest! {
    #[test]
    fn time_unit_names_round_trip(unit in time_unit()) {
        prop_assert_eq!(TimeUnit::from_name(unit.as_str()), Some(unit));
    }

    #[test]
    fn rate_unit_names_round_trip(unit in rate_unit()) {
        prop_assert_eq!(RateUnit::from_name(unit.as_str()), Some(unit));
    }

    #[test]
    fn a_duration_is_exactly_value_times_its_unit(d in camara_duration()) {
        prop_assert_eq!(d.as_nanos(), i128::from(d.value) * d.unit.nanos());
        prop_assert!(d.in_camara_range());
        // Written in its own unit, it is itself.
        prop_assert_eq!(d.to_unit(d.unit), Some(d));
        // A standard duration carries the same nanoseconds.
        let std = d.to_std().unwrap();
        prop_assert_eq!(i128::try_from(std.as_nanos()).unwrap(), d.as_nanos());
    }

    #[test]
    fn a_duration_converts_to_any_unit_and_back_without_loss(
        d in camara_duration(),
        other in time_unit(),
    ) {
        match d.to_unit(other) {
            Some(converted) => {
                prop_assert_eq!(converted.unit, other);
                prop_assert_eq!(converted.as_nanos(), d.as_nanos());
                prop_assert_eq!(converted.cmp_length(d), Ordering::Equal);
                prop_assert_eq!(converted.to_unit(d.unit), Some(d));
            }
            // Refused only when the length is not a whole number of the unit, or too many
            // of them for an i64.
            None => {
                let exact = d.as_nanos() % other.nanos() == 0;
                let fits = d.as_nanos() / other.nanos() <= i128::from(i64::MAX);
                prop_assert!(!exact || !fits);
            }
        }
        // A finer unit always works while the count fits.
        if other.nanos() <= d.unit.nanos() && d.as_nanos() / other.nanos() <= i128::from(i64::MAX) {
            prop_assert!(d.to_unit(other).is_some());
        }
    }

    #[test]
    fn whole_seconds_bracket_the_exact_length(d in camara_duration()) {
        let nanos = d.as_nanos();
        let (floor, ceil) = (i128::from(d.floor_seconds()), i128::from(d.ceil_seconds()));
        prop_assert!(floor * 1_000_000_000 <= nanos);
        prop_assert!(ceil * 1_000_000_000 >= nanos);
        prop_assert!(ceil - floor <= 1);
        prop_assert_eq!(ceil == floor, nanos % 1_000_000_000 == 0);
    }

    #[test]
    fn comparing_lengths_matches_comparing_nanoseconds(a in camara_duration(), b in camara_duration()) {
        prop_assert_eq!(a.cmp_length(b), a.as_nanos().cmp(&b.as_nanos()));
    }

    #[test]
    fn a_rate_is_exactly_value_times_its_unit(r in camara_rate(), other in rate_unit()) {
        prop_assert_eq!(
            r.bits_per_second(),
            u128::from(r.value) * u128::from(r.unit.bits_per_second())
        );
        prop_assert!(r.in_camara_range());
        prop_assert_eq!(r.to_unit(r.unit), Some(r));
        match r.to_unit(other) {
            Some(converted) => {
                prop_assert_eq!(converted.bits_per_second(), r.bits_per_second());
                prop_assert_eq!(converted.cmp_rate(r), Ordering::Equal);
                prop_assert_eq!(converted.to_unit(r.unit), Some(r));
            }
            None => prop_assert!(
                r.bits_per_second() % u128::from(other.bits_per_second()) != 0
                    || r.bits_per_second() / u128::from(other.bits_per_second()) > u128::from(u32::MAX)
            ),
        }
    }
}

#[test]
fn every_unit_has_its_camara_name() {
    let names: Vec<&str> = TimeUnit::ALL.iter().map(|u| u.as_str()).collect();
    assert_eq!(
        names,
        [
            "Days",
            "Hours",
            "Minutes",
            "Seconds",
            "Milliseconds",
            "Microseconds",
            "Nanoseconds"
        ]
    );
    let names: Vec<&str> = RateUnit::ALL.iter().map(|u| u.as_str()).collect();
    assert_eq!(names, ["bps", "kbps", "Mbps", "Gbps", "Tbps"]);
    assert_eq!(TimeUnit::from_name("days"), None);
    assert_eq!(TimeUnit::from_name("Day"), None);
    assert_eq!(RateUnit::from_name("mbps"), None);
    assert_eq!(RateUnit::from_name(""), None);
}

#[test]
fn examples_of_exact_conversion() {
    let tv = TimeValue::new;
    assert_eq!(
        tv(1, TimeUnit::Days).to_unit(TimeUnit::Hours),
        Some(tv(24, TimeUnit::Hours))
    );
    assert_eq!(tv(90, TimeUnit::Minutes).to_unit(TimeUnit::Hours), None);
    assert_eq!(
        tv(2_147_483_647, TimeUnit::Days).to_unit(TimeUnit::Nanoseconds),
        None,
        "beyond i64 nanoseconds"
    );
    assert_eq!(
        tv(1, TimeUnit::Minutes).cmp_length(tv(60, TimeUnit::Seconds)),
        Ordering::Equal
    );
    assert_ne!(tv(1, TimeUnit::Minutes), tv(60, TimeUnit::Seconds));
    assert_eq!(tv(-1, TimeUnit::Seconds).to_std(), None);
    assert_eq!(
        Rate::new(1, RateUnit::Mbps).to_unit(RateUnit::Kbps),
        Some(Rate::new(1000, RateUnit::Kbps))
    );
    assert_eq!(
        Rate::new(1500, RateUnit::Kbps).to_unit(RateUnit::Mbps),
        None
    );
    assert_eq!(
        Rate::new(1024, RateUnit::Tbps).bits_per_second(),
        1_024_000_000_000_000
    );
}
