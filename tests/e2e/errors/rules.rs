//! The session rules: durations, devices, profiles, existence, methods, conflicts, extension.

use super::*;

#[tokio::test]
async fn duration_out_of_range_code_is_configurable() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path()).await;
    let api = Api::new(&server.base);
    let token = api.token("app-duration", None).await;
    let sessions = format!("{QOD}/sessions");

    let r = api
        .call(
            Method::POST,
            &sessions,
            Some(&token),
            Some(&create_body("+34600400300", 86401).to_string()),
            &[("x-correlator", "corr-duration")],
        )
        .await;
    r.assert_error(400, "QUALITY_ON_DEMAND.DURATION_OUT_OF_RANGE");
    assert_echoed(&r, "corr-duration");
    // The bounds themselves are accepted.
    for (phone, duration) in [("+34600400301", 86400), ("+34600400302", 1)] {
        let r = api
            .post(&sessions, &token, &create_body(phone, duration))
            .await;
        assert_eq!(r.status, 201, "{duration}: {}", r.text);
        assert_eq!(r.body["duration"], duration);
    }

    // CAMARA's test-suite code, by configuration.
    let config_dir = tempfile::tempdir().unwrap();
    let config = config_dir.path().join("qod.toml");
    std::fs::write(
        &config,
        "[api]\nduration_error_code = \"INVALID_ARGUMENT\"\n",
    )
    .unwrap();
    let data = tempfile::tempdir().unwrap();
    let configured = Server::start_with(data.path(), &["--config", config.to_str().unwrap()]).await;
    let api = Api::new(&configured.base);
    let token = api.token("app-duration", None).await;
    api.post(&sessions, &token, &create_body("+34600400300", 86401))
        .await
        .assert_error(400, "INVALID_ARGUMENT");
    let r = api
        .post(&sessions, &token, &create_body("+34600400300", 86400))
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
}

#[tokio::test]
async fn device_and_profile_errors() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path()).await;
    let api = Api::new(&server.base);
    let two = api.token("app-422", None).await;
    let three = api.token_3legged("app-422", "tel:+34600000111").await;
    let sessions = format!("{QOD}/sessions");
    let retrieve = format!("{QOD}/retrieve-sessions");
    let correlated = |r: Reply, status: u16, code: &str| {
        r.assert_error(status, code);
        assert_echoed(&r, "corr-device");
    };
    let post = |token: String, path: String, body: Value| {
        let api = api.clone();
        async move {
            api.call(
                Method::POST,
                &path,
                Some(&token),
                Some(&body.to_string()),
                &[("x-correlator", "corr-device")],
            )
            .await
        }
    };

    // 2-legged without a device.
    let no_device = without(create_body("+34600000111", 60), "device");
    correlated(
        post(two.clone(), sessions.clone(), no_device.clone()).await,
        422,
        "MISSING_IDENTIFIER",
    );
    correlated(
        post(two.clone(), retrieve.clone(), json!({})).await,
        422,
        "MISSING_IDENTIFIER",
    );

    // 3-legged with a device, even the token's own.
    for phone in ["+34600000111", "+34600000999"] {
        correlated(
            post(three.clone(), sessions.clone(), create_body(phone, 60)).await,
            422,
            "UNNECESSARY_IDENTIFIER",
        );
        correlated(
            post(
                three.clone(),
                retrieve.clone(),
                json!({"device": {"phoneNumber": phone}}),
            )
            .await,
            422,
            "UNNECESSARY_IDENTIFIER",
        );
    }

    // Only an unsupported identifier.
    let nai = json!({"networkAccessIdentifier": "123456789@domain.com"});
    correlated(
        post(
            two.clone(),
            sessions.clone(),
            with(no_device.clone(), &["device"], nai.clone()),
        )
        .await,
        422,
        "UNSUPPORTED_IDENTIFIER",
    );
    correlated(
        post(two.clone(), retrieve.clone(), json!({"device": nai})).await,
        422,
        "UNSUPPORTED_IDENTIFIER",
    );

    // Scenario devices: unknown subscriber, and one the service does not apply to.
    for (phone, status, code) in [
        ("+99999990404", 404, "IDENTIFIER_NOT_FOUND"),
        ("+99999990422", 422, "SERVICE_NOT_APPLICABLE"),
    ] {
        correlated(
            post(two.clone(), sessions.clone(), create_body(phone, 60)).await,
            status,
            code,
        );
        correlated(
            post(
                two.clone(),
                retrieve.clone(),
                json!({"device": {"phoneNumber": phone}}),
            )
            .await,
            status,
            code,
        );
    }

    // Profiles that exist but cannot be used.
    for profile in ["QOS_XL", "QOS_LEGACY"] {
        correlated(
            post(
                two.clone(),
                sessions.clone(),
                with(
                    create_body("+34600400400", 60),
                    &["qosProfile"],
                    json!(profile),
                ),
            )
            .await,
            422,
            "QUALITY_ON_DEMAND.QOS_PROFILE_NOT_APPLICABLE",
        );
        correlated(
            post(
                three.clone(),
                sessions.clone(),
                with(no_device.clone(), &["qosProfile"], json!(profile)),
            )
            .await,
            422,
            "QUALITY_ON_DEMAND.QOS_PROFILE_NOT_APPLICABLE",
        );
    }

    // None of that left a session behind.
    let r = api
        .post(
            &retrieve,
            &two,
            &json!({"device": {"phoneNumber": "+34600400400"}}),
        )
        .await;
    assert_eq!(r.body, json!([]), "{}", r.text);
    let r = api.post(&retrieve, &three, &json!({})).await;
    assert_eq!(r.body, json!([]), "{}", r.text);
}

