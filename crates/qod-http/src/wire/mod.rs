//! CAMARA request and response bodies: strict parsing, validation, and conversion to and from
//! the domain types.
//!
//! Request types reject unknown fields at every depth and an explicit `null` for any optional
//! field. Every validation failure is a 400 [`ApiError`].

mod address;
mod device;
mod ports;
mod profile;
mod session;
mod sink;
mod strict;

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests;

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod strict_tests;

use serde::Deserialize;
use serde::de::{self, DeserializeOwned, Deserializer};

use crate::error::ApiError;

pub use address::{ApplicationServerBody, ApplicationServerResponse};
pub use device::{DeviceBody, DeviceIpv4Body, DeviceIpv4Response, DeviceResponse};
pub use ports::{PortRangeBody, PortRangeResponse, PortsSpecBody, PortsSpecResponse};
pub use profile::{
    CountryAvailabilityResponse, DurationBody, QosProfileResponse, RateBody, RetrieveProfilesBody,
    check_profile_path_name,
};
pub use session::{
    CreateSessionBody, ExtendBody, RetrieveSessionsBody, SessionInfo, check_profile_name,
    format_utc,
};
pub use sink::SinkCredentialBody;

/// How much of a parser message is shown to the client, at most.
const MAX_DETAIL_CHARS: usize = 200;

/// Parses a JSON request body. An empty body, malformed JSON, a repeated key, a wrong type
/// (including an array where an object is expected), an unknown or a missing field are all
/// 400 INVALID_ARGUMENT.
pub fn parse_body<T: DeserializeOwned>(body: &[u8]) -> Result<T, ApiError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Err(ApiError::invalid_argument("The request body is missing."));
    }
    strict::from_slice(body).map_err(|e| {
        let detail: String = e.to_string().chars().take(MAX_DETAIL_CHARS).collect();
        ApiError::invalid_argument(format!("Invalid request body: {detail}"))
    })
}

/// For `#[serde(default, deserialize_with = "non_null")]`: a present field must not be `null`.
pub fn non_null<'de, D, T>(deserializer: D) -> Result<Option<T>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    T::deserialize(deserializer).map(Some)
}

/// A JSON integer of any size; values beyond `i64` saturate so that range checks still apply.
/// Floats, strings and `null` are rejected.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Int(pub i64);

impl<'de> Deserialize<'de> for Int {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Visitor;

        impl de::Visitor<'_> for Visitor {
            type Value = Int;

            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("an integer")
            }

            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Int, E> {
                Ok(Int(v))
            }

            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Int, E> {
                Ok(Int(i64::try_from(v).unwrap_or(i64::MAX)))
            }
        }

        deserializer.deserialize_i64(Visitor)
    }
}

/// Checks a duration in seconds: an int32 of at least 1.
pub(crate) fn duration_secs(name: &str, value: Int) -> Result<i64, ApiError> {
    if (1..=i64::from(i32::MAX)).contains(&value.0) {
        Ok(value.0)
    } else {
        Err(ApiError::invalid_argument(format!(
            "{name} must be an integer between 1 and 2147483647."
        )))
    }
}

/// The number of characters of `s`, as JSON Schema's `maxLength` counts them.
pub(crate) fn char_len(s: &str) -> usize {
    s.chars().count()
}
