use std::time::Duration;

use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::{IpFlows, NetworkError, UeIdentity};

/// What the domain asks of the network: give these flows of this device this QoS.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PolicyRequest {
    /// Our own identifier for the request (the session id), for callbacks and logs.
    pub correlation_id: Uuid,
    pub ue: UeIdentity,
    pub flows: IpFlows,
    /// The operator's QoS reference the profile maps to.
    pub qos_reference: String,
    /// How long the policy is wanted. A hint only: the domain releases the policy itself.
    pub lifetime: Duration,
}

/// The network's handle on a policy: opaque, stored as the network returned it (often a URI).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct ResourceRef(pub String);

/// Where a policy stands right after the request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GrantState {
    /// The QoS is in force.
    Active,
    /// The network accepted the request and will report the outcome later.
    Pending,
    /// The network decided at once that it cannot provide the QoS.
    Refused,
}

/// What happened to a policy, as the network reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum NetworkEventKind {
    /// A pending policy is now in force.
    Activated,
    /// The network ended the policy (or refused a pending one).
    Terminated,
}

/// An event the network reports about one policy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NetworkEvent {
    pub resource: ResourceRef,
    pub kind: NetworkEventKind,
}

/// An event an adapter already knows will happen after a delay (the simulator's scripts).
/// The domain stores it as a due time, so it fires even across restarts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ScheduledEvent {
    pub after: Duration,
    pub kind: NetworkEventKind,
}

/// The network's answer to a [`PolicyRequest`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PolicyGrant {
    pub resource: ResourceRef,
    pub state: GrantState,
    pub scheduled: Vec<ScheduledEvent>,
}

/// The network port: every adapter (simulator, NEF, PCF, an operator's own) implements it.
///
/// Adapters must be idempotent on `release` (releasing an unknown resource is `Ok`) and must never
/// expire anything by themselves: the domain owns the lifetime of every policy.
#[async_trait]
pub trait NetworkPolicy: Send + Sync + 'static {
    /// Checks that the network knows this device and offers the service to it.
    async fn check_subscriber(&self, ue: &UeIdentity) -> Result<(), NetworkError>;

    /// Asks for QoS on the given flows.
    async fn request(&self, request: &PolicyRequest) -> Result<PolicyGrant, NetworkError>;

    /// Tells the network the policy is now wanted for `lifetime` from now (after an extension).
    async fn update_lifetime(
        &self,
        resource: &ResourceRef,
        lifetime: Duration,
    ) -> Result<(), NetworkError>;

    /// Releases the policy. Releasing a policy the network no longer has is not an error.
    async fn release(&self, resource: &ResourceRef) -> Result<(), NetworkError>;
}
