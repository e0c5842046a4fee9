use std::collections::HashMap;

use futures_util::{StreamExt, stream};
use time::OffsetDateTime;
use uuid::Uuid;

use super::SessionService;
use crate::ports::SessionUpdate;
use crate::{DomainError, QosStatus, Session, Timer, TimerKind};

/// Sessions whose timers fire at the same time.
const FIRE_PARALLELISM: usize = 128;

impl SessionService {
    /// Claims and fires up to `limit` due timers. Returns how many were claimed.
    ///
    /// A claim keeps other instances away from a timer while this one fires it (for
    /// `claim_lease`); the session's version check keeps its change exactly-once either way. A
    /// timer whose change raced with another one is released and fires on the next pass; one
    /// that failed stays claimed, so it is retried when its claim runs out.
    pub async fn fire_due_timers(&self, limit: usize) -> Result<usize, DomainError> {
        let now = self.clock.now();
        let due = self
            .store
            .claim_due_timers(now, limit, self.rules.claim_lease)
            .await?;
        let count = due.len();
        // Sessions fire concurrently, so that their writes share commits; the timers of one
        // session fire one after the other, in due order.
        let mut groups: Vec<Vec<Timer>> = Vec::new();
        let mut index: HashMap<Uuid, usize> = HashMap::new();
        for timer in due {
            let at = *index.entry(timer.session_id).or_insert_with(|| {
                groups.push(Vec::new());
                groups.len() - 1
            });
            groups[at].push(timer);
        }
        stream::iter(groups)
            .for_each_concurrent(FIRE_PARALLELISM, |group| async move {
                for timer in group {
                    if let Err(e) = self.fire(timer, now).await {
                        tracing::warn!(session.id = %timer.session_id,
                            timer = timer.kind.as_str(), error = %e,
                            "timer could not fire; it will be retried");
                    }
                }
            })
            .await;
        Ok(count)
    }

    /// The earliest time at which a timer can be claimed (its due time, or the end of its claim).
    pub async fn next_due_time(&self) -> Result<Option<OffsetDateTime>, DomainError> {
        Ok(self.store.next_due_time().await?)
    }

    async fn fire(&self, timer: Timer, now: OffsetDateTime) -> Result<(), DomainError> {
        let Some(session) = self.store.session(timer.session_id).await? else {
            return Ok(self.store.reschedule_timer(timer, None).await?);
        };
        match (timer.kind, session.status) {
            (TimerKind::Activate, QosStatus::Requested) => {
                let next = session.activated(timer.due_at)?;
                let expires = next.expires_at.unwrap_or(timer.due_at);
                let change = next.change(Uuid::now_v7(), timer.due_at);
                let expire = self.timer(&next, TimerKind::Expire, expires);
                if !self
                    .commit(next, vec![expire], vec![TimerKind::Activate], change)
                    .await?
                {
                    return self.release(timer).await;
                }
                self.wakeup.timer_set(expires);
            }
            (TimerKind::NetworkTerminate, QosStatus::Requested | QosStatus::Available) => {
                let next = session.terminated_by_network(timer.due_at)?;
                if !self.end(next, timer.due_at).await? {
                    return self.release(timer).await;
                }
            }
            (TimerKind::Expire, QosStatus::Available) => {
                let planned = session.expires_at.unwrap_or(timer.due_at);
                if planned > now {
                    // Extended since the timer was read: follow the new end.
                    return Ok(self.store.reschedule_timer(timer, Some(planned)).await?);
                }
                if let Some(resource) = &session.network_resource
                    && let Err(e) = self.network.release(resource).await
                {
                    tracing::warn!(session.id = %session.id, error = %e,
                        "network release failed at expiry; retrying");
                    let retry = now + self.rules.release_retry;
                    return Ok(self.store.reschedule_timer(timer, Some(retry)).await?);
                }
                let next = session.expired()?;
                if !self.end(next, planned).await? {
                    return self.release(timer).await;
                }
            }
            (TimerKind::Purge, QosStatus::Unavailable) => {
                if self
                    .store
                    .delete_session(session.id, session.version, None)
                    .await?
                {
                    tracing::info!(session.id = %session.id, "session purged after retention");
                } else {
                    return self.release(timer).await;
                }
            }
            // The session moved on: the timer no longer applies.
            _ => self.store.reschedule_timer(timer, None).await?,
        }
        Ok(())
    }

    /// Gives up the claim on a timer whose change lost a race, so the next pass sees it at once.
    async fn release(&self, timer: Timer) -> Result<(), DomainError> {
        tracing::debug!(session.id = %timer.session_id, timer = timer.kind.as_str(),
            "session changed while a timer fired; the timer stays for the next pass");
        Ok(self
            .store
            .reschedule_timer(timer, Some(timer.due_at))
            .await?)
    }

    /// Commits a session that became UNAVAILABLE at `at`: its other timers go, a purge is set.
    /// `Ok(false)` when the session changed meanwhile (nothing was written).
    async fn end(&self, next: Session, at: OffsetDateTime) -> Result<bool, DomainError> {
        let change = next.change(Uuid::now_v7(), at);
        let purge_at = at + self.rules.retention;
        let purge = self.timer(&next, TimerKind::Purge, purge_at);
        let clear = vec![
            TimerKind::Activate,
            TimerKind::NetworkTerminate,
            TimerKind::Expire,
        ];
        let id = next.id;
        let status_info = next.status_info.map(|s| s.as_str());
        if !self.commit(next, vec![purge], clear, change).await? {
            return Ok(false);
        }
        self.wakeup.timer_set(purge_at);
        tracing::info!(session.id = %id, status_info, "session became UNAVAILABLE");
        Ok(true)
    }

    /// Writes a timer's change; `Ok(false)` when the session changed meanwhile.
    async fn commit(
        &self,
        session: Session,
        set_timers: Vec<Timer>,
        clear_timers: Vec<TimerKind>,
        change: crate::StatusChange,
    ) -> Result<bool, DomainError> {
        let has_sink = session.sink.is_some();
        let written = self
            .store
            .update_session(SessionUpdate {
                session,
                set_timers,
                clear_timers,
                change: Some(change),
            })
            .await?;
        if written && has_sink {
            self.outbox.event_queued();
        }
        Ok(written)
    }
}
