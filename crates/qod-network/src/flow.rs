use ipnet::IpNet;
use serde::{Deserialize, Serialize};

/// An inclusive range of TCP/UDP ports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct PortRange {
    pub first: u16,
    pub last: u16,
}

/// The IP flows between a device and its application servers that a policy covers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IpFlows {
    /// Application server addresses or prefixes (a single address is a /32 or /128).
    pub remote: Vec<IpNet>,
    /// Device ports; empty means every port.
    pub ue_ports: Vec<PortRange>,
    /// Application server ports; empty means every port.
    pub remote_ports: Vec<PortRange>,
}
