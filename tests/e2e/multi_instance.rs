//! Several `qod-server` processes on one PostgreSQL database behave as one.

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use crate::support::postgres::{PrivateCluster, TestDatabase};
use crate::support::{Api, QOD, Server, create_body, db};

const TOKEN: &str = "mock_sandbox_access_token";

/// Writes a configuration with a short claim lease and starts `n` servers on `url`, each with
/// its own data directory but the same sandbox signing key.
async fn start_instances(dir: &Path, url: &str, n: usize, lease_ms: u64) -> Vec<Server> {
    std::fs::create_dir_all(dir).unwrap();
    let config = dir.join("multi.toml");
    std::fs::write(
        &config,
        format!(
            "[database]\nclaim_lease_ms = {lease_ms}\nscheduler_poll_ms = 500\npool_size = 8\n"
        ),
    )
    .unwrap();
    let mut servers = Vec::new();
    for i in 0..n {
        let data = dir.join(format!("instance-{i}"));
        std::fs::create_dir_all(&data).unwrap();
        servers.push(
            Server::start_with(
                &data,
                &["--database-url", url, "--config", config.to_str().unwrap()],
            )
            .await,
        );
    }
    servers
}

/// Creates sessions for `count` different devices, spread round robin over `apis`, 16 at a time.
async fn create_many(apis: &[Api], count: usize, duration: i64, prefix: &str) -> Vec<String> {
    let next = Arc::new(AtomicUsize::new(0));
    let mut tasks = Vec::new();
    for _ in 0..16 {
        let apis = apis.to_vec();
        let next = next.clone();
        let prefix = prefix.to_owned();
        tasks.push(tokio::spawn(async move {
            let mut ids = Vec::new();
            loop {
                let i = next.fetch_add(1, Ordering::SeqCst);
                if i >= count {
                    return ids;
                }
                let api = &apis[i % apis.len()];
                let body = create_body(&format!("+{prefix}{i:06}"), duration);
                let r = api.post(&format!("{QOD}/sessions"), TOKEN, &body).await;
                assert_eq!(r.status, 201, "{}", r.text);
                ids.push(r.body["sessionId"].as_str().unwrap().to_owned());
            }
        }));
    }
    let mut ids = Vec::new();
    for t in tasks {
        ids.extend(t.await.unwrap());
    }
    ids
}

