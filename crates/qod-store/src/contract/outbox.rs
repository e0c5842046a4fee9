//! Contract: the notification outbox — what is queued with each change, and what attempts do.

use qod_domain::ports::SessionUpdate;
use qod_domain::{
    AttemptOutcome, DeliveryAttempt, DeliveryCounts, DeliveryState, OutboxEvent, QosStatus,
    Session, Sink, SinkCredential, StatusInfo,
};
use time::OffsetDateTime;
use uuid::Uuid;

use super::Inspect;
use super::fixtures::{at, change, claim_at, new_session, ok, phone, session, with_status};

/// `s` with a sink at `url` and a bearer token.
pub fn with_sink(s: &Session, url: &str) -> Session {
    let mut s = s.clone();
    s.sink = Some(Sink {
        url: url.to_owned(),
        credential: Some(SinkCredential::AccessToken {
            access_token: format!("token-of-{}", s.id),
            expires_at: at(86_400_000),
        }),
    });
    s
}

/// Every stored event of a session.
pub async fn events_of(store: &dyn Inspect, session_id: Uuid) -> Vec<OutboxEvent> {
    ok(store.events_of(session_id).await, "events of a session")
}

/// Records `outcome` for `event` at `when`; whether it was written.
pub async fn record(
    store: &dyn Inspect,
    event: Uuid,
    when: OffsetDateTime,
    outcome: AttemptOutcome,
) -> bool {
    let attempt = DeliveryAttempt {
        event_id: event,
        at: when,
        outcome,
        error: (outcome != AttemptOutcome::Delivered).then(|| "HTTP 503".to_owned()),
        http_status: Some(if outcome == AttemptOutcome::Delivered {
            204
        } else {
            503
        }),
    };
    ok(store.record_attempt(&attempt).await, "record an attempt")
}

/// A session with a sink that goes through `AVAILABLE`, then is deleted: each change is queued
/// with a copy of the sink (the deletion's too, after the row is gone); changes without a sink
/// and updates without a change queue nothing.
pub async fn changes_of_sessions_with_a_sink_are_queued(store: &dyn Inspect) {
    let quiet = session(phone(400), "198.51.100.7");
    ok(store.insert_session(new_session(&quiet)).await, "insert");
    assert!(events_of(store, quiet.id).await.is_empty());

    let s = with_sink(
        &session(phone(401), "198.51.100.7"),
        "https://App.example.com/cb",
    );
    let created = change(&s, at(10));
    let mut new = new_session(&s);
    new.change = Some(created.clone());
    ok(store.insert_session(new).await, "insert with sink");

    let Ok(active) = s.activated(at(1_000)) else {
        panic!("fixture session cannot be activated");
    };
    let activation = change(&active, at(1_000));
    let update = |session: Session, change| SessionUpdate {
        session,
        set_timers: Vec::new(),
        clear_timers: Vec::new(),
        change,
    };
    assert!(ok(
        store
            .update_session(update(active.clone(), Some(activation.clone())))
            .await,
        "activate"
    ));
    let mut quiet_update = active.clone();
    quiet_update.version += 1;
    quiet_update.sink = None;
    assert!(ok(
        store
            .update_session(update(quiet_update.clone(), None))
            .await,
        "update without a change"
    ));
    // The deletion finds the session's sink in the deleted row: put it back first.
    let mut back = quiet_update.clone();
    back.version += 1;
    back.sink = s.sink.clone();
    assert!(ok(
        store.update_session(update(back.clone(), None)).await,
        "sink back"
    ));
    let deleted = with_status(
        &back,
        QosStatus::Unavailable,
        Some(StatusInfo::DeleteRequested),
    );
    let deletion = change(&deleted, at(2_000));
    assert!(ok(
        store
            .delete_session(s.id, back.version, Some(deletion.clone()))
            .await,
        "delete"
    ));

    let events = events_of(store, s.id).await;
    let expected = [&created, &activation, &deletion];
    assert_eq!(events.len(), 3, "{events:?}");
    for (event, change) in events.iter().zip(expected) {
        assert_eq!(event.id, change.id);
        assert_eq!(event.session_id, s.id);
        assert_eq!(Some(&event.sink), s.sink.as_ref(), "a copy of the sink");
        assert_eq!(event.status, change.status);
        assert_eq!(event.status_info, change.status_info);
        assert_eq!(event.occurred_at, change.at);
        assert_eq!(event.state, DeliveryState::Pending);
        assert_eq!(event.attempts, 0);
        assert_eq!(event.next_attempt_at, change.at, "due at once");
        assert_eq!(event.last_error, None);
        assert_eq!(event.last_http_status, None);
    }
    assert!(events.windows(2).all(|w| w[0].seq < w[1].seq));
    assert_eq!(events[0].sink.origin(), "https://app.example.com:443");

    // Deleting without a change (a purge) queues nothing.
    let other = with_sink(
        &session(phone(402), "198.51.100.7"),
        "https://a.example.com/",
    );
    let mut new = new_session(&other);
    new.change = None;
    ok(store.insert_session(new).await, "insert");
    assert!(ok(store.delete_session(other.id, 1, None).await, "purge"));
    assert!(events_of(store, other.id).await.is_empty());
}

