//! The rules every profile of a catalogue obeys: CAMARA's schema bounds and consistency.

use std::cmp::Ordering;
use std::fmt;
use std::net::{Ipv4Addr, Ipv6Addr};

use qod_network::UeIdentity;

use super::{QosProfile, Rate, TimeValue};
use crate::device::is_phone_number;

const MAX_DESCRIPTION_CHARS: usize = 1024;
const MAX_COUNTRIES: usize = 250;
const MAX_NETWORKS: usize = 100;

/// A rule a profile breaks: the attribute (as the catalogue names it), the list item at fault
/// when the attribute is a list, and what is wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProfileViolation {
    /// The attribute, e.g. `max_duration` or `country_availability`.
    pub field: &'static str,
    /// The position (from 0) of the list item at fault, if any.
    pub index: Option<usize>,
    /// What is wrong, in a sentence.
    pub message: String,
}

impl ProfileViolation {
    /// A violation of `field` (item `index` of it, when given).
    pub fn new(field: &'static str, index: Option<usize>, message: impl Into<String>) -> Self {
        Self {
            field,
            index,
            message: message.into(),
        }
    }
}

impl fmt::Display for ProfileViolation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.index {
            Some(i) => write!(f, "{}[{i}]: {}", self.field, self.message),
            None => write!(f, "{}: {}", self.field, self.message),
        }
    }
}

/// True for a CAMARA profile name: `^[a-zA-Z0-9_.-]+$`, 3 to 256 characters.
pub fn is_profile_name(name: &str) -> bool {
    (3..=256).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-'))
}

/// The canonical form of a device key as sessions record it (`tel:+E164`, `ipv4:ADDR:PORT`,
/// `ipv4:PUBLIC/PRIVATE`, `ipv6:ADDR`), or `None` when `key` names no device.
pub fn canonical_device_key(key: &str) -> Option<String> {
    let identity = if let Some(number) = key.strip_prefix("tel:") {
        is_phone_number(number).then(|| UeIdentity::Msisdn {
            number: number.to_owned(),
        })?
    } else if let Some(rest) = key.strip_prefix("ipv4:") {
        if let Some((public, private)) = rest.split_once('/') {
            UeIdentity::Ipv4 {
                public: public.parse::<Ipv4Addr>().ok()?,
                private: Some(private.parse::<Ipv4Addr>().ok()?),
                port: None,
            }
        } else {
            let (public, port) = rest.rsplit_once(':')?;
            let port = port.parse::<u16>().ok().filter(|p| *p != 0)?;
            UeIdentity::Ipv4 {
                public: public.parse::<Ipv4Addr>().ok()?,
                private: None,
                port: Some(port),
            }
        }
    } else {
        UeIdentity::Ipv6 {
            address: key.strip_prefix("ipv6:")?.parse::<Ipv6Addr>().ok()?,
        }
    };
    Some(identity.to_string())
}

/// True for a description CAMARA accepts: at most 1024 characters, no control characters other
/// than tab, line feed and carriage return.
fn is_description(text: &str) -> bool {
    text.chars().count() <= MAX_DESCRIPTION_CHARS
        && !text.chars().any(|c| {
            matches!(c, '\u{0}'..='\u{8}' | '\u{b}' | '\u{c}' | '\u{e}'..='\u{1f}' | '\u{7f}'..='\u{9f}')
        })
}

fn check_duration(field: &'static str, value: Option<TimeValue>) -> Result<(), ProfileViolation> {
    match value {
        Some(v) if !v.in_camara_range() => Err(ProfileViolation::new(
            field,
            None,
            format!("the value must be 1 to 2147483647, not {}", v.value),
        )),
        _ => Ok(()),
    }
}

fn check_rate(field: &'static str, value: Option<Rate>) -> Result<(), ProfileViolation> {
    match value {
        Some(r) if !r.in_camara_range() => Err(ProfileViolation::new(
            field,
            None,
            format!(
                "the value must be 0 to 1024, not {} (write a larger unit instead)",
                r.value
            ),
        )),
        _ => Ok(()),
    }
}

/// Checks `low <= high` for two rates of one direction.
fn check_rate_order(
    field: &'static str,
    low: Option<Rate>,
    low_name: &str,
    high: Option<Rate>,
    high_name: &str,
) -> Result<(), ProfileViolation> {
    match (low, high) {
        (Some(l), Some(h)) if l.cmp_rate(h) == Ordering::Greater => Err(ProfileViolation::new(
            field,
            None,
            format!("{low_name} must not exceed {high_name}"),
        )),
        _ => Ok(()),
    }
}

fn check_range(
    field: &'static str,
    value: Option<u8>,
    range: std::ops::RangeInclusive<u8>,
) -> Result<(), ProfileViolation> {
    match value {
        Some(v) if !range.contains(&v) => Err(ProfileViolation::new(
            field,
            None,
            format!("must be {} to {}, not {v}", range.start(), range.end()),
        )),
        _ => Ok(()),
    }
}

