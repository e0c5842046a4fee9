//! Point reads asked from a single-threaded runtime, done on that thread.
//!
//! An HTTP worker runs on a single-threaded runtime. Were its point reads sent to the store's
//! shared readers, which run on the multi-threaded runtime, each batch would cross between
//! threads twice (the HTTP worker queues, a runtime thread sends; a runtime thread receives,
//! the HTTP worker answers) and every answer would wake the HTTP worker from another thread: on
//! a small machine, where waking an idle core is most of what a round trip costs, that left a
//! fifth of the CPU idle under the get load. So each such thread gets readers of its own, with
//! connections opened on that thread: a read is queued, sent, received and answered without
//! leaving it. Reads asked from a multi-threaded runtime go to the shared readers.
//!
//! Creations were tried the same way, one batch writer per HTTP worker: no clear gain in creations
//! per second, and under the mixed load at 256 connections the timers' lag went from about 0.1 to
//! 0.5 s (p50), so they keep their shared writers (see docs/performance.md).
//!
//! A thread's workers live as long as its runtime: workers whose runtime has shut down are
//! replaced at the next request on that thread.

use std::cell::RefCell;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, MutexGuard, PoisonError};

use qod_domain::StoreError;
use thread_local::ThreadLocal;
use tokio::runtime::{Handle, RuntimeFlavor};

use crate::error::Error;

/// Workers that run on the runtime they were started on, with their connections.
pub(crate) trait ThreadWorkers: Clone + Send {
    /// Whether the workers are gone: the runtime they ran on has shut down.
    fn is_stopped(&self) -> bool;
    /// Closes their connections; later requests fail as unavailable.
    fn close(&self);
}

/// How a thread's workers are started, on the current runtime.
type Start<W> = Box<dyn Fn(Handle) -> Result<W, Error> + Send + Sync>;

/// The shared workers, and the workers of each single-threaded runtime's thread.
pub(crate) struct PerThread<W: ThreadWorkers> {
    shared: W,
    start: Start<W>,
    own: ThreadLocal<RefCell<Option<W>>>,
    /// Every thread's workers started so far, for `close`.
    started: Mutex<Vec<W>>,
    closed: AtomicBool,
}

impl<W: ThreadWorkers + std::fmt::Debug> std::fmt::Debug for PerThread<W> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PerThread")
            .field("shared", &self.shared)
            .field("closed", &self.closed)
            .finish_non_exhaustive()
    }
}

impl<W: ThreadWorkers> PerThread<W> {
    /// `shared` does the work of multi-threaded runtimes; `start` starts the workers of
    /// another thread when it first asks.
    pub(crate) fn new(
        shared: W,
        start: impl Fn(Handle) -> Result<W, Error> + Send + Sync + 'static,
    ) -> Self {
        Self {
            shared,
            start: Box::new(start),
            own: ThreadLocal::new(),
            started: Mutex::new(Vec::new()),
            closed: AtomicBool::new(false),
        }
    }

    /// The workers for a request made here: this thread's own when it runs a single-threaded
    /// runtime, the shared ones otherwise (and once the store is closed).
    pub(crate) fn here(&self) -> Result<W, StoreError> {
        let handle = match Handle::try_current() {
            Ok(handle) if handle.runtime_flavor() == RuntimeFlavor::CurrentThread => handle,
            _ => return Ok(self.shared.clone()),
        };
        let mut own = self.own.get_or_default().borrow_mut();
        if let Some(workers) = own.as_ref().filter(|workers| !workers.is_stopped()) {
            return Ok(workers.clone());
        }
        let mut started = self.started();
        if self.closed.load(Ordering::Acquire) {
            return Ok(self.shared.clone());
        }
        let workers = (self.start)(handle)?;
        started.retain(|earlier| !earlier.is_stopped());
        started.push(workers.clone());
        *own = Some(workers.clone());
        Ok(workers)
    }

    /// Closes every thread's connections and the shared workers'.
    pub(crate) fn close(&self) {
        let started = self.started();
        self.closed.store(true, Ordering::Release);
        self.shared.close();
        for workers in started.iter() {
            workers.close();
        }
    }

