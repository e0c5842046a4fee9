//! A session service wired to the fakes, and builders for the callers and requests of the tests.

use std::sync::Arc;

use ipnet::IpNet;
use qod_domain::{
    AddressValue, ApplicationServer, Caller, CreateSession, Device, QosStatus, Session,
    SessionRules, SessionService, StaticCatalogue, StatusChange, StatusInfo, Timer, TimerKind,
};
use qod_network::UeIdentity;
use time::macros::datetime;
use time::{Duration, OffsetDateTime};
use uuid::Uuid;

use super::doubles::{ManualClock, RecordingNetwork, RecordingWakeup};
use super::store::MemoryStore;

/// When every harness's clock starts.
pub const T0: OffsetDateTime = datetime!(2025-03-01 10:00:00 UTC);

/// A service over a fresh in-memory store, a clock at [`T0`] and the recording network.
pub struct Harness {
    pub store: Arc<MemoryStore>,
    pub clock: Arc<ManualClock>,
    pub wakeup: Arc<RecordingWakeup>,
    pub network: Arc<RecordingNetwork>,
    pub service: SessionService,
}

impl Harness {
    pub fn new() -> Self {
        Self::with_rules(SessionRules::default())
    }

    pub fn with_rules(rules: SessionRules) -> Self {
        let store = Arc::new(MemoryStore::default());
        let clock = Arc::new(ManualClock::starting_at(T0));
        let wakeup = Arc::new(RecordingWakeup::default());
        let network = Arc::new(RecordingNetwork::default());
        let service = SessionService::new(
            store.clone(),
            network.clone(),
            Arc::new(StaticCatalogue::sandbox()),
            clock.clone(),
            wakeup.clone(),
            rules,
        );
        Self {
            store,
            clock,
            wakeup,
            network,
            service,
        }
    }

    /// Moves the clock and fires whatever became due, until nothing is.
    pub async fn advance(&self, secs: i64) {
        self.clock.advance(Duration::seconds(secs));
        self.fire_all().await;
    }

    pub async fn fire_all(&self) {
        for _ in 0..10 {
            if self.service.fire_due_timers(100).await.unwrap() == 0 {
                return;
            }
        }
        panic!("timers kept firing");
    }

    pub async fn create(&self, caller: &Caller, request: CreateSession) -> Session {
        self.service.create(caller, request).await.unwrap()
    }

    pub fn session(&self, id: Uuid) -> Session {
        self.store.stored(id).expect("stored session")
    }
}

pub fn client(id: &str) -> Caller {
    Caller {
        client_id: id.into(),
        subject: None,
    }
}

pub fn three_legged(client_id: &str, number: &str) -> Caller {
    Caller {
        client_id: client_id.into(),
        subject: Some(msisdn(number)),
    }
}

pub fn msisdn(number: &str) -> UeIdentity {
    UeIdentity::Msisdn {
        number: number.into(),
    }
}

pub fn phone_device(number: &str) -> Device {
    Device {
        phone_number: Some(number.into()),
        ..Device::default()
    }
}

pub fn server(address: &str) -> ApplicationServer {
    ApplicationServer::IpAddresses(vec![AddressValue {
        raw: address.into(),
        net: IpNet::from(address.parse::<std::net::IpAddr>().unwrap()),
    }])
}

pub fn request(number: &str, profile: &str, duration_secs: i64) -> CreateSession {
    CreateSession {
        device: Some(phone_device(number)),
        application_server: server("198.51.100.7"),
        device_ports: None,
        application_server_ports: None,
        qos_profile: profile.into(),
        duration_secs,
        sink: None,
    }
}

pub fn three_legged_request(profile: &str, duration_secs: i64) -> CreateSession {
    CreateSession {
        device: None,
        ..request("+34600000001", profile, duration_secs)
    }
}

pub const ALICE: &str = "+34600000001";
pub const BOB: &str = "+34600000002";

pub fn secs(n: i64) -> Duration {
    Duration::seconds(n)
}

pub fn statuses(changes: &[StatusChange]) -> Vec<(QosStatus, Option<StatusInfo>, OffsetDateTime)> {
    changes
        .iter()
        .map(|c| (c.status, c.status_info, c.at))
        .collect()
}

pub fn timer(session: &Session, kind: TimerKind, due_at: OffsetDateTime) -> Timer {
    Timer {
        session_id: session.id,
        kind,
        due_at,
    }
}
