//! Delivery counters, rendered in the Prometheus text format.

use std::fmt::Write;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};

use qod_domain::DeliveryCounts;

/// Counters of this process's delivery attempts.
#[derive(Debug, Default)]
pub struct Metrics {
    delivered: AtomicU64,
    retried: AtomicU64,
    failed: AtomicU64,
    gone: AtomicU64,
    in_flight: AtomicI64,
}

/// How an attempt ended, as counted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Counted {
    Delivered,
    Retried,
    Failed,
    Gone,
}

impl Metrics {
    /// Counts an attempt.
    pub fn attempt(&self, outcome: Counted) {
        let counter = match outcome {
            Counted::Delivered => &self.delivered,
            Counted::Retried => &self.retried,
            Counted::Failed => &self.failed,
            Counted::Gone => &self.gone,
        };
        counter.fetch_add(1, Ordering::Relaxed);
    }

    /// A delivery started (`+1`) or ended (`-1`).
    pub fn in_flight(&self, delta: i64) {
        self.in_flight.fetch_add(delta, Ordering::Relaxed);
    }

    /// Attempts counted so far with this outcome.
    pub fn count(&self, outcome: Counted) -> u64 {
        match outcome {
            Counted::Delivered => &self.delivered,
            Counted::Retried => &self.retried,
            Counted::Failed => &self.failed,
            Counted::Gone => &self.gone,
        }
        .load(Ordering::Relaxed)
    }

    /// The counters, and the stored events by state when known, as Prometheus text.
    pub fn render(&self, stored: Option<DeliveryCounts>) -> String {
        let mut out = String::new();
        out.push_str(
            "# HELP qod_notification_attempts_total Delivery attempts of this process by outcome.\n\
             # TYPE qod_notification_attempts_total counter\n",
        );
        for (label, outcome) in [
            ("delivered", Counted::Delivered),
            ("retried", Counted::Retried),
            ("failed", Counted::Failed),
            ("gone", Counted::Gone),
        ] {
            let _ = writeln!(
                out,
                "qod_notification_attempts_total{{outcome=\"{label}\"}} {}",
                self.count(outcome)
            );
        }
        let _ = writeln!(
            out,
            "# HELP qod_notification_in_flight Deliveries in progress in this process.\n\
             # TYPE qod_notification_in_flight gauge\n\
             qod_notification_in_flight {}",
            self.in_flight.load(Ordering::Relaxed).max(0)
        );
        if let Some(c) = stored {
            out.push_str(
                "# HELP qod_notification_outbox_events Stored outbox events by delivery state.\n\
                 # TYPE qod_notification_outbox_events gauge\n",
            );
            for (label, n) in [
                ("pending", c.pending),
                ("delivered", c.delivered),
                ("failed", c.failed),
                ("gone", c.gone),
            ] {
                let _ = writeln!(
                    out,
                    "qod_notification_outbox_events{{state=\"{label}\"}} {n}"
                );
            }
        }
        out
    }
}
