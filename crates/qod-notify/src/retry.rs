//! When to try again: exponential backoff with jitter, `Retry-After`, and when to give up.

use std::time::Duration;

use qod_domain::{AttemptOutcome, OutboxEvent};
use rand_core::RngCore;
use time::OffsetDateTime;
use time::format_description::BorrowedFormatItem;
use time::macros::format_description;

/// How a delivery attempt went, for the retry decision.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// The sink acknowledged the event.
    Delivered,
    /// 410: the sink is gone for this resource.
    Gone,
    /// A failure that may pass: 5xx, 408, 429, a timeout, a connection error. `retry_after`
    /// is what the sink asked for.
    Transient { retry_after: Option<Duration> },
    /// The sink refused the event (another 4xx): retried a few times only.
    Refused,
    /// Retrying cannot help (policy, credential): give up now.
    Fatal,
}

/// The retry rules.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// The delay after the first failed attempt; it doubles with each further one.
    pub initial_backoff: Duration,
    /// The longest delay between two attempts (without `Retry-After`).
    pub max_backoff: Duration,
    /// Give up when the next attempt would be later than this after the change.
    pub max_age: Duration,
    /// How many attempts an event refused with a 4xx gets in all.
    pub max_refused_attempts: u32,
}

impl RetryPolicy {
    /// The delay after `attempts` failed attempts, before jitter.
    pub fn backoff(&self, attempts: u32) -> Duration {
        let doublings = attempts.saturating_sub(1).min(32);
        self.initial_backoff
            .saturating_mul(1u32 << doublings.min(31))
            .min(self.max_backoff)
    }

    /// The backoff with "equal jitter": half of it fixed, the other half random, so that
    /// sinks failing together are not retried together.
    pub fn jittered(&self, attempts: u32, random: u64) -> Duration {
        let full = self.backoff(attempts);
        let half = full / 2;
        let spread = u64::try_from(half.as_millis()).unwrap_or(u64::MAX);
        half + Duration::from_millis(if spread == 0 {
            0
        } else {
            random % (spread + 1)
        })
    }

    /// What to record after an attempt on `event` (its `attempts` not counting this one) that
    /// ended with `verdict` at `now`.
    pub fn decide(&self, event: &OutboxEvent, verdict: Verdict, now: OffsetDateTime) -> Decision {
        let attempts = event.attempts.saturating_add(1);
        let retry_after = match verdict {
            Verdict::Delivered => return Decision::Done(AttemptOutcome::Delivered),
            Verdict::Gone => return Decision::Done(AttemptOutcome::Gone),
            Verdict::Fatal => return Decision::Done(AttemptOutcome::Failed),
            Verdict::Refused if attempts >= self.max_refused_attempts => {
                return Decision::GaveUp(format!("refused by the sink {attempts} times"));
            }
            Verdict::Refused => None,
            Verdict::Transient { retry_after } => retry_after,
        };
        let backoff = self.jittered(attempts, rand_core::OsRng.next_u64());
        // Never earlier than the sink asked, never earlier than the backoff.
        let delay = retry_after.map_or(backoff, |asked| asked.max(backoff));
        let next = now + delay;
        let deadline = event.occurred_at + self.max_age;
        if next > deadline {
            return Decision::GaveUp(format!(
                "not delivered within {}s after {attempts} attempts",
                self.max_age.as_secs()
            ));
        }
        Decision::Done(AttemptOutcome::Retry {
            next_attempt_at: next,
        })
    }
}

/// The retry decision.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    /// Record this outcome.
    Done(AttemptOutcome),
    /// Give up (record a failure), for this reason.
    GaveUp(String),
}

/// IMF-fixdate, the HTTP date format: `Sun, 06 Nov 1994 08:49:37 GMT`.
const HTTP_DATE: &[BorrowedFormatItem<'static>] = format_description!(
    "[weekday repr:short], [day] [month repr:short] [year] [hour]:[minute]:[second] GMT"
);

/// The delay a `Retry-After` value asks for at `now`: delta-seconds or an HTTP date (a date in
/// the past asks for none). `None` when the value is neither.
pub fn parse_retry_after(value: &str, now: OffsetDateTime) -> Option<Duration> {
    let value = value.trim();
    if let Ok(secs) = value.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let at = time::PrimitiveDateTime::parse(value, HTTP_DATE)
        .ok()?
        .assume_utc();
    Some(Duration::try_from(at - now).unwrap_or(Duration::ZERO))
}
