//! Helpers of the notification tests: a server configured to trust the test CA and deliver to
//! 127.0.0.1, create bodies with a sink, and the exact check of a delivered event.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use serde_json::{Value, json};
use time::OffsetDateTime;

use super::receiver::Request;
use super::tls::TestCa;
use super::{QOD, Server, create_body, date_time};

/// The spec's event type, the default.
pub const SPEC_TYPE: &str = "org.camaraproject.quality-on-demand.v1.qos-status-changed";

/// The bearer token the tests give their sinks.
pub const SINK_TOKEN: &str = "sink-token-0123456789";

/// Writes `config.toml` in `dir`: notifications trust `ca` and may go to 127.0.0.1 and
/// localhost, with short delays; `overrides` replace or add `[notifications]` keys (TOML
/// values), and `tail` is appended (more tables).
pub fn write_config(dir: &Path, ca: &TestCa, overrides: &[(&str, &str)], tail: &str) -> PathBuf {
    let ca_file = ca.write_ca(dir);
    let mut keys: Vec<(String, String)> = vec![
        (
            "allowed_hosts".into(),
            r#"["127.0.0.1", "localhost"]"#.into(),
        ),
        (
            "extra_root_ca_file".into(),
            format!("{:?}", ca_file.display().to_string()),
        ),
        ("initial_backoff_ms".into(), "200".into()),
        ("max_backoff_ms".into(), "2000".into()),
        ("request_timeout_ms".into(), "3000".into()),
        ("claim_lease_ms".into(), "7000".into()),
        ("poll_interval_ms".into(), "500".into()),
    ];
    for (key, value) in overrides {
        keys.retain(|(k, _)| k != key);
        keys.push(((*key).to_owned(), (*value).to_owned()));
    }
    let mut text = String::from("[notifications]\n");
    for (key, value) in keys {
        text.push_str(&format!("{key} = {value}\n"));
    }
    text.push_str(tail);
    let path = dir.join("config.toml");
    std::fs::write(&path, text).expect("write config");
    path
}

/// Starts a server in `dir` with [`write_config`]'s file.
pub async fn start_server(dir: &Path, ca: &TestCa, overrides: &[(&str, &str)]) -> Server {
    let config = write_config(dir, ca, overrides, "");
    Server::start_with(dir, &["--config", config.to_str().expect("path")]).await
}

/// A create body for `phone` lasting `duration` s, with `sink` and a bearer credential.
pub fn sink_body(phone: &str, duration: i64, sink: &str) -> Value {
    let mut body = create_body(phone, duration);
    body["sink"] = json!(sink);
    body["sinkCredential"] = json!({
        "credentialType": "ACCESSTOKEN",
        "accessToken": SINK_TOKEN,
        "accessTokenExpiresUtc": "2099-01-01T00:00:00Z",
        "accessTokenType": "bearer",
    });
    body
}

/// What one event must say.
pub struct Expected<'a> {
    pub base: &'a str,
    pub session_id: &'a str,
    pub status: &'a str,
    pub info: Option<&'a str>,
    pub event_type: &'a str,
    pub token: Option<&'a str>,
}

/// Checks a delivered event exactly — headers, envelope and data against the spec's
/// `EventQosStatusChanged` — and returns its body.
#[track_caller]
pub fn check_event(request: &Request, expected: &Expected<'_>) -> Value {
    assert_eq!(request.method, "POST");
    assert_eq!(
        request.header("content-type"),
        Some("application/cloudevents+json")
    );
    let bearer = expected.token.map(|t| format!("Bearer {t}"));
    assert_eq!(request.header("authorization"), bearer.as_deref());
    let event = request.json();
    let keys: BTreeSet<&str> = event
        .as_object()
        .expect("an object")
        .keys()
        .map(String::as_str)
        .collect();
    let want: BTreeSet<&str> = [
        "id",
        "source",
        "specversion",
        "type",
        "time",
        "datacontenttype",
        "data",
    ]
    .into();
    assert_eq!(keys, want, "{event}");
    let id = event["id"].as_str().expect("id");
    assert!(uuid::Uuid::parse_str(id).is_ok(), "id {id}");
    assert!(id.len() <= 256);
    assert_eq!(request.header("x-correlator"), Some(id));
    assert_eq!(
        event["source"],
        json!(format!(
            "{}{QOD}/sessions/{}",
            expected.base, expected.session_id
        ))
    );
    assert_eq!(event["specversion"], "1.0");
    assert_eq!(event["type"], json!(expected.event_type));
    assert_eq!(event["datacontenttype"], "application/json");
    let time = event["time"].as_str().expect("time");
    let parsed = date_time(&event["time"]);
    assert!(time.ends_with('Z'), "UTC: {time}");
    assert!(
        (OffsetDateTime::now_utc() - parsed).abs() < time::Duration::minutes(5),
        "{time}"
    );
    let mut data = json!({"sessionId": expected.session_id, "qosStatus": expected.status});
    if let Some(info) = expected.info {
        data["statusInfo"] = json!(info);
    }
    assert_eq!(event["data"], data, "{event}");
    event
}

/// The event bodies of `requests`, each id once (a receiver that deduplicates).
pub fn unique_events(requests: &[Request]) -> Vec<Value> {
    let mut seen = BTreeSet::new();
    requests
        .iter()
        .map(Request::json)
        .filter(|e| seen.insert(e["id"].as_str().unwrap_or_default().to_owned()))
        .collect()
}
