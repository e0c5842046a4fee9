//! Per-client rate limiting of the CAMARA APIs: one token bucket per client id.

use std::num::NonZeroU32;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use governor::clock::Clock;
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};

/// How many checks pass between two sweeps of buckets that are full again (idle clients).
const SWEEP_EVERY: u64 = 4096;

/// A token bucket per client: `per_second` requests a second on average, and bursts of up to
/// `burst` requests.
pub struct ClientRateLimiter {
    limiter: DefaultKeyedRateLimiter<String>,
    checks: AtomicU64,
    per_second: NonZeroU32,
    burst: NonZeroU32,
}

impl std::fmt::Debug for ClientRateLimiter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClientRateLimiter")
            .field("per_second", &self.per_second)
            .field("burst", &self.burst)
            .finish_non_exhaustive()
    }
}

impl ClientRateLimiter {
    /// A limiter refilling `per_second` tokens a second into buckets of `burst` tokens.
    pub fn new(per_second: NonZeroU32, burst: NonZeroU32) -> Self {
        let quota = Quota::per_second(per_second).allow_burst(burst);
        Self {
            limiter: RateLimiter::keyed(quota),
            checks: AtomicU64::new(0),
            per_second,
            burst,
        }
    }

    /// Takes a token from the client's bucket: `Ok` when there was one, otherwise how long the
    /// client has to wait for the next.
    pub fn check(&self, client_id: &str) -> Result<(), Duration> {
        let outcome = self.limiter.check_key(&client_id.to_owned());
        if self.checks.fetch_add(1, Ordering::Relaxed) % SWEEP_EVERY == SWEEP_EVERY - 1 {
            // Buckets that refilled completely carry no state; dropping them bounds memory.
            self.limiter.retain_recent();
        }
        outcome.map_err(|not_until| not_until.wait_time_from(self.limiter.clock().now()))
    }

    /// How many clients have a bucket now.
    pub fn tracked_clients(&self) -> usize {
        self.limiter.len()
    }
}

/// A wait as whole seconds for `Retry-After`, rounded up and at least 1.
pub fn retry_after_secs(wait: Duration) -> u64 {
    let secs = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
    secs.max(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn n(v: u32) -> NonZeroU32 {
        NonZeroU32::new(v).unwrap_or(NonZeroU32::MIN)
    }

    #[test]
    fn each_client_has_its_own_bucket() {
        let limiter = ClientRateLimiter::new(n(1), n(3));
        for _ in 0..3 {
            assert!(limiter.check("a").is_ok());
        }
        let wait = limiter.check("a").err();
        assert!(
            wait.is_some_and(|w| w <= Duration::from_secs(1)),
            "{wait:?}"
        );
        assert!(limiter.check("b").is_ok());
        assert_eq!(limiter.tracked_clients(), 2);
    }

    #[test]
    fn retry_after_rounds_up() {
        assert_eq!(retry_after_secs(Duration::ZERO), 1);
        assert_eq!(retry_after_secs(Duration::from_millis(1)), 1);
        assert_eq!(retry_after_secs(Duration::from_millis(1000)), 1);
        assert_eq!(retry_after_secs(Duration::from_millis(1001)), 2);
    }
}
