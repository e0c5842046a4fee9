//! The QoD Gateway domain: sessions, their flows and lifecycle, QoS profiles, and the use cases
//! that tie them to storage and to the network.
//!
//! This crate knows nothing of HTTP, SQL or JSON wire formats. Storage, the clock and timer
//! wake-ups are ports ([`ports`]), and so are the notification outbox and the sink policy
//! ([`outbox`]); the network is [`qod_network::NetworkPolicy`].

pub mod caller;
pub mod device;
pub mod error;
pub mod flow;
pub mod outbox;
pub mod ports;
pub mod profile;
pub mod service;
pub mod session;
pub mod sink;
pub mod timer;

pub use caller::Caller;
pub use device::{Device, DeviceIpv4, DeviceIpv6};
pub use error::DomainError;
pub use flow::{AddressValue, ApplicationServer, ConflictRule, PortsSpec};
pub use outbox::{
    AllowAllSinks, AttemptOutcome, DeliveryAttempt, DeliveryCounts, DeliveryState, EventClaim,
    NoOutboxWakeup, OutboxEvent, OutboxStore, OutboxWakeup, SinkPolicy, SinkRefusal,
};
pub use ports::{Clock, SessionStore, StoreError, SystemClock, TimerWakeup};
pub use profile::{ProfileCatalogue, ProfileStatus, QosProfile, StaticCatalogue};
pub use service::{CreateSession, SessionRules, SessionService};
pub use session::{QosStatus, Session, StatusChange, StatusInfo};
pub use sink::{Sink, SinkCredential};
pub use timer::{Timer, TimerKind};
