//! Point reads on PostgreSQL, batched: a session by its id, and the sessions of a device.
//!
//! On a small machine PostgreSQL's fixed cost per statement, more than the reading itself, is
//! what a get costs it, and each statement is a round trip and two thread wake-ups for the
//! server. Reads waiting at the same moment are therefore asked in one statement
//! (`= ANY($1)`), on connections of their own whose kept plans read through an index
//! ([`Plans::Indexed`]): left to itself, PostgreSQL may keep a sequential scan as the plan of
//! such a statement. Each read is still sent after it was asked for, so it sees every commit
//! that preceded it, as a statement of its own would.

use std::collections::HashMap;
use std::hash::Hash;

use qod_domain::{Session, StoreError};
use uuid::Uuid;

use super::per_thread::ThreadWorkers;
use super::pool::{self, Plans};
use super::queue::{Entrance, Job};
use super::{Db, PoolSettings, reads};
use crate::error::Error;

/// Keys one statement carries at most.
const MAX_BATCH: usize = 64;

/// The batched reads and their connections.
#[derive(Clone)]
pub(crate) struct Lookups {
    db: Db,
    by_id: Entrance<Uuid, Option<Session>>,
    by_device: Entrance<String, Vec<Session>>,
}

impl std::fmt::Debug for Lookups {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Lookups")
            .field("pool", &self.db.pool.status())
            .field("by_id", &self.by_id)
            .field("by_device", &self.by_device)
            .finish()
    }
}

impl Lookups {
    /// A pool of their own on `url` (opened as reads need it, on `runtime`), and `workers`
    /// readers of each kind, started on the current tokio runtime. Each reader has one
    /// statement in flight: on a small machine the more reads a statement carries the better,
    /// and the next batch gathers while one is out.
    pub(crate) fn start(
        url: &str,
        settings: &PoolSettings,
        runtime: tokio::runtime::Handle,
        workers: usize,
    ) -> Result<Self, Error> {
        let workers = workers.max(1);
        let settings = PoolSettings {
            max_size: 2 * workers,
            ..*settings
        };
        let db = Db {
            pool: pool::build(url, &settings, runtime, Plans::Indexed)?,
            settings,
        };
        let by_id = {
            let db = db.clone();
            Entrance::start(workers, MAX_BATCH, move |batch| {
                answer(db.clone(), batch, sessions_by_id)
            })
        };
        let by_device = {
            let db = db.clone();
            Entrance::start(workers, MAX_BATCH, move |batch| {
                answer(db.clone(), batch, sessions_by_device)
            })
        };
        Ok(Self {
            db,
            by_id,
            by_device,
        })
    }

    /// The session with this id.
    pub(crate) async fn session(&self, id: Uuid) -> Result<Option<Session>, StoreError> {
        self.by_id.ask(id).await
    }

    /// Every session of the device, oldest first.
    pub(crate) async fn sessions_of_device(
        &self,
        device_key: &str,
    ) -> Result<Vec<Session>, StoreError> {
        self.by_device.ask(device_key.to_owned()).await
    }
}

impl ThreadWorkers for Lookups {
    fn is_stopped(&self) -> bool {
        self.by_id.is_closed() || self.by_device.is_closed()
    }

    fn close(&self) {
        self.db.pool.close();
    }
}

/// Reads the keys of `batch` at once with `read` and answers each job with what was found for
/// its key (the same key asked twice gets the same answer twice).
async fn answer<K, V, R, F>(db: Db, batch: Vec<Job<K, V>>, read: R)
where
    K: Eq + Hash + Clone,
    V: Default + Clone,
    R: FnOnce(Db, Vec<K>) -> F,
    F: Future<Output = Result<HashMap<K, V>, StoreError>>,
{
    let mut asked: HashMap<K, usize> = HashMap::with_capacity(batch.len());
    for job in &batch {
        *asked.entry(job.item.clone()).or_default() += 1;
    }
    match read(db, asked.keys().cloned().collect()).await {
        Err(e) => {
            for job in batch {
                job.answer(Err(e.clone()));
            }
        }
        Ok(mut found) => {
            for job in batch {
                let value = match asked.get_mut(&job.item) {
                    Some(more) if *more > 1 => {
                        *more -= 1;
                        found.get(&job.item).cloned().unwrap_or_default()
                    }
                    _ => found.remove(&job.item).unwrap_or_default(),
                };
                job.answer(Ok(value));
            }
        }
    }
}

