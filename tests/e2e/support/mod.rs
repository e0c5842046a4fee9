//! Shared helpers of the end-to-end tests.

pub mod client;
pub mod dates;
pub mod db;
pub mod idp;
pub mod notify;
pub mod postgres;
pub mod receiver;
pub mod server;
pub mod tls;

pub use client::{Api, QOD, Reply, create_body};
pub use dates::{date_time, lifetime};
pub use server::Server;

use std::time::{Duration, Instant};

use serde_json::Value;

/// Polls `GET /sessions/{id}` until `done` holds or `timeout` passes; returns the last body.
pub async fn wait_for_session(
    api: &Api,
    token: &str,
    id: &str,
    timeout: Duration,
    done: impl Fn(&Value) -> bool,
) -> Value {
    let deadline = Instant::now() + timeout;
    loop {
        let r = api.get(&format!("{QOD}/sessions/{id}"), token).await;
        if done(&r.body) || Instant::now() > deadline {
            return r.body;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}
