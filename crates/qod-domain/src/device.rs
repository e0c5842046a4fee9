use std::net::{Ipv4Addr, Ipv6Addr};

use qod_network::UeIdentity;
use serde::{Deserialize, Serialize};

use crate::{Caller, DomainError};

/// An IPv4 device: the public address with the public port and/or the private address.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeviceIpv4 {
    pub public_address: Ipv4Addr,
    pub private_address: Option<Ipv4Addr>,
    pub public_port: Option<u16>,
}

/// An IPv6 device address, with the text as the client sent it (echoed unchanged).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeviceIpv6 {
    pub raw: String,
    pub address: Ipv6Addr,
}

/// The device identifiers a client sent (each already well formed).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Device {
    pub phone_number: Option<String>,
    pub network_access_identifier: Option<String>,
    pub ipv4_address: Option<DeviceIpv4>,
    pub ipv6_address: Option<DeviceIpv6>,
}

/// True for an E.164 number with its `+`: `^\+[1-9][0-9]{4,14}$`.
pub fn is_phone_number(s: &str) -> bool {
    let Some(digits) = s.strip_prefix('+') else {
        return false;
    };
    (5..=15).contains(&digits.len())
        && digits.bytes().all(|b| b.is_ascii_digit())
        && !digits.starts_with('0')
}

impl Device {
    /// Picks the one identifier the gateway acts on, in the order phone number, IPv4, IPv6.
    /// No cross-matching is done between identifiers (CAMARA forbids it). A network access
    /// identifier alone is not supported.
    ///
    /// Returns the identity and the device as it is echoed: only the chosen identifier.
    pub fn choose(&self) -> Result<(UeIdentity, Device), DomainError> {
        if let Some(number) = &self.phone_number {
            let echo = Device {
                phone_number: Some(number.clone()),
                ..Device::default()
            };
            return Ok((
                UeIdentity::Msisdn {
                    number: number.clone(),
                },
                echo,
            ));
        }
        if let Some(v4) = &self.ipv4_address {
            let echo = Device {
                ipv4_address: Some(v4.clone()),
                ..Device::default()
            };
            return Ok((
                UeIdentity::Ipv4 {
                    public: v4.public_address,
                    private: v4.private_address,
                    port: v4.public_port,
                },
                echo,
            ));
        }
        if let Some(v6) = &self.ipv6_address {
            let echo = Device {
                ipv6_address: Some(v6.clone()),
                ..Device::default()
            };
            return Ok((
                UeIdentity::Ipv6 {
                    address: v6.address,
                },
                echo,
            ));
        }
        if self.network_access_identifier.is_some() {
            return Err(DomainError::UnsupportedIdentifier);
        }
        Err(DomainError::MissingIdentifier)
    }
}

/// Applies CAMARA's device rules: a 2-legged token needs `device`, a 3-legged one forbids it.
/// Returns the identity acted on and the device to echo (none for 3-legged calls).
pub fn resolve_device(
    caller: &Caller,
    device: Option<&Device>,
) -> Result<(UeIdentity, Option<Device>), DomainError> {
    match (&caller.subject, device) {
        (Some(_), Some(_)) => Err(DomainError::UnnecessaryIdentifier),
        (Some(subject), None) => Ok((subject.clone(), None)),
        (None, None) => Err(DomainError::MissingIdentifier),
        (None, Some(device)) => {
            let (identity, echo) = device.choose()?;
            Ok((identity, Some(echo)))
        }
    }
}
