//! Creating a session: what is stored and asked of the network, and what is refused.

#![allow(clippy::unwrap_used, clippy::expect_used)]

#[allow(dead_code)] // each test file uses only some of the shared helpers
mod common;

use std::sync::Arc;

use async_trait::async_trait;
use common::doubles::{ManualClock, RecordingWakeup};
use common::harness::{
    ALICE, BOB, Harness, T0, client, msisdn, phone_device, request, secs, statuses, three_legged,
    three_legged_request, timer,
};
use common::store::MemoryStore;
use qod_domain::{
    Caller, CreateSession, DomainError, PortsSpec, QosStatus, SessionRules, SessionService, Sink,
    SinkCredential, StaticCatalogue, TimerKind,
};
use qod_network::{
    NetworkError, NetworkPolicy, PolicyGrant, PolicyRequest, PortRange, ResourceRef, UeIdentity,
};
use time::Duration;

#[tokio::test]
async fn a_granted_session_is_available_at_once_with_an_expiry_timer() {
    let h = Harness::new();
    let s = h
        .create(&client("client-a"), request(ALICE, "QOS_E", 600))
        .await;

    assert_eq!(s.status, QosStatus::Available);
    assert_eq!(s.status_info, None);
    assert_eq!(s.started_at, Some(T0));
    assert_eq!(s.expires_at, Some(T0 + secs(600)));
    assert_eq!(s.created_at, T0);
    assert_eq!(s.duration_secs, 600);
    assert_eq!(s.max_duration_secs, 86_400);
    assert_eq!(s.client_id, "client-a");
    assert_eq!(s.ue, msisdn(ALICE));
    assert_eq!(s.device, Some(phone_device(ALICE)));
    assert_eq!(s.qos_profile, "QOS_E");
    assert_eq!(
        s.network_resource,
        Some(ResourceRef(format!("sim:{}", s.id)))
    );

    // What was stored is what was returned.
    assert_eq!(h.session(s.id), s);
    assert_eq!(
        h.store.timers_of(s.id),
        vec![timer(&s, TimerKind::Expire, T0 + secs(600))]
    );
    assert_eq!(
        statuses(&h.store.changes_of(s.id)),
        vec![(QosStatus::Available, None, T0)]
    );
    assert_eq!(h.wakeup.calls(), vec![T0 + secs(600)]);
    assert_eq!(
        h.service.next_due_time().await.unwrap(),
        Some(T0 + secs(600))
    );
}

#[tokio::test]
async fn the_network_is_asked_for_the_flows_profile_and_lifetime() {
    let h = Harness::new();
    let mut req = request(ALICE, "QOS_L", 900);
    req.device_ports = Some(PortsSpec {
        ranges: Some(vec![PortRange {
            first: 5_000,
            last: 5_010,
        }]),
        ports: Some(vec![5_011]),
    });
    let s = h.create(&client("client-a"), req).await;
    let sent = h.network.requests.lock().unwrap().clone();
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].correlation_id, s.id);
    assert_eq!(sent[0].ue, msisdn(ALICE));
    assert_eq!(sent[0].qos_reference, "QOS_L");
    assert_eq!(sent[0].lifetime, std::time::Duration::from_secs(900));
    assert_eq!(sent[0].flows, s.flows());
    assert_eq!(
        sent[0].flows.ue_ports,
        vec![PortRange {
            first: 5_000,
            last: 5_011
        }]
    );
}

// ---------------------------------------------------------------- refusals

async fn create_err(h: &Harness, caller: &Caller, req: CreateSession) -> DomainError {
    let err = h.service.create(caller, req).await.unwrap_err();
    assert_eq!(
        h.store.session_count(),
        0,
        "nothing is stored after {err:?}"
    );
    err
}

#[tokio::test]
async fn unknown_subscribers_are_not_found() {
    let h = Harness::new();
    let err = create_err(&h, &client("c"), request("+99999990404", "QOS_E", 60)).await;
    assert!(matches!(err, DomainError::IdentifierNotFound), "{err:?}");
}

#[tokio::test]
async fn ineligible_subscribers_are_refused() {
    let h = Harness::new();
    let err = create_err(&h, &client("c"), request("+99999990422", "QOS_E", 60)).await;
    assert!(matches!(err, DomainError::ServiceNotApplicable), "{err:?}");
}

#[tokio::test]
async fn unknown_profiles_are_refused() {
    let h = Harness::new();
    let err = create_err(&h, &client("c"), request(ALICE, "QOS_NOPE", 60)).await;
    assert!(
        matches!(&err, DomainError::UnknownProfile(name) if name == "QOS_NOPE"),
        "{err:?}"
    );
    assert_eq!(h.network.request_count(), 0);
}

#[tokio::test]
async fn inactive_and_deprecated_profiles_are_not_applicable() {
    let h = Harness::new();
    for name in ["QOS_XL", "QOS_LEGACY"] {
        let err = create_err(&h, &client("c"), request(ALICE, name, 60)).await;
        assert!(
            matches!(&err, DomainError::ProfileNotApplicable(n) if n == name),
            "{err:?}"
        );
    }
    assert_eq!(h.network.request_count(), 0);
}

#[tokio::test]
async fn durations_outside_the_profile_range_are_refused() {
    let h = Harness::new();
    for duration in [0, -1, 86_401, i64::MAX] {
        let err = create_err(&h, &client("c"), request(ALICE, "QOS_E", duration)).await;
        assert!(
            matches!(
                err,
                DomainError::DurationOutOfRange {
                    min: 1,
                    max: 86_400
                }
            ),
            "{duration}: {err:?}"
        );
    }
    assert_eq!(h.network.request_count(), 0);
}

