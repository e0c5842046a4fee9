//! Starts and stops the real `qod-server` binary on a free loopback port.

use std::fs::File;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A running `qod-server` process.
pub struct Server {
    child: Option<Child>,
    pub base: String,
    pub data_dir: PathBuf,
    port: u16,
    extra_args: Vec<String>,
    /// Extra environment of the process (applied after the defaults, so they win).
    extra_env: Vec<(String, String)>,
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("no free port")
}

impl Server {
    /// Starts a server on a fresh port with its data in `data_dir`, and waits until it answers.
    pub async fn start(data_dir: &Path) -> Server {
        Self::start_with(data_dir, &[]).await
    }

    /// Like [`Server::start`], with extra command-line arguments.
    pub async fn start_with(data_dir: &Path, extra_args: &[&str]) -> Server {
        Self::start_with_env(data_dir, extra_args, &[]).await
    }

    /// Like [`Server::start_with`], with extra environment variables (e.g. `QOD_LOG`).
    pub async fn start_with_env(
        data_dir: &Path,
        extra_args: &[&str],
        extra_env: &[(&str, &str)],
    ) -> Server {
        let mut server = Server {
            child: None,
            base: String::new(),
            data_dir: data_dir.to_path_buf(),
            port: free_port(),
            extra_args: extra_args.iter().map(|s| s.to_string()).collect(),
            extra_env: extra_env
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        };
        server.launch();
        server.wait_ready().await;
        server
    }

    /// Starts the process without waiting for it to be ready.
    fn launch(&mut self) {
        let log = File::options()
            .create(true)
            .append(true)
            .open(self.data_dir.join("server.log"))
            .expect("log file");
        let child = Command::new(env!("CARGO_BIN_EXE_qod-server"))
            .arg("--listen")
            .arg(format!("127.0.0.1:{}", self.port))
            .arg("--data-dir")
            .arg(&self.data_dir)
            .args(&self.extra_args)
            .env("QOD_LOG", "info")
            .env_remove("QOD_CONFIG")
            .env_remove("QOD_DATABASE_URL")
            .envs(self.extra_env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
            .stdout(Stdio::from(log.try_clone().expect("log file")))
            .stderr(Stdio::from(log))
            .spawn()
            .expect("start qod-server");
        self.child = Some(child);
        self.base = format!("http://127.0.0.1:{}", self.port);
    }

    async fn wait_ready(&mut self) {
        let client = reqwest::Client::new();
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if let Ok(r) = client.get(format!("{}/health", self.base)).send().await
                && r.status().is_success()
            {
                return;
            }
            if let Some(child) = self.child.as_mut()
                && let Ok(Some(status)) = child.try_wait()
            {
                panic!("qod-server exited early ({status}); log:\n{}", self.log());
            }
            assert!(
                Instant::now() < deadline,
                "qod-server did not start; log:\n{}",
                self.log()
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Runs `qod-server migrate` against a database and asserts it succeeded.
    pub fn migrate(database_url: &str) {
        let out = Command::new(env!("CARGO_BIN_EXE_qod-server"))
            .arg("migrate")
            .arg("--database-url")
            .arg(database_url)
            .env_remove("QOD_CONFIG")
            .output()
            .expect("run qod-server migrate");
        assert!(
            out.status.success(),
            "migrate failed: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }

    /// Kills the process with SIGKILL: no shutdown code runs.
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            child.kill().expect("kill");
            child.wait().expect("wait");
        }
    }

    /// Starts the process again on the same port and data directory.
    pub async fn restart(&mut self) {
        self.relaunch();
        self.wait_ready().await;
    }

    /// Starts the process again and returns at once: its start-up work (catching up on due
    /// timers) can be watched, or interrupted, before it serves.
    pub fn relaunch(&mut self) {
        self.kill();
        self.launch();
    }

    /// True while the process has not exited.
    pub fn is_running(&mut self) -> bool {
        self.child
            .as_mut()
            .is_some_and(|c| matches!(c.try_wait(), Ok(None)))
    }

    /// Everything the server logged so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.data_dir.join("server.log")).unwrap_or_default()
    }

    /// The Prometheus text of `GET /metrics`, which must answer 200.
    pub async fn metrics(&self) -> String {
        let reply = reqwest::get(format!("{}/metrics", self.base))
            .await
            .unwrap();
        assert_eq!(reply.status(), 200);
        reply.text().await.unwrap()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}
