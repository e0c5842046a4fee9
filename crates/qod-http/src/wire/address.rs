//! The `applicationServer` object: a list of single addresses, or an IPv4 and/or IPv6 subnet.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use ipnet::{IpNet, Ipv4Net, Ipv6Net};
use qod_domain::{AddressValue, ApplicationServer};
use serde::{Deserialize, Serialize};

use super::non_null;
use crate::error::ApiError;

const MAX_ADDRESSES: usize = 16;
const MAX_SINGLE_IPV4_CHARS: usize = 15;
const MAX_SINGLE_IPV6_CHARS: usize = 45;
const MAX_SUBNET_IPV4_CHARS: usize = 18;
const MAX_SUBNET_IPV6_CHARS: usize = 49;

/// The application server as sent: exactly one of the two CAMARA forms.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ApplicationServerBody {
    #[serde(default, deserialize_with = "non_null")]
    ip_addresses: Option<Vec<String>>,
    #[serde(default, deserialize_with = "non_null")]
    ipv4_address: Option<String>,
    #[serde(default, deserialize_with = "non_null")]
    ipv6_address: Option<String>,
}

impl ApplicationServerBody {
    /// Validates the addresses and returns the domain form (texts kept for the echo).
    pub fn into_domain(self) -> Result<ApplicationServer, ApiError> {
        match (self.ip_addresses, self.ipv4_address, self.ipv6_address) {
            (Some(list), None, None) => address_list(list).map(ApplicationServer::IpAddresses),
            (Some(_), _, _) => Err(ApiError::invalid_argument(
                "applicationServer must contain either ipAddresses or ipv4Address/ipv6Address, \
                 not both.",
            )),
            (None, None, None) => Err(ApiError::invalid_argument(
                "applicationServer must contain ipAddresses, ipv4Address or ipv6Address.",
            )),
            (None, ipv4, ipv6) => Ok(ApplicationServer::Subnets {
                ipv4: ipv4.map(ipv4_subnet).transpose()?,
                ipv6: ipv6.map(ipv6_subnet).transpose()?,
            }),
        }
    }
}

fn address_list(list: Vec<String>) -> Result<Vec<AddressValue>, ApiError> {
    if list.is_empty() || list.len() > MAX_ADDRESSES {
        return Err(ApiError::invalid_argument(
            "applicationServer.ipAddresses must contain 1 to 16 addresses.",
        ));
    }
    let mut seen: Vec<IpAddr> = Vec::with_capacity(list.len());
    let mut values = Vec::with_capacity(list.len());
    for raw in list {
        let address = single_address(&raw).ok_or_else(|| {
            ApiError::invalid_argument(
                "applicationServer.ipAddresses must hold single IPv4 or IPv6 addresses without \
                 a mask.",
            )
        })?;
        if seen.contains(&address) {
            return Err(ApiError::invalid_argument(
                "applicationServer.ipAddresses must not repeat an address.",
            ));
        }
        seen.push(address);
        values.push(AddressValue {
            raw,
            net: IpNet::from(address),
        });
    }
    Ok(values)
}

fn single_address(text: &str) -> Option<IpAddr> {
    if text.contains(':') {
        (text.len() <= MAX_SINGLE_IPV6_CHARS)
            .then(|| text.parse::<Ipv6Addr>().ok())
            .flatten()
            .map(IpAddr::V6)
    } else {
        (text.len() <= MAX_SINGLE_IPV4_CHARS)
            .then(|| text.parse::<Ipv4Addr>().ok())
            .flatten()
            .map(IpAddr::V4)
    }
}

/// `a.b.c.d` or `a.b.c.d/n` as the spec's pattern allows (octets of up to three digits).
fn ipv4_subnet(raw: String) -> Result<AddressValue, ApiError> {
    let invalid = || {
        ApiError::invalid_argument(
            "applicationServer.ipv4Address must be an IPv4 address with an optional /0 to /32 \
             mask.",
        )
    };
    if raw.len() > MAX_SUBNET_IPV4_CHARS {
        return Err(invalid());
    }
    let (addr, prefix) = split_prefix(&raw, 32).ok_or_else(invalid)?;
    let mut octets = [0u8; 4];
    let mut parts = addr.split('.');
    for octet in &mut octets {
        let part = parts.next().ok_or_else(invalid)?;
        if part.is_empty() || part.len() > 3 || !part.bytes().all(|b| b.is_ascii_digit()) {
            return Err(invalid());
        }
        *octet = part.parse().map_err(|_| invalid())?;
    }
    if parts.next().is_some() {
        return Err(invalid());
    }
    let net = Ipv4Net::new(Ipv4Addr::from(octets), prefix).map_err(|_| invalid())?;
    Ok(AddressValue {
        raw,
        net: IpNet::V4(net),
    })
}

/// An IPv6 address with an optional `/0` to `/128` mask.
fn ipv6_subnet(raw: String) -> Result<AddressValue, ApiError> {
    let invalid = || {
        ApiError::invalid_argument(
            "applicationServer.ipv6Address must be an IPv6 address with an optional /0 to /128 \
             mask.",
        )
    };
    if raw.len() > MAX_SUBNET_IPV6_CHARS {
        return Err(invalid());
    }
    let (addr, prefix) = split_prefix(&raw, 128).ok_or_else(invalid)?;
    let address: Ipv6Addr = addr.parse().map_err(|_| invalid())?;
    let net = Ipv6Net::new(address, prefix).map_err(|_| invalid())?;
    Ok(AddressValue {
        raw,
        net: IpNet::V6(net),
    })
}