#[tokio::test]
async fn not_found_and_wrong_method() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path()).await;
    let api = Api::new(&server.base);
    let token = api.token("app-404", None).await;
    let id = created_id(&api, &token, &create_body("+34600404001", 600)).await;

    // Unknown session ids.
    for (method, path, body) in [
        (Method::GET, session_path(UNKNOWN_ID), None),
        (Method::DELETE, session_path(UNKNOWN_ID), None),
        (
            Method::POST,
            extend_path(UNKNOWN_ID),
            Some(json!({"requestedAdditionalDuration": 30}).to_string()),
        ),
    ] {
        let r = api
            .call(
                method.clone(),
                &path,
                Some(&token),
                body.as_deref(),
                &[("x-correlator", "corr-404")],
            )
            .await;
        assert_eq!(r.status, 404, "{method} {path}: {}", r.text);
        r.assert_error(404, "NOT_FOUND");
        assert_echoed(&r, "corr-404");
    }
    // A deleted session is gone for every operation.
    let deleted = created_id(&api, &token, &create_body("+34600404002", 600)).await;
    assert_eq!(
        api.delete(&session_path(&deleted), &token).await.status,
        204
    );
    api.get(&session_path(&deleted), &token)
        .await
        .assert_error(404, "NOT_FOUND");
    api.delete(&session_path(&deleted), &token)
        .await
        .assert_error(404, "NOT_FOUND");
    api.post(
        &extend_path(&deleted),
        &token,
        &json!({"requestedAdditionalDuration": 30}),
    )
    .await
    .assert_error(404, "NOT_FOUND");

    // Unknown paths, with and without a token.
    for path in [
        "/nope".to_owned(),
        format!("{QOD}/nope"),
        format!("{QOD}/sessions/{id}/nope"),
        "/quality-on-demand/v0/sessions".to_owned(),
        "/qos-profiles/v1/unknown".to_owned(),
    ] {
        for token in [Some(token.as_str()), None] {
            let r = api
                .call(
                    Method::GET,
                    &path,
                    token,
                    None,
                    &[("x-correlator", "corr-path")],
                )
                .await;
            r.assert_error(404, "NOT_FOUND");
            assert_echoed(&r, "corr-path");
        }
    }

    // Known paths, wrong methods: 405 with an envelope.
    for (method, path) in [
        (Method::GET, format!("{QOD}/sessions")),
        (Method::PUT, format!("{QOD}/sessions")),
        (Method::DELETE, format!("{QOD}/sessions")),
        (Method::PUT, session_path(&id)),
        (Method::PATCH, session_path(&id)),
        (Method::POST, session_path(&id)),
        (Method::GET, extend_path(&id)),
        (Method::DELETE, extend_path(&id)),
        (Method::GET, format!("{QOD}/retrieve-sessions")),
    ] {
        let r = api
            .call(
                method.clone(),
                &path,
                Some(&token),
                None,
                &[("x-correlator", "corr-405")],
            )
            .await;
        assert_eq!(r.status, 405, "{method} {path}: {}", r.text);
        assert_eq!(r.body["status"], 405, "{method} {path}: {}", r.text);
        assert!(
            r.body["code"].as_str().is_some_and(|c| !c.is_empty()),
            "{method} {path}: {}",
            r.text
        );
        assert!(
            r.body["message"].as_str().is_some_and(|m| !m.is_empty()),
            "{method} {path}: {}",
            r.text
        );
        assert_echoed(&r, "corr-405");
    }
    // The session survived the wrong methods.
    assert_eq!(api.get(&session_path(&id), &token).await.status, 200);
}

#[tokio::test]
async fn wrong_method_names_the_allowed_methods() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path()).await;
    let api = Api::new(&server.base);
    let token = api.token("app-405", None).await;
    let id = created_id(&api, &token, &create_body("+34600405001", 600)).await;
    for (method, path, allowed) in [
        (Method::GET, format!("{QOD}/sessions"), vec!["POST"]),
        (Method::PUT, session_path(&id), vec!["GET", "DELETE"]),
        (Method::GET, extend_path(&id), vec!["POST"]),
        (
            Method::GET,
            format!("{QOD}/retrieve-sessions"),
            vec!["POST"],
        ),
    ] {
        let r = api
            .call(method.clone(), &path, Some(&token), None, &[])
            .await;
        assert_eq!(r.status, 405, "{method} {path}: {}", r.text);
        let allow = r
            .headers
            .get("allow")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned();
        for m in allowed {
            assert!(
                allow.split(',').any(|a| a.trim() == m),
                "{method} {path}: Allow {allow:?} lacks {m}"
            );
        }
    }
}

