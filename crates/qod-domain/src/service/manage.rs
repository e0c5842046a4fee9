use uuid::Uuid;

use super::SessionService;
use crate::device::resolve_device;
use crate::ports::SessionUpdate;
use crate::{Caller, Device, DomainError, QosStatus, Session, StatusInfo, TimerKind};

/// How often a change is retried when it raced with another change of the same session.
const RACE_RETRIES: usize = 5;

/// The most sessions one retrieve-sessions answer lists (CAMARA's maxItems).
const MAX_LISTED: usize = 100;

impl SessionService {
    /// The session with this id, if the caller may see it.
    pub async fn get(&self, caller: &Caller, id: Uuid) -> Result<Session, DomainError> {
        self.owned_session(caller, id).await
    }

    /// The caller's sessions of a device (the token's device for 3-legged calls), oldest first.
    pub async fn sessions_of_device(
        &self,
        caller: &Caller,
        device: Option<&Device>,
    ) -> Result<Vec<Session>, DomainError> {
        let (ue, _) = resolve_device(caller, device)?;
        self.network.check_subscriber(&ue).await?;
        let sessions = self.store.sessions_of_device(&ue.to_string()).await?;
        Ok(sessions
            .into_iter()
            .filter(|s| s.client_id == caller.client_id)
            .take(MAX_LISTED)
            .collect())
    }

    /// Adds to the duration of an AVAILABLE session, capped at the profile's maximum.
    pub async fn extend(
        &self,
        caller: &Caller,
        id: Uuid,
        additional_secs: i64,
    ) -> Result<Session, DomainError> {
        for _ in 0..RACE_RETRIES {
            let current = self.owned_session(caller, id).await?;
            let next = current.extended(additional_secs)?;
            let (Some(expires), Some(resource)) = (next.expires_at, &next.network_resource) else {
                return Err(DomainError::ExtensionNotAllowed(current.status));
            };
            let remaining = (expires - self.clock.now()).max(time::Duration::ZERO);
            self.network
                .update_lifetime(
                    resource,
                    std::time::Duration::try_from(remaining).unwrap_or_default(),
                )
                .await?;
            let update = SessionUpdate {
                session: next.clone(),
                set_timers: vec![self.timer(&next, TimerKind::Expire, expires)],
                clear_timers: vec![],
                change: None,
            };
            if self.store.update_session(update).await? {
                tracing::info!(session.id = %id, duration = next.duration_secs, "session extended");
                return Ok(next);
            }
        }
        Err(DomainError::Conflict)
    }

    /// Deletes a session: releases its network resource, records DELETE_REQUESTED when it was not
    /// already UNAVAILABLE (REQUESTED included; a sink gets its event), and removes it (404
    /// afterwards).
    pub async fn delete(&self, caller: &Caller, id: Uuid) -> Result<(), DomainError> {
        for _ in 0..RACE_RETRIES {
            let current = self.owned_session(caller, id).await?;
            let change = if current.status == QosStatus::Unavailable {
                None
            } else {
                if let Some(resource) = &current.network_resource {
                    self.network.release(resource).await?;
                }
                let mut ended = current.clone();
                ended.status = QosStatus::Unavailable;
                ended.status_info = Some(StatusInfo::DeleteRequested);
                Some(ended.change(Uuid::now_v7(), self.clock.now()))
            };
            let recorded = change.is_some();
            if self
                .store
                .delete_session(id, current.version, change)
                .await?
            {
                if recorded {
                    self.event_queued(&current);
                }
                tracing::info!(session.id = %id, "session deleted");
                return Ok(());
            }
        }
        Err(DomainError::Conflict)
    }
}
