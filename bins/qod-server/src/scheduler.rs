//! The timer worker: wakes at the next due time, fires what is due, and sleeps again. No
//! polling loop; catches up at start after a restart.
//!
//! A new timer wakes the worker only when it is due before the worker planned to wake: a busy
//! server sets a timer with almost every request (session expiries hours ahead), and none of
//! those should cost a look at the database.

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::Duration;

use qod_domain::{SessionService, TimerWakeup};
use time::OffsetDateTime;
use tokio::sync::Notify;

/// Timers claimed per pass; a full pass is followed at once by another.
const BATCH: usize = 512;
/// Pause after a failed pass (the database may be down).
const RETRY_PAUSE: Duration = Duration::from_secs(1);

/// Wakes the timer worker when a timer is set earlier than it planned to wake.
#[derive(Debug)]
pub struct NotifyWakeup {
    notify: Notify,
    /// When the worker plans to wake (unix ms); `i64::MIN` while it is working out the plan,
    /// so that every timer set meanwhile wakes it.
    planned_ms: AtomicI64,
    /// The earliest due time set since the worker last read the database (unix ms).
    earliest_ms: AtomicI64,
}

impl Default for NotifyWakeup {
    fn default() -> Self {
        Self {
            notify: Notify::new(),
            planned_ms: AtomicI64::new(i64::MIN),
            earliest_ms: AtomicI64::new(i64::MAX),
        }
    }
}

fn unix_ms(at: OffsetDateTime) -> i64 {
    i64::try_from(at.unix_timestamp_nanos() / 1_000_000).unwrap_or(i64::MAX)
}

impl TimerWakeup for NotifyWakeup {
    fn timer_set(&self, due_at: OffsetDateTime) {
        let due = unix_ms(due_at);
        self.earliest_ms.fetch_min(due, Ordering::SeqCst);
        if due < self.planned_ms.load(Ordering::SeqCst) {
            self.notify.notify_one();
        }
    }
}

/// How long from now until `at_ms`, at least 1 ms.
fn until(at_ms: i64) -> Duration {
    let left = at_ms.saturating_sub(unix_ms(OffsetDateTime::now_utc()));
    Duration::from_millis(u64::try_from(left).unwrap_or(0).max(1))
}

/// Runs the timer worker until the task is dropped. `max_sleep` bounds how long it sleeps
/// without looking at the database: timers set by other instances are found within it.
pub async fn run(service: SessionService, wakeup: Arc<NotifyWakeup>, max_sleep: Duration) {
    loop {
        match service.fire_due_timers(BATCH).await {
            Ok(n) if n >= BATCH => continue,
            Ok(_) => {}
            Err(e) => {
                tracing::error!(error = %e, "timer pass failed; retrying");
                tokio::time::sleep(RETRY_PAUSE).await;
                continue;
            }
        }
        // Timers set from here on are either seen by this read or recorded in `earliest_ms`.
        wakeup.planned_ms.store(i64::MIN, Ordering::SeqCst);
        wakeup.earliest_ms.store(i64::MAX, Ordering::SeqCst);
        let longest = unix_ms(OffsetDateTime::now_utc())
            .saturating_add(i64::try_from(max_sleep.as_millis()).unwrap_or(i64::MAX));
        let mut plan = match service.next_due_time().await {
            Ok(Some(due)) => unix_ms(due).min(longest),
            Ok(None) => longest,
            Err(e) => {
                tracing::error!(error = %e, "cannot read the next due time; retrying");
                unix_ms(OffsetDateTime::now_utc() + RETRY_PAUSE)
            }
        };
        loop {
            plan = plan.min(wakeup.earliest_ms.load(Ordering::SeqCst));
            wakeup.planned_ms.store(plan, Ordering::SeqCst);
            // A timer set between the two lines above is caught by the next look at it.
            if wakeup.earliest_ms.load(Ordering::SeqCst) < plan {
                continue;
            }
            tokio::select! {
                () = tokio::time::sleep(until(plan)) => break,
                () = wakeup.notify.notified() => {}
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_earliest_due_time_set_is_kept() {
        let wakeup = NotifyWakeup::default();
        let now = OffsetDateTime::now_utc();
        wakeup
            .planned_ms
            .store(unix_ms(now) + 1000, Ordering::SeqCst);
        wakeup.timer_set(now + time::Duration::hours(1));
        assert_eq!(
            wakeup.earliest_ms.load(Ordering::SeqCst),
            unix_ms(now + time::Duration::hours(1))
        );
        wakeup.timer_set(now + time::Duration::milliseconds(10));
        assert_eq!(
            wakeup.earliest_ms.load(Ordering::SeqCst),
            unix_ms(now + time::Duration::milliseconds(10))
        );
    }
}