    fn started(&self) -> MutexGuard<'_, Vec<W>> {
        self.started.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

    use tokio::sync::mpsc;

    use super::{PerThread, ThreadWorkers};

    /// Workers numbered in the order they were started, stopped when the task holding their
    /// queue is gone with its runtime, as the store's are.
    #[derive(Clone, Debug)]
    struct Numbered {
        number: usize,
        queue: mpsc::Sender<()>,
        closed: Arc<AtomicBool>,
    }

    impl Numbered {
        fn start(number: usize) -> Self {
            let (queue, mut receiver) = mpsc::channel(1);
            tokio::spawn(async move { while receiver.recv().await.is_some() {} });
            Self {
                number,
                queue,
                closed: Arc::new(AtomicBool::new(false)),
            }
        }
    }

    impl ThreadWorkers for Numbered {
        fn is_stopped(&self) -> bool {
            self.queue.is_closed()
        }

        fn close(&self) {
            self.closed.store(true, Ordering::SeqCst);
        }
    }

    /// Shared workers numbered 0 (started on a runtime of their own, kept running), and a
    /// counter of the threads' workers started since.
    fn per_thread() -> (
        Arc<PerThread<Numbered>>,
        Arc<AtomicUsize>,
        tokio::runtime::Runtime,
    ) {
        let shared_runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .build()
            .unwrap();
        let shared = shared_runtime.block_on(async { Numbered::start(0) });
        let started = Arc::new(AtomicUsize::new(0));
        let counter = started.clone();
        let per_thread = PerThread::new(shared, move |_| {
            Ok(Numbered::start(counter.fetch_add(1, Ordering::SeqCst) + 1))
        });
        (Arc::new(per_thread), started, shared_runtime)
    }

    fn on_a_single_threaded_runtime<T>(work: impl Future<Output = T>) -> T {
        tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap()
            .block_on(work)
    }

    fn number_here(per_thread: &PerThread<Numbered>) -> usize {
        per_thread.here().unwrap().number
    }

    #[test]
    fn each_single_threaded_runtime_thread_gets_workers_of_its_own() {
        let (per_thread, started, shared_runtime) = per_thread();
        let on_shared = shared_runtime.block_on(async { number_here(&per_thread) });
        assert_eq!(
            on_shared, 0,
            "a multi-threaded runtime uses the shared workers"
        );
        let first = on_a_single_threaded_runtime(async {
            (number_here(&per_thread), number_here(&per_thread))
        });
        assert_eq!(first, (1, 1), "started once, then reused");
        let other = per_thread.clone();
        let second =
            std::thread::spawn(move || on_a_single_threaded_runtime(async { number_here(&other) }))
                .join()
                .unwrap();
        assert_eq!(second, 2, "another thread starts its own");
        assert_eq!(started.load(Ordering::SeqCst), 2);
    }

    #[test]
    fn workers_whose_runtime_shut_down_are_replaced() {
        let (per_thread, started, _shared_runtime) = per_thread();
        let first = on_a_single_threaded_runtime(async { number_here(&per_thread) });
        let second = on_a_single_threaded_runtime(async {
            let workers = per_thread.here().unwrap();
            assert!(!workers.is_stopped(), "the replacement runs");
            workers.number
        });
        assert_eq!((first, second), (1, 2));
        assert_eq!(started.load(Ordering::SeqCst), 2);
    }

    #[test]
    fn closing_closes_every_thread_s_workers_and_starts_no_more() {
        let (per_thread, started, _shared_runtime) = per_thread();
        let first = on_a_single_threaded_runtime(async {
            let workers = per_thread.here().unwrap();
            per_thread.close();
            assert!(workers.closed.load(Ordering::SeqCst));
            workers
        });
        assert!(per_thread.shared.closed.load(Ordering::SeqCst));
        let other = per_thread.clone();
        let after =
            std::thread::spawn(move || on_a_single_threaded_runtime(async { number_here(&other) }))
                .join()
                .unwrap();
        assert_eq!(
            after, 0,
            "a closed store's reads go to its closed shared workers"
        );
        assert_eq!(started.load(Ordering::SeqCst), 1);
        drop(first);
    }
}
