//! The catalogue file as written, with the position of every value, and its conversion into
//! domain profiles.

use std::ops::Range;

use qod_domain::profile::{
    CountryAvailability, L4sQueueType, Rate, RateUnit, ServiceClass, TimeUnit, TimeValue,
    canonical_device_key,
};
use qod_domain::{ProfileStatus, QosProfile, StaticCatalogue};
use serde::Deserialize;
use toml::Spanned;

use super::{CatalogueError, Source};

/// The whole file: a list of `[[profile]]` tables.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawFile {
    #[serde(default)]
    profile: Vec<Spanned<RawProfile>>,
}

/// One `[[profile]]` table. Quantities are written `"<integer> <unit>"`, e.g. `"500 kbps"`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawProfile {
    name: Spanned<String>,
    description: Option<Spanned<String>>,
    status: Spanned<String>,
    qos_reference: Option<Spanned<String>>,
    #[serde(default)]
    restricted_to: Vec<Spanned<String>>,
    #[serde(default)]
    country_availability: Vec<Spanned<RawCountry>>,
    target_min_upstream_rate: Option<Spanned<String>>,
    max_upstream_rate: Option<Spanned<String>>,
    max_upstream_burst_rate: Option<Spanned<String>>,
    target_min_downstream_rate: Option<Spanned<String>>,
    max_downstream_rate: Option<Spanned<String>>,
    max_downstream_burst_rate: Option<Spanned<String>>,
    min_duration: Option<Spanned<String>>,
    max_duration: Option<Spanned<String>>,
    priority: Option<Spanned<i64>>,
    packet_delay_budget: Option<Spanned<String>>,
    jitter: Option<Spanned<String>>,
    packet_error_loss_rate: Option<Spanned<i64>>,
    l4s_queue_type: Option<Spanned<String>>,
    service_class: Option<Spanned<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCountry {
    country_name: String,
    #[serde(default)]
    networks: Vec<String>,
}

