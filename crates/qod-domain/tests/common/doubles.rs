//! Clock, timer wake-up and network doubles that remember what the service did with them.

use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};

use async_trait::async_trait;
use qod_domain::{Clock, TimerWakeup};
use qod_network::{
    NetworkError, NetworkPolicy, PolicyGrant, PolicyRequest, ResourceRef, UeIdentity,
};
use qod_network_sim::SimulatedNetwork;
use time::{Duration, OffsetDateTime};

/// A clock that only moves when told to.
pub struct ManualClock(Mutex<OffsetDateTime>);

impl ManualClock {
    pub fn starting_at(at: OffsetDateTime) -> Self {
        Self(Mutex::new(at))
    }

    pub fn advance(&self, by: Duration) {
        *self.0.lock().unwrap() += by;
    }
}

impl Clock for ManualClock {
    fn now(&self) -> OffsetDateTime {
        *self.0.lock().unwrap()
    }
}

/// Remembers every wake-up it was given.
#[derive(Default)]
pub struct RecordingWakeup(Mutex<Vec<OffsetDateTime>>);

impl RecordingWakeup {
    pub fn calls(&self) -> Vec<OffsetDateTime> {
        self.0.lock().unwrap().clone()
    }
}

impl TimerWakeup for RecordingWakeup {
    fn timer_set(&self, due_at: OffsetDateTime) {
        self.0.lock().unwrap().push(due_at);
    }
}

/// The sandbox network, with a record of what it was asked to release or update.
#[derive(Default)]
pub struct RecordingNetwork {
    inner: SimulatedNetwork,
    pub requests: Mutex<Vec<PolicyRequest>>,
    releases: Mutex<Vec<ResourceRef>>,
    lifetimes: Mutex<Vec<(ResourceRef, std::time::Duration)>>,
    /// While set, releases and lifetime updates fail as if the network were unreachable.
    down: AtomicBool,
}

impl RecordingNetwork {
    pub fn releases(&self) -> Vec<ResourceRef> {
        self.releases.lock().unwrap().clone()
    }

    pub fn lifetimes(&self) -> Vec<(ResourceRef, std::time::Duration)> {
        self.lifetimes.lock().unwrap().clone()
    }

    pub fn request_count(&self) -> usize {
        self.requests.lock().unwrap().len()
    }

    pub fn set_down(&self, down: bool) {
        self.down.store(down, Ordering::SeqCst);
    }

    fn check_up(&self) -> Result<(), NetworkError> {
        if self.down.load(Ordering::SeqCst) {
            Err(NetworkError::Unavailable("unreachable".into()))
        } else {
            Ok(())
        }
    }
}

#[async_trait]
impl NetworkPolicy for RecordingNetwork {
    async fn check_subscriber(&self, ue: &UeIdentity) -> Result<(), NetworkError> {
        self.inner.check_subscriber(ue).await
    }

    async fn request(&self, request: &PolicyRequest) -> Result<PolicyGrant, NetworkError> {
        self.requests.lock().unwrap().push(request.clone());
        self.inner.request(request).await
    }

    async fn update_lifetime(
        &self,
        resource: &ResourceRef,
        lifetime: std::time::Duration,
    ) -> Result<(), NetworkError> {
        self.lifetimes
            .lock()
            .unwrap()
            .push((resource.clone(), lifetime));
        self.check_up()?;
        self.inner.update_lifetime(resource, lifetime).await
    }

    async fn release(&self, resource: &ResourceRef) -> Result<(), NetworkError> {
        self.releases.lock().unwrap().push(resource.clone());
        self.check_up()?;
        self.inner.release(resource).await
    }
}
