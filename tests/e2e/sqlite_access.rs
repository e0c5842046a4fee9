//! An SQLite file belongs to the server that has it open, unless both sides open it shared.

use std::path::Path;
use std::process::{Command, Output};

use crate::support::{Api, QOD, Server};

/// `qod-server migrate` on `url`, as a second process would run it.
fn migrate(url: &str) -> Output {
    Command::new(env!("CARGO_BIN_EXE_qod-server"))
        .arg("migrate")
        .arg("--database-url")
        .arg(url)
        .env_remove("QOD_CONFIG")
        .env_remove("QOD_DATABASE_URL")
        .output()
        .expect("run qod-server migrate")
}

fn file_url(dir: &Path) -> String {
    format!("sqlite://{}", dir.join("qod.sqlite3").display())
}

#[tokio::test]
async fn a_second_process_is_refused_the_file_with_a_clear_error_and_nothing_is_lost() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path()).await;
    let api = Api::new(&server.base);
    let token = api.token("app-one", None).await;
    let created = api.create_session(&token, "+34600000011", 600).await;
    // The WAL index is in the server's memory: no shared-memory file beside the database.
    assert!(!dir.path().join("qod.sqlite3-shm").exists());

    let out = migrate(&file_url(dir.path()));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "a second process opened the file");
    assert!(
        stderr.contains("in use by another process"),
        "unclear error: {stderr}"
    );

    // A new client: the server closed the idle connection of the first one meanwhile.
    let api = Api::new(&server.base);
    let id = created["sessionId"].as_str().unwrap();
    let read = api.get(&format!("{QOD}/sessions/{id}"), &token).await;
    assert_eq!(read.status, 200, "{}", read.text);
    assert_eq!(read.body["qosStatus"], "AVAILABLE");
}

#[tokio::test]
async fn a_file_opened_shared_can_be_opened_by_another_process() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("{}?access=shared", file_url(dir.path()));
    let server = Server::start_with(dir.path(), &["--database-url", &url]).await;
    let api = Api::new(&server.base);
    let token = api.token("app-one", None).await;
    api.create_session(&token, "+34600000012", 600).await;
    assert!(dir.path().join("qod.sqlite3-shm").exists());

    let out = migrate(&url);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}