impl QosProfile {
    /// Checks the profile against CAMARA's schema and its own consistency: the name, the
    /// description, every bound, `min_duration <= max_duration` with at least one whole second
    /// between them, rates in order (target minimum <= maximum <= burst), countries, device keys
    /// in canonical form, and a QoS reference. Returns the first violation.
    pub fn validate(&self) -> Result<(), ProfileViolation> {
        if !is_profile_name(&self.name) {
            return Err(ProfileViolation::new(
                "name",
                None,
                format!(
                    "{:?} is not a profile name (3 to 256 letters, digits, '_', '.' or '-')",
                    self.name
                ),
            ));
        }
        if let Some(d) = &self.description
            && !is_description(d)
        {
            return Err(ProfileViolation::new(
                "description",
                None,
                "must be at most 1024 characters without control characters",
            ));
        }
        self.check_countries()?;
        self.check_rates()?;
        self.check_durations()?;
        check_range("priority", self.priority, 1..=100)?;
        check_range(
            "packet_error_loss_rate",
            self.packet_error_loss_rate,
            1..=10,
        )?;
        for (i, key) in self.restricted_to.iter().enumerate() {
            match canonical_device_key(key) {
                Some(canonical) if canonical == *key => {}
                Some(canonical) => {
                    return Err(ProfileViolation::new(
                        "restricted_to",
                        Some(i),
                        format!("write {key:?} as {canonical:?}"),
                    ));
                }
                None => {
                    return Err(ProfileViolation::new(
                        "restricted_to",
                        Some(i),
                        format!(
                            "{key:?} is not a device key (tel:+E164, ipv4:ADDR:PORT, \
                             ipv4:PUBLIC/PRIVATE or ipv6:ADDR)"
                        ),
                    ));
                }
            }
        }
        if self.qos_reference.trim().is_empty() {
            return Err(ProfileViolation::new(
                "qos_reference",
                None,
                "must not be empty",
            ));
        }
        Ok(())
    }

    fn check_countries(&self) -> Result<(), ProfileViolation> {
        let field = "country_availability";
        if self.country_availability.len() > MAX_COUNTRIES {
            return Err(ProfileViolation::new(
                field,
                None,
                format!("at most {MAX_COUNTRIES} countries"),
            ));
        }
        for (i, c) in self.country_availability.iter().enumerate() {
            let bad = |m: String| Err(ProfileViolation::new(field, Some(i), m));
            if c.country_name.len() != 2 || !c.country_name.bytes().all(|b| b.is_ascii_uppercase())
            {
                return bad(format!(
                    "country_name {:?} is not a two-letter upper-case country code",
                    c.country_name
                ));
            }
            if c.networks.len() > MAX_NETWORKS {
                return bad(format!("at most {MAX_NETWORKS} networks per country"));
            }
            if let Some(n) = c
                .networks
                .iter()
                .find(|n| !(5..=6).contains(&n.len()) || !n.bytes().all(|b| b.is_ascii_digit()))
            {
                return bad(format!("network {n:?} is not a PLMN id of 5 or 6 digits"));
            }
        }
        Ok(())
    }

    fn check_rates(&self) -> Result<(), ProfileViolation> {
        check_rate("target_min_upstream_rate", self.target_min_upstream_rate)?;
        check_rate("max_upstream_rate", self.max_upstream_rate)?;
        check_rate("max_upstream_burst_rate", self.max_upstream_burst_rate)?;
        check_rate(
            "target_min_downstream_rate",
            self.target_min_downstream_rate,
        )?;
        check_rate("max_downstream_rate", self.max_downstream_rate)?;
        check_rate("max_downstream_burst_rate", self.max_downstream_burst_rate)?;
        check_rate_order(
            "target_min_upstream_rate",
            self.target_min_upstream_rate,
            "target_min_upstream_rate",
            self.max_upstream_rate,
            "max_upstream_rate",
        )?;
        check_rate_order(
            "max_upstream_burst_rate",
            self.max_upstream_rate,
            "max_upstream_rate",
            self.max_upstream_burst_rate,
            "max_upstream_burst_rate",
        )?;
        check_rate_order(
            "target_min_downstream_rate",
            self.target_min_downstream_rate,
            "target_min_downstream_rate",
            self.max_downstream_rate,
            "max_downstream_rate",
        )?;
        check_rate_order(
            "max_downstream_burst_rate",
            self.max_downstream_rate,
            "max_downstream_rate",
            self.max_downstream_burst_rate,
            "max_downstream_burst_rate",
        )
    }

    fn check_durations(&self) -> Result<(), ProfileViolation> {
        check_duration("min_duration", self.min_duration)?;
        check_duration("max_duration", self.max_duration)?;
        check_duration("packet_delay_budget", self.packet_delay_budget)?;
        check_duration("jitter", self.jitter)?;
        if let (Some(min), Some(max)) = (self.min_duration, self.max_duration)
            && min.cmp_length(max) == Ordering::Greater
        {
            return Err(ProfileViolation::new(
                "min_duration",
                None,
                format!(
                    "min_duration ({} {}) is longer than max_duration ({} {})",
                    min.value,
                    min.unit.as_str(),
                    max.value,
                    max.unit.as_str()
                ),
            ));
        }
        if self.max_duration.is_some() && self.max_duration_secs() < 1 {
            return Err(ProfileViolation::new(
                "max_duration",
                None,
                "must be at least one second (session durations are whole seconds)",
            ));
        }
        if self.min_duration_secs() > self.max_duration_secs() {
            let field = if self.max_duration.is_some() {
                "max_duration"
            } else {
                "min_duration"
            };
            return Err(ProfileViolation::new(
                field,
                None,
                format!(
                    "no whole number of seconds lies between min_duration ({} s, rounded up) \
                     and max_duration ({} s, rounded down)",
                    self.min_duration_secs(),
                    self.max_duration_secs()
                ),
            ));
        }
        Ok(())
    }
}