/// Splits `addr/len` into the address and the prefix length (`max` when there is none). The
/// length is decimal without leading zeros and at most `max`.
fn split_prefix(text: &str, max: u8) -> Option<(&str, u8)> {
    let Some((addr, len)) = text.split_once('/') else {
        return Some((text, max));
    };
    let well_formed = !len.is_empty()
        && len.len() <= 3
        && len.bytes().all(|b| b.is_ascii_digit())
        && (len == "0" || !len.starts_with('0'));
    if !well_formed {
        return None;
    }
    let len: u8 = len.parse().ok()?;
    (len <= max).then_some((addr, len))
}

/// The application server as echoed: the form and the texts the client sent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ApplicationServerResponse {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ip_addresses: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ipv4_address: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ipv6_address: Option<String>,
}

impl From<&ApplicationServer> for ApplicationServerResponse {
    fn from(server: &ApplicationServer) -> Self {
        match server {
            ApplicationServer::IpAddresses(list) => Self {
                ip_addresses: Some(list.iter().map(|a| a.raw.clone()).collect()),
                ipv4_address: None,
                ipv6_address: None,
            },
            ApplicationServer::Subnets { ipv4, ipv6 } => Self {
                ip_addresses: None,
                ipv4_address: ipv4.as_ref().map(|a| a.raw.clone()),
                ipv6_address: ipv6.as_ref().map(|a| a.raw.clone()),
            },
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use crate::wire::parse_body;

    fn server(json: &str) -> Result<ApplicationServer, ApiError> {
        parse_body::<ApplicationServerBody>(json.as_bytes())?.into_domain()
    }

    fn net(s: &str) -> IpNet {
        s.parse().unwrap()
    }

    #[test]
    fn valid_forms() {
        let s = server(r#"{"ipAddresses":["198.51.100.7","2001:DB8::1"]}"#).unwrap();
        let ApplicationServer::IpAddresses(list) = &s else {
            panic!("{s:?}")
        };
        assert_eq!(list[0].net, net("198.51.100.7/32"));
        assert_eq!(list[1].raw, "2001:DB8::1");
        assert_eq!(list[1].net, net("2001:db8::1/128"));

        let s =
            server(r#"{"ipv4Address":"198.51.100.0/24","ipv6Address":"2001:db8::/64"}"#).unwrap();
        let ApplicationServer::Subnets { ipv4, ipv6 } = &s else {
            panic!("{s:?}")
        };
        assert_eq!(ipv4.as_ref().unwrap().net, net("198.51.100.0/24"));
        assert_eq!(ipv6.as_ref().unwrap().net, net("2001:db8::/64"));

        let s = server(r#"{"ipv4Address":"10.0.0.1"}"#).unwrap();
        assert_eq!(s.networks(), vec![net("10.0.0.1/32")]);
        let s = server(r#"{"ipv4Address":"0.0.0.0/0"}"#).unwrap();
        assert_eq!(s.networks(), vec![net("0.0.0.0/0")]);
        let s = server(r#"{"ipv6Address":"2001:db8::1/128"}"#).unwrap();
        assert_eq!(s.networks(), vec![net("2001:db8::1/128")]);

        let echo = serde_json::to_value(ApplicationServerResponse::from(&s)).unwrap();
        assert_eq!(echo, serde_json::json!({"ipv6Address":"2001:db8::1/128"}));
    }

    #[test]
    fn invalid_forms() {
        let cases = [
            r#"{}"#,
            r#"{"ipAddresses":[]}"#,
            r#"{"ipAddresses":["1.2.3.4","1.2.3.4"]}"#,
            r#"{"ipAddresses":["2001:db8::1","2001:DB8::1"]}"#,
            r#"{"ipAddresses":["1.2.3.4/32"]}"#,
            r#"{"ipAddresses":["2001:db8::/64"]}"#,
            r#"{"ipAddresses":["1.2.3"]}"#,
            r#"{"ipAddresses":[1]}"#,
            r#"{"ipAddresses":[null]}"#,
            r#"{"ipAddresses":null}"#,
            r#"{"ipAddresses":["1.2.3.4"],"ipv4Address":"1.2.3.4"}"#,
            r#"{"ipv4Address":"1.2.3.4/33"}"#,
            r#"{"ipv4Address":"1.2.3.4/"}"#,
            r#"{"ipv4Address":"1.2.3.4/08"}"#,
            r#"{"ipv4Address":"256.2.3.4"}"#,
            r#"{"ipv4Address":"1.2.3.4.5"}"#,
            r#"{"ipv4Address":"1.2.3"}"#,
            r#"{"ipv4Address":"2001:db8::1"}"#,
            r#"{"ipv4Address":null}"#,
            r#"{"ipv6Address":"2001:db8::/129"}"#,
            r#"{"ipv6Address":"2001:db8:::1"}"#,
            r#"{"ipv6Address":"1.2.3.4"}"#,
            r#"{"ipv6Address":"2001:db8::1","ipv4Address":"1.2.3.4","x":"y"}"#,
            r#"{"ipv6Addresses":"2001:db8::1"}"#,
        ];
        for json in cases {
            let err = server(json).expect_err(json);
            assert_eq!(err.status.as_u16(), 400, "{json}");
            assert_eq!(err.code, "INVALID_ARGUMENT", "{json}");
        }
        let list: Vec<String> = (1..=17).map(|i| format!("\"10.0.0.{i}\"")).collect();
        let json = format!(r#"{{"ipAddresses":[{}]}}"#, list.join(","));
        assert_eq!(server(&json).unwrap_err().code, "INVALID_ARGUMENT");
        let json = format!(r#"{{"ipAddresses":[{}]}}"#, list[..16].join(","));
        assert!(server(&json).is_ok());
    }
}
