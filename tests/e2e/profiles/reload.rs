//! Reloading the catalogue without a restart: the admin endpoint and SIGHUP.

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use reqwest::Method;
use serde_json::json;

use super::{OPERATOR_CATALOGUE, PROFILES, names, write_config};
use crate::support::{Api, QOD, Server};

const ADMIN_TOKEN: &str = "admin-token-0123456789";

/// The operator's catalogue after an edit: `open-video` DEPRECATED with a shorter maximum, and
/// `vip.gaming` gone.
fn edited() -> String {
    let open = OPERATOR_CATALOGUE
        .split("[[profile]]")
        .nth(1)
        .unwrap()
        .replace("\"ACTIVE\"", "\"DEPRECATED\"")
        .replace("\"1 Hours\"", "\"60 Seconds\"");
    format!("[[profile]]{open}\n[[profile]]\nname = \"new-one\"\nstatus = \"ACTIVE\"\n")
}

#[tokio::test]
async fn the_admin_endpoint_reloads_and_running_sessions_keep_their_profile() {
    let dir = tempfile::tempdir().unwrap();
    let config = write_config(
        dir.path(),
        OPERATOR_CATALOGUE,
        &format!("[admin]\ntoken = \"{ADMIN_TOKEN}\""),
    );
    let catalogue = dir.path().join("qos-profiles.toml");
    let server = Server::start_with(dir.path(), &["--config", config.to_str().unwrap()]).await;
    let api = Api::new(&server.base);
    let token = api.token("app-one", None).await;
    let reload = |bearer: Option<&str>| {
        let api = api.clone();
        let bearer = bearer.map(str::to_owned);
        async move {
            api.call(
                Method::POST,
                "/admin/reload-catalogue",
                bearer.as_deref(),
                None,
                &[],
            )
            .await
        }
    };

    let device = json!({"phoneNumber": "+34600000003"});
    let body = |profile: &str, duration: i64| {
        json!({
            "device": device,
            "applicationServer": {"ipv4Address": "198.51.100.0/24"},
            "qosProfile": profile,
            "duration": duration,
        })
    };
    let created = api
        .post(&format!("{QOD}/sessions"), &token, &body("open-video", 60))
        .await;
    assert_eq!(created.status, 201, "{}", created.text);
    let id = created.body["sessionId"].as_str().unwrap().to_owned();

    // Only the admin token reloads.
    reload(None).await.assert_error(401, "UNAUTHENTICATED");
    reload(Some(&token))
        .await
        .assert_error(401, "UNAUTHENTICATED");
    reload(Some("admin-token-012345678"))
        .await
        .assert_error(401, "UNAUTHENTICATED");

    std::fs::write(&catalogue, edited()).unwrap();
    let r = reload(Some(ADMIN_TOKEN)).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body, json!({"status": "RELOADED", "profiles": 2}));

    let r = api
        .get(&format!("{PROFILES}/qos-profiles/open-video"), &token)
        .await;
    assert_eq!(r.body["status"], "DEPRECATED");
    assert_eq!(
        r.body["maxDuration"],
        json!({"value": 60, "unit": "Seconds"})
    );
    api.get(&format!("{PROFILES}/qos-profiles/vip.gaming"), &token)
        .await
        .assert_error(404, "NOT_FOUND");
    let r = api
        .post(
            &format!("{PROFILES}/retrieve-qos-profiles"),
            &token,
            &json!({}),
        )
        .await;
    assert_eq!(names(&r.body), ["open-video", "new-one"]);

    // DEPRECATED refuses new sessions only; the running one keeps its original maximum (1 h).
    api.post(&format!("{QOD}/sessions"), &token, &body("open-video", 30))
        .await
        .assert_error(422, "QUALITY_ON_DEMAND.QOS_PROFILE_NOT_APPLICABLE");
    let r = api.get(&format!("{QOD}/sessions/{id}"), &token).await;
    assert_eq!(r.body["qosStatus"], "AVAILABLE", "{}", r.text);
    let r = api
        .post(
            &format!("{QOD}/sessions/{id}/extend"),
            &token,
            &json!({"requestedAdditionalDuration": 3000}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body["duration"], 3060);
    assert_eq!(r.body["qosProfile"], "open-video");

    // A bad file is refused with its position, and the catalogue in force stays.
    std::fs::write(
        &catalogue,
        edited().replace("\"60 Seconds\"", "\"60 Secs\""),
    )
    .unwrap();
    let r = reload(Some(ADMIN_TOKEN)).await;
    r.assert_error(422, "INVALID_CATALOGUE");
    let message = r.body["message"].as_str().unwrap();
    assert!(
        message.contains(&format!("{}:", catalogue.display()))
            && message.contains("profile[1].max_duration"),
        "{message}"
    );
    let r = api
        .get(&format!("{PROFILES}/qos-profiles/new-one"), &token)
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert!(
        server.log().contains("not reloaded"),
        "the failure is logged"
    );

    // A catalogue of restricted profiles only: a device it does not name gets [].
    std::fs::write(
        &catalogue,
        "[[profile]]\nname = \"mine\"\nstatus = \"ACTIVE\"\nrestricted_to = [\"tel:+34600000001\"]\n",
    )
    .unwrap();
    assert_eq!(reload(Some(ADMIN_TOKEN)).await.status, 200);
    let r = api
        .post(
            &format!("{PROFILES}/retrieve-qos-profiles"),
            &token,
            &json!({"device": {"phoneNumber": "+34600000002"}}),
        )
        .await;
    assert_eq!((r.status.as_u16(), r.body.clone()), (200, json!([])));
    let r = api
        .post(
            &format!("{PROFILES}/retrieve-qos-profiles"),
            &token,
            &json!({}),
        )
        .await;
    assert_eq!(r.body, json!([]));
    // The running session survives the removal of its profile.
    let r = api.get(&format!("{QOD}/sessions/{id}"), &token).await;
    assert_eq!(r.body["qosProfile"], "open-video", "{}", r.text);
    assert_eq!(
        api.delete(&format!("{QOD}/sessions/{id}"), &token)
            .await
            .status,
        204
    );
}

