//! Builders of sessions, timers and changes for the contract suite.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use ipnet::IpNet;
use qod_domain::ports::NewSession;
use qod_domain::{
    AddressValue, ApplicationServer, ConflictRule, Device, DeviceIpv4, DeviceIpv6, EventClaim,
    OutboxEvent, OutboxStore, PortsSpec, QosStatus, Session, Sink, SinkCredential, StatusChange,
    StatusInfo, StoreError, Timer, TimerKind,
};
use qod_network::{PortRange, ResourceRef, UeIdentity};
use time::{Duration, OffsetDateTime};
use uuid::Uuid;

/// The versions of every migration, oldest first, as [`crate::migrate`] reports them; both
/// backends have the same.
pub fn migration_versions() -> Vec<String> {
    [
        "20250101000000",
        "20261122100000",
        "20261122110000",
        "20261122120000",
        "20261203090000",
        "20261203200000",
    ]
    .map(str::to_owned)
    .to_vec()
}

/// 2030-01-01T00:00:00Z plus `ms` milliseconds: fixture times are millisecond-precise, as
/// the domain's clock is.
pub fn at(ms: i64) -> OffsetDateTime {
    time::macros::datetime!(2030-01-01 00:00 UTC) + Duration::milliseconds(ms)
}

/// An address or prefix as a client would send it, e.g. `198.51.100.7` or `2001:db8::/64`.
///
/// Panics on malformed input (fixtures are constants).
pub fn address(raw: &str) -> AddressValue {
    let net = match raw.parse::<IpNet>() {
        Ok(net) => net,
        Err(_) => match raw.parse::<IpAddr>() {
            Ok(ip) => IpNet::from(ip),
            Err(e) => panic!("bad fixture address {raw:?}: {e}"),
        },
    };
    AddressValue {
        raw: raw.to_owned(),
        net,
    }
}

/// A device identified by phone number `+336` followed by `n` on eight digits.
pub fn phone(n: u32) -> UeIdentity {
    UeIdentity::Msisdn {
        number: format!("+336{n:08}"),
    }
}

/// Ports given as a list of single ports.
pub fn ports(list: &[u16]) -> PortsSpec {
    PortsSpec {
        ranges: None,
        ports: Some(list.to_vec()),
    }
}

/// A REQUESTED session of `ue` towards the single address `server`, created at `at(0)`,
/// with every optional field empty.
pub fn session(ue: UeIdentity, server: &str) -> Session {
    Session {
        id: Uuid::new_v4(),
        client_id: "client-1".into(),
        ue,
        device: None,
        application_server: ApplicationServer::IpAddresses(vec![address(server)]),
        device_ports: None,
        application_server_ports: None,
        qos_profile: "QOS_E".into(),
        max_duration_secs: 3600,
        sink: None,
        duration_secs: 60,
        status: QosStatus::Requested,
        status_info: None,
        started_at: None,
        expires_at: None,
        network_resource: None,
        created_at: at(0),
        version: 1,
    }
}

/// An AVAILABLE IPv4-device session with every optional field set.
pub fn full_session() -> Session {
    let public = Ipv4Addr::new(203, 0, 113, 5);
    let private = Ipv4Addr::new(10, 0, 0, 5);
    let v6: Ipv6Addr = Ipv6Addr::new(0x2001, 0xdb8, 0, 0, 0, 0, 0, 0x42);
    Session {
        id: Uuid::new_v4(),
        client_id: "client-full".into(),
        ue: UeIdentity::Ipv4 {
            public,
            private: Some(private),
            port: Some(4000),
        },
        device: Some(Device {
            phone_number: Some("+33612345678".into()),
            network_access_identifier: Some("user@example.com".into()),
            ipv4_address: Some(DeviceIpv4 {
                public_address: public,
                private_address: Some(private),
                public_port: Some(4000),
            }),
            ipv6_address: Some(DeviceIpv6 {
                raw: "2001:DB8::42".into(),
                address: v6,
            }),
        }),
        application_server: ApplicationServer::IpAddresses(vec![
            address("198.51.100.7"),
            address("2001:db8:1::7"),
        ]),
        device_ports: Some(PortsSpec {
            ranges: Some(vec![PortRange {
                first: 5000,
                last: 5010,
            }]),
            ports: Some(vec![5060, 5061]),
        }),
        application_server_ports: Some(ports(&[443])),
        qos_profile: "QOS_L".into(),
        max_duration_secs: 86_400,
        sink: Some(Sink {
            url: "https://sink.example.com/notifications".into(),
            credential: Some(SinkCredential::AccessToken {
                access_token: "secret-token".into(),
                expires_at: at(3_600_000),
            }),
        }),
        duration_secs: 600,
        status: QosStatus::Available,
        status_info: None,
        started_at: Some(at(1_000)),
        expires_at: Some(at(601_000)),
        network_resource: Some(ResourceRef(
            "https://nef.example.com/3gpp-as-session-with-qos/v1/af/subscriptions/42".into(),
        )),
        created_at: at(500),
        version: 3,
    }
}