/// Attempts: a retry moves the next attempt and keeps the event pending; delivery and failure
/// finish it; an attempt on a finished event writes nothing; counts follow.
pub async fn attempts_are_recorded(store: &dyn Inspect) {
    let s = with_sink(
        &session(phone(410), "198.51.100.7"),
        "https://a.example.com/cb",
    );
    ok(store.insert_session(new_session(&s)).await, "insert");
    let Some(event) = events_of(store, s.id).await.into_iter().next() else {
        panic!("no event queued");
    };
    let t0 = s.created_at;
    assert_eq!(claim_at(store, t0, 10).await.len(), 1);

    let retry_at = t0 + time::Duration::seconds(5);
    let outcome = AttemptOutcome::Retry {
        next_attempt_at: retry_at,
    };
    assert!(record(store, event.id, t0, outcome).await);
    let stored = &events_of(store, s.id).await[0];
    assert_eq!(stored.state, DeliveryState::Pending);
    assert_eq!(stored.attempts, 1);
    assert_eq!(stored.next_attempt_at, retry_at);
    assert_eq!(stored.last_error.as_deref(), Some("HTTP 503"));
    assert_eq!(stored.last_http_status, Some(503));
    assert_eq!(stored.updated_at, t0);
    assert!(
        claim_at(store, retry_at - time::Duration::milliseconds(1), 10)
            .await
            .is_empty(),
        "not before its next attempt, although its claim ended"
    );
    assert_eq!(ok(store.next_event_time(&[]).await, "next"), Some(retry_at));
    assert_eq!(claim_at(store, retry_at, 10).await.len(), 1);
    assert!(record(store, event.id, retry_at, AttemptOutcome::Delivered).await);
    let stored = &events_of(store, s.id).await[0];
    assert_eq!(stored.state, DeliveryState::Delivered);
    assert_eq!(stored.attempts, 2);
    assert!(
        !record(store, event.id, retry_at, AttemptOutcome::Failed).await,
        "a finished event stays finished"
    );
    assert_eq!(
        events_of(store, s.id).await[0].state,
        DeliveryState::Delivered
    );
    assert_eq!(ok(store.next_event_time(&[]).await, "next"), None);
    assert_eq!(
        ok(store.delivery_counts().await, "counts"),
        DeliveryCounts {
            pending: 0,
            delivered: 1,
            failed: 0,
            gone: 0
        }
    );
}

/// A 410 ends the session's pending events, and events of later changes are stored as gone;
/// other sessions of the same sink are not affected. Finished events are purged by age.
pub async fn gone_ends_the_session_and_purge_removes_finished(store: &dyn Inspect) {
    let url = "https://gone.example.com/cb";
    let s = with_sink(&session(phone(420), "198.51.100.7"), url);
    let neighbour = with_sink(&session(phone(421), "198.51.100.7"), url);
    ok(store.insert_session(new_session(&s)).await, "insert");
    ok(
        store.insert_session(new_session(&neighbour)).await,
        "insert",
    );
    let ended = with_status(
        &s,
        QosStatus::Unavailable,
        Some(StatusInfo::NetworkTerminated),
    );
    let update = SessionUpdate {
        session: ended.clone(),
        set_timers: Vec::new(),
        clear_timers: Vec::new(),
        change: Some(change(&ended, at(1_000))),
    };
    assert!(ok(store.update_session(update).await, "terminate"));
    let first = events_of(store, s.id).await[0].id;
    assert!(record(store, first, at(1_500), AttemptOutcome::Gone).await);
    let events = events_of(store, s.id).await;
    assert!(
        events.iter().all(|e| e.state == DeliveryState::Gone),
        "{events:?}"
    );
    assert_eq!(events[1].attempts, 0, "the later event was never attempted");

    let deleted = with_status(
        &ended,
        QosStatus::Unavailable,
        Some(StatusInfo::DeleteRequested),
    );
    assert!(ok(
        store
            .delete_session(s.id, ended.version, Some(change(&deleted, at(2_000))))
            .await,
        "delete"
    ));
    let events = events_of(store, s.id).await;
    assert_eq!(events.len(), 3);
    assert_eq!(events[2].state, DeliveryState::Gone, "queued as gone");
    assert_eq!(
        events_of(store, neighbour.id).await[0].state,
        DeliveryState::Pending
    );
    let counts = ok(store.delivery_counts().await, "counts");
    assert_eq!((counts.pending, counts.gone), (1, 3));

    assert_eq!(
        ok(store.purge_finished(at(1_500), 10).await, "purge"),
        0,
        "nothing finished before 1.5 s"
    );
    assert_eq!(ok(store.purge_finished(at(1_501), 1).await, "purge"), 1);
    assert_eq!(ok(store.purge_finished(at(60_000), 10).await, "purge"), 2);
    assert!(events_of(store, s.id).await.is_empty());
    assert_eq!(
        events_of(store, neighbour.id).await.len(),
        1,
        "pending stays"
    );
}
