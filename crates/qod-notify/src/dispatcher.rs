//! The dispatcher: claims due events from the outbox and delivers them, with bounded
//! concurrency in all and per sink origin.
//!
//! It never holds more claims than it can start at once: a claim asks for at most the free
//! slots, and for each origin at most that origin's free slots, while origins at their cap are
//! left out of the claim altogether. So a thousand events for slow sinks of one origin occupy
//! that origin's few slots, and an event for another sink is claimed and sent as soon as it is
//! due. The dispatcher sleeps until the next event can be due, a change is committed, or a
//! delivery ends; it never polls faster than that.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use qod_domain::{
    AttemptOutcome, DeliveryAttempt, EventClaim, OutboxEvent, OutboxStore, OutboxWakeup,
};
use time::OffsetDateTime;
use tokio::sync::Notify;

use crate::metrics::{Counted, Metrics};
use crate::retry::{Decision, RetryPolicy};
use crate::sender::Sender;

/// Pause after the outbox could not be read (the database may be down).
const RETRY_PAUSE: Duration = Duration::from_secs(1);
/// How often finished events are purged.
const PURGE_EVERY: Duration = Duration::from_secs(3600);
/// The most events claimed at once.
const BATCH: usize = 256;

/// How the dispatcher works.
#[derive(Debug, Clone)]
pub struct DispatchSettings {
    /// The most deliveries in progress at once.
    pub max_in_flight: usize,
    /// The most deliveries in progress at once to one sink origin (`scheme://host:port`).
    pub max_in_flight_per_origin: usize,
    /// How long a claimed event is kept from other instances; longer than a delivery can take.
    pub claim_lease: Duration,
    /// The longest sleep between looks at the outbox (events of other instances are found
    /// within it).
    pub poll_interval: Duration,
    /// How long delivered, failed and gone events are kept.
    pub keep_finished: Duration,
    pub retry: RetryPolicy,
}

/// Deliveries in progress.
#[derive(Debug, Default)]
struct Slots {
    total: usize,
    by_origin: HashMap<String, usize>,
}

/// What the dispatcher's tasks share.
struct Shared {
    outbox: Arc<dyn OutboxStore>,
    sender: Sender,
    settings: DispatchSettings,
    metrics: Arc<Metrics>,
    slots: Mutex<Slots>,
    wake: Arc<Notify>,
}

/// Delivers the outbox's events. Run it with [`Dispatcher::run`].
pub struct Dispatcher {
    shared: Arc<Shared>,
}

/// Wakes a dispatcher when an event is queued (the domain's [`OutboxWakeup`] port).
#[derive(Debug, Clone)]
pub struct DispatcherWakeup(Arc<Notify>);

impl OutboxWakeup for DispatcherWakeup {
    fn event_queued(&self) {
        self.0.notify_one();
    }
}

fn now() -> OffsetDateTime {
    let now = OffsetDateTime::now_utc();
    now.replace_millisecond(now.millisecond()).unwrap_or(now)
}

impl Dispatcher {
    /// A dispatcher of `outbox`'s events through `sender`.
    pub fn new(
        outbox: Arc<dyn OutboxStore>,
        sender: Sender,
        settings: DispatchSettings,
        metrics: Arc<Metrics>,
    ) -> Self {
        Self {
            shared: Arc::new(Shared {
                outbox,
                sender,
                settings,
                metrics,
                slots: Mutex::default(),
                wake: Arc::new(Notify::new()),
            }),
        }
    }

    /// What wakes this dispatcher when an event is queued.
    pub fn wakeup(&self) -> DispatcherWakeup {
        DispatcherWakeup(Arc::clone(&self.shared.wake))
    }

    /// Delivers events until the task is dropped. Deliveries already started finish on
    /// their own tasks.
    pub async fn run(self) {
        let shared = self.shared;
        let mut last_purge: Option<std::time::Instant> = None;
        loop {
            if last_purge.is_none_or(|t| t.elapsed() >= PURGE_EVERY) {
                last_purge = Some(std::time::Instant::now());
                purge(&shared).await;
            }
            let claim = shared.claim(now());
            if claim.limit > 0 {
                match shared.outbox.claim_events(&claim).await {
                    Ok(events) if !events.is_empty() => {
                        for event in events {
                            shared.start(&event.sink.origin());
                            tokio::spawn(deliver(Arc::clone(&shared), event));
                        }
                        continue;
                    }
                    Ok(_) => {}
                    Err(e) => {
                        tracing::error!(error = %e, "cannot claim notifications; retrying");
                        shared.pause(RETRY_PAUSE).await;
                        continue;
                    }
                }
            }
            let wait = if claim.limit == 0 {
                shared.settings.poll_interval
            } else {
                match shared.outbox.next_event_time(&claim.full_origins()).await {
                    Ok(Some(due)) => Duration::try_from(due - now())
                        .unwrap_or(Duration::ZERO)
                        .clamp(Duration::from_millis(1), shared.settings.poll_interval),
                    Ok(None) => shared.settings.poll_interval,
                    Err(e) => {
                        tracing::error!(error = %e, "cannot read the next notification time");
                        RETRY_PAUSE
                    }
                }
            };
            shared.pause(wait).await;
        }
    }
}

