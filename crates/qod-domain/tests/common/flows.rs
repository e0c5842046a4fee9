//! Builders for the flow and conflict-rule tests: port ranges, networks, servers and sessions.

use ipnet::IpNet;
use qod_domain::{AddressValue, ApplicationServer, PortsSpec, QosStatus, Session};
use qod_network::{PortRange, UeIdentity};
use time::Duration;
use uuid::Uuid;

use super::harness::{ALICE, T0, msisdn};

pub fn r(first: u16, last: u16) -> PortRange {
    PortRange { first, last }
}

pub fn net(s: &str) -> IpNet {
    s.parse().unwrap()
}

/// An address or prefix as a client would send it: a bare address is a /32 or /128.
pub fn addr(raw: &str) -> AddressValue {
    let net = match raw.parse::<IpNet>() {
        Ok(n) => n,
        Err(_) => IpNet::from(raw.parse::<std::net::IpAddr>().unwrap()),
    };
    AddressValue {
        raw: raw.into(),
        net,
    }
}

pub fn ips(list: &[&str]) -> ApplicationServer {
    ApplicationServer::IpAddresses(list.iter().map(|a| addr(a)).collect())
}

pub fn ports(ranges: &[(u16, u16)], singles: &[u16]) -> PortsSpec {
    PortsSpec {
        ranges: (!ranges.is_empty()).then(|| ranges.iter().map(|&(a, b)| r(a, b)).collect()),
        ports: (!singles.is_empty()).then(|| singles.to_vec()),
    }
}

/// An available ten-minute session of `ue` towards `server`, started at [`T0`].
pub fn session(ue: UeIdentity, server: ApplicationServer) -> Session {
    Session {
        id: Uuid::new_v4(),
        client_id: "client-a".into(),
        ue,
        device: None,
        application_server: server,
        device_ports: None,
        application_server_ports: None,
        qos_profile: "QOS_E".into(),
        max_duration_secs: 86_400,
        sink: None,
        duration_secs: 600,
        status: QosStatus::Available,
        status_info: None,
        started_at: Some(T0),
        expires_at: Some(T0 + Duration::minutes(10)),
        network_resource: None,
        created_at: T0,
        version: 2,
    }
}

/// A session of the first test subscriber.
pub fn alice(server: ApplicationServer) -> Session {
    session(msisdn(ALICE), server)
}
