//! The production auth modes end to end: the real server in `jwt` and `introspection` mode
//! against a fake identity provider on 127.0.0.1, per-client limits, and what the logs never
//! contain.

mod introspection;
mod jwt;
mod limits;
mod logs;

use std::path::Path;

use serde_json::{Value, json};

use crate::support::Server;
use crate::support::idp::{AUDIENCE, GATEWAY_CLIENT_ID, ISSUER};

/// Every scope of the three APIs, space-separated.
pub const ALL_SCOPES: &str = "quality-on-demand:sessions:create quality-on-demand:sessions:read \
    quality-on-demand:sessions:delete quality-on-demand:sessions:update \
    quality-on-demand:sessions:retrieve-by-device qos-profiles:read";

/// Writes `toml` as the configuration file in `dir` and starts a server with it.
pub async fn start(dir: &Path, toml: &str) -> Server {
    start_env(dir, toml, &[]).await
}

/// Like [`start`], with extra environment variables.
pub async fn start_env(dir: &Path, toml: &str, env: &[(&str, &str)]) -> Server {
    let file = dir.join("qod.toml");
    std::fs::write(&file, toml).unwrap();
    let file = file.to_str().unwrap().to_owned();
    Server::start_with_env(dir, &["--config", &file], env).await
}

/// A `jwt` mode configuration for `idp`; `tail` is appended (more sections).
pub fn jwt_config(jwks_url: &str, tail: &str) -> String {
    format!(
        r#"
[auth]
mode = "jwt"

[auth.jwt]
jwks_url = "{jwks_url}"
issuer = "{ISSUER}"
audience = "{AUDIENCE}"
refresh_min_interval_secs = 0
timeout_ms = 2000

{tail}
"#
    )
}

/// An `introspection` mode configuration; `secret` is the gateway's client secret line(s).
pub fn introspection_config(url: &str, secret: &str, tail: &str) -> String {
    format!(
        r#"
[auth]
mode = "introspection"

[auth.introspection]
url = "{url}"
client_id = "{GATEWAY_CLIENT_ID}"
{secret}
timeout_ms = 2000

{tail}
"#
    )
}

/// A create body for `phone` without a device (3-legged callers).
pub fn body_without_device(duration: i64) -> Value {
    json!({
        "applicationServer": {"ipv4Address": "198.51.100.0/24"},
        "qosProfile": "QOS_E",
        "duration": duration,
    })
}
