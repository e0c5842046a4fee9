//! The queue behind the batched operations: callers queue work and wait for its answer;
//! a few workers each take what is queued at once, up to a bound, and do it together.

use std::sync::Arc;

use qod_domain::StoreError;
use tokio::sync::{Mutex, mpsc, oneshot};

/// Work queued before new callers wait for room.
const QUEUE: usize = 1024;

/// One caller's work and where its answer goes.
pub(crate) struct Job<T, A> {
    pub(crate) item: T,
    pub(crate) reply: oneshot::Sender<Result<A, StoreError>>,
}

impl<T, A> Job<T, A> {
    /// Answers the caller; one that went away no longer waits for it.
    pub(crate) fn answer(self, answer: Result<A, StoreError>) {
        let _ = self.reply.send(answer);
    }
}

/// Where callers queue work of type `T` answered with `A`.
pub(crate) struct Entrance<T, A> {
    jobs: mpsc::Sender<Job<T, A>>,
}

impl<T, A> Clone for Entrance<T, A> {
    fn clone(&self) -> Self {
        Self {
            jobs: self.jobs.clone(),
        }
    }
}

impl<T, A> std::fmt::Debug for Entrance<T, A> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Entrance")
            .field("queued", &(self.jobs.max_capacity() - self.jobs.capacity()))
            .finish()
    }
}

impl<T: Send + 'static, A: Send + 'static> Entrance<T, A> {
    /// Starts `workers` tasks on the current tokio runtime, each running `work` on the batches
    /// it takes, of at most `max_batch` jobs. Dropping every entrance stops them once the queue
    /// is empty.
    pub(crate) fn start<W, F>(workers: usize, max_batch: usize, work: W) -> Self
    where
        W: Fn(Vec<Job<T, A>>) -> F + Clone + Send + 'static,
        F: Future<Output = ()> + Send,
    {
        let (jobs, queue) = mpsc::channel(QUEUE);
        let queue = Arc::new(Mutex::new(queue));
        for _ in 0..workers {
            let (queue, work) = (queue.clone(), work.clone());
            tokio::spawn(async move {
                while let Some(batch) = next_batch(&queue, max_batch).await {
                    work(batch).await;
                }
            });
        }
        Self { jobs }
    }

    /// Whether every worker is gone (their runtime shut down): nothing queued would be answered.
    pub(crate) fn is_closed(&self) -> bool {
        self.jobs.is_closed()
    }

    /// Queues `item` and waits for its answer.
    pub(crate) async fn ask(&self, item: T) -> Result<A, StoreError> {
        let (reply, answer) = oneshot::channel();
        let stopped = || StoreError::Unavailable("the store is shutting down".into());
        self.jobs
            .send(Job { item, reply })
            .await
            .map_err(|_| stopped())?;
        answer.await.map_err(|_| stopped())?
    }
}

/// Waits for a first job, then takes what else is queued, up to `max` in all. One worker takes
/// at a time, so that the others find the queue as it was left. `None` once the queue is closed
/// and empty.
async fn next_batch<J>(queue: &Mutex<mpsc::Receiver<J>>, max: usize) -> Option<Vec<J>> {
    let mut queue = queue.lock().await;
    let first = queue.recv().await?;
    let mut batch = vec![first];
    while batch.len() < max {
        match queue.try_recv() {
            Ok(job) => batch.push(job),
            Err(_) => break,
        }
    }
    Some(batch)
}
