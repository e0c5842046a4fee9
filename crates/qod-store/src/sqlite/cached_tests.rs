use std::sync::{Arc, Mutex};

use diesel::connection::InstrumentationEvent;
use diesel::prelude::*;
use diesel_migrations::MigrationHarness;
use qod_domain::ports::SessionUpdate;
use qod_domain::{AttemptOutcome, DeliveryAttempt, QosStatus, Session, Sink};

use super::super::ops::{Outcome, WriteOp, apply};
use crate::contract::fixtures::{at, change, new_session, phone, session};
use crate::migrations::SQLITE;
use crate::schema::{notification_outbox, sessions};

/// A migrated in-memory database whose statements added to the prepared-statement cache are
/// recorded in the returned list.
fn connection() -> (SqliteConnection, Arc<Mutex<Vec<String>>>) {
    let mut conn = SqliteConnection::establish(":memory:").unwrap();
    conn.run_pending_migrations(SQLITE).unwrap();
    let cached = Arc::new(Mutex::new(Vec::new()));
    let log = Arc::clone(&cached);
    conn.set_instrumentation(move |event: InstrumentationEvent<'_>| {
        if let InstrumentationEvent::CacheQuery { sql, .. } = event {
            log.lock().unwrap().push(sql.to_owned());
        }
    });
    (conn, cached)
}

fn prepared(cached: &Mutex<Vec<String>>, prefix: &str) -> usize {
    cached
        .lock()
        .unwrap()
        .iter()
        .filter(|sql| sql.starts_with(prefix))
        .count()
}

/// `s` with a sink.
fn with_hook(mut s: Session) -> Session {
    s.sink = Some(Sink {
        url: "https://127.0.0.1/hook".into(),
        credential: None,
    });
    s
}

fn written(outcome: Outcome) -> bool {
    match outcome {
        Outcome::Written(w) => w,
        other => panic!("not a write: {other:?}"),
    }
}

#[test]
fn the_session_update_is_prepared_once_and_writes_every_column() {
    let (mut conn, cached) = connection();
    let mut s = with_hook(session(phone(1), "198.51.100.1"));
    assert!(written(
        apply(&mut conn, &WriteOp::Insert(Box::new(new_session(&s)))).unwrap()
    ));
    for (version, status) in [(2, QosStatus::Available), (3, QosStatus::Unavailable)] {
        s.version = version;
        s.status = status;
        s.duration_secs += 10;
        s.started_at = Some(at(version));
        s.sink = None;
        let update = SessionUpdate {
            session: s.clone(),
            set_timers: Vec::new(),
            clear_timers: Vec::new(),
            change: None,
        };
        assert!(written(
            apply(&mut conn, &WriteOp::Update(Box::new(update))).unwrap()
        ));
    }
    assert_eq!(prepared(&cached, "UPDATE `sessions`"), 1, "{cached:?}");

    let (status, duration, sink, version): (String, i64, Option<String>, i64) = sessions::table
        .select((
            sessions::status,
            sessions::duration_secs,
            sessions::sink,
            sessions::version,
        ))
        .first(&mut conn)
        .unwrap();
    assert_eq!(status, "UNAVAILABLE");
    assert_eq!(duration, 80);
    assert_eq!(sink, None, "a field set to None is written as NULL");
    assert_eq!(version, 3);
}

#[test]
fn a_session_update_of_a_stale_version_writes_nothing() {
    let (mut conn, _) = connection();
    let mut s = session(phone(2), "198.51.100.2");
    apply(&mut conn, &WriteOp::Insert(Box::new(new_session(&s)))).unwrap();
    s.version = 3;
    s.status = QosStatus::Available;
    let update = SessionUpdate {
        session: s,
        set_timers: Vec::new(),
        clear_timers: Vec::new(),
        change: None,
    };
    assert!(!written(
        apply(&mut conn, &WriteOp::Update(Box::new(update))).unwrap()
    ));
    let status: String = sessions::table
        .select(sessions::status)
        .first(&mut conn)
        .unwrap();
    assert_eq!(status, "REQUESTED");
}

#[test]
fn a_delivery_record_is_prepared_once_and_returns_its_session() {
    let (mut conn, cached) = connection();
    let s = with_hook(session(phone(3), "198.51.100.3"));
    let mut new = new_session(&s);
    new.change = Some(change(&s, at(1)));
    apply(&mut conn, &WriteOp::Insert(Box::new(new))).unwrap();
    let event: String = notification_outbox::table
        .select(notification_outbox::event_id)
        .first(&mut conn)
        .unwrap();
    for attempt in 0..2 {
        let recorded = apply(
            &mut conn,
            &WriteOp::RecordAttempt(DeliveryAttempt {
                event_id: event.parse().unwrap(),
                at: at(10 + attempt),
                outcome: AttemptOutcome::Retry {
                    next_attempt_at: at(1_000),
                },
                error: Some(format!("attempt {attempt}")),
                http_status: Some(503),
            }),
        )
        .unwrap();
        assert!(written(recorded));
    }
    assert_eq!(prepared(&cached, "UPDATE `notification_outbox`"), 1);
    let (attempts, error): (i64, Option<String>) = notification_outbox::table
        .select((
            notification_outbox::attempts,
            notification_outbox::last_error,
        ))
        .first(&mut conn)
        .unwrap();
    assert_eq!(attempts, 2);
    assert_eq!(error.as_deref(), Some("attempt 1"));
}
