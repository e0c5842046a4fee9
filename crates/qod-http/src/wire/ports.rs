//! `PortsSpec`: port ranges and/or single ports, for the device or the application server.

use qod_domain::PortsSpec;
use qod_network::PortRange;
use serde::{Deserialize, Serialize};

use super::{Int, non_null};
use crate::error::ApiError;

const MAX_ITEMS: usize = 65_536;

/// Ports as sent: at least one of `ranges` and `ports`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct PortsSpecBody {
    #[serde(default, deserialize_with = "non_null")]
    ranges: Option<Vec<PortRangeBody>>,
    #[serde(default, deserialize_with = "non_null")]
    ports: Option<Vec<Int>>,
}

/// One inclusive port range as sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct PortRangeBody {
    from: Int,
    to: Int,
}

impl PortsSpecBody {
    /// Validates the ports; `field` names the object in error messages.
    pub fn into_domain(self, field: &str) -> Result<PortsSpec, ApiError> {
        if self.ranges.is_none() && self.ports.is_none() {
            return Err(ApiError::invalid_argument(format!(
                "{field} must contain ranges or ports."
            )));
        }
        let ranges = self
            .ranges
            .map(|ranges| {
                check_count(ranges.len(), field, "ranges")?;
                ranges
                    .into_iter()
                    .map(|r| {
                        let first = port(r.from, field)?;
                        let last = port(r.to, field)?;
                        if first > last {
                            return Err(ApiError::out_of_range(format!(
                                "{field}.ranges: from must not be greater than to."
                            )));
                        }
                        Ok(PortRange { first, last })
                    })
                    .collect::<Result<Vec<_>, _>>()
            })
            .transpose()?;
        let ports = self
            .ports
            .map(|ports| {
                check_count(ports.len(), field, "ports")?;
                ports
                    .into_iter()
                    .map(|p| port(p, field))
                    .collect::<Result<Vec<_>, _>>()
            })
            .transpose()?;
        Ok(PortsSpec { ranges, ports })
    }
}

fn check_count(len: usize, field: &str, key: &str) -> Result<(), ApiError> {
    if (1..=MAX_ITEMS).contains(&len) {
        Ok(())
    } else {
        Err(ApiError::invalid_argument(format!(
            "{field}.{key} must contain 1 to 65536 items."
        )))
    }
}

fn port(value: Int, field: &str) -> Result<u16, ApiError> {
    u16::try_from(value.0)
        .ok()
        .filter(|&p| p != 0)
        .ok_or_else(|| {
            ApiError::out_of_range(format!("{field}: ports must be between 1 and 65535."))
        })
}

/// Ports as echoed: only the keys that were sent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PortsSpecResponse {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ranges: Option<Vec<PortRangeResponse>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ports: Option<Vec<u16>>,
}

/// One inclusive port range in a response.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct PortRangeResponse {
    pub from: u16,
    pub to: u16,
}

impl From<&PortsSpec> for PortsSpecResponse {
    fn from(spec: &PortsSpec) -> Self {
        Self {
            ranges: spec.ranges.as_ref().map(|ranges| {
                ranges
                    .iter()
                    .map(|r| PortRangeResponse {
                        from: r.first,
                        to: r.last,
                    })
                    .collect()
            }),
            ports: spec.ports.clone(),
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use crate::wire::parse_body;

    fn ports(json: &str) -> Result<PortsSpec, ApiError> {
        parse_body::<PortsSpecBody>(json.as_bytes())?.into_domain("devicePorts")
    }

    #[test]
    fn valid_ports_round_trip() {
        let json = r#"{"ranges":[{"from":5010,"to":5020},{"from":1,"to":1}],"ports":[5060,65535]}"#;
        let spec = ports(json).unwrap();
        assert_eq!(
            spec.ranges,
            Some(vec![
                PortRange {
                    first: 5010,
                    last: 5020
                },
                PortRange { first: 1, last: 1 }
            ])
        );
        assert_eq!(spec.ports, Some(vec![5060, 65535]));
        let echo = serde_json::to_string(&PortsSpecResponse::from(&spec)).unwrap();
        assert_eq!(echo, json);

        let spec = ports(r#"{"ports":[80]}"#).unwrap();
        assert_eq!(spec.ranges, None);
        let echo = serde_json::to_value(PortsSpecResponse::from(&spec)).unwrap();
        assert_eq!(echo, serde_json::json!({"ports":[80]}));
    }

    #[test]
    fn invalid_ports() {
        let cases = [
            (r#"{}"#, "INVALID_ARGUMENT"),
            (r#"{"ports":[]}"#, "INVALID_ARGUMENT"),
            (r#"{"ranges":[]}"#, "INVALID_ARGUMENT"),
            (r#"{"ranges":[],"ports":[80]}"#, "INVALID_ARGUMENT"),
            (r#"{"ports":null}"#, "INVALID_ARGUMENT"),
            (r#"{"ports":[null]}"#, "INVALID_ARGUMENT"),
            (r#"{"ports":["80"]}"#, "INVALID_ARGUMENT"),
            (r#"{"ports":[80.5]}"#, "INVALID_ARGUMENT"),
            (r#"{"ports":[0]}"#, "OUT_OF_RANGE"),
            (r#"{"ports":[-1]}"#, "OUT_OF_RANGE"),
            (r#"{"ports":[65536]}"#, "OUT_OF_RANGE"),
            (r#"{"ports":[18446744073709551615]}"#, "OUT_OF_RANGE"),
            (r#"{"ranges":[{"from":0,"to":10}]}"#, "OUT_OF_RANGE"),
            (r#"{"ranges":[{"from":1,"to":70000}]}"#, "OUT_OF_RANGE"),
            (r#"{"ranges":[{"from":20,"to":10}]}"#, "OUT_OF_RANGE"),
            (r#"{"ranges":[{"from":20}]}"#, "INVALID_ARGUMENT"),
            (
                r#"{"ranges":[{"from":1,"to":2,"step":1}]}"#,
                "INVALID_ARGUMENT",
            ),
            (r#"{"ports":[80],"protocol":"TCP"}"#, "INVALID_ARGUMENT"),
        ];
        for (json, code) in cases {
            let err = ports(json).expect_err(json);
            assert_eq!(err.status.as_u16(), 400, "{json}");
            assert_eq!(err.code, code, "{json}");
        }
    }
}