/// Waits until `expected` sessions have a DURATION_EXPIRED change; returns the last count.
async fn wait_for_expiries(
    client: &tokio_postgres::Client,
    expected: i64,
    timeout: Duration,
) -> (i64, i64, i64) {
    let deadline = Instant::now() + timeout;
    loop {
        let counts = db::changes_with_reason(client, "DURATION_EXPIRED").await;
        if counts.0 >= expected || Instant::now() > deadline {
            return counts;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

#[tokio::test]
async fn three_instances_expire_every_session_exactly_once_and_refuse_racing_duplicates() {
    let database = TestDatabase::create();
    Server::migrate(&database.url);
    let dir = tempfile::tempdir().unwrap();
    let servers = start_instances(dir.path(), &database.url, 3, 30_000).await;
    let apis: Vec<Api> = servers.iter().map(|s| Api::new(&s.base)).collect();

    // 50 racing creates for one device, round robin over the three instances: one 201.
    let mut racing = Vec::new();
    for i in 0..50 {
        let api = apis[i % 3].clone();
        racing.push(tokio::spawn(async move {
            api.post(
                &format!("{QOD}/sessions"),
                TOKEN,
                &create_body("+34699999999", 600),
            )
            .await
            .status
            .as_u16()
        }));
    }
    let mut statuses = Vec::new();
    for r in racing {
        statuses.push(r.await.unwrap());
    }
    assert_eq!(
        statuses.iter().filter(|s| **s == 201).count(),
        1,
        "{statuses:?}"
    );
    assert_eq!(
        statuses.iter().filter(|s| **s == 409).count(),
        49,
        "{statuses:?}"
    );

    // 1,000 short sessions, all expiring while the three instances run.
    let ids = create_many(&apis, 1000, 2, "3470").await;
    assert_eq!(ids.len(), 1000);
    let client = db::connect(&database.url).await;
    let (sessions, changes, most) = wait_for_expiries(&client, 1000, Duration::from_secs(60)).await;
    assert_eq!(sessions, 1000, "sessions with a DURATION_EXPIRED change");
    assert_eq!(changes, 1000, "DURATION_EXPIRED changes in all");
    assert_eq!(most, 1, "no session expired twice");
    // Every instance reads the same state.
    for (i, id) in ids.iter().enumerate().step_by(97) {
        let r = apis[(i + 1) % 3]
            .get(&format!("{QOD}/sessions/{id}"), TOKEN)
            .await;
        assert_eq!(r.body["statusInfo"], "DURATION_EXPIRED", "{}", r.text);
    }
}

#[tokio::test]
async fn survivors_finish_the_claimed_work_of_a_killed_instance() {
    const SESSIONS: usize = 1000;
    let database = TestDatabase::create();
    Server::migrate(&database.url);
    let dir = tempfile::tempdir().unwrap();
    // The instance that dies claims with a lease long enough to be seen after its death.
    let mut servers = start_instances(dir.path(), &database.url, 1, 8_000).await;
    let api = Api::new(&servers[0].base);
    let client = db::connect(&database.url).await;

    // Sessions created through one instance, which is then stopped before they are due.
    let ids = create_many(&[api], SESSIONS, 4, "3471").await;
    servers[0].kill();
    tokio::time::sleep(Duration::from_secs(5)).await;

    // Back up with all of them due: it claims a batch as it starts, and dies holding it.
    servers[0].relaunch();
    let deadline = Instant::now() + Duration::from_secs(30);
    while db::claimed_timers(&client).await == 0 {
        assert!(Instant::now() < deadline, "the instance never claimed work");
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    servers[0].kill();
    let done_at_kill = db::changes_with_reason(&client, "DURATION_EXPIRED").await.0;
    let claimed_at_kill = db::claimed_timers(&client).await;
    assert!(
        done_at_kill < SESSIONS as i64,
        "the instance finished before it was killed"
    );
    assert!(claimed_at_kill > 0, "no claimed work was left behind");

    // Two other instances take over, claimed timers once the lease has passed.
    let others = start_instances(&dir.path().join("others"), &database.url, 2, 3_000).await;
    let (sessions, changes, most) =
        wait_for_expiries(&client, SESSIONS as i64, Duration::from_secs(60)).await;
    assert_eq!(
        (sessions, changes, most),
        (SESSIONS as i64, SESSIONS as i64, 1)
    );
    let api = Api::new(&others[1].base);
    let r = api.get(&format!("{QOD}/sessions/{}", ids[0]), TOKEN).await;
    assert_eq!(r.body["statusInfo"], "DURATION_EXPIRED", "{}", r.text);
}

#[tokio::test]
async fn a_database_outage_gives_503_and_the_server_recovers_by_itself() {
    let dir = tempfile::tempdir().unwrap();
    let cluster = PrivateCluster::start(&dir.path().join("pg"));
    let database = TestDatabase::create_on(&cluster.admin_url());
    Server::migrate(&database.url);
    let data = dir.path().join("server");
    std::fs::create_dir_all(&data).unwrap();
    let config = data.join("outage.toml");
    std::fs::write(&config, "[database]\npool_wait_timeout_ms = 1000\n").unwrap();
    let server = Server::start_with(
        &data,
        &[
            "--database-url",
            &database.url,
            "--config",
            config.to_str().unwrap(),
        ],
    )
    .await;
    let api = Api::new(&server.base);

    // Load from 8 clients until told to stop; remember every acknowledged session.
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let counter = Arc::new(AtomicUsize::new(0));
    let mut tasks = Vec::new();
    for _ in 0..8 {
        let (api, stop, counter) = (api.clone(), stop.clone(), counter.clone());
        tasks.push(tokio::spawn(async move {
            let (mut acknowledged, mut unavailable, mut other) = (Vec::new(), 0, Vec::new());
            while !stop.load(Ordering::SeqCst) {
                let i = counter.fetch_add(1, Ordering::SeqCst);
                let body = create_body(&format!("+3472{i:07}"), 3600);
                let r = api.post(&format!("{QOD}/sessions"), TOKEN, &body).await;
                match r.status.as_u16() {
                    201 => acknowledged.push(r.body["sessionId"].as_str().unwrap().to_owned()),
                    503 => {
                        r.assert_error(503, "UNAVAILABLE");
                        unavailable += 1;
                    }
                    _ => other.push(r.text),
                }
            }
            (acknowledged, unavailable, other)
        }));
    }
    tokio::time::sleep(Duration::from_secs(1)).await;
    cluster.stop();
    tokio::time::sleep(Duration::from_secs(3)).await;
    cluster.restart();
    // The server serves again without a restart.
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let r = api
            .post(
                &format!("{QOD}/sessions"),
                TOKEN,
                &create_body("+34729999999", 60),
            )
            .await;
        if r.status == 201 {
            break;
        }
        assert!(Instant::now() < deadline, "no recovery: {}", r.text);
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    stop.store(true, Ordering::SeqCst);
    let (mut acknowledged, mut unavailable) = (Vec::new(), 0);
    for t in tasks {
        let (a, u, other) = t.await.unwrap();
        assert!(other.is_empty(), "unexpected answers: {other:?}");
        acknowledged.extend(a);
        unavailable += u;
    }
    assert!(unavailable > 0, "no request saw the outage");
    assert!(!acknowledged.is_empty());
    for id in &acknowledged {
        let r = api.get(&format!("{QOD}/sessions/{id}"), TOKEN).await;
        assert_eq!(
            r.status, 200,
            "acknowledged session {id} is missing: {}",
            r.text
        );
    }
}
