//! Contract: counting a client's active sessions (its session quota).

use qod_domain::{QosStatus, SessionStore, StatusInfo};

use super::fixtures::{at, new_session, ok, phone, session};

/// Only the client's REQUESTED sessions and AVAILABLE ones not past their expiry count; other
/// clients' sessions and UNAVAILABLE ones do not.
pub async fn active_sessions_are_counted_per_client(store: &dyn SessionStore) {
    let count = |client: &'static str, ms: i64| async move {
        ok(
            store.count_active_sessions(client, at(ms)).await,
            "count active sessions",
        )
    };
    assert_eq!(count("quota-a", 0).await, 0);

    let mut requested = session(phone(70), "198.51.100.7");
    requested.client_id = "quota-a".into();

    let mut available = session(phone(71), "198.51.100.7");
    available.client_id = "quota-a".into();
    available.status = QosStatus::Available;
    available.started_at = Some(at(0));
    available.expires_at = Some(at(60_000));

    let mut ended = session(phone(72), "198.51.100.7");
    ended.client_id = "quota-a".into();
    ended.status = QosStatus::Unavailable;
    ended.status_info = Some(StatusInfo::DurationExpired);
    ended.expires_at = Some(at(0));

    let mut other = session(phone(73), "198.51.100.7");
    other.client_id = "quota-b".into();

    for s in [&requested, &available, &ended, &other] {
        ok(store.insert_session(new_session(s)).await, "insert");
    }

    assert_eq!(count("quota-a", 0).await, 2);
    assert_eq!(count("quota-b", 0).await, 1);
    assert_eq!(count("quota-c", 0).await, 0);
    // An AVAILABLE session past its expiry (its timer not fired yet) no longer counts.
    assert_eq!(count("quota-a", 60_000).await, 1);
    assert_eq!(count("quota-a", 59_999).await, 2);

    ok(
        store
            .delete_session(requested.id, requested.version, None)
            .await,
        "delete",
    );
    assert_eq!(count("quota-a", 0).await, 1);
}
