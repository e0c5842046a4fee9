//! The network port of QoD Gateway.
//!
//! This crate speaks the network's language (a UE identity, IP flows, a QoS reference and a
//! lifetime), not CAMARA's. The domain converts its sessions into [`PolicyRequest`]s and talks to
//! whatever implements [`NetworkPolicy`]: the sandbox simulator, a 3GPP NEF or PCF adapter, or an
//! operator's own adapter crate.

mod error;
mod flow;
mod policy;
mod ue;

pub use error::NetworkError;
pub use flow::{IpFlows, PortRange};
pub use policy::{
    GrantState, NetworkEvent, NetworkEventKind, NetworkPolicy, PolicyGrant, PolicyRequest,
    ResourceRef, ScheduledEvent,
};
pub use ue::UeIdentity;
