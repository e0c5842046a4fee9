//! SQLite migrations that rebuild a table keep every row, and the rules around it: the
//! sessions table becomes a `WITHOUT ROWID` table, and back; status changes become keyed by
//! `seq` and timers clustered on their key, and back; each time with the sessions, their
//! timers and their changes intact, and foreign keys enforced again afterwards.

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

fn table_sql(conn: &mut SqliteConnection, table: &str) -> String {
    text(
        conn,
        &format!(
            "SELECT sql AS value FROM sqlite_schema WHERE type = 'table' AND name = '{table}'"
        ),
    )
}

fn sessions_sql(conn: &mut SqliteConnection) -> String {
    table_sql(conn, "sessions")
}

/// The indexes SQLite keeps for `table`, its own (for keys and UNIQUE) included, by name.
fn indexes_of(conn: &mut SqliteConnection, table: &str) -> Vec<String> {
    diesel::sql_query(format!(
        "SELECT name AS value FROM pragma_index_list('{table}') ORDER BY name"
    ))
    .load::<Text>(conn)
    .unwrap()
    .into_iter()
    .map(|t| t.value)
    .collect()
}

#[derive(diesel::QueryableByName, Debug, PartialEq, Eq)]
struct ChangeRow {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    seq: i64,
    #[diesel(sql_type = diesel::sql_types::Text)]
    id: String,
    #[diesel(sql_type = diesel::sql_types::Text)]
    session_id: String,
}

/// Every stored change, in `seq` order.
fn change_rows(conn: &mut SqliteConnection) -> Vec<ChangeRow> {
    diesel::sql_query("SELECT seq, id, session_id FROM status_changes ORDER BY seq")
        .load(conn)
        .unwrap()
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

/// A store at `path` with three sessions and their timers and changes, closed again.
async fn three_sessions_stored(path: &Path) -> Vec<NewSession> {
    let created: Vec<NewSession> = (1..=3).map(with_timers).collect();
    let store = SqliteStore::open(path).unwrap();
    for new in &created {
        store.insert_session(new.clone()).await.unwrap();
    }
    created
}

/// Deleting `gone` takes its timers (the foreign key cascades) and leaves `kept`'s, with
/// `left` timers in the table afterwards.
async fn assert_delete_takes_its_timers(
    store: &SqliteStore,
    conn: &mut SqliteConnection,
    gone: &NewSession,
    kept: &NewSession,
    left: i64,
) {
    let s = &gone.session;
    assert!(store.delete_session(s.id, s.version, None).await.unwrap());
    assert!(store.timers_of(s.id).await.unwrap().is_empty());
    assert_eq!(store.timers_of(kept.session.id).await.unwrap(), kept.timers);
    assert_eq!(count(conn, "session_timers"), left);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sessions_are_rebuilt_without_rowid_and_back_keeping_every_row() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("qod.db");
    let created = three_sessions_stored(&path).await;

    // Down to the schema before the rebuild, as an operator rolling back would. The two later
    // versions leave the sessions table alone (20261203090000 changes nothing on SQLite).
    let mut conn = writer_like_connection(&path);
    for later in ["20261203200000", "20261203090000"] {
        let reverted = conn.revert_last_migration(sqlite_migrations()).unwrap();
        assert_eq!(reverted.to_string(), later);
    }
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
    assert_delete_takes_its_timers(&store, &mut conn, &created[0], &created[1], 4).await;
}

/// The tables of 20261203200000 and of the version before it, as `(timers, changes)` checks.
fn assert_fewer_index_entries(conn: &mut SqliteConnection, applied: bool) {
    assert_eq!(
        table_sql(conn, "session_timers").contains("WITHOUT ROWID"),
        applied
    );
    let expected: &[&str] = if applied {
        // seq is the rowid: no index for the key, none for the id.
        &["status_changes_session"]
    } else {
        &[
            "sqlite_autoindex_status_changes_1",
            "sqlite_autoindex_status_changes_2",
            "status_changes_session",
        ]
    };
    assert_eq!(indexes_of(conn, "status_changes"), expected);
    assert!(
        indexes_of(conn, "session_timers").contains(&"session_timers_due_at".to_owned()),
        "timers are still found by due time"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn changes_keyed_by_seq_and_clustered_timers_go_down_and_up_keeping_every_row() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("qod.db");
    let created = three_sessions_stored(&path).await;
    let mut conn = writer_like_connection(&path);
    assert_fewer_index_entries(&mut conn, true);
    let changes = change_rows(&mut conn);
    assert_eq!(changes.iter().map(|c| c.seq).collect::<Vec<_>>(), [1, 2, 3]);

    let reverted = conn.revert_last_migration(sqlite_migrations()).unwrap();
    assert_eq!(reverted.to_string(), "20261203200000");
    assert_fewer_index_entries(&mut conn, false);
    assert_rows_intact(&mut conn, 3);
    assert_eq!(
        change_rows(&mut conn),
        changes,
        "every change kept, in order"
    );
    drop(conn);

    // Up again on open: the same rows, and the store goes on from them.
    let store = SqliteStore::open(&path).unwrap();
    let mut conn = writer_like_connection(&path);
    assert_fewer_index_entries(&mut conn, true);
    assert_rows_intact(&mut conn, 3);
    assert_eq!(change_rows(&mut conn), changes);
    for new in &created {
        assert_eq!(store.timers_of(new.session.id).await.unwrap(), new.timers);
        assert_eq!(
            store.status_changes(new.session.id).await.unwrap(),
            new.change.clone().into_iter().collect::<Vec<_>>()
        );
    }
    let fourth = with_timers(4);
    store.insert_session(fourth.clone()).await.unwrap();
    let after = change_rows(&mut conn);
    assert_eq!(after.len(), 4);
    assert_eq!(after[3].seq, 4, "numbering goes on after the last change");
    assert_eq!(after[3].session_id, fourth.session.id.to_string());

    // The timers' foreign key still cascades: a delete takes them, and only them.
    assert_delete_takes_its_timers(&store, &mut conn, &created[0], &fourth, 6).await;
}
