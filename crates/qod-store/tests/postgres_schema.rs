//! The PostgreSQL schema and its migrations, each test on a fresh database of the local server
//! (see `postgres.rs` for the server these tests use; without one they fail).

#![allow(clippy::unwrap_used, clippy::expect_used)]

// Shared with postgres.rs, which uses all of it; this file needs only the databases.
#[allow(dead_code)]
mod pg_support;

use diesel::sql_query;
use diesel_async::RunQueryDsl;
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
