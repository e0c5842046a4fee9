//! An in-memory [`SessionStore`] that honours the store contract, with knobs to stage races.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Mutex, MutexGuard};

use async_trait::async_trait;
use qod_domain::ports::{NewSession, SessionUpdate};
use qod_domain::{QosStatus, Session, SessionStore, StatusChange, StoreError, Timer, TimerKind};
use time::{Duration, OffsetDateTime};
use uuid::Uuid;

#[derive(Default)]
struct StoreState {
    /// In insertion order, which is creation order here.
    sessions: Vec<Session>,
    timers: Vec<Timer>,
    /// When the claim on a timer ends, by session and kind.
    claims: HashMap<(Uuid, TimerKind), OffsetDateTime>,
    changes: Vec<StatusChange>,
}

/// A store that keeps everything in memory and honours the [`SessionStore`] contract.
#[derive(Default)]
pub struct MemoryStore {
    state: Mutex<StoreState>,
    /// Hides stored sessions from `sessions_of_device`, as if another request had stored one
    /// right after the listing: only the atomic check of `insert_session` can see it then.
    pub hide_listing: AtomicBool,
    /// How many of the next updates and deletes report a concurrent change (`Ok(false)`).
    pub lost_races: AtomicUsize,
}

impl MemoryStore {
    fn lock(&self) -> MutexGuard<'_, StoreState> {
        self.state.lock().unwrap()
    }

    pub fn timers_of(&self, id: Uuid) -> Vec<Timer> {
        let mut timers: Vec<Timer> = self
            .lock()
            .timers
            .iter()
            .filter(|t| t.session_id == id)
            .copied()
            .collect();
        timers.sort_by_key(|t| (t.due_at, t.kind.as_str()));
        timers
    }

    pub fn timer(&self, id: Uuid, kind: TimerKind) -> Option<Timer> {
        self.timers_of(id).into_iter().find(|t| t.kind == kind)
    }

    pub fn changes_of(&self, id: Uuid) -> Vec<StatusChange> {
        self.lock()
            .changes
            .iter()
            .filter(|c| c.session_id == id)
            .cloned()
            .collect()
    }

    pub fn stored(&self, id: Uuid) -> Option<Session> {
        self.lock().sessions.iter().find(|s| s.id == id).cloned()
    }

    pub fn session_count(&self) -> usize {
        self.lock().sessions.len()
    }

    /// True when this write is to lose a race with another change.
    fn loses_race(&self) -> bool {
        self.lost_races
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
            .is_ok()
    }
}

/// Inserts or replaces the timer of its session and kind; setting a timer clears its claim.
fn upsert_timer(state: &mut StoreState, timer: Timer) {
    state
        .timers
        .retain(|t| !(t.session_id == timer.session_id && t.kind == timer.kind));
    state.claims.remove(&(timer.session_id, timer.kind));
    state.timers.push(timer);
}

/// Removes the timers `doomed` selects, with their claims.
fn remove_timers(state: &mut StoreState, doomed: impl Fn(&Timer) -> bool) {
    let (gone, kept): (Vec<Timer>, Vec<Timer>) = state.timers.iter().partition(|t| doomed(t));
    for t in gone {
        state.claims.remove(&(t.session_id, t.kind));
    }
    state.timers = kept;
}

#[async_trait]
impl SessionStore for MemoryStore {
    async fn insert_session(&self, new: NewSession) -> Result<(), StoreError> {
        let mut state = self.lock();
        if state.sessions.iter().any(|s| s.id == new.session.id) {
            return Err(StoreError::Internal("duplicate session id".into()));
        }
        let key = new.session.device_key();
        if state
            .sessions
            .iter()
            .filter(|s| s.device_key() == key)
            .any(|s| new.conflict_rule.blocks(s, &new.session))
        {
            return Err(StoreError::Conflict);
        }
        for timer in new.timers {
            assert_eq!(timer.session_id, new.session.id, "timer of another session");
            upsert_timer(&mut state, timer);
        }
        state.changes.extend(new.change);
        state.sessions.push(new.session);
        Ok(())
    }

    async fn session(&self, id: Uuid) -> Result<Option<Session>, StoreError> {
        Ok(self.stored(id))
    }

