//! Contract: concurrent writers and durability across a restart.

use std::future::Future;
use std::sync::Arc;

use qod_domain::ports::SessionUpdate;
use qod_domain::{QosStatus, StatusInfo, StoreError, TimerKind};
use tokio::sync::Barrier;

use super::Inspect;
use super::fixtures::{
    at, change, full_session, new_session, ok, phone, session, timer, with_status,
};
use super::timers::{LEASE, timers_of};

/// Many concurrent creations with identical flows for one device, spread over one or more
/// stores on one database (as several server instances would be): exactly one is stored.
pub async fn concurrent_identical_inserts_admit_one(stores: Vec<Arc<dyn Inspect>>) {
    const TASKS: usize = 50;
    let Some(first) = stores.first().cloned() else {
        panic!("no store given");
    };
    let barrier = Arc::new(Barrier::new(TASKS));
    let mut handles = Vec::with_capacity(TASKS);
    for n in 0..TASKS {
        let store = Arc::clone(&stores[n % stores.len()]);
        let barrier = Arc::clone(&barrier);
        handles.push(tokio::spawn(async move {
            let s = session(phone(100), "198.51.100.7");
            barrier.wait().await;
            (s.id, store.insert_session(new_session(&s)).await)
        }));
    }
    let mut winners = Vec::new();
    let mut conflicts = 0;
    for handle in handles {
        match handle.await {
            Ok((id, Ok(()))) => winners.push(id),
            Ok((_, Err(StoreError::Conflict))) => conflicts += 1,
            Ok((_, Err(e))) => panic!("unexpected store error: {e}"),
            Err(e) => panic!("insert task failed: {e}"),
        }
    }
    assert_eq!(winners.len(), 1, "exactly one insert succeeds");
    assert_eq!(conflicts, TASKS - 1, "all others conflict");
    let stored = ok(
        first.sessions_of_device(&phone(100).to_string()).await,
        "list",
    );
    let ids: Vec<_> = stored.iter().map(|s| s.id).collect();
    assert_eq!(ids, winners);
}

/// Many concurrent creations for different devices all succeed and are all stored.
pub async fn concurrent_inserts_for_many_devices(store: Arc<dyn Inspect>) {
    const TASKS: u32 = 200;
    let barrier = Arc::new(Barrier::new(TASKS as usize));
    let mut handles = Vec::new();
    for n in 0..TASKS {
        let store = Arc::clone(&store);
        let barrier = Arc::clone(&barrier);
        handles.push(tokio::spawn(async move {
            let s = session(phone(1_000 + n), "198.51.100.7");
            let mut new = new_session(&s);
            new.timers = vec![timer(&s, TimerKind::Expire, at(i64::from(n)))];
            barrier.wait().await;
            store.insert_session(new).await.map(|()| s)
        }));
    }
    for handle in handles {
        let s = match handle.await {
            Ok(Ok(s)) => s,
            Ok(Err(e)) => panic!("unexpected store error: {e}"),
            Err(e) => panic!("insert task failed: {e}"),
        };
        assert_eq!(ok(store.session(s.id).await, "get"), Some(s));
    }
    let due = ok(
        store
            .claim_due_timers(at(i64::from(TASKS)), usize::MAX, LEASE)
            .await,
        "due",
    );
    assert_eq!(due.len(), TASKS as usize);
}

/// Many reads at once, which a store may answer together: each gets its own session, or none
/// for an unknown id, a session asked for by several reads is given to each, and each device
/// gets its own sessions, oldest first.
pub async fn concurrent_reads_each_get_their_own_answer(store: Arc<dyn Inspect>) {
    const DEVICES: u32 = 30;
    let mut devices = Vec::new();
    for n in 0..DEVICES {
        let older = session(phone(3_000 + n), "198.51.100.7");
        let mut newer = session(phone(3_000 + n), "198.51.100.8");
        newer.created_at = at(1_000);
        ok(store.insert_session(new_session(&newer)).await, "insert");
        ok(store.insert_session(new_session(&older)).await, "insert");
        devices.push((older, newer));
    }
    let reads = DEVICES as usize * 5 + 1;
    let barrier = Arc::new(Barrier::new(reads));
    let mut handles = Vec::with_capacity(reads);
    let mut read = |wanted: Option<qod_domain::Session>, id: uuid::Uuid| {
        let (store, barrier) = (Arc::clone(&store), Arc::clone(&barrier));
        handles.push(tokio::spawn(async move {
            barrier.wait().await;
            let got = ok(store.session(id).await, "get");
            assert_eq!(got, wanted, "the read of {id}");
        }));
    };
    for (older, newer) in &devices {
        read(Some(older.clone()), older.id);
        read(Some(newer.clone()), newer.id);
        read(Some(older.clone()), older.id);
        read(None, uuid::Uuid::new_v4());
    }
    let mut of_device = |wanted: Vec<qod_domain::Session>, key: String| {
        let (store, barrier) = (Arc::clone(&store), Arc::clone(&barrier));
        handles.push(tokio::spawn(async move {
            barrier.wait().await;
            let got = ok(store.sessions_of_device(&key).await, "sessions of a device");
            assert_eq!(got, wanted, "the sessions of {key}");
        }));
    };
    for (older, newer) in &devices {
        of_device(vec![older.clone(), newer.clone()], older.device_key());
    }
    of_device(Vec::new(), phone(9_999).to_string());
    for handle in handles {
        if let Err(e) = handle.await {
            std::panic::resume_unwind(e.into_panic());
        }
    }
}

/// What was committed is there after the store is dropped and opened again on the same
/// storage. `open` must return a store on the same storage each time it is called.
pub async fn committed_writes_survive_reopening<F, Fut>(open: F)
where
    F: Fn() -> Fut,
    Fut: Future<Output = Arc<dyn Inspect>>,
{
    let kept = full_session();
    let deleted = session(phone(200), "198.51.100.7");
    let mut new = new_session(&kept);
    new.timers = vec![timer(&kept, TimerKind::Expire, at(601_000))];
    let created = new.change.clone();
    let ended = with_status(
        &kept,
        QosStatus::Unavailable,
        Some(StatusInfo::DurationExpired),
    );
    let end_change = change(&ended, at(601_000));
    let purge = timer(&ended, TimerKind::Purge, at(700_000));
    let deletion = change(&deleted, at(10));
    {
        let store = open().await;
        ok(store.insert_session(new).await, "insert");
        let update = SessionUpdate {
            session: ended.clone(),
            set_timers: vec![purge],
            clear_timers: vec![TimerKind::Expire],
            change: Some(end_change.clone()),
        };
        assert!(ok(store.update_session(update).await, "update"));
        ok(store.insert_session(new_session(&deleted)).await, "insert");
        assert!(ok(
            store
                .delete_session(deleted.id, deleted.version, Some(deletion.clone()))
                .await,
            "delete"
        ));
    }
    let store = open().await;
    assert_eq!(ok(store.session(kept.id).await, "get"), Some(ended.clone()));
    assert_eq!(ok(store.session(deleted.id).await, "get deleted"), None);
    assert_eq!(timers_of(store.as_ref(), kept.id).await, vec![purge]);
    assert_eq!(ok(store.next_due_time().await, "next"), Some(at(700_000)));
    let changes: Vec<_> = created.into_iter().chain([end_change]).collect();
    assert_eq!(ok(store.status_changes(kept.id).await, "changes"), changes);
    let deleted_changes = ok(store.status_changes(deleted.id).await, "changes");
    assert_eq!(deleted_changes.last(), Some(&deletion));
    assert_eq!(deleted_changes.len(), 2);
}
