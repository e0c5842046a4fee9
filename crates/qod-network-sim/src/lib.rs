//! The sandbox network: scripted behaviour per device, no I/O.
//!
//! Every valid device is granted at once, except the scenario phone numbers of the sandbox
//! contract, which let application developers exercise every path of the API:
//!
//! | phoneNumber    | behaviour                                                   |
//! |----------------|-------------------------------------------------------------|
//! | +99999990404   | unknown subscriber                                          |
//! | +99999990422   | subscriber not eligible for the service                     |
//! | +99999990202   | pending, then active after 2 s                              |
//! | +99999990503   | pending, then terminated (refused) after 1 s                |
//! | +99999990410   | active, then terminated by the network after 5 s            |

use std::time::Duration;

use async_trait::async_trait;
use qod_network::{
    GrantState, NetworkError, NetworkEventKind, NetworkPolicy, PolicyGrant, PolicyRequest,
    ResourceRef, ScheduledEvent, UeIdentity,
};

/// What the simulated network does for one device.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scenario {
    /// Granted at once and kept until released.
    Granted,
    /// The network knows no such subscriber.
    UnknownSubscriber,
    /// The subscriber is not eligible.
    NotEligible,
    /// Pending, then active after the delay.
    ActivatedAfter(Duration),
    /// Pending, then refused after the delay.
    RefusedAfter(Duration),
    /// Active, then terminated by the network after the delay.
    TerminatedAfter(Duration),
}

/// The sandbox's scenario table: phone number to behaviour.
#[derive(Debug, Clone)]
pub struct ScenarioTable {
    entries: Vec<(String, Scenario)>,
}

impl Default for ScenarioTable {
    fn default() -> Self {
        Self {
            entries: vec![
                ("+99999990404".into(), Scenario::UnknownSubscriber),
                ("+99999990422".into(), Scenario::NotEligible),
                (
                    "+99999990202".into(),
                    Scenario::ActivatedAfter(Duration::from_secs(2)),
                ),
                (
                    "+99999990503".into(),
                    Scenario::RefusedAfter(Duration::from_secs(1)),
                ),
                (
                    "+99999990410".into(),
                    Scenario::TerminatedAfter(Duration::from_secs(5)),
                ),
            ],
        }
    }
}

impl ScenarioTable {
    /// The behaviour for a device: devices not in the table are granted.
    pub fn scenario_for(&self, ue: &UeIdentity) -> Scenario {
        match ue {
            UeIdentity::Msisdn { number } => self
                .entries
                .iter()
                .find(|(n, _)| n == number)
                .map_or(Scenario::Granted, |(_, s)| *s),
            _ => Scenario::Granted,
        }
    }
}

/// The simulated network adapter used in sandbox mode.
#[derive(Debug, Clone, Default)]
pub struct SimulatedNetwork {
    scenarios: ScenarioTable,
}

impl SimulatedNetwork {
    /// A simulator with the given scenario table.
    pub fn new(scenarios: ScenarioTable) -> Self {
        Self { scenarios }
    }
}

#[async_trait]
impl NetworkPolicy for SimulatedNetwork {
    async fn check_subscriber(&self, ue: &UeIdentity) -> Result<(), NetworkError> {
        match self.scenarios.scenario_for(ue) {
            Scenario::UnknownSubscriber => Err(NetworkError::SubscriberNotFound),
            Scenario::NotEligible => Err(NetworkError::NotApplicable),
            _ => Ok(()),
        }
    }

    async fn request(&self, request: &PolicyRequest) -> Result<PolicyGrant, NetworkError> {
        let resource = ResourceRef(format!("sim:{}", request.correlation_id));
        let (state, scheduled) = match self.scenarios.scenario_for(&request.ue) {
            Scenario::UnknownSubscriber => return Err(NetworkError::SubscriberNotFound),
            Scenario::NotEligible => return Err(NetworkError::NotApplicable),
            Scenario::Granted => (GrantState::Active, vec![]),
            Scenario::ActivatedAfter(after) => (
                GrantState::Pending,
                vec![ScheduledEvent {
                    after,
                    kind: NetworkEventKind::Activated,
                }],
            ),
            Scenario::RefusedAfter(after) => (
                GrantState::Pending,
                vec![ScheduledEvent {
                    after,
                    kind: NetworkEventKind::Terminated,
                }],
            ),
            Scenario::TerminatedAfter(after) => (
                GrantState::Active,
                vec![ScheduledEvent {
                    after,
                    kind: NetworkEventKind::Terminated,
                }],
            ),
        };
        Ok(PolicyGrant {
            resource,
            state,
            scheduled,
        })
    }

    async fn update_lifetime(
        &self,
        _resource: &ResourceRef,
        _lifetime: Duration,
    ) -> Result<(), NetworkError> {
        Ok(())
    }

    async fn release(&self, _resource: &ResourceRef) -> Result<(), NetworkError> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use qod_network::IpFlows;

    fn request_for(number: &str) -> PolicyRequest {
        PolicyRequest {
            correlation_id: uuid::Uuid::new_v4(),
            ue: UeIdentity::Msisdn {
                number: number.into(),
            },
            flows: IpFlows {
                remote: vec![],
                ue_ports: vec![],
                remote_ports: vec![],
            },
            qos_reference: "QOS_E".into(),
            lifetime: Duration::from_secs(60),
        }
    }

    #[tokio::test]
    async fn scenario_devices_follow_the_sandbox_contract() {
        let net = SimulatedNetwork::default();
        assert_eq!(
            net.request(&request_for("+99999990404")).await,
            Err(NetworkError::SubscriberNotFound)
        );
        assert_eq!(
            net.request(&request_for("+99999990422")).await,
            Err(NetworkError::NotApplicable)
        );
        let g = net.request(&request_for("+99999990202")).await.unwrap();
        assert_eq!(g.state, GrantState::Pending);
        assert_eq!(g.scheduled[0].kind, NetworkEventKind::Activated);
        assert_eq!(g.scheduled[0].after, Duration::from_secs(2));
        let g = net.request(&request_for("+99999990503")).await.unwrap();
        assert_eq!(g.state, GrantState::Pending);
        assert_eq!(g.scheduled[0].kind, NetworkEventKind::Terminated);
        let g = net.request(&request_for("+99999990410")).await.unwrap();
        assert_eq!(g.state, GrantState::Active);
        assert_eq!(g.scheduled[0].after, Duration::from_secs(5));
        let g = net.request(&request_for("+34600000001")).await.unwrap();
        assert_eq!(g.state, GrantState::Active);
        assert!(g.scheduled.is_empty());
        assert!(g.resource.0.starts_with("sim:"));
    }

    #[tokio::test]
    async fn subscriber_check_matches_requests() {
        let net = SimulatedNetwork::default();
        let ue = |n: &str| UeIdentity::Msisdn { number: n.into() };
        assert_eq!(
            net.check_subscriber(&ue("+99999990404")).await,
            Err(NetworkError::SubscriberNotFound)
        );
        assert_eq!(
            net.check_subscriber(&ue("+99999990422")).await,
            Err(NetworkError::NotApplicable)
        );
        assert_eq!(net.check_subscriber(&ue("+99999990202")).await, Ok(()));
    }
}
