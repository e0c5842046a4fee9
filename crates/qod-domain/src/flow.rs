//! The flows a session covers and the rule that says when two sessions collide.

use ipnet::IpNet;
use qod_network::{IpFlows, PortRange};
use serde::{Deserialize, Serialize};

use crate::{QosStatus, Session, StatusInfo};

/// An address or prefix with the text the client sent (echoed unchanged).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AddressValue {
    pub raw: String,
    /// A single address is a /32 or /128 network.
    pub net: IpNet,
}

/// The application server, in one of CAMARA's two forms.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum ApplicationServer {
    /// A list of single IPv4 and/or IPv6 addresses.
    IpAddresses(Vec<AddressValue>),
    /// One IPv4 subnet and/or one IPv6 subnet.
    Subnets {
        ipv4: Option<AddressValue>,
        ipv6: Option<AddressValue>,
    },
}

impl ApplicationServer {
    /// Every network the server covers, host bits cleared.
    pub fn networks(&self) -> Vec<IpNet> {
        match self {
            Self::IpAddresses(list) => list.iter().map(|a| a.net.trunc()).collect(),
            Self::Subnets { ipv4, ipv6 } => ipv4
                .iter()
                .chain(ipv6.iter())
                .map(|a| a.net.trunc())
                .collect(),
        }
    }
}

/// Ports as the client sent them: ranges and/or single ports.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PortsSpec {
    pub ranges: Option<Vec<PortRange>>,
    pub ports: Option<Vec<u16>>,
}

impl PortsSpec {
    /// The ports as sorted, merged, non-overlapping ranges.
    pub fn normalized(&self) -> Vec<PortRange> {
        let mut all: Vec<PortRange> = self.ranges.iter().flatten().copied().collect();
        all.extend(
            self.ports
                .iter()
                .flatten()
                .map(|&p| PortRange { first: p, last: p }),
        );
        all.sort_unstable();
        let mut merged: Vec<PortRange> = Vec::with_capacity(all.len());
        for r in all {
            match merged.last_mut() {
                Some(last) if u32::from(r.first) <= u32::from(last.last) + 1 => {
                    last.last = last.last.max(r.last);
                }
                _ => merged.push(r),
            }
        }
        merged
    }
}

/// True when two sorted, merged range lists share a port. An empty list means every port.
pub fn ports_intersect(a: &[PortRange], b: &[PortRange]) -> bool {
    if a.is_empty() || b.is_empty() {
        return true;
    }
    let (mut i, mut j) = (0, 0);
    while let (Some(x), Some(y)) = (a.get(i), b.get(j)) {
        if x.last < y.first {
            i += 1;
        } else if y.last < x.first {
            j += 1;
        } else {
            return true;
        }
    }
    false
}

/// True when two network lists share an address.
pub fn networks_intersect(a: &[IpNet], b: &[IpNet]) -> bool {
    a.iter().any(|x| {
        b.iter()
            .any(|y| x.contains(&y.network()) || y.contains(&x.network()))
    })
}

/// The flows of a session in network terms.
pub fn ip_flows(
    server: &ApplicationServer,
    device_ports: Option<&PortsSpec>,
    server_ports: Option<&PortsSpec>,
) -> IpFlows {
    IpFlows {
        remote: server.networks(),
        ue_ports: device_ports.map(PortsSpec::normalized).unwrap_or_default(),
        remote_ports: server_ports.map(PortsSpec::normalized).unwrap_or_default(),
    }
}

/// When a new session for a device is refused with 409 because of a stored one.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum ConflictRule {
    /// Refuse when the flows overlap: the application server address sets intersect and so do
    /// the device ports and the server ports (omitted ports mean every port).
    #[default]
    OverlappingFlows,
    /// Refuse any second session for the device.
    AnySession,
}

impl ConflictRule {
    /// True when `existing` (a stored session of the same device) blocks `new`.
    ///
    /// Sessions that are REQUESTED or AVAILABLE block, and so does a session the network
    /// terminated until it is deleted or purged (CAMARA asks clients to delete it first). A session
    /// whose duration expired, ended as planned, and does not block.
    pub fn blocks(self, existing: &Session, new: &Session) -> bool {
        if existing.id == new.id || existing.device_key() != new.device_key() {
            return false;
        }
        let live = match existing.status {
            QosStatus::Requested | QosStatus::Available => true,
            QosStatus::Unavailable => existing.status_info == Some(StatusInfo::NetworkTerminated),
        };
        if !live {
            return false;
        }
        match self {
            Self::AnySession => true,
            Self::OverlappingFlows => {
                let a = existing.flows();
                let b = new.flows();
                networks_intersect(&a.remote, &b.remote)
                    && ports_intersect(&a.ue_ports, &b.ue_ports)
                    && ports_intersect(&a.remote_ports, &b.remote_ports)
            }
        }
    }
}