/// An UNAVAILABLE IPv6-device session towards two subnets, with a private-key-JWT sink.
pub fn unavailable_ipv6_session() -> Session {
    let mut s = session(
        UeIdentity::Ipv6 {
            address: Ipv6Addr::new(0x2001, 0xdb8, 0x85a3, 0, 0, 0, 0, 1),
        },
        "192.0.2.1",
    );
    s.application_server = ApplicationServer::Subnets {
        ipv4: Some(address("192.0.2.0/24")),
        ipv6: Some(address("2001:db8:abcd::/48")),
    };
    s.device_ports = Some(PortsSpec {
        ranges: Some(vec![PortRange {
            first: 10_000,
            last: 20_000,
        }]),
        ports: None,
    });
    s.sink = Some(Sink {
        url: "https://sink.example.org/qod".into(),
        credential: Some(SinkCredential::PrivateKeyJwt {
            client_id: Some("sink-client".into()),
            token_uri: None,
        }),
    });
    s.status = QosStatus::Unavailable;
    s.status_info = Some(StatusInfo::NetworkTerminated);
    s.started_at = Some(at(2_000));
    s.expires_at = Some(at(5_000));
    s.duration_secs = 3;
    s.version = 4;
    s
}

/// `s` with `status` and `status_info`, one version later.
pub fn with_status(s: &Session, status: QosStatus, info: Option<StatusInfo>) -> Session {
    let mut next = s.clone();
    next.status = status;
    next.status_info = info;
    next.version += 1;
    next
}

/// The change recording `s`'s current status at `when`.
pub fn change(s: &Session, when: OffsetDateTime) -> StatusChange {
    s.change(Uuid::new_v4(), when)
}

/// A timer of `s`.
pub fn timer(s: &Session, kind: TimerKind, due_at: OffsetDateTime) -> Timer {
    Timer {
        session_id: s.id,
        kind,
        due_at,
    }
}

/// A creation of `s` under the default conflict rule, recording its status at creation time
/// and without timers.
pub fn new_session(s: &Session) -> NewSession {
    NewSession {
        session: s.clone(),
        timers: Vec::new(),
        change: Some(change(s, s.created_at)),
        conflict_rule: ConflictRule::OverlappingFlows,
    }
}

/// Claims up to `limit` due events at `now` with the suite's lease, without limits per origin.
pub async fn claim_at(
    store: &dyn OutboxStore,
    now: OffsetDateTime,
    limit: usize,
) -> Vec<OutboxEvent> {
    let claim = EventClaim {
        now,
        lease: super::timers::LEASE,
        limit,
        per_origin: limit,
        origin_room: std::collections::HashMap::new(),
    };
    ok(store.claim_events(&claim).await, "claim events")
}

/// The value of a store call that must succeed; panics with `what` otherwise.
pub fn ok<T>(result: Result<T, StoreError>, what: &str) -> T {
    match result {
        Ok(value) => value,
        Err(e) => panic!("{what}: unexpected store error: {e}"),
    }
}