impl Shared {
    /// The claim that fills the free slots.
    fn claim(&self, now: OffsetDateTime) -> EventClaim {
        let per_origin = self.settings.max_in_flight_per_origin;
        let slots = self.slots.lock().unwrap_or_else(|p| p.into_inner());
        EventClaim {
            now,
            lease: time::Duration::try_from(self.settings.claim_lease)
                .unwrap_or(time::Duration::MINUTE),
            limit: self
                .settings
                .max_in_flight
                .saturating_sub(slots.total)
                .min(BATCH),
            per_origin,
            origin_room: slots
                .by_origin
                .iter()
                .map(|(origin, n)| (origin.clone(), per_origin.saturating_sub(*n)))
                .collect(),
        }
    }

    fn start(&self, origin: &str) {
        let mut slots = self.slots.lock().unwrap_or_else(|p| p.into_inner());
        slots.total += 1;
        *slots.by_origin.entry(origin.to_owned()).or_default() += 1;
        self.metrics.in_flight(1);
    }

    fn finish(&self, origin: &str) {
        let mut slots = self.slots.lock().unwrap_or_else(|p| p.into_inner());
        slots.total = slots.total.saturating_sub(1);
        if let Some(n) = slots.by_origin.get_mut(origin) {
            *n = n.saturating_sub(1);
            if *n == 0 {
                slots.by_origin.remove(origin);
            }
        }
        drop(slots);
        self.metrics.in_flight(-1);
        self.wake.notify_one();
    }

    /// Sleeps for `wait`, or until woken.
    async fn pause(&self, wait: Duration) {
        tokio::select! {
            () = tokio::time::sleep(wait) => {}
            () = self.wake.notified() => {}
        }
    }
}

/// Delivers one claimed event and records the attempt.
async fn deliver(shared: Arc<Shared>, event: OutboxEvent) {
    let origin = event.sink.origin();
    let report = shared.sender.send(&event, now()).await;
    let at = now();
    let (outcome, error) = match shared.settings.retry.decide(&event, report.verdict, at) {
        Decision::Done(outcome) => (outcome, report.error.clone()),
        Decision::GaveUp(why) => (
            AttemptOutcome::Failed,
            Some(match &report.error {
                Some(last) => format!("{last}; {why}"),
                None => why,
            }),
        ),
    };
    let attempt = DeliveryAttempt {
        event_id: event.id,
        at,
        outcome,
        error,
        http_status: report.status,
    };
    log_attempt(&event, &origin, &attempt);
    shared.metrics.attempt(match outcome {
        AttemptOutcome::Delivered => Counted::Delivered,
        AttemptOutcome::Retry { .. } => Counted::Retried,
        AttemptOutcome::Failed => Counted::Failed,
        AttemptOutcome::Gone => Counted::Gone,
    });
    for _ in 0..3 {
        match shared.outbox.record_attempt(&attempt).await {
            Ok(_) => break,
            Err(e) => {
                // The claim stays: once it runs out, the event is claimed and sent again.
                tracing::error!(event.id = %event.id, error = %e,
                    "cannot record a notification attempt");
                tokio::time::sleep(RETRY_PAUSE).await;
            }
        }
    }
    shared.finish(&origin);
}

fn log_attempt(event: &OutboxEvent, origin: &str, attempt: &DeliveryAttempt) {
    let number = event.attempts.saturating_add(1);
    let status = attempt.http_status;
    let error = attempt.error.as_deref().unwrap_or("");
    match attempt.outcome {
        AttemptOutcome::Delivered => tracing::info!(
            session.id = %event.session_id, event.id = %event.id, attempt = number,
            http.status = status, sink.origin = origin, "notification delivered"),
        AttemptOutcome::Retry { next_attempt_at } => tracing::warn!(
            session.id = %event.session_id, event.id = %event.id, attempt = number,
            http.status = status, sink.origin = origin, error,
            next_attempt_at = %next_attempt_at, "notification not delivered; it will be retried"),
        AttemptOutcome::Failed => tracing::warn!(
            session.id = %event.session_id, event.id = %event.id, attempt = number,
            http.status = status, sink.origin = origin, error,
            "notification given up"),
        AttemptOutcome::Gone => tracing::warn!(
            session.id = %event.session_id, event.id = %event.id, attempt = number,
            http.status = status, sink.origin = origin,
            "sink answered 410 Gone: no more notifications for this session"),
    }
}

/// Removes finished events older than the settings keep them.
async fn purge(shared: &Shared) {
    let keep =
        time::Duration::try_from(shared.settings.keep_finished).unwrap_or(time::Duration::DAY);
    let before = now() - keep;
    loop {
        match shared.outbox.purge_finished(before, 1000).await {
            Ok(n) if n >= 1000 => continue,
            Ok(n) => {
                if n > 0 {
                    tracing::info!(removed = n, "finished notifications purged");
                }
                return;
            }
            Err(e) => {
                tracing::warn!(error = %e, "cannot purge finished notifications");
                return;
            }
        }
    }
}
