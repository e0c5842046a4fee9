//! Many sessions due in the same instant: how long until every one is UNAVAILABLE with its
//! status change stored, and the lag of each expiry (due time to the commit of its change).
//!
//! Two phases, because a server keeps its SQLite file to itself: `wait` reads the server's log
//! while it runs, `verify` reads the store once it is stopped.

use std::collections::HashSet;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use qod_domain::{QosStatus, SessionStore, StatusInfo};
use serde_json::json;
use time::OffsetDateTime;
use uuid::Uuid;

use crate::logscan::{ExpiryLog, ms_between};

/// Options of `qod-bench burst`.
#[derive(Debug, clap::Args)]
pub struct Args {
    #[arg(long)]
    database_url: String,
    /// The loader's ids file for the sessions of the burst.
    #[arg(long)]
    ids: PathBuf,
    /// The server's JSON log.
    #[arg(long)]
    log: PathBuf,
    /// When the sessions were due (unix milliseconds).
    #[arg(long)]
    due_ms: i64,
    /// Give up this long after the due time.
    #[arg(long, default_value_t = 90)]
    timeout_secs: u64,
    /// The result: written by `wait`, completed by `verify`.
    #[arg(long)]
    out: PathBuf,
    #[arg(long, value_enum)]
    phase: Phase,
}

/// What a run of `qod-bench burst` does.
#[derive(Debug, Clone, Copy, clap::ValueEnum)]
enum Phase {
    /// Waits until the server's log shows every expiry, and times them.
    Wait,
    /// Checks each session in the store (the server stopped), and completes the result.
    Verify,
}

fn read_ids(path: &PathBuf) -> anyhow::Result<HashSet<Uuid>> {
    let text = std::fs::read_to_string(path).with_context(|| format!("reading {path:?}"))?;
    text.lines()
        .filter_map(|l| l.split(' ').next())
        .filter(|s| !s.is_empty())
        .map(|s| Uuid::parse_str(s).map_err(Into::into))
        .collect()
}

/// Whether the session is UNAVAILABLE with exactly one DURATION_EXPIRED change.
async fn expired_once(store: &dyn SessionStore, id: Uuid) -> anyhow::Result<bool> {
    let session = store.session(id).await?;
    let changes = store.status_changes(id).await?;
    let expired = changes
        .iter()
        .filter(|c| c.status_info == Some(StatusInfo::DurationExpired))
        .count();
    Ok(session.is_some_and(|s| s.status == QosStatus::Unavailable) && expired == 1)
}

/// Runs the phase `args` asks for.
pub async fn run(args: Args) -> anyhow::Result<()> {
    let ids = read_ids(&args.ids)?;
    match args.phase {
        Phase::Wait => wait(&args, &ids).await,
        Phase::Verify => verify(&args, &ids).await,
    }
}

/// Waits for the burst in the server's log; writes what the log shows.
async fn wait(args: &Args, ids: &HashSet<Uuid>) -> anyhow::Result<()> {
    let due = OffsetDateTime::from_unix_timestamp_nanos(i128::from(args.due_ms) * 1_000_000)?;
    let mut log = ExpiryLog::new(&args.log);
    let deadline = due + Duration::from_secs(args.timeout_secs);
    loop {
        log.poll()?;
        let seen = ids.iter().filter(|id| log.expired.contains_key(id)).count();
        if seen == ids.len() || OffsetDateTime::now_utc() > deadline {
            break;
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    let fired: Vec<OffsetDateTime> = ids
        .iter()
        .filter_map(|id| log.expired.get(id))
        .copied()
        .collect();
    let last = fired.iter().max().copied();
    let lags: Vec<f64> = fired.iter().map(|at| ms_between(due, *at)).collect();
    let result = json!({
        "sessions": ids.len(),
        "expired_in_log": fired.len(),
        "all_expired_after_ms": last.map(|at| (ms_between(due, at)).round()),
        "lag_ms": crate::stats::summary(lags),
    });
    crate::emit(Some(&args.out), &result)
}

/// Checks every session of the burst in the store; adds the count and the verdict.
async fn verify(args: &Args, ids: &HashSet<Uuid>) -> anyhow::Result<()> {
    let text = std::fs::read_to_string(&args.out)
        .with_context(|| format!("reading the wait phase's result {:?}", args.out))?;
    let mut result: serde_json::Value = serde_json::from_str(&text)?;
    let store: Arc<dyn SessionStore> =
        qod_store::open(&args.database_url, qod_store::PoolSettings::default())
            .await
            .with_context(|| format!("opening {}", args.database_url))?;
    let list: Vec<Uuid> = ids.iter().copied().collect();
    let mut verified = 0_usize;
    for chunk in list.chunks(256) {
        let mut tasks = tokio::task::JoinSet::new();
        for &id in chunk {
            let store = Arc::clone(&store);
            tasks.spawn(async move { expired_once(store.as_ref(), id).await });
        }
        while let Some(joined) = tasks.join_next().await {
            if joined?? {
                verified += 1;
            }
        }
    }
    let in_log = result["expired_in_log"].as_u64().unwrap_or(0);
    result["verified_expired_once"] = json!(verified);
    result["ok"] = json!(verified == ids.len() && in_log == ids.len() as u64);
    crate::emit(Some(&args.out), &result)
}
