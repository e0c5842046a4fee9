//! Which error wins when a request is wrong in several ways.

use super::*;

#[tokio::test]
async fn checks_run_in_the_documented_order() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path()).await;
    let api = Api::new(&server.base);
    let token = api.token("app-order", None).await;
    let read_only = api
        .token("app-order", Some("quality-on-demand:sessions:read"))
        .await;
    let sessions = format!("{QOD}/sessions");

    // Authentication comes before the body and the path.
    api.call(Method::POST, &sessions, None, Some("{"), &[])
        .await
        .assert_error(401, "UNAUTHENTICATED");
    api.call(Method::GET, &session_path("not-a-uuid"), None, None, &[])
        .await
        .assert_error(401, "UNAUTHENTICATED");
    // The scope comes before the body and the path.
    api.call(Method::POST, &sessions, Some(&read_only), Some("{"), &[])
        .await
        .assert_error(403, "PERMISSION_DENIED");
    api.call(
        Method::DELETE,
        &session_path("not-a-uuid"),
        Some(&read_only),
        None,
        &[],
    )
    .await
    .assert_error(403, "PERMISSION_DENIED");
    // The body (400) before the device (422).
    let no_device = without(create_body("+34600000000", 60), "device");
    api.post(
        &sessions,
        &token,
        &with(no_device.clone(), &["duration"], json!(0)),
    )
    .await
    .assert_error(400, "INVALID_ARGUMENT");
    // The device before the profile and the duration.
    api.post(
        &sessions,
        &token,
        &with(no_device.clone(), &["qosProfile"], json!("QOS_NOPE")),
    )
    .await
    .assert_error(422, "MISSING_IDENTIFIER");
    // The profile before conflicts.
    let body = create_body("+34600000500", 60);
    created_id(&api, &token, &body).await;
    api.post(
        &sessions,
        &token,
        &with(body.clone(), &["qosProfile"], json!("QOS_LEGACY")),
    )
    .await
    .assert_error(422, "QUALITY_ON_DEMAND.QOS_PROFILE_NOT_APPLICABLE");
    api.post(&sessions, &token, &with(body, &["duration"], json!(86401)))
        .await
        .assert_error(400, "QUALITY_ON_DEMAND.DURATION_OUT_OF_RANGE");
}

#[tokio::test]
async fn the_correlator_is_checked_before_authentication_and_scope() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path()).await;
    let api = Api::new(&server.base);
    let read_only = api
        .token("app-order", Some("quality-on-demand:sessions:read"))
        .await;
    let body = create_body("+34600000600", 60).to_string();
    let sessions = format!("{QOD}/sessions");
    api.call(
        Method::POST,
        &sessions,
        None,
        Some(&body),
        &[("x-correlator", "a@b")],
    )
    .await
    .assert_error(400, "INVALID_ARGUMENT");
    api.call(
        Method::POST,
        &sessions,
        Some(&read_only),
        Some(&body),
        &[("x-correlator", "a@b")],
    )
    .await
    .assert_error(400, "INVALID_ARGUMENT");
}

#[tokio::test]
async fn device_is_identified_before_the_profile_and_duration() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path()).await;
    let api = Api::new(&server.base);
    let token = api.token("app-order", None).await;
    let sessions = format!("{QOD}/sessions");
    for (phone, profile, duration, status, code) in [
        ("+99999990404", "QOS_XL", 60, 404, "IDENTIFIER_NOT_FOUND"),
        ("+99999990404", "QOS_NOPE", 60, 404, "IDENTIFIER_NOT_FOUND"),
        ("+99999990404", "QOS_E", 86401, 404, "IDENTIFIER_NOT_FOUND"),
        (
            "+99999990422",
            "QOS_LEGACY",
            60,
            422,
            "SERVICE_NOT_APPLICABLE",
        ),
        (
            "+99999990422",
            "QOS_E",
            86401,
            422,
            "SERVICE_NOT_APPLICABLE",
        ),
    ] {
        let body = with(
            create_body(phone, duration),
            &["qosProfile"],
            json!(profile),
        );
        let r = api.post(&sessions, &token, &body).await;
        assert_eq!(r.status, status, "{body}: {}", r.text);
        r.assert_error(status, code);
    }
}
