//! The `device` object of requests and the `DeviceResponse` echoed back.

use std::net::{Ipv4Addr, Ipv6Addr};

use qod_domain::device::is_phone_number;
use qod_domain::{Device, DeviceIpv4, DeviceIpv6};
use serde::{Deserialize, Serialize};

use super::{Int, char_len, non_null};
use crate::error::ApiError;

const MAX_NAI_CHARS: usize = 2048;
const MAX_IPV4_CHARS: usize = 15;
const MAX_IPV6_CHARS: usize = 45;

/// A device as a client identifies it: at least one of four identifiers.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct DeviceBody {
    #[serde(default, deserialize_with = "non_null")]
    phone_number: Option<String>,
    #[serde(default, deserialize_with = "non_null")]
    network_access_identifier: Option<String>,
    #[serde(default, deserialize_with = "non_null")]
    ipv4_address: Option<DeviceIpv4Body>,
    #[serde(default, deserialize_with = "non_null")]
    ipv6_address: Option<String>,
}

/// A device's IPv4 identity: the public address with its private address and/or public port.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct DeviceIpv4Body {
    public_address: String,
    #[serde(default, deserialize_with = "non_null")]
    private_address: Option<String>,
    #[serde(default, deserialize_with = "non_null")]
    public_port: Option<Int>,
}

impl DeviceBody {
    /// Validates every identifier sent and returns the domain device.
    pub fn into_domain(self) -> Result<Device, ApiError> {
        if self.phone_number.is_none()
            && self.network_access_identifier.is_none()
            && self.ipv4_address.is_none()
            && self.ipv6_address.is_none()
        {
            return Err(ApiError::invalid_argument(
                "device must contain at least one identifier.",
            ));
        }
        if let Some(number) = &self.phone_number
            && !is_phone_number(number)
        {
            return Err(ApiError::invalid_argument(
                "device.phoneNumber must be in E.164 format with a leading '+'.",
            ));
        }
        if let Some(nai) = &self.network_access_identifier
            && char_len(nai) > MAX_NAI_CHARS
        {
            return Err(ApiError::invalid_argument(
                "device.networkAccessIdentifier is too long.",
            ));
        }
        let ipv4_address = self
            .ipv4_address
            .map(DeviceIpv4Body::into_domain)
            .transpose()?;
        let ipv6_address = self.ipv6_address.map(parse_device_ipv6).transpose()?;
        Ok(Device {
            phone_number: self.phone_number,
            network_access_identifier: self.network_access_identifier,
            ipv4_address,
            ipv6_address,
        })
    }
}

impl DeviceIpv4Body {
    fn into_domain(self) -> Result<DeviceIpv4, ApiError> {
        let public_address = parse_ipv4(&self.public_address, "device.ipv4Address.publicAddress")?;
        let private_address = self
            .private_address
            .as_deref()
            .map(|a| parse_ipv4(a, "device.ipv4Address.privateAddress"))
            .transpose()?;
        let public_port = self
            .public_port
            .map(|p| {
                u16::try_from(p.0).ok().filter(|&p| p != 0).ok_or_else(|| {
                    ApiError::out_of_range(
                        "device.ipv4Address.publicPort must be between 1 and 65535.",
                    )
                })
            })
            .transpose()?;
        if private_address.is_none() && public_port.is_none() {
            return Err(ApiError::invalid_argument(
                "device.ipv4Address needs privateAddress or publicPort besides publicAddress.",
            ));
        }
        Ok(DeviceIpv4 {
            public_address,
            private_address,
            public_port,
        })
    }
}

/// A single IPv4 address in strict dotted-quad form.
fn parse_ipv4(text: &str, field: &str) -> Result<Ipv4Addr, ApiError> {
    if text.len() > MAX_IPV4_CHARS {
        return Err(ApiError::invalid_argument(format!(
            "{field} is not a valid IPv4 address."
        )));
    }
    text.parse()
        .map_err(|_| ApiError::invalid_argument(format!("{field} is not a valid IPv4 address.")))
}

fn parse_device_ipv6(raw: String) -> Result<DeviceIpv6, ApiError> {
    let invalid = || ApiError::invalid_argument("device.ipv6Address is not a valid IPv6 address.");
    if raw.len() > MAX_IPV6_CHARS {
        return Err(invalid());
    }
    let address: Ipv6Addr = raw.parse().map_err(|_| invalid())?;
    Ok(DeviceIpv6 { raw, address })
}

/// The one device identifier a response echoes, with the values as the client sent them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DeviceResponse {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub phone_number: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub network_access_identifier: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ipv4_address: Option<DeviceIpv4Response>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ipv6_address: Option<String>,
}

/// The IPv4 identity of a device in a response.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DeviceIpv4Response {
    pub public_address: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub private_address: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub public_port: Option<u16>,
}

