//! The bulk loader: sessions inserted straight through `qod_store` (the store's own
//! `insert_session`, with its timers and status change), the way `qod-server` stores an
//! AVAILABLE session. Far quicker than HTTP for a million sessions, and the rows are exactly
//! the server's.

use std::io::Write;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

use anyhow::Context;
use qod_domain::ports::NewSession;
use qod_domain::{
    AddressValue, ApplicationServer, ConflictRule, Device, QosStatus, Session, SessionStore, Sink,
    Timer, TimerKind,
};
use qod_network::{ResourceRef, UeIdentity};
use time::{Duration, OffsetDateTime};
use uuid::Uuid;

/// Options of `qod-bench load`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// `sqlite://PATH` or `postgres://...` (PostgreSQL must be migrated already).
    #[arg(long)]
    database_url: String,
    /// How many sessions to insert.
    #[arg(long)]
    count: u64,
    /// Two digits that keep these phone numbers apart from other loads.
    #[arg(long, default_value = "50")]
    prefix: String,
    /// All sessions expire at this instant (unix milliseconds); default: in 86400 s.
    #[arg(long)]
    expire_at_ms: Option<i64>,
    /// Inserts in flight (the SQLite writer commits up to 256 of them together).
    #[arg(long, default_value_t = 1024)]
    concurrency: u64,
    /// Where to write "sessionId phoneNumber" lines.
    #[arg(long)]
    ids_out: PathBuf,
    /// Client that owns the sessions (the static sandbox token's client is `sandbox`).
    #[arg(long, default_value = "sandbox")]
    client_id: String,
    /// A notification sink for every session: each one's change is then queued in the outbox.
    #[arg(long)]
    sink_url: Option<String>,
}

/// What every loaded session shares.
struct Template {
    client_id: String,
    prefix: String,
    now: OffsetDateTime,
    expires_at: Option<OffsetDateTime>,
    server: ApplicationServer,
    sink: Option<Sink>,
}

impl Template {
    fn session(&self, n: u64) -> (NewSession, String) {
        let phone = format!("+1{}{n:010}", self.prefix);
        let id = Uuid::now_v7();
        let (started, duration_secs, expires) = match self.expires_at {
            Some(at) => {
                // Whole seconds, ending exactly at the burst instant.
                let secs = (at - self.now).whole_seconds().max(1);
                (at - Duration::seconds(secs), secs, at)
            }
            None => (self.now, 86_400, self.now + Duration::seconds(86_400)),
        };
        let session = Session {
            id,
            client_id: self.client_id.clone(),
            ue: UeIdentity::Msisdn {
                number: phone.clone(),
            },
            device: Some(Device {
                phone_number: Some(phone.clone()),
                ..Device::default()
            }),
            application_server: self.server.clone(),
            device_ports: None,
            application_server_ports: None,
            qos_profile: "QOS_E".into(),
            max_duration_secs: 86_400,
            sink: self.sink.clone(),
            duration_secs,
            status: QosStatus::Available,
            status_info: None,
            started_at: Some(started),
            expires_at: Some(expires),
            network_resource: Some(ResourceRef(format!("sim:{id}"))),
            created_at: started,
            version: 1,
        };
        let change = session.change(Uuid::now_v7(), started);
        let new = NewSession {
            timers: vec![Timer {
                session_id: id,
                kind: TimerKind::Expire,
                due_at: expires,
            }],
            change: Some(change),
            conflict_rule: ConflictRule::default(),
            session,
        };
        (new, format!("{id} {phone}"))
    }
}

/// Loads the sessions and prints `{"count", "secs", "per_sec"}`.
pub async fn run(args: Args) -> anyhow::Result<()> {
    let settings = qod_store::PoolSettings {
        max_size: 32,
        ..qod_store::PoolSettings::default()
    };
    let (store, sqlite) = open(&args.database_url, settings).await?;
    let template = Arc::new(Template {
        client_id: args.client_id.clone(),
        prefix: args.prefix.clone(),
        now: OffsetDateTime::now_utc(),
        expires_at: args
            .expire_at_ms
            .map(|ms| OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000))
            .transpose()?,
        server: ApplicationServer::Subnets {
            ipv4: Some(AddressValue {
                raw: "198.51.100.0/24".into(),
                net: "198.51.100.0/24".parse()?,
            }),
            ipv6: None,
        },
        sink: args.sink_url.clone().map(|url| Sink {
            url,
            credential: None,
        }),
    });
    let started = Instant::now();
    let workers = args.concurrency.clamp(1, args.count.max(1));
    let mut tasks = tokio::task::JoinSet::new();
    for worker in 0..workers {
        let (store, template) = (Arc::clone(&store), Arc::clone(&template));
        let (count, step) = (args.count, workers);
        tasks.spawn(async move {
            let mut lines = Vec::new();
            let mut n = worker;
            while n < count {
                let (new, line) = template.session(n);
                store.insert_session(new).await?;
                lines.push(line);
                n += step;
            }
            Ok::<_, anyhow::Error>(lines)
        });
    }
    let mut out = std::io::BufWriter::new(std::fs::File::create(&args.ids_out)?);
    while let Some(lines) = tasks.join_next().await {
        for line in lines?? {
            writeln!(out, "{line}")?;
        }
    }
    out.flush()?;
    let secs = started.elapsed().as_secs_f64();
    let commits = sqlite.map(|s| s.write_stats().commits);
    drop(store);
    println!(
        "{}",
        serde_json::json!({
            "count": args.count,
            "secs": (secs * 10.0).round() / 10.0,
            "per_sec": (args.count as f64 / secs).round(),
            "commits": commits,
        })
    );
    Ok(())
}

/// The store, and the same store as SQLite when it is one (for its write statistics).
async fn open(
    url: &str,
    settings: qod_store::PoolSettings,
) -> anyhow::Result<(Arc<dyn SessionStore>, Option<Arc<qod_store::SqliteStore>>)> {
    if let qod_store::DatabaseUrl::Sqlite(path, access) = qod_store::DatabaseUrl::parse(url)? {
        let store =
            tokio::task::spawn_blocking(move || qod_store::SqliteStore::open_with(&path, access))
                .await??;
        let store = Arc::new(store);
        return Ok((store.clone(), Some(store)));
    }
    let store = qod_store::open(url, settings)
        .await
        .with_context(|| format!("opening {url}"))?;
    Ok((store, None))
}
