//! The PostgreSQL schema and its migrations, each test on a fresh database of the local server
//! (see `postgres.rs` for the server these tests use; without one they fail).

#![allow(clippy::unwrap_used, clippy::expect_used)]

// Shared with postgres.rs, which uses all of it; this file needs only the databases.
#[allow(dead_code)]
mod pg_support;

use diesel::sql_query;
use diesel_async::async_connection_wrapper::AsyncConnectionWrapper;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use diesel_migrations::{FileBasedMigrations, MigrationHarness};
use qod_domain::SessionStore;
use qod_store::contract::fixtures;
use qod_store::{Error, PgStore};

use pg_support::{TestDb, quick_settings};

#[derive(diesel::QueryableByName)]
struct Count {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    n: i64,
}

/// On a current-thread runtime too, as `qod-server migrate` may use one.
#[tokio::test(flavor = "current_thread")]
async fn an_unmigrated_database_is_refused_until_migrated() {
    let db = TestDb::empty().await;
    let err = PgStore::connect(&db.url, quick_settings())
        .await
        .unwrap_err();
    assert!(matches!(err, Error::SchemaNotMigrated(_)), "{err:?}");
    assert!(
        err.to_string()
            .starts_with("the database schema is not up to date: run `qod-server migrate`"),
        "{err}"
    );
    // The check only reads: it leaves no bookkeeping table behind.
    assert!(matches!(
        qod_store::open(&db.url, quick_settings()).await,
        Err(Error::SchemaNotMigrated(_))
    ));

    let applied = qod_store::migrate(&db.url).await.unwrap();
    assert_eq!(applied, fixtures::migration_versions());
    assert!(qod_store::migrate(&db.url).await.unwrap().is_empty());
    let store = qod_store::open(&db.url, quick_settings()).await.unwrap();
    assert!(store.next_due_time().await.unwrap().is_none());
}

/// Timers are tied to their session by the store's writes, not by a foreign key, whose check
/// cost a read per timer written (see docs/storage.md); a delete still takes them with it
/// (the contract test `delete_checks_the_version_and_keeps_changes`).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_migrated_schema_has_no_foreign_key() {
    let db = TestDb::migrated().await;
    let keys: Count = sql_query(
        "SELECT count(*) AS n FROM information_schema.table_constraints \
         WHERE constraint_type = 'FOREIGN KEY' AND table_schema = current_schema()",
    )
    .get_result(&mut db.connection().await)
    .await
    .unwrap();
    assert_eq!(keys.n, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_database_migrated_by_a_newer_release_is_refused() {
    let db = TestDb::migrated().await;
    sql_query("INSERT INTO __diesel_schema_migrations (version) VALUES ('99990101000000')")
        .execute(&mut db.connection().await)
        .await
        .unwrap();
    let err = PgStore::connect(&db.url, quick_settings())
        .await
        .unwrap_err();
    assert!(
        matches!(&err, Error::SchemaTooNew(unknown) if unknown == &["99990101000000".to_owned()]),
        "{err:?}"
    );
    assert!(
        err.to_string()
            .starts_with("the database schema is newer than this qod-server"),
        "{err}"
    );
    let err = PgStore::migrate(&db.url).await.unwrap_err();
    assert!(matches!(err, Error::SchemaTooNew(_)), "{err:?}");
}

#[derive(diesel::QueryableByName, Debug, PartialEq, Eq)]
struct ChangeRow {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    seq: i64,
    #[diesel(sql_type = diesel::sql_types::Text)]
    id: String,
}

#[derive(diesel::QueryableByName)]
struct Name {
    #[diesel(sql_type = diesel::sql_types::Text)]
    name: String,
}

async fn change_rows(conn: &mut AsyncPgConnection) -> Vec<ChangeRow> {
    sql_query("SELECT seq, id FROM status_changes ORDER BY seq")
        .load(conn)
        .await
        .unwrap()
}

/// The columns of status_changes' primary key, and how many indexes the table has.
async fn changes_key(conn: &mut AsyncPgConnection) -> (Vec<String>, i64) {
    let key: Vec<Name> = sql_query(
        "SELECT a.attname::text AS name FROM pg_index i \
         JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY(i.indkey) \
         WHERE i.indrelid = 'status_changes'::regclass AND i.indisprimary",
    )
    .load(conn)
    .await
    .unwrap();
    let indexes: Count =
        sql_query("SELECT count(*) AS n FROM pg_index WHERE indrelid = 'status_changes'::regclass")
            .get_result(conn)
            .await
            .unwrap();
    (key.into_iter().map(|k| k.name).collect(), indexes.n)
}

/// Status changes are keyed by `seq` (the id keeps no index); reverting that and migrating
/// again keeps every change, and numbering goes on after the last one.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn changes_keyed_by_seq_go_down_and_up_keeping_every_row() {
    let db = TestDb::migrated().await;
    let store = db.store().await;
    for n in 1..=3 {
        let s = fixtures::session(fixtures::phone(n), "198.51.100.7");
        store
            .insert_session(fixtures::new_session(&s))
            .await
            .unwrap();
    }
    let mut conn = db.connection().await;
    let changes = change_rows(&mut conn).await;
    assert_eq!(changes.len(), 3);
    assert_eq!(changes_key(&mut conn).await, (vec!["seq".to_owned()], 2));

    let migrations =
        FileBasedMigrations::from_path(concat!(env!("CARGO_MANIFEST_DIR"), "/migrations/postgres"))
            .unwrap();
    let mut sync_conn: AsyncConnectionWrapper<AsyncPgConnection> = conn.into();
    let reverted = tokio::task::spawn_blocking(move || {
        sync_conn
            .revert_last_migration(migrations)
            .map(|v| v.to_string())
            .unwrap()
    })
    .await
    .unwrap();
    assert_eq!(reverted, "20261203200000");
    let mut conn = db.connection().await;
    // Keyed by id again, with seq unique: three indexes.
    assert_eq!(changes_key(&mut conn).await, (vec!["id".to_owned()], 3));
    assert_eq!(change_rows(&mut conn).await, changes);

    assert_eq!(
        PgStore::migrate(&db.url).await.unwrap(),
        ["20261203200000".to_owned()]
    );
    assert_eq!(changes_key(&mut conn).await, (vec!["seq".to_owned()], 2));
    assert_eq!(change_rows(&mut conn).await, changes);
    let store = db.store().await;
    let s = fixtures::session(fixtures::phone(4), "198.51.100.7");
    store
        .insert_session(fixtures::new_session(&s))
        .await
        .unwrap();
    let after = change_rows(&mut conn).await;
    assert_eq!(after.len(), 4);
    assert!(after[3].seq > changes[2].seq, "numbering goes on");
}
