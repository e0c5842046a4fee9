//! The operator's catalogue file: device-restricted profiles, sessions that follow its rules,
//! a configurable version segment, and catalogues that never start a server.

use std::process::Command;

use serde_json::json;

use super::{OPERATOR_CATALOGUE, names, write_config};
use crate::support::{Api, QOD, Server};

const PROFILES_RC: &str = "/qos-profiles/v1rc3";

fn session_body(device: serde_json::Value, profile: &str, duration: i64) -> serde_json::Value {
    json!({
        "device": device,
        "applicationServer": {"ipv4Address": "198.51.100.0/24"},
        "qosProfile": profile,
        "duration": duration,
    })
}

#[tokio::test]
async fn restricted_profiles_are_shown_and_granted_to_their_devices_only() {
    let dir = tempfile::tempdir().unwrap();
    let config = write_config(
        dir.path(),
        OPERATOR_CATALOGUE,
        "[api]\nqos_profiles_version = \"v1rc3\"",
    );
    let server = Server::start_with(dir.path(), &["--config", config.to_str().unwrap()]).await;
    let api = Api::new(&server.base);
    let two = api.token("app-one", None).await;
    let retrieve = |body: serde_json::Value| {
        let api = api.clone();
        let two = two.clone();
        async move {
            let r = api
                .post(&format!("{PROFILES_RC}/retrieve-qos-profiles"), &two, &body)
                .await;
            assert_eq!(r.status, 200, "{body}: {}", r.text);
            names(&r.body)
        }
    };

    // The version segment is configurable: the default path is gone.
    api.post("/qos-profiles/v1/retrieve-qos-profiles", &two, &json!({}))
        .await
        .assert_error(404, "NOT_FOUND");

    assert_eq!(retrieve(json!({})).await, ["open-video", "spare"]);
    let listed = json!({"phoneNumber": "+34600000001"});
    let by_address = json!({"ipv4Address": {"publicAddress": "84.125.93.10", "publicPort": 59765}});
    let other = json!({"phoneNumber": "+34600000002"});
    assert_eq!(
        retrieve(json!({"device": listed})).await,
        ["open-video", "vip.gaming", "spare"]
    );
    assert_eq!(
        retrieve(json!({"device": by_address, "status": "ACTIVE"})).await,
        ["open-video", "vip.gaming"]
    );
    assert_eq!(
        retrieve(json!({"device": other})).await,
        ["open-video", "spare"]
    );
    assert!(retrieve(json!({"name": "vip.gaming"})).await.is_empty());
    assert!(
        retrieve(json!({"device": other, "name": "vip.gaming"}))
            .await
            .is_empty()
    );

    // Every attribute the file gives, and nothing operator-only.
    let r = api
        .get(&format!("{PROFILES_RC}/qos-profiles/open-video"), &two)
        .await;
    assert_eq!(
        r.body,
        json!({
            "name": "open-video",
            "description": "Video for everyone",
            "status": "ACTIVE",
            "countryAvailability": [{"countryName": "ES", "networks": ["21407"]}],
            "targetMinDownstreamRate": {"value": 2, "unit": "Mbps"},
            "maxDownstreamRate": {"value": 8, "unit": "Mbps"},
            "minDuration": {"value": 10, "unit": "Seconds"},
            "maxDuration": {"value": 1, "unit": "Hours"},
            "priority": 30
        })
    );
    let r = api
        .get(&format!("{PROFILES_RC}/qos-profiles/spare"), &two)
        .await;
    assert_eq!(r.body, json!({"name": "spare", "status": "INACTIVE"}));

    // GET: a 2-legged caller reads any profile by name; a 3-legged one only its device's.
    let vip = format!("{PROFILES_RC}/qos-profiles/vip.gaming");
    assert_eq!(api.get(&vip, &two).await.body["l4sQueueType"], "l4s-queue");
    let mine = api.token_3legged("app-one", "tel:+34600000001").await;
    assert_eq!(api.get(&vip, &mine).await.status, 200);
    let theirs = api.token_3legged("app-one", "tel:+34600000002").await;
    api.get(&vip, &theirs).await.assert_error(404, "NOT_FOUND");
    let r = api
        .post(
            &format!("{PROFILES_RC}/retrieve-qos-profiles"),
            &theirs,
            &json!({}),
        )
        .await;
    assert_eq!(names(&r.body), ["open-video", "spare"]);

    // Sessions follow the same catalogue.
    let create = |device, profile, duration| {
        let api = api.clone();
        let two = two.clone();
        async move {
            api.post(
                &format!("{QOD}/sessions"),
                &two,
                &session_body(device, profile, duration),
            )
            .await
        }
    };
    let r = create(other.clone(), "vip.gaming", 60).await;
    r.assert_error(422, "QUALITY_ON_DEMAND.QOS_PROFILE_NOT_APPLICABLE");
    let r = create(listed.clone(), "vip.gaming", 60).await;
    assert_eq!(r.status, 201, "{}", r.text);
    create(other.clone(), "spare", 60)
        .await
        .assert_error(422, "QUALITY_ON_DEMAND.QOS_PROFILE_NOT_APPLICABLE");
    create(other.clone(), "QOS_E", 60)
        .await
        .assert_error(400, "INVALID_ARGUMENT");
    create(other.clone(), "open-video", 5)
        .await
        .assert_error(400, "QUALITY_ON_DEMAND.DURATION_OUT_OF_RANGE");
    create(other.clone(), "open-video", 3601)
        .await
        .assert_error(400, "QUALITY_ON_DEMAND.DURATION_OUT_OF_RANGE");
    let r = create(other, "open-video", 3600).await;
    assert_eq!(r.status, 201, "{}", r.text);
}

#[test]
fn a_bad_catalogue_never_starts_a_server() {
    let dir = tempfile::tempdir().unwrap();
    let bad = OPERATOR_CATALOGUE.replace("max_duration = \"2 Hours\"", "max_duration = \"2 Hour\"");
    let config = write_config(dir.path(), &bad, "");
    let catalogue = dir.path().join("qos-profiles.toml");
    let expected = format!("{}:18:16: profile[2].max_duration", catalogue.display());
    for command in ["serve", "check-config"] {
        let out = Command::new(env!("CARGO_BIN_EXE_qod-server"))
            .args(["--config", config.to_str().unwrap()])
            .args(["--data-dir", dir.path().to_str().unwrap()])
            .args(["--listen", "127.0.0.1:0", command])
            .env("QOD_LOG", "off")
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success(), "{command} accepted a bad catalogue");
        assert!(stderr.contains(&expected), "{command}: {stderr}");
        assert!(stderr.contains("unknown time unit \"Hour\""), "{stderr}");
    }
    // A missing file is named too.
    let config = dir.path().join("missing.toml");
    std::fs::write(
        &config,
        format!(
            "[profiles]\ncatalogue_file = \"{}/nowhere.toml\"\n",
            dir.path().display()
        ),
    )
    .unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_qod-server"))
        .args(["--config", config.to_str().unwrap(), "check-config"])
        .env("QOD_LOG", "off")
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("nowhere.toml"));
}
