//! CloudEvents webhook delivery for QoD Gateway.
//!
//! Status changes of sessions with a `sink` wait in the store's outbox
//! ([`qod_domain::OutboxStore`]); a [`Dispatcher`] claims them, sends each as a CloudEvent
//! (`application/cloudevents+json`, [`event`]) with the sink's credential, and records every
//! attempt: delivered, retried later (exponential backoff with jitter, `Retry-After`), given
//! up, or gone (410). The [`policy`] keeps deliveries away from internal addresses. This crate
//! never touches SQL: it knows the outbox only through the domain's port.

pub mod credentials;
pub mod dispatcher;
pub mod error;
pub mod event;
pub mod http;
pub mod metrics;
pub mod policy;
pub mod retry;
pub mod sender;

use std::sync::Arc;
use std::time::Duration;

pub use credentials::{AssertionKey, Credentials};
pub use dispatcher::{DispatchSettings, Dispatcher, DispatcherWakeup};
pub use error::NotifyError;
pub use event::{CloudEvent, EventFormat, SPEC_EVENT_TYPE, TEST_SUITE_EVENT_TYPE};
pub use http::{Http, HttpSettings};
pub use metrics::Metrics;
pub use policy::{AddressPolicy, SinkGuard};
pub use retry::RetryPolicy;
pub use sender::Sender;

use qod_domain::OutboxStore;

/// Everything notification delivery needs, as an operator configures it.
#[derive(Debug, Clone)]
pub struct NotifyConfig {
    /// The CloudEvent `type`.
    pub event_type: String,
    /// The gateway's public base URL (`https://api.example.com`): events' `source` starts here.
    pub public_base_url: String,
    /// The Quality-on-Demand base path, e.g. `/quality-on-demand/v1`.
    pub qod_base_path: String,
    /// Host names, addresses and networks that sinks may use although they are internal.
    pub allowed_hosts: Vec<String>,
    /// How long creating a session waits for its sink's host to resolve.
    pub create_resolve_timeout: Duration,
    pub http: HttpSettings,
    pub dispatch: DispatchSettings,
    /// The PKCS#8 PEM key that signs PRIVATE_KEY_JWT client assertions, if configured.
    pub private_key_jwt_pem: Option<Vec<u8>>,
}

/// Notification delivery, set up: the sink policy for the domain, the dispatcher to run, its
/// metrics, and the public key set of PRIVATE_KEY_JWT.
pub struct Notifications {
    pub guard: Arc<SinkGuard>,
    pub dispatcher: Dispatcher,
    pub metrics: Arc<Metrics>,
    /// The public keys verifying client assertions, when PRIVATE_KEY_JWT is configured.
    pub jwks: Option<jsonwebtoken::jwk::JwkSet>,
}

impl Notifications {
    /// Sets delivery up over `outbox`. Fails on a bad allow-list, CA file, key or setting.
    pub fn build(config: NotifyConfig, outbox: Arc<dyn OutboxStore>) -> Result<Self, NotifyError> {
        if config.dispatch.max_in_flight == 0 || config.dispatch.max_in_flight_per_origin == 0 {
            return Err(NotifyError::Setting(
                "the in-flight limits must be positive".into(),
            ));
        }
        let policy = AddressPolicy::new(&config.allowed_hosts)?;
        let guard = Arc::new(SinkGuard::new(
            policy.clone(),
            config.create_resolve_timeout,
        ));
        let http = Http::new(&config.http, Arc::new(policy))?;
        let key = config
            .private_key_jwt_pem
            .as_deref()
            .map(AssertionKey::from_pem)
            .transpose()?;
        let jwks = key.as_ref().map(AssertionKey::jwks);
        let format = EventFormat::new(
            &config.event_type,
            &config.public_base_url,
            &config.qod_base_path,
        );
        let metrics = Arc::new(Metrics::default());
        let sender = Sender::new(format, http, Credentials::new(key));
        let dispatcher = Dispatcher::new(outbox, sender, config.dispatch, Arc::clone(&metrics));
        Ok(Self {
            guard,
            dispatcher,
            metrics,
            jwks,
        })
    }
}