impl RawFile {
    /// The checked catalogue, or the first error with its position.
    pub(super) fn into_catalogue(
        self,
        source: &Source<'_>,
    ) -> Result<StaticCatalogue, CatalogueError> {
        if self.profile.is_empty() {
            return Err(source.error(
                0,
                "profile".into(),
                "the catalogue defines no profile (add [[profile]] tables)",
            ));
        }
        let profiles = self
            .profile
            .iter()
            .enumerate()
            .map(|(i, raw)| {
                raw.get_ref().convert(&Cx {
                    source,
                    number: i + 1,
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        StaticCatalogue::validated(profiles).map_err(|(i, violation)| {
            let raw = &self.profile[i];
            let span = raw
                .get_ref()
                .span_of(violation.field, violation.index)
                .unwrap_or_else(|| raw.span());
            let field = match violation.index {
                Some(item) => format!("profile[{}].{}[{item}]", i + 1, violation.field),
                None => format!("profile[{}].{}", i + 1, violation.field),
            };
            source.error(span.start, field, violation.message)
        })
    }
}

/// Where a profile sits, for its errors.
struct Cx<'a, 'b> {
    source: &'a Source<'b>,
    number: usize,
}

impl Cx<'_, '_> {
    fn error<T>(&self, at: &Spanned<T>, field: &str, message: String) -> CatalogueError {
        self.source.error(
            at.span().start,
            format!("profile[{}].{field}", self.number),
            message,
        )
    }

    /// Splits `"<integer> <unit>"`.
    fn quantity<'s>(
        &self,
        raw: &'s Spanned<String>,
        field: &str,
    ) -> Result<(i64, &'s str), CatalogueError> {
        let text = raw.get_ref();
        let mut parts = text.split_whitespace();
        match (parts.next(), parts.next(), parts.next()) {
            (Some(value), Some(unit), None) => value
                .parse::<i64>()
                .map(|v| (v, unit))
                .map_err(|_| self.error(raw, field, format!("{value:?} is not a whole number"))),
            _ => Err(self.error(
                raw,
                field,
                format!("write a whole number and a unit, e.g. \"20 Milliseconds\" or \"4 Mbps\", not {text:?}"),
            )),
        }
    }

    fn duration(
        &self,
        raw: Option<&Spanned<String>>,
        field: &str,
    ) -> Result<Option<TimeValue>, CatalogueError> {
        let Some(raw) = raw else { return Ok(None) };
        let (value, unit) = self.quantity(raw, field)?;
        let unit = TimeUnit::from_name(unit).ok_or_else(|| {
            self.error(
                raw,
                field,
                format!(
                    "unknown time unit {unit:?} (Days, Hours, Minutes, Seconds, Milliseconds, \
                 Microseconds or Nanoseconds)"
                ),
            )
        })?;
        Ok(Some(TimeValue::new(value, unit)))
    }

    fn rate(
        &self,
        raw: Option<&Spanned<String>>,
        field: &str,
    ) -> Result<Option<Rate>, CatalogueError> {
        let Some(raw) = raw else { return Ok(None) };
        let (value, unit) = self.quantity(raw, field)?;
        let unit = RateUnit::from_name(unit).ok_or_else(|| {
            self.error(
                raw,
                field,
                format!("unknown rate unit {unit:?} (bps, kbps, Mbps, Gbps or Tbps)"),
            )
        })?;
        let value = u32::try_from(value).map_err(|_| {
            self.error(
                raw,
                field,
                format!("the value must be 0 to 1024, not {value}"),
            )
        })?;
        Ok(Some(Rate::new(value, unit)))
    }

    fn small(
        &self,
        raw: Option<&Spanned<i64>>,
        field: &str,
        max: u8,
    ) -> Result<Option<u8>, CatalogueError> {
        raw.map(|v| {
            u8::try_from(*v.get_ref()).map_err(|_| {
                self.error(v, field, format!("must be 1 to {max}, not {}", v.get_ref()))
            })
        })
        .transpose()
    }

    fn named<T>(
        &self,
        raw: Option<&Spanned<String>>,
        field: &str,
        parse: fn(&str) -> Option<T>,
        names: &[&str],
    ) -> Result<Option<T>, CatalogueError> {
        raw.map(|v| {
            parse(v.get_ref()).ok_or_else(|| {
                self.error(
                    v,
                    field,
                    format!("{:?} is not one of {}", v.get_ref(), names.join(", ")),
                )
            })
        })
        .transpose()
    }
}

impl RawProfile {
    fn convert(&self, cx: &Cx<'_, '_>) -> Result<QosProfile, CatalogueError> {
        let status = ProfileStatus::from_name(self.status.get_ref()).ok_or_else(|| {
            cx.error(
                &self.status,
                "status",
                format!(
                    "{:?} is not one of ACTIVE, INACTIVE, DEPRECATED",
                    self.status.get_ref()
                ),
            )
        })?;
        let l4s_names: Vec<&str> = L4sQueueType::ALL.iter().map(|q| q.as_str()).collect();
        let class_names: Vec<&str> = ServiceClass::ALL.iter().map(|c| c.as_str()).collect();
        Ok(QosProfile {
            name: self.name.get_ref().clone(),
            description: self.description.as_ref().map(|d| d.get_ref().clone()),
            status,
            country_availability: self
                .country_availability
                .iter()
                .map(|c| CountryAvailability {
                    country_name: c.get_ref().country_name.clone(),
                    networks: c.get_ref().networks.clone(),
                })
                .collect(),
            target_min_upstream_rate: cx.rate(
                self.target_min_upstream_rate.as_ref(),
                "target_min_upstream_rate",
            )?,
            max_upstream_rate: cx.rate(self.max_upstream_rate.as_ref(), "max_upstream_rate")?,
            max_upstream_burst_rate: cx.rate(
                self.max_upstream_burst_rate.as_ref(),
                "max_upstream_burst_rate",
            )?,
            target_min_downstream_rate: cx.rate(
                self.target_min_downstream_rate.as_ref(),
                "target_min_downstream_rate",
            )?,
            max_downstream_rate: cx
                .rate(self.max_downstream_rate.as_ref(), "max_downstream_rate")?,
            max_downstream_burst_rate: cx.rate(
                self.max_downstream_burst_rate.as_ref(),
                "max_downstream_burst_rate",
            )?,
            min_duration: cx.duration(self.min_duration.as_ref(), "min_duration")?,
            max_duration: cx.duration(self.max_duration.as_ref(), "max_duration")?,
            priority: cx.small(self.priority.as_ref(), "priority", 100)?,
            packet_delay_budget: cx
                .duration(self.packet_delay_budget.as_ref(), "packet_delay_budget")?,
            jitter: cx.duration(self.jitter.as_ref(), "jitter")?,
            packet_error_loss_rate: cx.small(
                self.packet_error_loss_rate.as_ref(),
                "packet_error_loss_rate",
                10,
            )?,
            l4s_queue_type: cx.named(
                self.l4s_queue_type.as_ref(),
                "l4s_queue_type",
                L4sQueueType::from_name,
                &l4s_names,
            )?,
            service_class: cx.named(
                self.service_class.as_ref(),
                "service_class",
                ServiceClass::from_name,
                &class_names,
            )?,
            // Written forms of one device (`ipv6:2001:DB8::1`) are stored as sessions key them.
            restricted_to: self
                .restricted_to
                .iter()
                .map(|k| canonical_device_key(k.get_ref()).unwrap_or_else(|| k.get_ref().clone()))
                .collect(),
            qos_reference: self
                .qos_reference
                .as_ref()
                .map_or_else(|| self.name.get_ref().clone(), |r| r.get_ref().clone()),
        })
    }

    /// Where the value of `field` (item `index` of a list) is written.
    fn span_of(&self, field: &str, index: Option<usize>) -> Option<Range<usize>> {
        let one = |v: &Option<Spanned<String>>| v.as_ref().map(Spanned::span);
        let item = |list: &[Spanned<String>]| list.get(index?).map(Spanned::span);
        match field {
            "name" => Some(self.name.span()),
            "description" => one(&self.description),
            "status" => Some(self.status.span()),
            "qos_reference" => one(&self.qos_reference),
            "restricted_to" => item(&self.restricted_to),
            "country_availability" => self.country_availability.get(index?).map(Spanned::span),
            "target_min_upstream_rate" => one(&self.target_min_upstream_rate),
            "max_upstream_rate" => one(&self.max_upstream_rate),
            "max_upstream_burst_rate" => one(&self.max_upstream_burst_rate),
            "target_min_downstream_rate" => one(&self.target_min_downstream_rate),
            "max_downstream_rate" => one(&self.max_downstream_rate),
            "max_downstream_burst_rate" => one(&self.max_downstream_burst_rate),
            "min_duration" => one(&self.min_duration),
            "max_duration" => one(&self.max_duration),
            "priority" => self.priority.as_ref().map(Spanned::span),
            "packet_delay_budget" => one(&self.packet_delay_budget),
            "jitter" => one(&self.jitter),
            "packet_error_loss_rate" => self.packet_error_loss_rate.as_ref().map(Spanned::span),
            _ => None,
        }
    }
}