/// A server process this test starts itself, to send it signals.
struct Process(Child);

impl Drop for Process {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[tokio::test]
async fn sighup_reloads_the_catalogue() {
    let dir = tempfile::tempdir().unwrap();
    let config = write_config(dir.path(), OPERATOR_CATALOGUE, "");
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .unwrap()
        .port();
    let log = std::fs::File::create(dir.path().join("server.log")).unwrap();
    let child = Command::new(env!("CARGO_BIN_EXE_qod-server"))
        .args(["--config", config.to_str().unwrap()])
        .args(["--data-dir", dir.path().to_str().unwrap()])
        .args(["--listen", &format!("127.0.0.1:{port}")])
        .env_remove("QOD_CONFIG")
        .env_remove("QOD_DATABASE_URL")
        .env("QOD_LOG", "info")
        .stdout(Stdio::from(log.try_clone().unwrap()))
        .stderr(Stdio::from(log))
        .spawn()
        .unwrap();
    let process = Process(child);
    let api = Api::new(&format!("http://127.0.0.1:{port}"));
    let deadline = Instant::now() + Duration::from_secs(30);
    let health = format!("http://127.0.0.1:{port}/health");
    while !reqwest::get(&health)
        .await
        .is_ok_and(|r| r.status().is_success())
    {
        assert!(Instant::now() < deadline, "the server did not start");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let token = api.token("app-one", None).await;
    let list = || {
        let api = api.clone();
        let token = token.clone();
        async move {
            let r = api
                .post(
                    &format!("{PROFILES}/retrieve-qos-profiles"),
                    &token,
                    &json!({}),
                )
                .await;
            names(&r.body)
        }
    };
    assert_eq!(list().await, ["open-video", "spare"]);

    let hup = |pid: u32| {
        let status = Command::new("kill")
            .args(["-HUP", &pid.to_string()])
            .status()
            .unwrap();
        assert!(status.success());
    };
    std::fs::write(dir.path().join("qos-profiles.toml"), edited()).unwrap();
    hup(process.0.id());
    let deadline = Instant::now() + Duration::from_secs(10);
    while list().await != ["open-video", "new-one"] {
        assert!(
            Instant::now() < deadline,
            "SIGHUP did not reload the catalogue"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }

    // A bad file on SIGHUP: logged, and the catalogue in force stays; the server keeps running.
    std::fs::write(
        dir.path().join("qos-profiles.toml"),
        "[[profile]]\nname = 5\n",
    )
    .unwrap();
    hup(process.0.id());
    let log_path = dir.path().join("server.log");
    let deadline = Instant::now() + Duration::from_secs(10);
    while !std::fs::read_to_string(&log_path)
        .unwrap()
        .contains("not reloaded")
    {
        assert!(
            Instant::now() < deadline,
            "the refused reload was not logged"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let logged = std::fs::read_to_string(&log_path).unwrap();
    assert!(logged.contains("profile[1].name"), "{logged}");
    assert_eq!(list().await, ["open-video", "new-one"]);
}
