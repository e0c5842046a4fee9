//! The session use cases.

mod create;
mod manage;
mod profiles;
mod timers;

pub use profiles::{MAX_LISTED_PROFILES, ProfileQuery, ProfileService};

use std::sync::Arc;

use time::Duration;

use crate::{
    AllowAllSinks, ApplicationServer, Caller, Clock, ConflictRule, Device, DomainError,
    NoOutboxWakeup, OutboxWakeup, PortsSpec, ProfileCatalogue, Session, SessionStore, Sink,
    SinkPolicy, TimerWakeup,
};
use qod_network::NetworkPolicy;

/// Rules an operator may tune.
#[derive(Debug, Clone)]
pub struct SessionRules {
    /// When a new session of a device is refused with 409.
    pub conflict_rule: ConflictRule,
    /// How long an UNAVAILABLE session stays readable before it is purged (CAMARA: at least 360 s).
    pub retention: Duration,
    /// Whether the operator configured a JWK set for PRIVATE_KEY_JWT sink credentials.
    pub private_key_jwt_configured: bool,
    /// How long to wait before retrying a network release that failed.
    pub release_retry: Duration,
    /// How long a claimed timer is kept from other instances while this one fires it; after a
    /// crash, another instance fires it once the claim has run out.
    pub claim_lease: Duration,
    /// Most active (REQUESTED or AVAILABLE) sessions one client may hold; a create beyond it
    /// is refused with [`DomainError::QuotaExceeded`]. `None`: no limit. Best effort: the count
    /// is read before the session is stored, so concurrent creates of one client may overshoot
    /// it by their number.
    pub max_active_sessions_per_client: Option<u64>,
}

impl Default for SessionRules {
    fn default() -> Self {
        Self {
            conflict_rule: ConflictRule::default(),
            retention: Duration::seconds(360),
            private_key_jwt_configured: false,
            release_retry: Duration::seconds(5),
            claim_lease: Duration::seconds(30),
            max_active_sessions_per_client: None,
        }
    }
}

/// A request to create a session, already well formed.
#[derive(Debug, Clone)]
pub struct CreateSession {
    pub device: Option<Device>,
    pub application_server: ApplicationServer,
    pub device_ports: Option<PortsSpec>,
    pub application_server_ports: Option<PortsSpec>,
    pub qos_profile: String,
    pub duration_secs: i64,
    pub sink: Option<Sink>,
}

/// The session use cases, wired to their ports.
#[derive(Clone)]
pub struct SessionService {
    store: Arc<dyn SessionStore>,
    network: Arc<dyn NetworkPolicy>,
    profiles: Arc<dyn ProfileCatalogue>,
    clock: Arc<dyn Clock>,
    wakeup: Arc<dyn TimerWakeup>,
    rules: SessionRules,
    sinks: Arc<dyn SinkPolicy>,
    outbox: Arc<dyn OutboxWakeup>,
}

impl SessionService {
    /// A service over these ports. It accepts every `https://` sink and wakes no dispatcher
    /// until [`SessionService::with_sink_policy`] and [`SessionService::with_outbox_wakeup`]
    /// say otherwise.
    pub fn new(
        store: Arc<dyn SessionStore>,
        network: Arc<dyn NetworkPolicy>,
        profiles: Arc<dyn ProfileCatalogue>,
        clock: Arc<dyn Clock>,
        wakeup: Arc<dyn TimerWakeup>,
        rules: SessionRules,
    ) -> Self {
        Self {
            store,
            network,
            profiles,
            clock,
            wakeup,
            rules,
            sinks: Arc::new(AllowAllSinks),
            outbox: Arc::new(NoOutboxWakeup),
        }
    }

    /// The same service, checking new sinks against `policy`.
    pub fn with_sink_policy(mut self, policy: Arc<dyn SinkPolicy>) -> Self {
        self.sinks = policy;
        self
    }

    /// The same service, waking `wakeup` whenever an event is queued for a sink.
    pub fn with_outbox_wakeup(mut self, wakeup: Arc<dyn OutboxWakeup>) -> Self {
        self.outbox = wakeup;
        self
    }

    /// Wakes the dispatcher after a change of `session` was committed, if it has a sink.
    fn event_queued(&self, session: &Session) {
        if session.sink.is_some() {
            self.outbox.event_queued();
        }
    }

    /// The session, if the caller may see it: 404 when unknown, 403 when it belongs to another
    /// client or (3-legged) another device.
    async fn owned_session(&self, caller: &Caller, id: uuid::Uuid) -> Result<Session, DomainError> {
        let session = self.store.session(id).await?.ok_or(DomainError::NotFound)?;
        if session.client_id != caller.client_id {
            return Err(DomainError::PermissionDenied);
        }
        if let Some(subject) = &caller.subject
            && subject.to_string() != session.device_key()
        {
            return Err(DomainError::PermissionDenied);
        }
        Ok(session)
    }
}
