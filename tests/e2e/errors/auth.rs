//! 401 and 403: authentication, scopes, ownership.

use super::*;

#[tokio::test]
async fn unauthenticated_on_every_operation() {
    let dir = tempfile::tempdir().unwrap();
    let other_dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path()).await;
    let other = Server::start(other_dir.path()).await;
    let api = Api::new(&server.base);
    let token = api.token("app-401", None).await;
    // A well-formed token of the same issuer software, signed by another instance's key.
    let foreign = Api::new(&other.base).token("app-401", None).await;
    let id = created_id(&api, &token, &create_body("+34600401001", 600)).await;

    let garbage = "Bearer not-a-token";
    let basic = "Basic YXBwLTQwMTpzYW5kYm94LXNlY3JldA==";
    let foreign_header = format!("Bearer {foreign}");
    let tampered = {
        // The right token with one character of its signature changed (not the last one,
        // whose low bits may be padding).
        let at = token.rfind('.').unwrap() + 5;
        let mut t = token.clone().into_bytes();
        t[at] = if t[at] == b'A' { b'B' } else { b'A' };
        format!("Bearer {}", String::from_utf8(t).unwrap())
    };
    let cases: [(&str, Option<&str>); 5] = [
        ("no Authorization header", None),
        ("garbage token", Some(garbage)),
        ("Basic scheme", Some(basic)),
        ("token of another server", Some(&foreign_header)),
        ("altered signature", Some(&tampered)),
    ];
    let mut checked = 0;
    for (name, method, path, body) in operations(&id, "+34600401001") {
        for (i, (case, auth)) in cases.iter().enumerate() {
            let correlator = format!("corr-401-{name}-{i}");
            let mut headers = vec![("x-correlator", correlator.as_str())];
            if let Some(a) = auth {
                headers.push(("authorization", a));
            }
            let r = api
                .call(method.clone(), &path, None, body.as_deref(), &headers)
                .await;
            assert_eq!(r.status, 401, "{name} with {case}: {}", r.text);
            r.assert_error(401, "UNAUTHENTICATED");
            assert_echoed(&r, &correlator);
            checked += 1;
        }
    }
    assert_eq!(checked, 25);

    // None of those requests changed anything: the session is still there, unextended.
    let r = api.get(&session_path(&id), &token).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body["duration"], 600);
    // The other server's token works on its own server.
    let r = Api::new(&other.base)
        .post(
            &format!("{QOD}/sessions"),
            &foreign,
            &create_body("+34600401001", 60),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
}

#[tokio::test]
async fn permission_denied_for_scope_ownership_and_device() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path()).await;
    let api = Api::new(&server.base);
    let owner = api.token("app-owner", None).await;
    let id = created_id(&api, &owner, &create_body("+34600403001", 600)).await;

    // A token with only the read scope: every other operation is 403; reading works.
    let read_only = api
        .token("app-owner", Some("quality-on-demand:sessions:read"))
        .await;
    for (name, method, path, body) in operations(&id, "+34600403002") {
        let r = api
            .call(
                method,
                &path,
                Some(&read_only),
                body.as_deref(),
                &[("x-correlator", "corr-403-scope")],
            )
            .await;
        if name == "getSession" {
            assert_eq!(r.status, 200, "{}", r.text);
        } else {
            r.assert_error(403, "PERMISSION_DENIED");
            assert_echoed(&r, "corr-403-scope");
        }
    }
    // A token with only the create scope cannot read, delete, extend or list.
    let create_only = api
        .token("app-owner", Some("quality-on-demand:sessions:create"))
        .await;
    for (name, method, path, body) in operations(&id, "+34600403003") {
        let r = api
            .call(method, &path, Some(&create_only), body.as_deref(), &[])
            .await;
        if name == "createSession" {
            assert_eq!(r.status, 201, "{}", r.text);
        } else {
            r.assert_error(403, "PERMISSION_DENIED");
        }
    }

    // Another client: get, delete and extend of the owner's session are 403, and its
    // retrieve-sessions does not list it.
    let stranger = api.token("app-stranger", None).await;
    let r = api
        .call(
            Method::GET,
            &session_path(&id),
            Some(&stranger),
            None,
            &[("x-correlator", "corr-403-owner")],
        )
        .await;
    r.assert_error(403, "PERMISSION_DENIED");
    assert_echoed(&r, "corr-403-owner");
    api.delete(&session_path(&id), &stranger)
        .await
        .assert_error(403, "PERMISSION_DENIED");
    api.post(
        &extend_path(&id),
        &stranger,
        &json!({"requestedAdditionalDuration": 30}),
    )
    .await
    .assert_error(403, "PERMISSION_DENIED");
    let listed = api
        .post(
            &format!("{QOD}/retrieve-sessions"),
            &stranger,
            &json!({"device": {"phoneNumber": "+34600403001"}}),
        )
        .await;
    assert_eq!(listed.status, 200, "{}", listed.text);
    assert_eq!(listed.body, json!([]));

    // A 3-legged token of the same client for another device cannot see the session of
    // +34600403001 made with the 2-legged token.
    let device_token = api.token_3legged("app-owner", "tel:+34600000111").await;
    api.get(&session_path(&id), &device_token)
        .await
        .assert_error(403, "PERMISSION_DENIED");
    api.post(
        &extend_path(&id),
        &device_token,
        &json!({"requestedAdditionalDuration": 30}),
    )
    .await
    .assert_error(403, "PERMISSION_DENIED");
    api.delete(&session_path(&id), &device_token)
        .await
        .assert_error(403, "PERMISSION_DENIED");

    // After all of that the session is untouched.
    let r = api.get(&session_path(&id), &owner).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body["duration"], 600);
    assert_eq!(r.body["qosStatus"], "AVAILABLE");
}
