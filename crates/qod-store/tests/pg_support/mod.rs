//! A fresh database per test on the local PostgreSQL server, and a TCP proxy that can cut
//! every connection to it.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use diesel::sql_query;
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use qod_store::{PgStore, PoolSettings};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::{JoinHandle, JoinSet};

/// The admin connection; tests create and drop their databases through it.
const DEFAULT_ADMIN_URL: &str = "postgres://postgres@127.0.0.1:5432/postgres";

fn admin_url() -> String {
    std::env::var("QOD_TEST_PG_URL").unwrap_or_else(|_| DEFAULT_ADMIN_URL.to_owned())
}

/// `url` with its database name replaced by `name`.
fn with_database(url: &str, name: &str) -> String {
    let (scheme, rest) = url.split_once("://").expect("a URL with a scheme");
    let end = rest.find(['/', '?']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(end);
    let query = tail.find('?').map_or("", |i| &tail[i..]);
    format!("{scheme}://{authority}/{name}{query}")
}

async fn admin() -> AsyncPgConnection {
    let url = admin_url();
    match AsyncPgConnection::establish(&url).await {
        Ok(conn) => conn,
        Err(e) => panic!(
            "PostgreSQL is not reachable at {url} ({e}); start it with scripts/ensure-postgres, \
             or point QOD_TEST_PG_URL at a server where this user may create databases"
        ),
    }
}

/// Short timeouts, so that tests of an unreachable database finish quickly.
pub fn quick_settings() -> PoolSettings {
    PoolSettings {
        max_size: 4,
        wait_timeout: Duration::from_secs(2),
        create_timeout: Duration::from_secs(2),
        recycle_timeout: Duration::from_secs(2),
        operation_timeout: Duration::from_secs(5),
    }
}

/// A database of its own for one test, dropped (best effort) when the test ends.
pub struct TestDb {
    name: String,
    /// Where the test connects.
    pub url: String,
}

impl TestDb {
    /// A new, empty database: no schema at all.
    pub async fn empty() -> Self {
        let name = format!("qod_test_{}", uuid::Uuid::new_v4().simple());
        let mut conn = admin().await;
        sql_query(format!("CREATE DATABASE {name}"))
            .execute(&mut conn)
            .await
            .unwrap_or_else(|e| panic!("cannot create the test database {name}: {e}"));
        let url = with_database(&admin_url(), &name);
        Self { name, url }
    }

    /// A new database with this binary's schema.
    pub async fn migrated() -> Self {
        let db = Self::empty().await;
        PgStore::migrate(&db.url)
            .await
            .unwrap_or_else(|e| panic!("migrating {}: {e}", db.name));
        db
    }

    /// A store on this database.
    pub async fn store(&self) -> Arc<PgStore> {
        let store = PgStore::connect(&self.url, PoolSettings::default())
            .await
            .unwrap_or_else(|e| panic!("connecting to {}: {e}", self.name));
        Arc::new(store)
    }

    /// A plain connection to this database.
    pub async fn connection(&self) -> AsyncPgConnection {
        AsyncPgConnection::establish(&self.url)
            .await
            .unwrap_or_else(|e| panic!("connecting to {}: {e}", self.name))
    }

    /// This database's URL through a proxy listening on `port`.
    pub fn url_via(&self, port: u16) -> String {
        let admin = admin_url();
        let via = admin.replace(
            &format!("127.0.0.1:{}", upstream().port()),
            &format!("127.0.0.1:{port}"),
        );
        with_database(&via, &self.name)
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        let name = self.name.clone();
        // Drop runs inside the test's runtime, which cannot block on its own futures.
        let dropped = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .ok()?;
            runtime.block_on(async {
                let mut conn = AsyncPgConnection::establish(&admin_url()).await.ok()?;
                sql_query(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                    .execute(&mut conn)
                    .await
                    .ok()
            })
        })
        .join();
        if !matches!(dropped, Ok(Some(_))) {
            eprintln!("could not drop the test database {}", self.name);
        }
    }
}

/// The server's address, from the admin URL (127.0.0.1 and its port).
pub fn upstream() -> SocketAddr {
    let url = admin_url();
    let port = url
        .split_once("127.0.0.1:")
        .and_then(|(_, rest)| rest.split(['/', '?']).next())
        .and_then(|p| p.parse().ok())
        .unwrap_or(5432);
    SocketAddr::from(([127, 0, 0, 1], port))
}

/// Forwards connections from a loopback port to the server until stopped.
pub struct Proxy {
    /// The port it listens on.
    pub port: u16,
    task: JoinHandle<()>,
}

impl Proxy {
    /// Listens on `port` (0: any free port).
    pub async fn start(port: u16) -> Self {
        let listener = TcpListener::bind(("127.0.0.1", port))
            .await
            .unwrap_or_else(|e| panic!("proxy cannot listen on port {port}: {e}"));
        let port = listener.local_addr().expect("proxy address").port();
        let task = tokio::spawn(async move {
            let mut links = JoinSet::new();
            while let Ok((mut client, _)) = listener.accept().await {
                links.spawn(async move {
                    if let Ok(mut server) = TcpStream::connect(upstream()).await {
                        let _ = tokio::io::copy_bidirectional(&mut client, &mut server).await;
                    }
                });
            }
        });
        Self { port, task }
    }

    /// Stops listening and cuts every connection it carries.
    pub async fn stop(self) {
        self.task.abort();
        let _ = self.task.await;
    }
}
