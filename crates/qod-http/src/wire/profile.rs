//! The QoS Profiles bodies: the retrieve filter, and `QosProfile` with its rates and durations.

use qod_domain::profile::{
    CountryAvailability, DURATION_VALUE_RANGE, RATE_VALUE_RANGE, Rate, RateUnit, TimeUnit,
    TimeValue,
};
use qod_domain::service::ProfileQuery;
use qod_domain::{ProfileStatus, QosProfile};
use serde::{Deserialize, Serialize};

use super::device::DeviceBody;
use super::{check_profile_name, non_null, parse_body};
use crate::error::ApiError;

/// The body of `POST /retrieve-qos-profiles`; `{}` is valid and lists every profile not
/// restricted to particular devices.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct RetrieveProfilesBody {
    #[serde(default, deserialize_with = "non_null")]
    device: Option<DeviceBody>,
    #[serde(default, deserialize_with = "non_null")]
    name: Option<String>,
    #[serde(default, deserialize_with = "non_null")]
    status: Option<String>,
}

impl RetrieveProfilesBody {
    /// Parses the request body strictly, like every other body.
    pub fn parse(body: &[u8]) -> Result<Self, ApiError> {
        parse_body(body)
    }

    /// Validates every filter and returns the domain query.
    pub fn into_query(self) -> Result<ProfileQuery, ApiError> {
        let device = self.device.map(DeviceBody::into_domain).transpose()?;
        if let Some(name) = &self.name {
            check_profile_name(name).map_err(|_| {
                ApiError::invalid_argument(
                    "name must be 3 to 256 letters, digits, '_', '.' or '-'.",
                )
            })?;
        }
        let status = self
            .status
            .map(|s| {
                ProfileStatus::from_name(&s).ok_or_else(|| {
                    ApiError::invalid_argument("status must be ACTIVE, INACTIVE or DEPRECATED.")
                })
            })
            .transpose()?;
        Ok(ProfileQuery {
            device,
            name: self.name,
            status,
        })
    }
}

/// Checks the `{name}` path parameter of `GET /qos-profiles/{name}`.
pub fn check_profile_path_name(name: &str) -> Result<(), ApiError> {
    check_profile_name(name).map_err(|_| {
        ApiError::invalid_argument(
            "The profile name must be 3 to 256 letters, digits, '_', '.' or '-'.",
        )
    })
}

/// CAMARA's `Rate`: `{value, unit}` with `unit` one of `bps`, `kbps`, `Mbps`, `Gbps`, `Tbps`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RateBody {
    pub value: i64,
    pub unit: String,
}

impl From<Rate> for RateBody {
    fn from(rate: Rate) -> Self {
        Self {
            value: i64::from(rate.value),
            unit: rate.unit.as_str().to_owned(),
        }
    }
}

impl TryFrom<RateBody> for Rate {
    type Error = ApiError;

    /// The domain rate, when the value is 0 to 1024 and the unit a CAMARA rate unit.
    fn try_from(body: RateBody) -> Result<Self, ApiError> {
        let unit = RateUnit::from_name(&body.unit).ok_or_else(|| {
            ApiError::invalid_argument("unit must be bps, kbps, Mbps, Gbps or Tbps.")
        })?;
        let value = u32::try_from(body.value)
            .ok()
            .filter(|v| RATE_VALUE_RANGE.contains(v))
            .ok_or_else(|| ApiError::invalid_argument("A rate value must be 0 to 1024."))?;
        Ok(Rate::new(value, unit))
    }
}

/// CAMARA's `Duration`: `{value, unit}` with `unit` one of `Days` to `Nanoseconds`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DurationBody {
    pub value: i64,
    pub unit: String,
}

impl From<TimeValue> for DurationBody {
    fn from(duration: TimeValue) -> Self {
        Self {
            value: duration.value,
            unit: duration.unit.as_str().to_owned(),
        }
    }
}

impl TryFrom<DurationBody> for TimeValue {
    type Error = ApiError;

    /// The domain duration, when the value is 1 to 2147483647 and the unit a CAMARA time unit.
    fn try_from(body: DurationBody) -> Result<Self, ApiError> {
        let unit = TimeUnit::from_name(&body.unit).ok_or_else(|| {
            ApiError::invalid_argument(
                "unit must be Days, Hours, Minutes, Seconds, Milliseconds, Microseconds or \
                 Nanoseconds.",
            )
        })?;
        if !DURATION_VALUE_RANGE.contains(&body.value) {
            return Err(ApiError::invalid_argument(
                "A duration value must be 1 to 2147483647.",
            ));
        }
        Ok(TimeValue::new(body.value, unit))
    }
}

/// One country of `countryAvailability`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CountryAvailabilityResponse {
    pub country_name: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub networks: Vec<String>,
}

/// CAMARA's `QosProfile`; attributes the catalogue does not give are left out.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct QosProfileResponse {
    pub name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    pub status: &'static str,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub country_availability: Vec<CountryAvailabilityResponse>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub target_min_upstream_rate: Option<RateBody>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_upstream_rate: Option<RateBody>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_upstream_burst_rate: Option<RateBody>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub target_min_downstream_rate: Option<RateBody>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_downstream_rate: Option<RateBody>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_downstream_burst_rate: Option<RateBody>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub min_duration: Option<DurationBody>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_duration: Option<DurationBody>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub priority: Option<u8>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub packet_delay_budget: Option<DurationBody>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub jitter: Option<DurationBody>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub packet_error_loss_rate: Option<u8>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub l4s_queue_type: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub service_class: Option<&'static str>,
}

impl From<&CountryAvailability> for CountryAvailabilityResponse {
    fn from(c: &CountryAvailability) -> Self {
        Self {
            country_name: c.country_name.clone(),
            networks: c.networks.clone(),
        }
    }
}

impl From<&QosProfile> for QosProfileResponse {
    fn from(p: &QosProfile) -> Self {
        let rate = |r: Option<Rate>| r.map(RateBody::from);
        let duration = |d: Option<TimeValue>| d.map(DurationBody::from);
        Self {
            name: p.name.clone(),
            description: p.description.clone(),
            status: p.status.as_str(),
            country_availability: p.country_availability.iter().map(Into::into).collect(),
            target_min_upstream_rate: rate(p.target_min_upstream_rate),
            max_upstream_rate: rate(p.max_upstream_rate),
            max_upstream_burst_rate: rate(p.max_upstream_burst_rate),
            target_min_downstream_rate: rate(p.target_min_downstream_rate),
            max_downstream_rate: rate(p.max_downstream_rate),
            max_downstream_burst_rate: rate(p.max_downstream_burst_rate),
            min_duration: duration(p.min_duration),
            max_duration: duration(p.max_duration),
            priority: p.priority,
            packet_delay_budget: duration(p.packet_delay_budget),
            jitter: duration(p.jitter),
            packet_error_loss_rate: p.packet_error_loss_rate,
            l4s_queue_type: p.l4s_queue_type.map(|q| q.as_str()),
            service_class: p.service_class.map(|c| c.as_str()),
        }
    }
}
