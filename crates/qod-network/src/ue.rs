use std::fmt;
use std::net::{Ipv4Addr, Ipv6Addr};

use serde::{Deserialize, Serialize};

/// The user equipment a policy applies to, by the one identifier the caller chose.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", tag = "type")]
pub enum UeIdentity {
    /// An E.164 number with its leading `+` (an MSISDN / GPSI).
    Msisdn { number: String },
    /// An IPv4 device: its public address with the public port or its private address.
    Ipv4 {
        public: Ipv4Addr,
        private: Option<Ipv4Addr>,
        port: Option<u16>,
    },
    /// Any IPv6 address inside the device's prefix.
    Ipv6 { address: Ipv6Addr },
}

impl fmt::Display for UeIdentity {
    /// A stable textual key, also used to find every session of one device.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Msisdn { number } => write!(f, "tel:{number}"),
            Self::Ipv4 {
                public,
                port: Some(port),
                ..
            } => write!(f, "ipv4:{public}:{port}"),
            Self::Ipv4 {
                public,
                private: Some(private),
                port: None,
            } => write!(f, "ipv4:{public}/{private}"),
            Self::Ipv4 { public, .. } => write!(f, "ipv4:{public}"),
            Self::Ipv6 { address } => write!(f, "ipv6:{address}"),
        }
    }
}
