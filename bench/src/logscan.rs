//! Reading expiries out of `qod-server`'s JSON log (`QOD_LOG_FORMAT=json`): the log line
//! "session became UNAVAILABLE" is written right after the change committed, so its
//! timestamp is when the timer fired.

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Seek, SeekFrom};
use std::path::{Path, PathBuf};

use serde::Deserialize;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;
use uuid::Uuid;

#[derive(Deserialize)]
struct Line {
    timestamp: String,
    #[serde(default)]
    fields: Fields,
}

#[derive(Default, Deserialize)]
struct Fields {
    #[serde(default)]
    message: String,
    #[serde(rename = "session.id")]
    session_id: Option<String>,
    status_info: Option<String>,
}

/// Follows a log file and keeps when each session expired (DURATION_EXPIRED).
pub struct ExpiryLog {
    path: PathBuf,
    offset: u64,
    pending: String,
    /// Session id to the time its expiry committed.
    pub expired: HashMap<Uuid, OffsetDateTime>,
}

impl ExpiryLog {
    /// A reader of `path` from its start.
    pub fn new(path: &Path) -> Self {
        Self {
            path: path.to_owned(),
            offset: 0,
            pending: String::new(),
            expired: HashMap::new(),
        }
    }

    /// Reads what was appended since the last call.
    pub fn poll(&mut self) -> anyhow::Result<()> {
        let mut file = std::fs::File::open(&self.path)?;
        file.seek(SeekFrom::Start(self.offset))?;
        let mut reader = BufReader::new(file);
        loop {
            let mut chunk = String::new();
            let n = reader.read_line(&mut chunk)?;
            if n == 0 {
                break;
            }
            self.offset += n as u64;
            if !chunk.ends_with('\n') {
                // A line still being written: keep it for the next call.
                self.pending.push_str(&chunk);
                continue;
            }
            let line = std::mem::take(&mut self.pending) + &chunk;
            self.record(&line);
        }
        Ok(())
    }

    fn record(&mut self, line: &str) {
        if !line.contains("DURATION_EXPIRED") {
            return;
        }
        let Ok(parsed) = serde_json::from_str::<Line>(line) else {
            return;
        };
        let f = parsed.fields;
        if !f.message.contains("UNAVAILABLE")
            || f.status_info.as_deref() != Some("DURATION_EXPIRED")
        {
            return;
        }
        let (Some(id), Ok(at)) = (
            f.session_id.and_then(|s| Uuid::parse_str(&s).ok()),
            OffsetDateTime::parse(&parsed.timestamp, &Rfc3339),
        ) else {
            return;
        };
        self.expired.entry(id).or_insert(at);
    }
}

/// Milliseconds from `from` to `to` (negative when `to` is earlier).
pub fn ms_between(from: OffsetDateTime, to: OffsetDateTime) -> f64 {
    (to - from).as_seconds_f64() * 1000.0
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn reads_expiries_from_json_lines() {
        let dir = std::env::temp_dir().join(format!("qod-bench-log-{}", Uuid::new_v4()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("server.log");
        let id = Uuid::new_v4();
        let lines = format!(
            "{{\"timestamp\":\"2026-01-01T00:00:01.500000Z\",\"level\":\"INFO\",\"fields\":{{\"message\":\"session created\",\"session.id\":\"{id}\"}}}}\n\
             {{\"timestamp\":\"2026-01-01T00:00:03.250000Z\",\"level\":\"INFO\",\"fields\":{{\"message\":\"session became UNAVAILABLE\",\"session.id\":\"{id}\",\"status_info\":\"DURATION_EXPIRED\"}}}}\n"
        );
        std::fs::write(&path, lines).unwrap();
        let mut log = ExpiryLog::new(&path);
        log.poll().unwrap();
        let at = log.expired[&id];
        assert_eq!(at.unix_timestamp(), 1_767_225_603);
        std::fs::remove_dir_all(dir).unwrap();
    }
}
