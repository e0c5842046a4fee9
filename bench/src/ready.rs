//! Start-up time: from a given instant to the first 200 of a health URL.

use std::time::Duration;

use anyhow::bail;
use time::OffsetDateTime;

/// Polls `url` every 2 ms until it answers 200; prints `{"ready_ms": ...}` measured from
/// `since_ns` (unix nanoseconds; default now).
pub async fn run(url: &str, since_ns: Option<i128>, timeout_secs: u64) -> anyhow::Result<()> {
    let since = since_ns.unwrap_or_else(|| OffsetDateTime::now_utc().unix_timestamp_nanos());
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(2))
        .build()?;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(timeout_secs);
    loop {
        if let Ok(res) = client.get(url).send().await
            && res.status().is_success()
        {
            let now = OffsetDateTime::now_utc().unix_timestamp_nanos();
            let ms = (now - since) as f64 / 1e6;
            println!("{}", serde_json::json!({ "ready_ms": ms }));
            return Ok(());
        }
        if tokio::time::Instant::now() > deadline {
            bail!("{url} did not answer 200 within {timeout_secs} s");
        }
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
}
