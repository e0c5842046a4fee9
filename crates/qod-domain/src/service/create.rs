use qod_network::{GrantState, NetworkEventKind, PolicyRequest};
use time::Duration;
use uuid::Uuid;

use super::{CreateSession, SessionService};
use crate::device::resolve_device;
use crate::ports::NewSession;
use crate::{
    Caller, DomainError, ProfileStatus, QosStatus, Session, SinkCredential, SinkRefusal,
    StatusInfo, StoreError, Timer, TimerKind,
};

impl SessionService {
    /// Creates a session: checks the device, profile, duration and conflicts, asks the network,
    /// and commits the session with its due times. On `Ok` the session is durable.
    pub async fn create(
        &self,
        caller: &Caller,
        request: CreateSession,
    ) -> Result<Session, DomainError> {
        if let Some(sink) = &request.sink {
            self.sinks
                .check(sink)
                .await
                .map_err(|refusal| match refusal {
                    SinkRefusal::Sink(why) => DomainError::InvalidSink(why),
                    SinkRefusal::TokenUri(why) => DomainError::InvalidArgument(why),
                })?;
        }
        let (ue, device_echo) = resolve_device(caller, request.device.as_ref())?;
        // The device is known and eligible before its profile and duration are judged.
        self.network.check_subscriber(&ue).await?;
        let profile = self
            .profiles
            .profile(&request.qos_profile)
            .ok_or_else(|| DomainError::UnknownProfile(request.qos_profile.clone()))?;
        if profile.status != ProfileStatus::Active || !profile.available_to(&ue.to_string()) {
            return Err(DomainError::ProfileNotApplicable(profile.name.clone()));
        }
        let (min, max) = (profile.min_duration_secs(), profile.max_duration_secs());
        if request.duration_secs < min || request.duration_secs > max {
            return Err(DomainError::DurationOutOfRange { min, max });
        }
        if let Some(SinkCredential::PrivateKeyJwt { .. }) =
            request.sink.as_ref().and_then(|s| s.credential.as_ref())
            && !self.rules.private_key_jwt_configured
        {
            return Err(DomainError::PrivateKeyJwtNotConfigured);
        }

        let now = self.clock.now();
        let mut session = Session {
            // Time-ordered: new rows go to the end of every index keyed by it (see
            // docs/performance.md).
            id: Uuid::now_v7(),
            client_id: caller.client_id.clone(),
            ue,
            device: device_echo,
            application_server: request.application_server,
            device_ports: request.device_ports,
            application_server_ports: request.application_server_ports,
            qos_profile: profile.name.clone(),
            max_duration_secs: max,
            sink: request.sink,
            duration_secs: request.duration_secs,
            status: QosStatus::Requested,
            status_info: None,
            started_at: None,
            expires_at: None,
            network_resource: None,
            created_at: now,
            version: 1,
        };

        // Fast refusal before the network is bothered; the store checks again atomically.
        let stored = self.store.sessions_of_device(&session.device_key()).await?;
        if stored
            .iter()
            .any(|s| self.rules.conflict_rule.blocks(s, &session))
        {
            return Err(DomainError::Conflict);
        }
        self.check_quota(caller, now).await?;

        let grant = self
            .network
            .request(&PolicyRequest {
                correlation_id: session.id,
                ue: session.ue.clone(),
                flows: session.flows(),
                qos_reference: profile.qos_reference.clone(),
                lifetime: std::time::Duration::from_secs(
                    u64::try_from(session.duration_secs).unwrap_or(0),
                ),
            })
            .await?;
        session.network_resource = Some(grant.resource.clone());

        let mut timers = Vec::new();
        let mut change = None;
        match grant.state {
            GrantState::Active => {
                session.status = QosStatus::Available;
                session.started_at = Some(now);
                let expires = now.saturating_add(Duration::seconds(session.duration_secs));
                session.expires_at = Some(expires);
                timers.push(self.timer(&session, TimerKind::Expire, expires));
                change = Some(session.change(Uuid::now_v7(), now));
            }
            GrantState::Pending => {}
            GrantState::Refused => {
                session.status = QosStatus::Unavailable;
                session.status_info = Some(StatusInfo::NetworkTerminated);
                session.expires_at = Some(now);
                timers.push(self.timer(
                    &session,
                    TimerKind::Purge,
                    now.saturating_add(self.rules.retention),
                ));
                change = Some(session.change(Uuid::now_v7(), now));
            }
        }
        if grant.state != GrantState::Refused {
            for event in &grant.scheduled {
                let kind = match event.kind {
                    NetworkEventKind::Activated => TimerKind::Activate,
                    NetworkEventKind::Terminated => TimerKind::NetworkTerminate,
                };
                let after = Duration::try_from(event.after).unwrap_or(Duration::MAX);
                timers.push(self.timer(&session, kind, now.saturating_add(after)));
            }
        }

        let recorded = change.is_some();
        let inserted = self
            .store
            .insert_session(NewSession {
                session: session.clone(),
                timers: timers.clone(),
                change,
                conflict_rule: self.rules.conflict_rule,
            })
            .await;
        match inserted {
            Ok(()) if recorded => self.event_queued(&session),
            Ok(()) => {}
            Err(e) => {
                // The session was not stored: give the network resource back.
                if let Err(release) = self.network.release(&grant.resource).await {
                    tracing::warn!(session.id = %session.id, error = %release,
                        "could not release the network resource of a session that was not stored");
                }
                return Err(match e {
                    StoreError::Conflict => DomainError::Conflict,
                    other => DomainError::Storage(other),
                });
            }
        }
        if let Some(first) = timers.iter().map(|t| t.due_at).min() {
            self.wakeup.timer_set(first);
        }
        tracing::info!(session.id = %session.id, client.id = %session.client_id,
            status = session.status.as_str(), "session created");
        Ok(session)
    }

    /// Refuses a create when the client already holds its quota of active sessions (best
    /// effort: concurrent creates of one client are not serialised).
    async fn check_quota(
        &self,
        caller: &Caller,
        now: time::OffsetDateTime,
    ) -> Result<(), DomainError> {
        let Some(max) = self.rules.max_active_sessions_per_client else {
            return Ok(());
        };
        let active = self
            .store
            .count_active_sessions(&caller.client_id, now)
            .await?;
        if active >= max {
            tracing::info!(client.id = %caller.client_id, active, max,
                "session refused: the client's quota of active sessions is used up");
            return Err(DomainError::QuotaExceeded);
        }
        Ok(())
    }

    pub(super) fn timer(
        &self,
        session: &Session,
        kind: TimerKind,
        due_at: time::OffsetDateTime,
    ) -> Timer {
        Timer {
            session_id: session.id,
            kind,
            due_at,
        }
    }
}
