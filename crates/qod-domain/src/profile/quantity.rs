//! Exact quantities of QoS profiles: durations and bit rates as an integer and a unit.
//!
//! Values are kept exactly as the operator wrote them (`1 Days` stays `1 Days`); every
//! conversion is integer arithmetic, never floating point.

use std::cmp::Ordering;

use serde::{Deserialize, Serialize};

/// Units of a [`TimeValue`], with their CAMARA names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum TimeUnit {
    Days,
    Hours,
    Minutes,
    Seconds,
    Milliseconds,
    Microseconds,
    Nanoseconds,
}

impl TimeUnit {
    /// Every unit, longest first.
    pub const ALL: [TimeUnit; 7] = [
        Self::Days,
        Self::Hours,
        Self::Minutes,
        Self::Seconds,
        Self::Milliseconds,
        Self::Microseconds,
        Self::Nanoseconds,
    ];

    /// Nanoseconds in one unit.
    pub fn nanos(self) -> i128 {
        match self {
            Self::Days => 86_400_000_000_000,
            Self::Hours => 3_600_000_000_000,
            Self::Minutes => 60_000_000_000,
            Self::Seconds => 1_000_000_000,
            Self::Milliseconds => 1_000_000,
            Self::Microseconds => 1_000,
            Self::Nanoseconds => 1,
        }
    }

    /// The CAMARA name (`TimeUnitEnum`), e.g. `Milliseconds`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Days => "Days",
            Self::Hours => "Hours",
            Self::Minutes => "Minutes",
            Self::Seconds => "Seconds",
            Self::Milliseconds => "Milliseconds",
            Self::Microseconds => "Microseconds",
            Self::Nanoseconds => "Nanoseconds",
        }
    }

    /// The unit with this CAMARA name (case-sensitive).
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|u| u.as_str() == name)
    }
}

/// A duration as CAMARA writes it: an integer and a unit, kept exactly as given.
///
/// Two values of different units may have the same length (`60 Seconds`, `1 Minutes`); they are
/// different values but [`TimeValue::cmp_length`] finds them equal.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct TimeValue {
    pub value: i64,
    pub unit: TimeUnit,
}

/// CAMARA's bounds of `Duration.value` (an int32 of at least 1).
pub const DURATION_VALUE_RANGE: std::ops::RangeInclusive<i64> = 1..=2_147_483_647;

impl TimeValue {
    /// A duration of `value` units.
    pub fn new(value: i64, unit: TimeUnit) -> Self {
        Self { value, unit }
    }

    /// The exact length in nanoseconds.
    pub fn as_nanos(self) -> i128 {
        i128::from(self.value) * self.unit.nanos()
    }

    /// Whole seconds, rounded up (a minimum of 1.5 s means 2 s).
    pub fn ceil_seconds(self) -> i64 {
        saturate(-((-self.as_nanos()).div_euclid(1_000_000_000)))
    }

    /// Whole seconds, rounded down (a maximum of 1.5 s means 1 s).
    pub fn floor_seconds(self) -> i64 {
        saturate(self.as_nanos().div_euclid(1_000_000_000))
    }

    /// Compares the lengths of two durations, whatever their units.
    pub fn cmp_length(self, other: TimeValue) -> Ordering {
        self.as_nanos().cmp(&other.as_nanos())
    }

    /// The same length in another unit, when it is a whole number of that unit that fits.
    pub fn to_unit(self, unit: TimeUnit) -> Option<TimeValue> {
        let nanos = self.as_nanos();
        (nanos % unit.nanos() == 0)
            .then(|| i64::try_from(nanos / unit.nanos()).ok())
            .flatten()
            .map(|value| TimeValue { value, unit })
    }

    /// The length as a standard duration; `None` when negative.
    pub fn to_std(self) -> Option<std::time::Duration> {
        let nanos = u128::try_from(self.as_nanos()).ok()?;
        let secs = u64::try_from(nanos / 1_000_000_000).ok()?;
        let sub = u32::try_from(nanos % 1_000_000_000).ok()?;
        Some(std::time::Duration::new(secs, sub))
    }

    /// True when the value is within CAMARA's bounds (1 to 2147483647).
    pub fn in_camara_range(self) -> bool {
        DURATION_VALUE_RANGE.contains(&self.value)
    }
}

/// Clamps to the range of `i64`.
fn saturate(x: i128) -> i64 {
    i64::try_from(x).unwrap_or(if x < 0 { i64::MIN } else { i64::MAX })
}

/// Units of a [`Rate`], with their CAMARA names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum RateUnit {
    Bps,
    Kbps,
    Mbps,
    Gbps,
    Tbps,
}

impl RateUnit {
    /// Every unit, smallest first.
    pub const ALL: [RateUnit; 5] = [Self::Bps, Self::Kbps, Self::Mbps, Self::Gbps, Self::Tbps];

    /// Bits per second in one unit.
    pub fn bits_per_second(self) -> u64 {
        match self {
            Self::Bps => 1,
            Self::Kbps => 1_000,
            Self::Mbps => 1_000_000,
            Self::Gbps => 1_000_000_000,
            Self::Tbps => 1_000_000_000_000,
        }
    }

    /// The CAMARA name (`RateUnitEnum`), e.g. `kbps`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Bps => "bps",
            Self::Kbps => "kbps",
            Self::Mbps => "Mbps",
            Self::Gbps => "Gbps",
            Self::Tbps => "Tbps",
        }
    }

    /// The unit with this CAMARA name (case-sensitive: `Mbps`, not `mbps`).
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|u| u.as_str() == name)
    }
}

/// A bit rate as CAMARA writes it: an integer and a unit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Rate {
    pub value: u32,
    pub unit: RateUnit,
}

/// CAMARA's bounds of `Rate.value`.
pub const RATE_VALUE_RANGE: std::ops::RangeInclusive<u32> = 0..=1024;

impl Rate {
    /// A rate of `value` units.
    pub fn new(value: u32, unit: RateUnit) -> Self {
        Self { value, unit }
    }

    /// The exact rate in bits per second.
    pub fn bits_per_second(self) -> u128 {
        u128::from(self.value) * u128::from(self.unit.bits_per_second())
    }

    /// Compares two rates, whatever their units.
    pub fn cmp_rate(self, other: Rate) -> Ordering {
        self.bits_per_second().cmp(&other.bits_per_second())
    }

    /// The same rate in another unit, when it is a whole number of that unit that fits.
    pub fn to_unit(self, unit: RateUnit) -> Option<Rate> {
        let bps = self.bits_per_second();
        let per_unit = u128::from(unit.bits_per_second());
        bps.is_multiple_of(per_unit)
            .then(|| u32::try_from(bps / per_unit).ok())
            .flatten()
            .map(|value| Rate { value, unit })
    }

    /// True when the value is within CAMARA's bounds (0 to 1024).
    pub fn in_camara_range(self) -> bool {
        RATE_VALUE_RANGE.contains(&self.value)
    }
}
