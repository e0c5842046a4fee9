//! `results.md` and `results.json` from the files of one run (see bench/run for the layout),
//! and optionally the results section of docs/performance.md.

mod targets;

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use anyhow::Context;
use serde_json::{Value, json};

/// Options of `qod-bench report`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The run's results directory.
    #[arg(long)]
    dir: PathBuf,
    /// A markdown file whose section between `<!-- bench:results:begin -->` and
    /// `<!-- bench:results:end -->` is replaced by the tables.
    #[arg(long)]
    docs: Option<PathBuf>,
}

/// The servers, in table order: directory name and label.
pub const SERVERS: [(&str, &str); 3] = [
    ("baseline", "baseline"),
    ("sqlite", "qod-server, SQLite"),
    ("postgres", "qod-server, PostgreSQL"),
];

/// The load scenarios, in table order.
pub const SCENARIOS: [&str; 7] = [
    "create",
    "get",
    "extend",
    "retrieve",
    "delete",
    "mixed-32",
    "mixed-256",
];

/// Reads a JSON file, if it is there.
pub fn read_json(path: &Path) -> Option<Value> {
    let text = std::fs::read_to_string(path).ok()?;
    serde_json::from_str(text.trim()).ok()
}

/// wrk's summary (the `JSON` line bench/lua/common.lua prints), with `rps` added.
pub fn read_wrk(path: &Path) -> Option<Value> {
    let text = std::fs::read_to_string(path).ok()?;
    let line = text.lines().find_map(|l| l.strip_prefix("JSON "))?;
    let mut v: Value = serde_json::from_str(line).ok()?;
    let requests = v["requests"].as_f64()?;
    let secs = v["duration_us"].as_f64()? / 1e6;
    v["rps"] = json!((requests / secs).round());
    if let Some(cpu) = text
        .lines()
        .find_map(|l| l.strip_prefix("CPU "))
        .and_then(|l| serde_json::from_str::<Value>(l).ok())
    {
        v["cpu"] = cpu;
    }
    Some(v)
}

/// Everything the run left, in one JSON document.
fn collect(dir: &Path) -> Value {
    let mut scenarios = serde_json::Map::new();
    for scenario in SCENARIOS {
        let mut by_server = serde_json::Map::new();
        for (server, _) in SERVERS {
            if let Some(v) = read_wrk(&dir.join("wrk").join(server).join(format!("{scenario}.txt")))
            {
                by_server.insert(server.to_owned(), v);
            }
        }
        scenarios.insert(scenario.to_owned(), Value::Object(by_server));
    }
    let mut checks = serde_json::Map::new();
    for (server, _) in SERVERS {
        for mix in ["mixed-32", "mixed-256"] {
            if let Some(v) = read_json(&dir.join("check").join(format!("{server}-{mix}.json"))) {
                checks.insert(format!("{server}/{mix}"), v);
            }
        }
    }
    let scale = dir.join("scale");
    json!({
        "meta": read_json(&dir.join("meta.json")),
        "scenarios": scenarios,
        "checks": checks,
        "scale": {
            "load": read_json(&scale.join("load.json")),
            "db": read_json(&scale.join("db.json")),
            "startup": read_json(&scale.join("startup.json")),
            "rss": read_json(&scale.join("rss.json")),
            "load_small": read_json(&scale.join("load-small.json")),
            "get_small": read_wrk(&scale.join("get-small.txt")),
            "get": read_wrk(&scale.join("get.txt")),
            "create": read_wrk(&scale.join("create.txt")),
            "burst_load": read_json(&scale.join("burst-load.json")),
            "burst": read_json(&scale.join("burst.json")),
        },
        "notify": {
            "default": read_json(&dir.join("notify").join("notify-8.json")),
            "per_origin_64": read_json(&dir.join("notify").join("notify-64.json")),
        },
    })
}

/// Milliseconds from wrk's microseconds, two decimals.
fn ms(v: &Value) -> String {
    v.as_f64()
        .map_or_else(|| "–".into(), |us| format!("{:.2}", us / 1000.0))
}

fn num(v: &Value) -> String {
    match v.as_f64() {
        Some(x) if x.fract() == 0.0 => format!("{x:.0}"),
        Some(x) => format!("{x:.1}"),
        None => "–".into(),
    }
}

fn errors(v: &Value) -> u64 {
    let e = &v["errors"];
    ["connect", "read", "write", "status", "timeout"]
        .iter()
        .filter_map(|k| e[*k].as_u64())
        .sum()
}

/// A share in percent with one decimal, or a dash when the run did not measure it.
fn percent(v: &Value) -> String {
    v.as_f64()
        .map_or_else(|| "–".into(), |p| format!("{p:.1} %"))
}

