//! Direct reads of a PostgreSQL database, to check what the servers stored.

use tokio_postgres::{Client, NoTls};

/// A connection for checks.
pub async fn connect(url: &str) -> Client {
    let (client, connection) = tokio_postgres::connect(url, NoTls)
        .await
        .expect("connect to PostgreSQL");
    tokio::spawn(connection);
    client
}

/// How many status changes with this reason each session has: `(sessions, changes, max per
/// session)`.
pub async fn changes_with_reason(client: &Client, reason: &str) -> (i64, i64, i64) {
    let row = client
        .query_one(
            "SELECT COUNT(DISTINCT session_id), COUNT(*), COALESCE(MAX(n), 0) FROM \
             (SELECT session_id, COUNT(*) OVER (PARTITION BY session_id) AS n \
              FROM status_changes WHERE status_info = $1) c",
            &[&reason],
        )
        .await
        .expect("count status changes");
    (row.get(0), row.get(1), row.get(2))
}

/// Timers still claimed by some instance at this moment.
pub async fn claimed_timers(client: &Client) -> i64 {
    let now_ms = time::OffsetDateTime::now_utc().unix_timestamp_nanos() / 1_000_000;
    let now_ms = i64::try_from(now_ms).expect("time");
    client
        .query_one(
            "SELECT COUNT(*) FROM session_timers WHERE claimed_until > $1",
            &[&now_ms],
        )
        .await
        .expect("count claims")
        .get(0)
}