#[tokio::test]
async fn conflicts_need_overlapping_flows_of_the_same_device() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path()).await;
    let api = Api::new(&server.base);
    let token = api.token("app-409", None).await;
    let sessions = format!("{QOD}/sessions");

    // The same body twice.
    let body = create_body("+34600409001", 600);
    created_id(&api, &token, &body).await;
    let r = api
        .call(
            Method::POST,
            &sessions,
            Some(&token),
            Some(&body.to_string()),
            &[("x-correlator", "corr-409")],
        )
        .await;
    r.assert_error(409, "CONFLICT");
    assert_echoed(&r, "corr-409");
    // Another client, same device and flows: still a conflict.
    let other = api.token("app-409-other", None).await;
    api.post(&sessions, &other, &body)
        .await
        .assert_error(409, "CONFLICT");
    // An address inside the first session's subnet overlaps too.
    api.post(
        &sessions,
        &token,
        &with(
            body.clone(),
            &["applicationServer"],
            json!({"ipAddresses": ["198.51.100.77"]}),
        ),
    )
    .await
    .assert_error(409, "CONFLICT");
    // A disjoint application server: a second session of the same device.
    let r = api
        .post(
            &sessions,
            &token,
            &with(
                body.clone(),
                &["applicationServer"],
                json!({"ipv4Address": "203.0.113.0/24"}),
            ),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    // The same flows for another device.
    let r = api
        .post(&sessions, &token, &create_body("+34600409002", 600))
        .await;
    assert_eq!(r.status, 201, "{}", r.text);

    // Disjoint device ports on the same application server.
    let ranged = with(
        create_body("+34600409003", 600),
        &["devicePorts"],
        json!({"ranges": [{"from": 5000, "to": 5010}]}),
    );
    created_id(&api, &token, &ranged).await;
    let r = api
        .post(
            &sessions,
            &token,
            &with(ranged.clone(), &["devicePorts"], json!({"ports": [6000]})),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    // A port inside the range, or no ports at all (every port), overlaps.
    api.post(
        &sessions,
        &token,
        &with(ranged.clone(), &["devicePorts"], json!({"ports": [5005]})),
    )
    .await
    .assert_error(409, "CONFLICT");
    api.post(&sessions, &token, &create_body("+34600409003", 600))
        .await
        .assert_error(409, "CONFLICT");
    // Once the first session is deleted, the same body is accepted again.
    let first = api
        .post(
            &format!("{QOD}/retrieve-sessions"),
            &token,
            &json!({"device": {"phoneNumber": "+34600409001"}}),
        )
        .await;
    let first_id = first.body[0]["sessionId"].as_str().unwrap().to_owned();
    assert_eq!(
        first.body[0]["applicationServer"],
        body["applicationServer"]
    );
    assert_eq!(
        api.delete(&session_path(&first_id), &token).await.status,
        204
    );
    let r = api.post(&sessions, &token, &body).await;
    assert_eq!(r.status, 201, "{}", r.text);
}

#[tokio::test]
async fn extension_needs_an_available_session() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path()).await;
    let api = Api::new(&server.base);
    let token = api.token("app-409-extend", None).await;
    let extend = json!({"requestedAdditionalDuration": 30});

    let requested = created_id(&api, &token, &create_body("+99999990202", 600)).await;
    let refused = created_id(&api, &token, &create_body("+99999990503", 600)).await;

    let r = api
        .call(
            Method::POST,
            &extend_path(&requested),
            Some(&token),
            Some(&extend.to_string()),
            &[("x-correlator", "corr-extend")],
        )
        .await;
    r.assert_error(409, "QUALITY_ON_DEMAND.SESSION_EXTENSION_NOT_ALLOWED");
    assert_echoed(&r, "corr-extend");
    assert!(r.text.contains("REQUESTED"), "{}", r.text);

    let s = wait_for_session(&api, &token, &refused, Duration::from_secs(10), |b| {
        b["qosStatus"] == "UNAVAILABLE"
    })
    .await;
    assert_eq!(s["qosStatus"], "UNAVAILABLE", "{s}");
    let r = api.post(&extend_path(&refused), &token, &extend).await;
    r.assert_error(409, "QUALITY_ON_DEMAND.SESSION_EXTENSION_NOT_ALLOWED");
    assert!(r.text.contains("UNAVAILABLE"), "{}", r.text);
    // Neither session's duration changed.
    let r = api.get(&session_path(&refused), &token).await;
    assert_eq!(r.body["duration"], 600, "{}", r.text);
}