fn scenario_table(doc: &Value, md: &mut String) {
    md.push_str(
        "| scenario | server | req/s | vs baseline | p50 ms | p99 ms | p99.9 ms | errors | steal |\n\
         |---|---|---:|---:|---:|---:|---:|---:|---:|\n",
    );
    for scenario in SCENARIOS {
        let row = &doc["scenarios"][scenario];
        let base = row["baseline"]["rps"].as_f64();
        for (server, label) in SERVERS {
            let v = &row[server];
            if v.is_null() {
                continue;
            }
            let ratio = match (v["rps"].as_f64(), base) {
                (Some(r), Some(b)) if b > 0.0 => format!("{:.0} %", 100.0 * r / b),
                _ => "–".into(),
            };
            let l = &v["latency_us"];
            let _ = writeln!(
                md,
                "| {scenario} | {label} | {} | {ratio} | {} | {} | {} | {} | {} |",
                num(&v["rps"]),
                ms(&l["p50"]),
                ms(&l["p99"]),
                ms(&l["p999"]),
                errors(v),
                percent(&v["cpu"]["steal_pct"])
            );
        }
    }
}

fn check_table(doc: &Value, md: &mut String) {
    md.push_str(
        "| run | created (201) | deleted (204) | left to expire | expired once | problems | \
         failed requests | scheduler lag p50 / p99 / max ms |\n\
         |---|---:|---:|---:|---:|---:|---|---:|\n",
    );
    let Some(checks) = doc["checks"].as_object() else {
        return;
    };
    for (run, c) in checks {
        let lag = &c["scheduler_lag_ms"];
        let failures = c["request_failures"]
            .as_object()
            .filter(|m| !m.is_empty())
            .map_or_else(
                || "none".to_owned(),
                |m| {
                    m.iter()
                        .map(|(k, v)| format!("{k}: {v}"))
                        .collect::<Vec<_>>()
                        .join(", ")
                },
            );
        let _ = writeln!(
            md,
            "| {run} | {} | {} | {} | {} | {} | {failures} | {} / {} / {} |",
            num(&c["created"]),
            num(&c["deleted"]),
            num(&c["left_to_expire"]),
            num(&c["expired_once"]),
            num(&c["problems"]),
            num(&lag["p50"]),
            num(&lag["p99"]),
            num(&lag["max"]),
        );
    }
}

/// The whole markdown report.
fn markdown(doc: &Value) -> String {
    let meta = &doc["meta"];
    let mut md = String::new();
    let _ = writeln!(
        md,
        "Run: {} ({} mode), {} s per scenario, wrk with {} threads and 32 connections unless \
         the scenario says otherwise; load generator and servers on the same machine.\n",
        meta["started"].as_str().unwrap_or("?"),
        meta["mode"].as_str().unwrap_or("?"),
        num(&meta["duration_secs"]),
        num(&meta["wrk_threads"]),
    );
    let _ = writeln!(
        md,
        "Machine: {}; {} cores, {} memory; {}; load average before the run: {}.\n",
        meta["cpu"].as_str().unwrap_or("?"),
        num(&meta["cores"]),
        meta["memory"].as_str().unwrap_or("?"),
        meta["os"].as_str().unwrap_or("?"),
        meta["loadavg"].as_str().unwrap_or("?"),
    );
    md.push_str("### Targets\n\n");
    targets::table(doc, &mut md);
    md.push_str(
        "\n### Scenarios\n\nsteal: the share of the machine's CPU time that the hypervisor gave \
         to other guests while the scenario ran (`/proc/stat`); where it is high, every figure \
         of that row is lower than the machine gives when it is not shared.\n\n",
    );
    scenario_table(doc, &mut md);
    md.push_str("\n### Correctness after the mixed runs\n\n");
    check_table(doc, &mut md);
    md.push_str("\n### Scale (SQLite)\n\n");
    targets::scale_table(doc, &mut md);
    md.push_str("\n### Notification delivery to one local HTTPS receiver\n\n");
    targets::notify_table(doc, &mut md);
    md
}

const BEGIN: &str = "<!-- bench:results:begin -->";
const END: &str = "<!-- bench:results:end -->";

fn update_docs(path: &Path, tables: &str) -> anyhow::Result<()> {
    let text = std::fs::read_to_string(path).with_context(|| format!("reading {path:?}"))?;
    let (Some(b), Some(e)) = (text.find(BEGIN), text.find(END)) else {
        anyhow::bail!("{path:?} has no {BEGIN} ... {END} section");
    };
    let updated = format!("{}{BEGIN}\n{tables}{}", &text[..b], &text[e..]);
    std::fs::write(path, updated)?;
    Ok(())
}

/// Writes results.json and results.md into the directory (and the docs section).
pub fn run(args: &Args) -> anyhow::Result<()> {
    let mut doc = collect(&args.dir);
    doc["targets"] = targets::evaluate(&doc);
    let md = markdown(&doc);
    std::fs::write(
        args.dir.join("results.json"),
        serde_json::to_string_pretty(&doc)? + "\n",
    )?;
    std::fs::write(args.dir.join("results.md"), &md)?;
    if let Some(docs) = &args.docs {
        update_docs(docs, &md)?;
    }
    println!("{md}");
    Ok(())
}