async fn sessions_by_id(
    db: Db,
    ids: Vec<Uuid>,
) -> Result<HashMap<Uuid, Option<Session>>, StoreError> {
    let sessions = with_conn!(db, |c| reads::sessions_by_ids(c, &ids))?;
    Ok(sessions
        .into_iter()
        .map(|session| (session.id, Some(session)))
        .collect())
}

async fn sessions_by_device(
    db: Db,
    keys: Vec<String>,
) -> Result<HashMap<String, Vec<Session>>, StoreError> {
    let rows = with_conn!(db, |c| reads::session_rows_of_devices(c, &keys))?;
    let mut by_device: HashMap<String, Vec<Session>> = HashMap::with_capacity(keys.len());
    for row in rows {
        let key = row.device_key.clone();
        let session = row.into_session().map_err(StoreError::from)?;
        by_device.entry(key).or_default().push(session);
    }
    Ok(by_device)
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use qod_domain::StoreError;
    use tokio::sync::oneshot;

    use super::answer;
    use crate::pg::pool::{self, Plans};
    use crate::pg::queue::Job;
    use crate::pg::{Db, PoolSettings};

    /// A pool that is never used: the reads below answer without it.
    fn unused_db() -> Db {
        let settings = PoolSettings::default();
        let pool = pool::build(
            "postgres://nobody@127.0.0.1:9/none",
            &settings,
            tokio::runtime::Handle::current(),
            Plans::Indexed,
        )
        .unwrap();
        Db { pool, settings }
    }

    /// A waiting read's answer.
    type Answer = oneshot::Receiver<Result<u32, StoreError>>;

    fn jobs(keys: &[&str]) -> (Vec<Job<String, u32>>, Vec<Answer>) {
        keys.iter()
            .map(|key| {
                let (reply, answer) = oneshot::channel();
                (
                    Job {
                        item: (*key).to_owned(),
                        reply,
                    },
                    answer,
                )
            })
            .unzip()
    }

    #[tokio::test]
    async fn each_read_gets_what_was_found_for_its_key_even_a_key_asked_twice() {
        let (batch, answers) = jobs(&["a", "b", "a", "missing", "a"]);
        let asked = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let seen = asked.clone();
        answer(
            unused_db(),
            batch,
            async move |_db, mut keys: Vec<String>| {
                keys.sort();
                seen.lock().unwrap().extend(keys);
                Ok(HashMap::from([("a".to_owned(), 1), ("b".to_owned(), 2)]))
            },
        )
        .await;
        let mut got = Vec::new();
        for answer in answers {
            got.push(answer.await.unwrap().unwrap());
        }
        assert_eq!(got, [1, 2, 1, 0, 1]);
        assert_eq!(
            *asked.lock().unwrap(),
            ["a", "b", "missing"],
            "each key is asked once"
        );
    }

    #[tokio::test]
    async fn a_failed_read_fails_every_read_of_its_batch() {
        let (batch, answers) = jobs(&["a", "b"]);
        answer(unused_db(), batch, async |_db, _keys: Vec<String>| {
            Err::<HashMap<String, u32>, _>(StoreError::Unavailable("down".into()))
        })
        .await;
        for answer in answers {
            assert!(matches!(
                answer.await.unwrap(),
                Err(StoreError::Unavailable(_))
            ));
        }
    }
}