#[tokio::test]
async fn durations_at_the_bounds_are_accepted() {
    let h = Harness::new();
    let a = h.create(&client("c"), request(ALICE, "QOS_E", 1)).await;
    assert_eq!(a.expires_at, Some(T0 + secs(1)));
    let b = h.create(&client("c"), request(BOB, "QOS_E", 86_400)).await;
    assert_eq!(b.expires_at, Some(T0 + secs(86_400)));
}

// ---------------------------------------------------------------- sinks and device rules

fn with_sink(credential: Option<SinkCredential>) -> CreateSession {
    CreateSession {
        sink: Some(Sink {
            url: "https://app.example.com/notifications".into(),
            credential,
        }),
        ..request(ALICE, "QOS_E", 60)
    }
}

fn private_key_jwt() -> Option<SinkCredential> {
    Some(SinkCredential::PrivateKeyJwt {
        client_id: None,
        token_uri: None,
    })
}

#[tokio::test]
async fn private_key_jwt_sinks_need_a_configured_jwk_set() {
    let h = Harness::new();
    let err = create_err(&h, &client("c"), with_sink(private_key_jwt())).await;
    assert!(
        matches!(err, DomainError::PrivateKeyJwtNotConfigured),
        "{err:?}"
    );

    let h = Harness::with_rules(SessionRules {
        private_key_jwt_configured: true,
        ..SessionRules::default()
    });
    let s = h.create(&client("c"), with_sink(private_key_jwt())).await;
    assert_eq!(s.sink.unwrap().credential, private_key_jwt());
}

#[tokio::test]
async fn other_sinks_are_stored_as_given() {
    let h = Harness::new();
    let token = Some(SinkCredential::AccessToken {
        access_token: "secret".into(),
        expires_at: T0 + secs(3_600),
    });
    let s = h.create(&client("c"), with_sink(token.clone())).await;
    assert_eq!(h.session(s.id).sink.unwrap().credential, token);
    let s = h
        .create(
            &client("c"),
            CreateSession {
                device: Some(phone_device(BOB)),
                ..with_sink(None)
            },
        )
        .await;
    assert_eq!(
        h.session(s.id).sink.unwrap().url,
        "https://app.example.com/notifications"
    );
}

#[tokio::test]
async fn device_rules_apply_to_creation() {
    let h = Harness::new();
    let err = create_err(
        &h,
        &client("c"),
        CreateSession {
            device: None,
            ..request(ALICE, "QOS_E", 60)
        },
    )
    .await;
    assert!(matches!(err, DomainError::MissingIdentifier), "{err:?}");

    let err = create_err(&h, &three_legged("c", ALICE), request(ALICE, "QOS_E", 60)).await;
    assert!(matches!(err, DomainError::UnnecessaryIdentifier), "{err:?}");

    let s = h
        .create(&three_legged("c", BOB), three_legged_request("QOS_E", 60))
        .await;
    assert_eq!(s.ue, msisdn(BOB));
    assert_eq!(s.device, None);
}

// ---------------------------------------------------------------- network events far ahead

/// A network that grants at once and announces a termination in a very distant future.
struct DistantEventNetwork(std::time::Duration);

#[async_trait]
impl NetworkPolicy for DistantEventNetwork {
    async fn check_subscriber(&self, _ue: &UeIdentity) -> Result<(), NetworkError> {
        Ok(())
    }

    async fn request(&self, request: &PolicyRequest) -> Result<PolicyGrant, NetworkError> {
        Ok(PolicyGrant {
            resource: ResourceRef(format!("far:{}", request.correlation_id)),
            state: qod_network::GrantState::Active,
            scheduled: vec![qod_network::ScheduledEvent {
                after: self.0,
                kind: qod_network::NetworkEventKind::Terminated,
            }],
        })
    }

    async fn update_lifetime(
        &self,
        _resource: &ResourceRef,
        _lifetime: std::time::Duration,
    ) -> Result<(), NetworkError> {
        Ok(())
    }

    async fn release(&self, _resource: &ResourceRef) -> Result<(), NetworkError> {
        Ok(())
    }
}

fn service_over(network: Arc<dyn NetworkPolicy>) -> (Arc<MemoryStore>, SessionService) {
    let store = Arc::new(MemoryStore::default());
    let service = SessionService::new(
        store.clone(),
        network,
        Arc::new(StaticCatalogue::sandbox()),
        Arc::new(ManualClock::starting_at(T0)),
        Arc::new(RecordingWakeup::default()),
        SessionRules::default(),
    );
    (store, service)
}

#[tokio::test]
async fn a_scheduled_network_event_is_stored_at_its_delay() {
    let (store, service) = service_over(Arc::new(DistantEventNetwork(
        std::time::Duration::from_secs(86_400 * 365),
    )));
    let s = service
        .create(&client("a"), request(ALICE, "QOS_E", 600))
        .await
        .unwrap();
    assert_eq!(
        store
            .timer(s.id, TimerKind::NetworkTerminate)
            .map(|t| t.due_at),
        Some(T0 + Duration::days(365))
    );
}

#[tokio::test]
async fn an_absurdly_distant_network_event_does_not_bring_the_service_down() {
    for after in [
        std::time::Duration::from_secs(u64::MAX),
        std::time::Duration::from_secs(400_000 * 365 * 86_400),
    ] {
        let (store, service) = service_over(Arc::new(DistantEventNetwork(after)));
        let created = tokio::spawn(async move {
            service
                .create(&client("a"), request(ALICE, "QOS_E", 600))
                .await
        })
        .await;
        let s = created
            .expect("create must not panic")
            .expect("the session is granted");
        assert_eq!(
            store.stored(s.id).map(|s| s.status),
            Some(QosStatus::Available)
        );
    }
}