impl From<&Device> for DeviceResponse {
    /// Echoes one identifier (at most one property), in the order phone number, IPv4, IPv6,
    /// network access identifier.
    fn from(device: &Device) -> Self {
        let mut out = DeviceResponse {
            phone_number: None,
            network_access_identifier: None,
            ipv4_address: None,
            ipv6_address: None,
        };
        if let Some(number) = &device.phone_number {
            out.phone_number = Some(number.clone());
        } else if let Some(v4) = &device.ipv4_address {
            out.ipv4_address = Some(DeviceIpv4Response {
                public_address: v4.public_address.to_string(),
                private_address: v4.private_address.map(|a| a.to_string()),
                public_port: v4.public_port,
            });
        } else if let Some(v6) = &device.ipv6_address {
            out.ipv6_address = Some(v6.raw.clone());
        } else if let Some(nai) = &device.network_access_identifier {
            out.network_access_identifier = Some(nai.clone());
        }
        out
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use crate::wire::parse_body;

    fn device(json: &str) -> Result<Device, ApiError> {
        parse_body::<DeviceBody>(json.as_bytes())?.into_domain()
    }

    #[test]
    fn valid_devices() {
        let d = device(r#"{"phoneNumber":"+123456789"}"#).unwrap();
        assert_eq!(d.phone_number.as_deref(), Some("+123456789"));
        let d = device(r#"{"ipv4Address":{"publicAddress":"84.125.93.10","publicPort":59765}}"#)
            .unwrap();
        let v4 = d.ipv4_address.unwrap();
        assert_eq!(v4.public_address, Ipv4Addr::new(84, 125, 93, 10));
        assert_eq!(v4.public_port, Some(59765));
        let d = device(r#"{"ipv6Address":"2001:DB8::1"}"#).unwrap();
        assert_eq!(d.ipv6_address.unwrap().raw, "2001:DB8::1");
        let d = device(r#"{"networkAccessIdentifier":"123@example.com"}"#).unwrap();
        assert!(d.network_access_identifier.is_some());
    }

    #[test]
    fn invalid_devices() {
        let cases = [
            (r#"{}"#, "INVALID_ARGUMENT"),
            (r#"{"phoneNumber":"123456789"}"#, "INVALID_ARGUMENT"),
            (r#"{"phoneNumber":"+0123456789"}"#, "INVALID_ARGUMENT"),
            (r#"{"phoneNumber":"+1234"}"#, "INVALID_ARGUMENT"),
            (r#"{"phoneNumber":"+1234567890123456"}"#, "INVALID_ARGUMENT"),
            (r#"{"phoneNumber":null}"#, "INVALID_ARGUMENT"),
            (r#"{"phoneNumber":123}"#, "INVALID_ARGUMENT"),
            (
                r#"{"ipv4Address":{"publicAddress":"1.2.3.4"}}"#,
                "INVALID_ARGUMENT",
            ),
            (r#"{"ipv4Address":{"publicPort":80}}"#, "INVALID_ARGUMENT"),
            (
                r#"{"ipv4Address":{"publicAddress":"1.2.3","publicPort":80}}"#,
                "INVALID_ARGUMENT",
            ),
            (
                r#"{"ipv4Address":{"publicAddress":"01.2.3.4","publicPort":80}}"#,
                "INVALID_ARGUMENT",
            ),
            (
                r#"{"ipv4Address":{"publicAddress":"1.2.3.4","privateAddress":"300.1.1.1"}}"#,
                "INVALID_ARGUMENT",
            ),
            (
                r#"{"ipv4Address":{"publicAddress":"1.2.3.4","publicPort":0}}"#,
                "OUT_OF_RANGE",
            ),
            (
                r#"{"ipv4Address":{"publicAddress":"1.2.3.4","publicPort":65536}}"#,
                "OUT_OF_RANGE",
            ),
            (
                r#"{"ipv4Address":{"publicAddress":"1.2.3.4","publicPort":null}}"#,
                "INVALID_ARGUMENT",
            ),
            (
                r#"{"ipv4Address":{"publicAddress":"1.2.3.4","publicPort":1,"x":1}}"#,
                "INVALID_ARGUMENT",
            ),
            (r#"{"ipv6Address":"2001:db8::g"}"#, "INVALID_ARGUMENT"),
            (r#"{"ipv6Address":"2001:db8::/64"}"#, "INVALID_ARGUMENT"),
            (r#"{"ipv6Address":"1.2.3.4"}"#, "INVALID_ARGUMENT"),
            (
                r#"{"phoneNumber":"+123456789","imsi":"1"}"#,
                "INVALID_ARGUMENT",
            ),
        ];
        for (json, code) in cases {
            let err = device(json).expect_err(json);
            assert_eq!(err.status.as_u16(), 400, "{json}");
            assert_eq!(err.code, code, "{json}");
        }
        let long = format!(r#"{{"networkAccessIdentifier":"{}"}}"#, "a".repeat(2049));
        assert_eq!(device(&long).unwrap_err().code, "INVALID_ARGUMENT");
    }

    #[test]
    fn response_echoes_one_identifier() {
        let d = device(
            r#"{"phoneNumber":"+123456789","ipv6Address":"2001:DB8::1",
                "ipv4Address":{"publicAddress":"1.2.3.4","privateAddress":"10.0.0.1"}}"#,
        )
        .unwrap();
        let json = serde_json::to_value(DeviceResponse::from(&d)).unwrap();
        assert_eq!(json, serde_json::json!({"phoneNumber":"+123456789"}));
        let d = Device {
            phone_number: None,
            ..d
        };
        let json = serde_json::to_value(DeviceResponse::from(&d)).unwrap();
        assert_eq!(
            json,
            serde_json::json!({"ipv4Address":{"publicAddress":"1.2.3.4","privateAddress":"10.0.0.1"}})
        );
        let d = Device {
            ipv4_address: None,
            ..d
        };
        let json = serde_json::to_value(DeviceResponse::from(&d)).unwrap();
        assert_eq!(json, serde_json::json!({"ipv6Address":"2001:DB8::1"}));
    }
}
