//! The store contract, and SQLite specifics, against a fresh database file per test.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;
use std::sync::Arc;

use diesel::connection::SimpleConnection;
use diesel::{Connection, RunQueryDsl, SqliteConnection};
use qod_domain::{SessionStore, StoreError};
use qod_store::contract::{self, Inspect, fixtures};
use qod_store::{Error, SqliteAccess, SqliteStore};
use tempfile::TempDir;

fn fresh() -> (TempDir, Arc<SqliteStore>) {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(&dir.path().join("qod.db")).unwrap();
    (dir, Arc::new(store))
}

macro_rules! contract_tests {
    ($($name:ident),* $(,)?) => {$(
        #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
        async fn $name() {
            let (_dir, store) = fresh();
            contract::$name(store.as_ref()).await;
        }
    )*};
}

// Every contract test that takes one store, each on a fresh database file.
qod_store::for_each_contract_test!(contract_tests);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_identical_inserts_admit_one() {
    let (_dir, store) = fresh();
    contract::concurrent_identical_inserts_admit_one(vec![store.clone()]).await;
    assert_eq!(store.count_sessions().await.unwrap(), 1);
}

/// Two stores on one file stand for two processes: each has its own writer, and the file
/// lock serialises their transactions.
fn two_stores_on_one_file() -> (TempDir, Vec<Arc<dyn Inspect>>) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("qod.db");
    let a = SqliteStore::open(&path).unwrap();
    let b = SqliteStore::open(&path).unwrap();
    (dir, vec![Arc::new(a), Arc::new(b)])
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_identical_inserts_from_two_stores_admit_one() {
    let (_dir, stores) = two_stores_on_one_file();
    contract::concurrent_identical_inserts_admit_one(stores).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_claims_take_each_timer_once() {
    let (_dir, stores) = two_stores_on_one_file();
    contract::concurrent_claims_take_each_timer_once(stores).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_event_claims_take_each_event_once() {
    let (_dir, stores) = two_stores_on_one_file();
    contract::concurrent_event_claims_take_each_event_once(stores).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_reads_each_get_their_own_answer() {
    let (_dir, store) = fresh();
    contract::concurrent_reads_each_get_their_own_answer(store.clone()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_inserts_for_many_devices_share_commits() {
    let (_dir, store) = fresh();
    contract::concurrent_inserts_for_many_devices(store.clone()).await;
    assert_eq!(store.count_sessions().await.unwrap(), 200);
    let stats = store.write_stats();
    // 200 inserts, and the claim that counted their timers.
    assert_eq!(stats.commands, 201);
    assert!(
        stats.commits < stats.commands,
        "concurrent inserts were not batched: {stats:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn committed_writes_survive_reopening() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("qod.db");
    contract::committed_writes_survive_reopening(|| {
        let path = path.clone();
        async move { Arc::new(SqliteStore::open(&path).unwrap()) as Arc<dyn Inspect> }
    })
    .await;
}

/// A plain connection to the file. It waits for locks like the store's own connections do: a
/// dropped store's read pool may still be finishing a connection it was opening.
fn raw_connection(path: &Path) -> SqliteConnection {
    let mut conn = SqliteConnection::establish(path.to_str().unwrap()).unwrap();
    conn.batch_execute("PRAGMA busy_timeout = 5000;").unwrap();
    conn
}

#[derive(diesel::QueryableByName)]
struct Text {
    #[diesel(sql_type = diesel::sql_types::Text)]
    value: String,
}

#[test]
fn the_file_is_in_wal_mode() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("qod.db");
    drop(SqliteStore::open(&path).unwrap());
    let mode: Text = diesel::sql_query("SELECT journal_mode AS value FROM pragma_journal_mode")
        .get_result(&mut raw_connection(&path))
        .unwrap();
    assert_eq!(mode.value, "wal");
}

/// A store for this process alone keeps the WAL index in memory: no `-shm` file, so no file
/// lock per read. A shared one uses the file, as SQLite does by default.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_wal_index_is_in_memory_unless_the_file_is_shared() {
    let dir = tempfile::tempdir().unwrap();
    for (name, access, shm) in [
        ("own.db", SqliteAccess::Exclusive, false),
        ("shared.db", SqliteAccess::Shared, true),
    ] {
        let path = dir.path().join(name);
        let store = SqliteStore::open_with(&path, access).unwrap();
        let s = fixtures::session(fixtures::phone(1), "198.51.100.7");
        store
            .insert_session(fixtures::new_session(&s))
            .await
            .unwrap();
        assert_eq!(store.session(s.id).await.unwrap(), Some(s));
        let shm_file = dir.path().join(format!("{name}-shm"));
        assert_eq!(shm_file.exists(), shm, "{access:?}: {shm_file:?}");
        drop(store);
        // Reopened, the store finds what it committed (the index is rebuilt from the WAL).
        let again = SqliteStore::open_with(&path, access).unwrap();
        assert_eq!(again.count_sessions().await.unwrap(), 1);
    }
}

#[test]
fn an_unreachable_file_is_unavailable() {
    let dir = tempfile::tempdir().unwrap();
    let err = SqliteStore::open(&dir.path().join("missing").join("qod.db")).unwrap_err();
    assert!(matches!(StoreError::from(err), StoreError::Unavailable(_)));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn corrupt_rows_are_internal_errors() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("qod.db");
    let store = SqliteStore::open(&path).unwrap();
    let s = fixtures::session(fixtures::phone(1), "198.51.100.7");
    store
        .insert_session(fixtures::new_session(&s))
        .await
        .unwrap();

    raw_connection(&path)
        .batch_execute("UPDATE sessions SET status = 'BOGUS'")
        .unwrap();
    assert!(matches!(
        store.session(s.id).await,
        Err(StoreError::Internal(_))
    ));

    raw_connection(&path)
        .batch_execute("UPDATE sessions SET status = 'REQUESTED', application_server = '{'")
        .unwrap();
    assert!(matches!(
        store.sessions_of_device(&s.device_key()).await,
        Err(StoreError::Internal(_))
    ));
    // The insert path reads the device's stored sessions too.
    let other = fixtures::session(fixtures::phone(1), "203.0.113.1");
    assert!(matches!(
        store.insert_session(fixtures::new_session(&other)).await,
        Err(StoreError::Internal(_))
    ));
    // The failed command rolled back alone; the writer keeps working.
    let unrelated = fixtures::session(fixtures::phone(2), "203.0.113.1");
    store
        .insert_session(fixtures::new_session(&unrelated))
        .await
        .unwrap();
    assert_eq!(store.count_sessions().await.unwrap(), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failing_command_does_not_abort_its_batch() {
    let (_dir, store) = fresh();
    let s = fixtures::session(fixtures::phone(3), "198.51.100.7");
    let mut dup = fixtures::session(fixtures::phone(4), "198.51.100.7");
    dup.id = s.id;
    let (a, b) = tokio::join!(
        store.insert_session(fixtures::new_session(&s)),
        store.insert_session(fixtures::new_session(&dup)),
    );
    // One of the two violates the primary key; the other is stored either way.
    assert!(a.is_ok() != b.is_ok(), "{a:?} {b:?}");
    assert_eq!(store.count_sessions().await.unwrap(), 1);
}

#[test]
fn a_file_migrated_by_a_newer_release_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("qod.db");
    drop(SqliteStore::open(&path).unwrap());
    raw_connection(&path)
        .batch_execute("INSERT INTO __diesel_schema_migrations (version) VALUES ('99990101000000')")
        .unwrap();
    let err = SqliteStore::open(&path).unwrap_err();
    assert!(
        matches!(&err, Error::SchemaTooNew(unknown) if unknown == &["99990101000000".to_owned()]),
        "{err:?}"
    );
    assert!(
        err.to_string().contains("newer than this qod-server"),
        "{err}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn urls_open_and_migrate_sqlite_files() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("qod.db").display());
    let applied = qod_store::migrate(&url).await.unwrap();
    assert_eq!(applied, fixtures::migration_versions());
    assert!(
        qod_store::migrate(&url).await.unwrap().is_empty(),
        "nothing left to apply"
    );
    let store = qod_store::open(&url, qod_store::PoolSettings::default())
        .await
        .unwrap();
    let s = fixtures::session(fixtures::phone(5), "198.51.100.7");
    store
        .insert_session(fixtures::new_session(&s))
        .await
        .unwrap();
    assert_eq!(store.session(s.id).await.unwrap(), Some(s));
}

/// A row of `PRAGMA compile_options`.
#[derive(diesel::QueryableByName)]
struct CompileOption {
    #[diesel(sql_type = diesel::sql_types::Text)]
    compile_options: String,
}

/// The bundled SQLite is built as `.cargo/config.toml` says: no mutex around each call on a
/// connection, and no global mutex around each allocation.
#[test]
fn the_bundled_sqlite_is_built_without_per_call_mutexes() {
    let mut conn = SqliteConnection::establish(":memory:").unwrap();
    let options: Vec<String> = diesel::sql_query("PRAGMA compile_options")
        .load::<CompileOption>(&mut conn)
        .unwrap()
        .into_iter()
        .map(|o| o.compile_options)
        .collect();
    for wanted in ["THREADSAFE=2", "DEFAULT_MEMSTATUS=0"] {
        assert!(
            options.iter().any(|o| o == wanted),
            "{wanted} is not among {options:?}"
        );
    }
}
