//! The store contract, and PostgreSQL specifics, each test on a fresh database of the local
//! server. `scripts/ensure-postgres` starts it; `QOD_TEST_PG_URL` names the admin connection
//! (default `postgres://postgres@127.0.0.1:5432/postgres`). Without a reachable server these
//! tests fail: they never pass silently.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod pg_support;

use std::sync::Arc;

use diesel::sql_query;
use diesel_async::RunQueryDsl;
use qod_domain::{OutboxStore, SessionStore, StoreError};
use qod_store::PgStore;
use qod_store::contract::{self, Inspect, fixtures};

use pg_support::{Proxy, TestDb, quick_settings};

macro_rules! contract_tests {
    ($($name:ident),* $(,)?) => {$(
        #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
        async fn $name() {
            let db = TestDb::migrated().await;
            let store = db.store().await;
            contract::$name(store.as_ref()).await;
        }
    )*};
}

// Every contract test that takes one store, each on a fresh database.
qod_store::for_each_contract_test!(contract_tests);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_identical_inserts_admit_one() {
    let db = TestDb::migrated().await;
    let store = db.store().await;
    contract::concurrent_identical_inserts_admit_one(vec![store.clone()]).await;
    assert_eq!(store.count_sessions().await.unwrap(), 1);
}

/// Two stores with pools of their own stand for two server instances on one database.
async fn two_stores(db: &TestDb) -> Vec<Arc<dyn Inspect>> {
    vec![db.store().await, db.store().await]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_identical_inserts_from_two_stores_admit_one() {
    let db = TestDb::migrated().await;
    contract::concurrent_identical_inserts_admit_one(two_stores(&db).await).await;
    assert_eq!(db.store().await.count_sessions().await.unwrap(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_reads_each_get_their_own_answer() {
    let db = TestDb::migrated().await;
    let store = db.store().await;
    contract::concurrent_reads_each_get_their_own_answer(store.clone()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_inserts_for_many_devices() {
    let db = TestDb::migrated().await;
    let store = db.store().await;
    contract::concurrent_inserts_for_many_devices(store.clone()).await;
    assert_eq!(store.count_sessions().await.unwrap(), 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_claims_from_two_stores_take_each_timer_once() {
    let db = TestDb::migrated().await;
    contract::concurrent_claims_take_each_timer_once(two_stores(&db).await).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_event_claims_from_two_stores_take_each_event_once() {
    let db = TestDb::migrated().await;
    contract::concurrent_event_claims_take_each_event_once(two_stores(&db).await).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn committed_writes_survive_reopening() {
    let db = TestDb::migrated().await;
    contract::committed_writes_survive_reopening(|| async { db.store().await as Arc<dyn Inspect> })
        .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unreachable_server_is_unavailable() {
    // A port nothing listens on.
    let port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    let url = format!("postgres://postgres@127.0.0.1:{port}/qod");
    let err = PgStore::connect(&url, quick_settings()).await.unwrap_err();
    assert!(err.is_retryable(), "{err:?}");
    assert!(matches!(StoreError::from(err), StoreError::Unavailable(_)));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lost_connection_is_unavailable_and_the_store_recovers_on_its_own() {
    let db = TestDb::migrated().await;
    let proxy = Proxy::start(0).await;
    let port = proxy.port;
    let store = PgStore::connect(&db.url_via(port), quick_settings())
        .await
        .unwrap();
    let s = fixtures::session(fixtures::phone(1), "198.51.100.7");
    store
        .insert_session(fixtures::new_session(&s))
        .await
        .unwrap();

    proxy.stop().await;
    assert!(
        matches!(store.session(s.id).await, Err(StoreError::Unavailable(_))),
        "the pooled connection was cut"
    );
    let other = fixtures::session(fixtures::phone(2), "198.51.100.7");
    assert!(
        matches!(
            store.insert_session(fixtures::new_session(&other)).await,
            Err(StoreError::Unavailable(_))
        ),
        "no new connection can be opened"
    );

    let proxy = Proxy::start(port).await;
    assert_eq!(store.session(s.id).await.unwrap(), Some(s.clone()));
    store
        .insert_session(fixtures::new_session(&other))
        .await
        .unwrap();
    assert_eq!(store.count_sessions().await.unwrap(), 2);
    proxy.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_closed_store_is_unavailable() {
    let db = TestDb::migrated().await;
    let store = db.store().await;
    store.close();
    assert!(matches!(
        store.next_due_time().await,
        Err(StoreError::Unavailable(_))
    ));
}

/// A connection opened for a task on another runtime (an HTTP worker's) still does its I/O on
/// the store's own runtime: it outlives that runtime, and serves the next operations.
#[test]
fn connections_live_on_the_stores_runtime_whoever_opens_them() {
    let shared = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let db = shared.block_on(TestDb::migrated());
    let settings = qod_store::PoolSettings {
        max_size: 2,
        ..quick_settings()
    };
    let store = Arc::new(
        shared
            .block_on(PgStore::connect(&db.url, settings))
            .unwrap(),
    );
    let s = fixtures::session(fixtures::phone(1), "198.51.100.7");
    let new = fixtures::new_session(&s);
    let change = new.change.clone().unwrap();
    shared.block_on(store.insert_session(new)).unwrap();
    // The test's own connection that holds the table of status changes locked while the
    // worker's reads wait for it, so that both are in flight at once, on two connections.
    let mut locker = shared.block_on(db.connection());
    let locker_pid = shared.block_on(async {
        sql_query("SELECT pg_backend_pid() AS pid")
            .get_result::<Pid>(&mut locker)
            .await
            .unwrap()
            .pid
    });
    let backends = |waiting_for_a_lock: bool| {
        let only_waiting = if waiting_for_a_lock {
            " AND wait_event_type = 'Lock'"
        } else {
            ""
        };
        shared.block_on(async {
            let mut conn = db.connection().await;
            sql_query(format!(
                "SELECT pid, backend_start::TEXT AS started FROM pg_stat_activity \
                 WHERE datname = current_database() AND pid <> pg_backend_pid() \
                 AND pid <> {locker_pid}{only_waiting} ORDER BY pid"
            ))
            .load::<Backend>(&mut conn)
            .await
            .unwrap()
        })
    };
    assert_eq!(backends(false).len(), 1, "connecting opened one connection");

    // Two reads at once from a single-threaded runtime on a thread of its own: the second
    // opens the pool's second connection. Both wait for the lock taken here, so neither can
    // finish and hand its connection to the other. Then that runtime ends. (Status changes,
    // because sessions are read through batched readers, which run on the store's runtime
    // anyway.)
    shared.block_on(async {
        sql_query("BEGIN").execute(&mut locker).await.unwrap();
        sql_query("LOCK TABLE status_changes IN ACCESS EXCLUSIVE MODE")
            .execute(&mut locker)
            .await
            .unwrap();
    });
    let worker = {
        let (store, id) = (store.clone(), s.id);
        std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            runtime.block_on(async {
                tokio::join!(store.status_changes(id), store.status_changes(id))
            })
        })
    };
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(3);
    while backends(true).len() < 2 {
        assert!(
            std::time::Instant::now() < deadline,
            "the worker's two reads never waited for the lock at the same time"
        );
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    shared.block_on(async { sql_query("COMMIT").execute(&mut locker).await.unwrap() });
    let (first, second) = worker.join().unwrap();
    assert_eq!(
        (first.unwrap(), second.unwrap()),
        (vec![change.clone()], vec![change.clone()])
    );
    let opened = backends(false);
    assert_eq!(
        opened.len(),
        2,
        "the worker's reads opened a second connection"
    );

    std::thread::sleep(std::time::Duration::from_millis(300));
    let reads = shared
        .block_on(async { tokio::join!(store.status_changes(s.id), store.status_changes(s.id)) });
    assert_eq!(
        (reads.0.unwrap(), reads.1.unwrap()),
        (vec![change.clone()], vec![change])
    );
    assert_eq!(
        backends(false),
        opened,
        "both connections survived the worker's runtime and served the next reads"
    );
}

/// A backend's process id.
#[derive(diesel::QueryableByName)]
struct Pid {
    #[diesel(sql_type = diesel::sql_types::Integer)]
    pid: i32,
}

/// A backend of the test database.
#[derive(diesel::QueryableByName, Debug, PartialEq, Eq)]
struct Backend {
    #[diesel(sql_type = diesel::sql_types::Integer)]
    pid: i32,
    #[diesel(sql_type = diesel::sql_types::Text)]
    started: String,
}

/// A count read back with raw SQL.
#[derive(diesel::QueryableByName)]
struct Count {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    n: i64,
}

async fn count(db: &TestDb, sql: &str) -> i64 {
    let mut conn = db.connection().await;
    let row: Count = sql_query(sql).get_result(&mut conn).await.unwrap();
    row.n
}

/// Creations waiting at the same moment share transactions (the rows a transaction inserts
/// share its `xmin`), and every rule of a creation alone holds within one: of two identical
/// creations for a device one is refused, every stored creation has its timer and its change,
/// and its event carries the number the database gave that change.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_creations_share_transactions_and_keep_the_rules() {
    const DEVICES: u32 = 60;
    let db = TestDb::migrated().await;
    let store = db.store().await;
    let sink = fixtures::full_session().sink;
    let tasks = DEVICES as usize * 2;
    let barrier = Arc::new(tokio::sync::Barrier::new(tasks));
    let mut handles = Vec::with_capacity(tasks);
    for n in 0..DEVICES * 2 {
        let (store, barrier, sink) = (store.clone(), barrier.clone(), sink.clone());
        handles.push(tokio::spawn(async move {
            let mut s = fixtures::session(fixtures::phone(5_000 + n / 2), "198.51.100.7");
            s.sink = sink;
            let mut new = fixtures::new_session(&s);
            new.timers = vec![fixtures::timer(
                &s,
                qod_domain::TimerKind::Expire,
                fixtures::at(1_000),
            )];
            barrier.wait().await;
            (s.id, store.insert_session(new).await)
        }));
    }
    let (mut stored, mut refused) = (Vec::new(), 0);
    for handle in handles {
        match handle.await.unwrap() {
            (id, Ok(())) => stored.push(id),
            (_, Err(StoreError::Conflict)) => refused += 1,
            (_, Err(e)) => panic!("unexpected store error: {e}"),
        }
    }
    assert_eq!((stored.len(), refused), (tasks / 2, tasks / 2));
    for id in &stored {
        assert_eq!(store.timers_of(*id).await.unwrap().len(), 1);
        assert_eq!(store.status_changes(*id).await.unwrap().len(), 1);
        assert_eq!(store.events_of(*id).await.unwrap().len(), 1);
    }
    let numbered = count(
        &db,
        "SELECT COUNT(*) AS n FROM notification_outbox o \
         JOIN status_changes c ON c.id = o.event_id AND c.seq = o.seq AND c.session_id = o.session_id",
    )
    .await;
    assert_eq!(numbered, i64::from(DEVICES));
    let sessions = count(&db, "SELECT COUNT(*) AS n FROM sessions").await;
    let transactions = count(&db, "SELECT COUNT(DISTINCT xmin::text) AS n FROM sessions").await;
    assert_eq!(sessions, i64::from(DEVICES));
    assert!(
        transactions < sessions,
        "{sessions} sessions in {transactions} transactions: none shared"
    );
}

/// Creations that fail as they are written (here: ids already stored, for other devices) do
/// not take the creations batched with them down: those are written again one by one.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failing_creations_do_not_fail_the_others_of_their_batch() {
    const GOOD: u32 = 40;
    const BAD: u32 = 8;
    let db = TestDb::migrated().await;
    let store = db.store().await;
    let mut taken = Vec::new();
    for n in 0..BAD {
        let s = fixtures::session(fixtures::phone(7_000 + n), "198.51.100.7");
        store
            .insert_session(fixtures::new_session(&s))
            .await
            .unwrap();
        taken.push(s.id);
    }
    let barrier = Arc::new(tokio::sync::Barrier::new((GOOD + BAD) as usize));
    let mut handles = Vec::new();
    for n in 0..GOOD + BAD {
        let (store, barrier) = (store.clone(), barrier.clone());
        let mut s = fixtures::session(fixtures::phone(7_100 + n), "198.51.100.7");
        let bad = n % 6 == 0 && n / 6 < BAD;
        if bad {
            s.id = taken[(n / 6) as usize];
        }
        handles.push(tokio::spawn(async move {
            barrier.wait().await;
            (bad, store.insert_session(fixtures::new_session(&s)).await)
        }));
    }
    for handle in handles {
        match handle.await.unwrap() {
            (true, answer) => assert!(
                matches!(answer, Err(ref e) if *e != StoreError::Conflict),
                "a taken id: {answer:?}"
            ),
            (false, answer) => assert_eq!(answer, Ok(())),
        }
    }
    let sessions = count(&db, "SELECT COUNT(*) AS n FROM sessions").await;
    assert_eq!(sessions, i64::from(GOOD + BAD));
}
