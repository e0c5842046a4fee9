//! `qod-bench`: the tools `bench/run` drives around the load generator: loading sessions
//! straight into a store, waiting for a server to be ready, checking the store after a run,
//! timing a burst of expiries, receiving notifications, and writing the report.

mod burst;
mod check;
mod load;
mod logscan;
mod ready;
mod receive;
mod report;
mod stats;

use std::path::PathBuf;

use clap::{Parser, Subcommand};

#[derive(Debug, Parser)]
#[command(
    name = "qod-bench",
    about = "Benchmark tools for QoD Gateway (see bench/run)"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Waits for the first 200 from a URL; prints the time since `--since-ns` in milliseconds.
    Ready {
        #[arg(long)]
        url: String,
        /// Unix time in nanoseconds the clock starts at (default: now).
        #[arg(long)]
        since_ns: Option<i128>,
        #[arg(long, default_value_t = 120)]
        timeout_secs: u64,
    },
    /// Inserts sessions straight through `qod_store` (no HTTP), as `qod-server` would store
    /// them; writes "sessionId phoneNumber" per line to `--ids-out`.
    Load(load::Args),
    /// Checks the store after a mixed run (from its trace) and measures the scheduler's lag.
    Check(check::Args),
    /// Waits until every session of a burst expired; measures how long it took and checks
    /// that each has exactly one DURATION_EXPIRED change.
    Burst(burst::Args),
    /// A local HTTPS notification sink that counts events and their rate.
    Receive(receive::Args),
    /// Writes results.md and results.json from a results directory.
    Report(report::Args),
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    match Cli::parse().command {
        Command::Ready {
            url,
            since_ns,
            timeout_secs,
        } => ready::run(&url, since_ns, timeout_secs).await,
        Command::Load(args) => load::run(args).await,
        Command::Check(args) => check::run(args).await,
        Command::Burst(args) => burst::run(args).await,
        Command::Receive(args) => receive::run(args).await,
        Command::Report(args) => report::run(&args),
    }
}

/// Writes `value` as pretty JSON to `path` (if given) and to stdout.
pub(crate) fn emit(path: Option<&PathBuf>, value: &serde_json::Value) -> anyhow::Result<()> {
    let text = serde_json::to_string_pretty(value)?;
    if let Some(path) = path {
        std::fs::write(path, format!("{text}\n"))?;
    }
    println!("{text}");
    Ok(())
}
