//! Correctness after a mixed run, read from the store itself: every session that got a 201 is
//! stored (or was deleted with a 204, and then is gone with one DELETE_REQUESTED change), and
//! every session left to expire is UNAVAILABLE with exactly one DURATION_EXPIRED change. Also
//! the scheduler's lag under that load: from each expiry's due time (the change's `at`) to the
//! server's log line of it.

use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use qod_domain::{QosStatus, SessionStore, StatusInfo};
use serde_json::json;
use uuid::Uuid;

use crate::logscan::{ExpiryLog, ms_between};

/// Options of `qod-bench check`.
#[derive(Debug, clap::Args)]
pub struct Args {
    #[arg(long)]
    database_url: String,
    /// The trace the mixed scenario wrote (see bench/lua/mixed.lua).
    #[arg(long)]
    trace: PathBuf,
    /// The server's JSON log.
    #[arg(long)]
    log: PathBuf,
    /// How long to wait for sessions still due to expire.
    #[arg(long, default_value_t = 20)]
    wait_secs: u64,
    #[arg(long)]
    out: Option<PathBuf>,
}

/// What the trace says happened to one session.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Fate {
    /// Left to expire.
    Expire,
    /// Meant to be deleted; `true` once a delete got 204.
    Delete(bool),
}

#[derive(Default)]
struct Trace {
    sessions: HashMap<Uuid, Fate>,
    failures: BTreeMap<String, u64>,
}

fn read_trace(path: &PathBuf) -> anyhow::Result<Trace> {
    let text = std::fs::read_to_string(path).with_context(|| format!("reading {path:?}"))?;
    let mut trace = Trace::default();
    for line in text.lines() {
        let parts: Vec<&str> = line.split(' ').collect();
        match parts.as_slice() {
            ["C", id, kind] => {
                let fate = if *kind == "k" {
                    Fate::Expire
                } else {
                    Fate::Delete(false)
                };
                trace.sessions.insert(Uuid::parse_str(id)?, fate);
            }
            ["D", id, "204"] => {
                trace
                    .sessions
                    .insert(Uuid::parse_str(id)?, Fate::Delete(true));
            }
            [op, status, ..] => {
                *trace.failures.entry(format!("{op} {status}")).or_default() += 1;
            }
            _ => {}
        }
    }
    Ok(trace)
}

/// The verdict on one session: a problem, or the due time of its expiry.
async fn verify(
    store: &dyn SessionStore,
    id: Uuid,
    fate: Fate,
) -> anyhow::Result<Result<Option<time::OffsetDateTime>, String>> {
    let session = store.session(id).await?;
    let changes = store.status_changes(id).await?;
    let count = |info: StatusInfo| {
        changes
            .iter()
            .filter(|c| c.status_info == Some(info))
            .count()
    };
    let expired = count(StatusInfo::DurationExpired);
    let deleted = count(StatusInfo::DeleteRequested);
    Ok(match fate {
        Fate::Delete(true) if session.is_some() => Err(format!("{id}: deleted (204) but stored")),
        Fate::Delete(true) if deleted != 1 || expired != 0 => Err(format!(
            "{id}: deleted with {deleted} DELETE_REQUESTED and {expired} DURATION_EXPIRED changes"
        )),
        Fate::Delete(true) => Ok(None),
        // A delete whose answer the run did not wait for: gone, and recorded once.
        Fate::Delete(false) if session.is_none() && deleted != 1 => {
            Err(format!("{id}: got 201 but is not stored"))
        }
        Fate::Delete(false) => Ok(None),
        Fate::Expire => match session {
            None => Err(format!("{id}: got 201 but is not stored")),
            Some(s) if s.status != QosStatus::Unavailable => Err(format!(
                "{id}: still {} after its duration",
                s.status.as_str()
            )),
            Some(_) if expired != 1 => Err(format!(
                "{id}: {expired} DURATION_EXPIRED changes instead of one"
            )),
            Some(_) => Ok(changes
                .iter()
                .find(|c| c.status_info == Some(StatusInfo::DurationExpired))
                .map(|c| c.at)),
        },
    })
}

/// Runs the check and writes its JSON; fails when a session is wrong.
pub async fn run(args: Args) -> anyhow::Result<()> {
    let trace = read_trace(&args.trace)?;
    let store: Arc<dyn SessionStore> =
        qod_store::open(&args.database_url, qod_store::PoolSettings::default())
            .await
            .with_context(|| format!("opening {}", args.database_url))?;
    let mut pending: Vec<(Uuid, Fate)> = trace.sessions.iter().map(|(k, v)| (*k, *v)).collect();
    let mut problems = Vec::new();
    let mut due = HashMap::new();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(args.wait_secs);
    loop {
        let mut retry = Vec::new();
        problems.clear();
        for chunk in pending.chunks(64) {
            let mut tasks = tokio::task::JoinSet::new();
            for &(id, fate) in chunk {
                let store = Arc::clone(&store);
                tasks.spawn(async move { (id, fate, verify(store.as_ref(), id, fate).await) });
            }
            while let Some(joined) = tasks.join_next().await {
                let (id, fate, verdict) = joined?;
                match verdict? {
                    Ok(Some(at)) => {
                        due.insert(id, at);
                    }
                    Ok(None) => {}
                    Err(problem) if fate == Fate::Expire && problem.contains("still") => {
                        retry.push((id, fate));
                        problems.push(problem);
                    }
                    Err(problem) => problems.push(problem),
                }
            }
        }
        if retry.is_empty() || tokio::time::Instant::now() > deadline {
            break;
        }
        pending = retry;
        tokio::time::sleep(Duration::from_millis(500)).await;
    }

    let mut log = ExpiryLog::new(&args.log);
    log.poll()?;
    let lags: Vec<f64> = due
        .iter()
        .filter_map(|(id, at)| log.expired.get(id).map(|fired| ms_between(*at, *fired)))
        .collect();
    let count = |f: &dyn Fn(&Fate) -> bool| trace.sessions.values().filter(|v| f(v)).count();
    let result = json!({
        "ok": problems.is_empty(),
        "created": trace.sessions.len(),
        "deleted": count(&|f| *f == Fate::Delete(true)),
        "left_to_expire": count(&|f| *f == Fate::Expire),
        "expired_once": due.len(),
        "request_failures": trace.failures,
        "problems": problems.len(),
        "first_problems": problems.iter().take(10).collect::<Vec<_>>(),
        "scheduler_lag_ms": crate::stats::summary(lags),
    });
    crate::emit(args.out.as_ref(), &result)?;
    if !problems.is_empty() {
        anyhow::bail!(
            "{} sessions are not as their responses promised",
            problems.len()
        );
    }
    Ok(())
}
