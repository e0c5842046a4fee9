//! The QoS Profiles API end to end: both operations, every filter and error, 2- and 3-legged
//! tokens, the operator's catalogue file, its checks and its reloads.

mod api;
mod catalogue;
mod reload;

use std::path::{Path, PathBuf};

use serde_json::Value;

/// The QoS Profiles base path the server uses by default.
pub const PROFILES: &str = "/qos-profiles/v1";

/// Names of the profiles in a list answer, in order.
pub fn names(body: &Value) -> Vec<String> {
    body.as_array()
        .unwrap_or_else(|| panic!("not a list: {body}"))
        .iter()
        .map(|p| p["name"].as_str().unwrap().to_owned())
        .collect()
}

/// Writes a configuration file that uses `catalogue` (and `extra` settings) into `dir`;
/// returns the path of the configuration file.
pub fn write_config(dir: &Path, catalogue: &str, extra: &str) -> PathBuf {
    let catalogue_path = dir.join("qos-profiles.toml");
    std::fs::write(&catalogue_path, catalogue).unwrap();
    let config = dir.join("qod.toml");
    std::fs::write(
        &config,
        format!(
            "{extra}\n[profiles]\ncatalogue_file = \"{}\"\n",
            catalogue_path.display()
        ),
    )
    .unwrap();
    config
}

/// An operator's catalogue: an open profile, one restricted to two devices, one inactive.
pub const OPERATOR_CATALOGUE: &str = r#"
[[profile]]
name = "open-video"
description = "Video for everyone"
status = "ACTIVE"
target_min_downstream_rate = "2 Mbps"
max_downstream_rate = "8 Mbps"
min_duration = "10 Seconds"
max_duration = "1 Hours"
priority = 30
country_availability = [{ country_name = "ES", networks = ["21407"] }]
qos_reference = "operator-ref-video"

[[profile]]
name = "vip.gaming"
status = "ACTIVE"
min_duration = "1 Seconds"
max_duration = "2 Hours"
jitter = "3 Milliseconds"
l4s_queue_type = "l4s-queue"
restricted_to = ["tel:+34600000001", "ipv4:84.125.93.10:59765"]

[[profile]]
name = "spare"
status = "INACTIVE"
"#;
