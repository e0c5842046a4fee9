//! SQLite migrations that rebuild a table keep every row, and the rules around it: the
//! sessions table becomes a `WITHOUT ROWID` table, and back, with the sessions, their timers
//! and their changes intact, and foreign keys enforced again afterwards.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;

use diesel::connection::SimpleConnection;
use diesel::{Connection, RunQueryDsl, SqliteConnection};
use diesel_migrations::{FileBasedMigrations, MigrationHarness};
use qod_domain::ports::NewSession;
use qod_domain::{SessionStore, TimerKind};
use qod_store::SqliteStore;
use qod_store::contract::{Inspect, fixtures};

/// The SQLite migrations, read from their directory (the store embeds the same files).
fn sqlite_migrations() -> FileBasedMigrations {
    FileBasedMigrations::from_path(concat!(env!("CARGO_MANIFEST_DIR"), "/migrations/sqlite"))
        .unwrap()
}

/// A connection set up as the store's writer is: foreign keys on, so that a cascade that a
/// rebuild set off would show.
fn writer_like_connection(path: &Path) -> SqliteConnection {
    let mut conn = SqliteConnection::establish(path.to_str().unwrap()).unwrap();
    conn.batch_execute("PRAGMA busy_timeout = 5000; PRAGMA foreign_keys = ON;")
        .unwrap();
    conn
}

#[derive(diesel::QueryableByName)]
struct Text {
    #[diesel(sql_type = diesel::sql_types::Text)]
    value: String,
}

#[derive(diesel::QueryableByName)]
struct Count {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    n: i64,
}

fn text(conn: &mut SqliteConnection, sql: &str) -> String {
    diesel::sql_query(sql)
        .get_result::<Text>(conn)
        .unwrap()
        .value
}

fn count(conn: &mut SqliteConnection, table: &str) -> i64 {
    diesel::sql_query(format!("SELECT count(*) AS n FROM {table}"))
        .get_result::<Count>(conn)
        .unwrap()
        .n
}

fn sessions_sql(conn: &mut SqliteConnection) -> String {
    text(
        conn,
        "SELECT sql AS value FROM sqlite_schema WHERE type = 'table' AND name = 'sessions'",
    )
}

/// The rows of the tables the rebuild could lose, and the schema's health.
fn assert_rows_intact(conn: &mut SqliteConnection, sessions: i64) {
    assert_eq!(count(conn, "sessions"), sessions);
    assert_eq!(
        count(conn, "session_timers"),
        2 * sessions,
        "every timer kept"
    );
    assert_eq!(count(conn, "status_changes"), sessions, "every change kept");
    assert_eq!(
        text(
            conn,
            "SELECT integrity_check AS value FROM pragma_integrity_check"
        ),
        "ok"
    );
    let violations = diesel::sql_query("SELECT count(*) AS n FROM pragma_foreign_key_check")
        .get_result::<Count>(conn)
        .unwrap()
        .n;
    assert_eq!(violations, 0, "every timer still has its session");
    for index in ["sessions_device_key", "sessions_client_status"] {
        let found = diesel::sql_query(format!(
            "SELECT count(*) AS n FROM sqlite_schema WHERE type = 'index' AND name = '{index}'"
        ))
        .get_result::<Count>(conn)
        .unwrap()
        .n;
        assert_eq!(found, 1, "{index} is there");
    }
}

/// A creation with both timers, as the service writes one.
fn with_timers(n: u32) -> NewSession {
    let s = fixtures::session(fixtures::phone(n), "198.51.100.7");
    let mut new = fixtures::new_session(&s);
    new.timers = vec![
        fixtures::timer(&s, TimerKind::Expire, fixtures::at(60_000)),
        fixtures::timer(&s, TimerKind::Purge, fixtures::at(120_000)),
    ];
    new
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sessions_are_rebuilt_without_rowid_and_back_keeping_every_row() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("qod.db");
    let created: Vec<NewSession> = (1..=3).map(with_timers).collect();
    {
        let store = SqliteStore::open(&path).unwrap();
        for new in &created {
            store.insert_session(new.clone()).await.unwrap();
        }
    }

    // Down to the schema before the rebuild, as an operator rolling back would.
    // (The later version changes nothing on SQLite, so its revert leaves the rebuilt table.)
    let mut conn = writer_like_connection(&path);
    let later = conn.revert_last_migration(sqlite_migrations()).unwrap();
    assert_eq!(later.to_string(), "20261203090000");
    assert!(sessions_sql(&mut conn).contains("WITHOUT ROWID"));
    conn.revert_last_migration(sqlite_migrations()).unwrap();
    assert!(!sessions_sql(&mut conn).contains("WITHOUT ROWID"));
    assert_rows_intact(&mut conn, 3);
    let foreign_keys = diesel::sql_query("SELECT foreign_keys AS n FROM pragma_foreign_keys")
        .get_result::<Count>(&mut conn)
        .unwrap()
        .n;
    assert_eq!(foreign_keys, 1, "the migration turned foreign keys back on");
    drop(conn);

    // Up again, as the store does when it opens a file of an older release.
    let store = SqliteStore::open(&path).unwrap();
    let mut conn = writer_like_connection(&path);
    assert!(sessions_sql(&mut conn).contains("WITHOUT ROWID"));
    assert_rows_intact(&mut conn, 3);
    for new in &created {
        assert_eq!(
            store.session(new.session.id).await.unwrap().as_ref(),
            Some(&new.session)
        );
        assert_eq!(store.timers_of(new.session.id).await.unwrap(), new.timers);
    }

    // The writer enforces foreign keys again: a delete takes the session's timers with it.
    let gone = &created[0].session;
    assert!(
        store
            .delete_session(gone.id, gone.version, None)
            .await
            .unwrap()
    );
    assert!(store.timers_of(gone.id).await.unwrap().is_empty());
    assert_eq!(
        store.timers_of(created[1].session.id).await.unwrap(),
        created[1].timers
    );
    assert_eq!(count(&mut conn, "session_timers"), 4);
}
