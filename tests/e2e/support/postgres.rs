//! PostgreSQL for the tests: a fresh database on the machine's server, or a private cluster
//! that a test may stop and start.

use std::path::{Path, PathBuf};
use std::process::Command;

/// The admin URL of the machine's PostgreSQL server.
pub fn admin_url() -> String {
    std::env::var("QOD_TEST_PG_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into())
}

fn psql(url: &str, sql: &str) {
    let out = Command::new("psql")
        .arg(url)
        .arg("-v")
        .arg("ON_ERROR_STOP=1")
        .arg("-qc")
        .arg(sql)
        .output()
        .expect("run psql");
    assert!(
        out.status.success(),
        "psql failed ({sql}): {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A database created for one test and dropped when it ends.
pub struct TestDatabase {
    pub url: String,
    name: String,
    admin: String,
}

impl TestDatabase {
    /// Creates `qod_e2e_<random>` on the server behind `admin` (an admin URL).
    pub fn create_on(admin: &str) -> TestDatabase {
        let name = format!("qod_e2e_{}", uuid::Uuid::new_v4().simple());
        psql(admin, &format!("CREATE DATABASE {name}"));
        let base = admin.rsplit_once('/').map_or(admin, |(b, _)| b);
        TestDatabase {
            url: format!("{base}/{name}"),
            name,
            admin: admin.to_owned(),
        }
    }

    /// A fresh database on the machine's PostgreSQL server.
    pub fn create() -> TestDatabase {
        Self::create_on(&admin_url())
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        let _ = Command::new("psql")
            .arg(&self.admin)
            .arg("-qc")
            .arg(format!(
                "DROP DATABASE IF EXISTS {} WITH (FORCE)",
                self.name
            ))
            .output();
    }
}

fn pg_bin(tool: &str) -> PathBuf {
    let root = Path::new("/usr/lib/postgresql");
    let mut versions: Vec<PathBuf> = std::fs::read_dir(root)
        .expect("PostgreSQL binaries under /usr/lib/postgresql")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .collect();
    versions.sort();
    versions
        .last()
        .expect("a PostgreSQL version")
        .join("bin")
        .join(tool)
}

/// Runs a PostgreSQL tool as the `postgres` user when we are root (initdb refuses root).
fn as_postgres(tool: &str) -> Command {
    let is_root = Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0");
    if is_root {
        let mut c = Command::new("runuser");
        c.arg("-u").arg("postgres").arg("--").arg(pg_bin(tool));
        c
    } else {
        Command::new(pg_bin(tool))
    }
}

/// A private PostgreSQL cluster on its own port, which a test may stop and start.
pub struct PrivateCluster {
    dir: PathBuf,
    pub port: u16,
}

impl PrivateCluster {
    /// Initialises and starts a cluster in `dir` (made readable by the `postgres` user).
    pub fn start(dir: &Path) -> PrivateCluster {
        let data = dir.join("pgdata");
        std::fs::create_dir_all(&data).expect("mkdir");
        let _ = Command::new("chown")
            .arg("-R")
            .arg("postgres")
            .arg(dir)
            .status();
        let _ = Command::new("chmod").arg("755").arg(dir).status();
        let out = as_postgres("initdb")
            .arg("-D")
            .arg(&data)
            .arg("-A")
            .arg("trust")
            .arg("-U")
            .arg("postgres")
            .output()
            .expect("initdb");
        assert!(
            out.status.success(),
            "initdb: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map(|a| a.port())
            .expect("port");
        let cluster = PrivateCluster { dir: data, port };
        cluster.pg_ctl_start();
        cluster
    }

    fn pg_ctl_start(&self) {
        let out = as_postgres("pg_ctl")
            .arg("-D")
            .arg(&self.dir)
            .arg("-w")
            .arg("-l")
            .arg(self.dir.join("server.log"))
            .arg("-o")
            .arg(format!(
                "-p {} -c listen_addresses=127.0.0.1 -k {} -c fsync=off",
                self.port,
                self.dir.display()
            ))
            .arg("start")
            .output()
            .expect("pg_ctl start");
        assert!(
            out.status.success(),
            "pg_ctl start: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }

    /// The admin URL of this cluster.
    pub fn admin_url(&self) -> String {
        format!("postgres://postgres@127.0.0.1:{}/postgres", self.port)
    }

    /// Stops the server at once (clients are disconnected).
    pub fn stop(&self) {
        let out = as_postgres("pg_ctl")
            .arg("-D")
            .arg(&self.dir)
            .arg("-m")
            .arg("immediate")
            .arg("-w")
            .arg("stop")
            .output()
            .expect("pg_ctl stop");
        assert!(
            out.status.success(),
            "pg_ctl stop: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }

    /// Starts it again on the same port.
    pub fn restart(&self) {
        self.pg_ctl_start();
    }
}

impl Drop for PrivateCluster {
    fn drop(&mut self) {
        let _ = as_postgres("pg_ctl")
            .arg("-D")
            .arg(&self.dir)
            .arg("-m")
            .arg("immediate")
            .arg("stop")
            .output();
    }
}