    async fn sessions_of_device(&self, device_key: &str) -> Result<Vec<Session>, StoreError> {
        if self.hide_listing.load(Ordering::SeqCst) {
            return Ok(vec![]);
        }
        let mut found: Vec<Session> = self
            .lock()
            .sessions
            .iter()
            .filter(|s| s.device_key() == device_key)
            .cloned()
            .collect();
        found.sort_by_key(|s| s.created_at);
        Ok(found)
    }

    async fn update_session(&self, update: SessionUpdate) -> Result<bool, StoreError> {
        if self.loses_race() {
            return Ok(false);
        }
        let mut state = self.lock();
        let id = update.session.id;
        let Some(index) = state.sessions.iter().position(|s| s.id == id) else {
            return Ok(false);
        };
        if state.sessions[index].version != update.session.version - 1 {
            return Ok(false);
        }
        remove_timers(&mut state, |t| {
            t.session_id == id && update.clear_timers.contains(&t.kind)
        });
        for timer in update.set_timers {
            assert_eq!(timer.session_id, id, "timer of another session");
            upsert_timer(&mut state, timer);
        }
        state.changes.extend(update.change);
        state.sessions[index] = update.session;
        Ok(true)
    }

    async fn delete_session(
        &self,
        id: Uuid,
        expected_version: i64,
        change: Option<StatusChange>,
    ) -> Result<bool, StoreError> {
        if self.loses_race() {
            return Ok(false);
        }
        let mut state = self.lock();
        let Some(index) = state.sessions.iter().position(|s| s.id == id) else {
            return Ok(false);
        };
        if state.sessions[index].version != expected_version {
            return Ok(false);
        }
        state.sessions.remove(index);
        remove_timers(&mut state, |t| t.session_id == id);
        state.changes.extend(change);
        Ok(true)
    }

    async fn claim_due_timers(
        &self,
        now: OffsetDateTime,
        limit: usize,
        lease: Duration,
    ) -> Result<Vec<Timer>, StoreError> {
        let mut state = self.lock();
        let mut due: Vec<Timer> = state
            .timers
            .iter()
            .filter(|t| t.due_at <= now)
            .filter(|t| {
                state
                    .claims
                    .get(&(t.session_id, t.kind))
                    .is_none_or(|until| *until <= now)
            })
            .copied()
            .collect();
        due.sort_by_key(|t| (t.due_at, t.session_id, t.kind.as_str()));
        due.truncate(limit);
        for t in &due {
            state.claims.insert((t.session_id, t.kind), now + lease);
        }
        Ok(due)
    }

    async fn next_due_time(&self) -> Result<Option<OffsetDateTime>, StoreError> {
        let state = self.lock();
        Ok(state
            .timers
            .iter()
            .map(|t| match state.claims.get(&(t.session_id, t.kind)) {
                Some(until) if *until > t.due_at => *until,
                _ => t.due_at,
            })
            .min())
    }

    async fn reschedule_timer(
        &self,
        timer: Timer,
        due_at: Option<OffsetDateTime>,
    ) -> Result<(), StoreError> {
        let mut state = self.lock();
        let existing = state.timers.iter().position(|t| {
            t.session_id == timer.session_id && t.kind == timer.kind && t.due_at == timer.due_at
        });
        if existing.is_some() {
            state.claims.remove(&(timer.session_id, timer.kind));
        }
        match (existing, due_at) {
            (Some(i), Some(due)) => state.timers[i].due_at = due,
            (Some(i), None) => {
                state.timers.remove(i);
            }
            (None, _) => {}
        }
        Ok(())
    }

    async fn status_changes(&self, session_id: Uuid) -> Result<Vec<StatusChange>, StoreError> {
        Ok(self.changes_of(session_id))
    }

    async fn count_active_sessions(
        &self,
        client_id: &str,
        now: OffsetDateTime,
    ) -> Result<u64, StoreError> {
        let active = self
            .lock()
            .sessions
            .iter()
            .filter(|s| s.client_id == client_id)
            .filter(|s| match s.status {
                QosStatus::Requested => true,
                QosStatus::Available => s.expires_at.is_none_or(|at| at > now),
                QosStatus::Unavailable => false,
            })
            .count();
        Ok(active as u64)
    }
}
