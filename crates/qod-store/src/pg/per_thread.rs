//! [`PerThread`]: a value of its own for each thread that runs a single-threaded runtime.
//!
//! The HTTP workers each run a single-threaded tokio runtime. A PostgreSQL connection's driver
//! task runs on the runtime that opened the connection, so a connection (and a batch writer)
//! used from one worker only keeps a query, its answer and the waiting request on one thread:
//! no wake-up of another thread, no hand-over between cores. Tasks of a multi-threaded runtime
//! move between threads, so they share one value instead.

use std::collections::HashMap;
use std::sync::Mutex;
use std::thread::ThreadId;

use tokio::runtime::{Handle, RuntimeFlavor};

/// Values keyed by the thread that made them; closed once, after which none is handed out.
pub(crate) struct PerThread<T> {
    values: Mutex<Option<HashMap<ThreadId, T>>>,
}

impl<T: Clone> PerThread<T> {
    pub(crate) fn new() -> Self {
        Self {
            values: Mutex::new(Some(HashMap::new())),
        }
    }

    /// This thread's value, made by `make` on first use, when the calling task runs on a
    /// single-threaded runtime; `None` on a multi-threaded runtime, outside any runtime, once
    /// closed, or when `make` fails.
    pub(crate) fn get(&self, make: impl FnOnce() -> Option<T>) -> Option<T> {
        let flavor = Handle::try_current().ok()?.runtime_flavor();
        if flavor != RuntimeFlavor::CurrentThread {
            return None;
        }
        let mut guard = self.values.lock().ok()?;
        let values = guard.as_mut()?;
        let id = std::thread::current().id();
        if let Some(value) = values.get(&id) {
            return Some(value.clone());
        }
        let value = make()?;
        values.insert(id, value.clone());
        Some(value)
    }

    /// Takes every value out; later calls to [`PerThread::get`] give `None`.
    pub(crate) fn close(&self) -> Vec<T> {
        self.values
            .lock()
            .ok()
            .and_then(|mut guard| guard.take())
            .map(|values| values.into_values().collect())
            .unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};

    use super::PerThread;

    fn current_thread() -> tokio::runtime::Runtime {
        tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap()
    }

    #[test]
    fn a_single_threaded_runtime_gets_one_value_per_thread() {
        let values = Arc::new(PerThread::new());
        let made = Arc::new(AtomicUsize::new(0));
        let make = |made: &AtomicUsize| Some(made.fetch_add(1, Ordering::SeqCst));
        let first = current_thread().block_on(async { values.get(|| make(&made)) });
        let again = current_thread().block_on(async { values.get(|| make(&made)) });
        assert_eq!(
            (first, again),
            (Some(0), Some(0)),
            "made once for this thread"
        );
        let other = {
            let (values, made) = (values.clone(), made.clone());
            std::thread::spawn(move || {
                current_thread().block_on(async { values.get(|| make(&made)) })
            })
            .join()
            .unwrap()
        };
        assert_eq!(other, Some(1), "another thread gets a value of its own");
        assert_eq!(made.load(Ordering::SeqCst), 2);
    }

    #[test]
    fn a_multi_threaded_runtime_and_no_runtime_share_instead() {
        let values = PerThread::new();
        assert_eq!(values.get(|| Some(1)), None, "outside a runtime");
        let runtime = tokio::runtime::Builder::new_multi_thread().build().unwrap();
        assert_eq!(runtime.block_on(async { values.get(|| Some(1)) }), None);
        assert!(values.close().is_empty(), "nothing was made");
    }

    #[test]
    fn closing_takes_every_value_and_makes_no_more() {
        let values = PerThread::new();
        let runtime = current_thread();
        assert_eq!(runtime.block_on(async { values.get(|| Some(7)) }), Some(7));
        assert_eq!(values.close(), vec![7]);
        assert_eq!(runtime.block_on(async { values.get(|| Some(8)) }), None);
        assert!(values.close().is_empty());
    }

    #[test]
    fn a_value_that_cannot_be_made_is_tried_again_later() {
        let values = PerThread::new();
        let runtime = current_thread();
        assert_eq!(runtime.block_on(async { values.get(|| None::<u8>) }), None);
        assert_eq!(runtime.block_on(async { values.get(|| Some(3)) }), Some(3));
    }
}
