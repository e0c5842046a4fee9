//! No request, however malformed, produces a 5xx or a panic: a corpus of bad bodies, paths and
//! headers against one server, every answer a CAMARA error envelope, and the server still
//! serving afterwards.

use reqwest::Method;
use serde_json::{Value, json};

use crate::support::{Api, QOD, Reply, Server, create_body};

/// Request headers whose values need not be UTF-8.
type Headers<'a> = Vec<(&'a str, &'a [u8])>;

/// One request body of the corpus.
struct Case {
    name: String,
    body: Option<Vec<u8>>,
    /// Whether a lenient but correct server may accept it (e.g. a byte order mark that JSON
    /// parsers may ignore, RFC 8259 section 8.1).
    may_succeed: bool,
}

impl Case {
    fn bad(name: impl Into<String>, body: impl Into<Vec<u8>>) -> Case {
        Case {
            name: name.into(),
            body: Some(body.into()),
            may_succeed: false,
        }
    }
}

/// A valid create body that uses every property.
fn full_create_body() -> Value {
    json!({
        "device": {
            "phoneNumber": "+34600000700",
            "ipv4Address": {"publicAddress": "84.125.93.10", "publicPort": 59765},
            "ipv6Address": "2001:db8:85a3::8a2e:370:7334",
        },
        "applicationServer": {"ipv4Address": "198.51.100.0/24", "ipv6Address": "2001:db8::/64"},
        "devicePorts": {"ranges": [{"from": 5000, "to": 5010}], "ports": [5060]},
        "applicationServerPorts": {"ports": [443]},
        "qosProfile": "QOS_E",
        "duration": 60,
        "sink": "https://app.example.com/notifications",
        "sinkCredential": {
            "credentialType": "ACCESSTOKEN",
            "accessToken": "t0k3n",
            "accessTokenExpiresUtc": "2030-01-01T00:00:00Z",
            "accessTokenType": "bearer",
        },
    })
}

/// JSON pointers of every value below the root of `v`.
fn pointers(v: &Value, at: String, out: &mut Vec<String>) {
    match v {
        Value::Object(map) => {
            for (k, child) in map {
                let p = format!("{at}/{k}");
                out.push(p.clone());
                pointers(child, p, out);
            }
        }
        Value::Array(items) => {
            for (i, child) in items.iter().enumerate() {
                let p = format!("{at}/{i}");
                out.push(p.clone());
                pointers(child, p, out);
            }
        }
        _ => {}
    }
}

fn same_kind(a: &Value, b: &Value) -> bool {
    std::mem::discriminant(a) == std::mem::discriminant(b)
}

/// Every value of `base` replaced in turn by values of other JSON types.
fn type_swaps(label: &str, base: &Value, cases: &mut Vec<Case>) {
    let mut paths = Vec::new();
    pointers(base, String::new(), &mut paths);
    let replacements = [
        Value::Null,
        json!(true),
        json!(0),
        json!(-1),
        json!(1.5),
        json!("x"),
        json!([]),
        json!({}),
        json!([null]),
    ];
    for p in &paths {
        let original = base.pointer(p).unwrap();
        for r in &replacements {
            if same_kind(original, r) {
                continue;
            }
            let mut body = base.clone();
            *body.pointer_mut(p).unwrap() = r.clone();
            cases.push(Case::bad(format!("{label}: {p} = {r}"), body.to_string()));
        }
    }
}

/// Every proper prefix of `text`.
fn truncations(label: &str, text: &str, cases: &mut Vec<Case>) {
    for end in 0..text.len() {
        cases.push(Case::bad(
            format!("{label} cut at {end}"),
            text.as_bytes()[..end].to_vec(),
        ));
    }
}

fn corpus() -> Vec<Case> {
    let create = full_create_body();
    let create_text = create.to_string();
    let extend = json!({"requestedAdditionalDuration": 60});
    let retrieve = json!({"device": {"phoneNumber": "+34600000700"}});
    let mut cases = Vec::new();

    truncations("create", &create_text, &mut cases);
    truncations("extend", &extend.to_string(), &mut cases);
    truncations("retrieve", &retrieve.to_string(), &mut cases);
    type_swaps("create", &create, &mut cases);
    type_swaps("extend", &extend, &mut cases);
    type_swaps("retrieve", &retrieve, &mut cases);

    // Deep nesting, at the top and inside properties.
    let deep = |open: &str, close: &str, n: usize| format!("{}{}", open.repeat(n), close.repeat(n));
    cases.push(Case::bad("10 000 nested arrays", deep("[", "]", 10_000)));
    cases.push(Case::bad(
        "10 000 nested objects",
        deep("{\"a\":", "}", 10_000),
    ));
    cases.push(Case::bad("10 000 open arrays", "[".repeat(10_000)));
    cases.push(Case::bad(
        "nested arrays as duration",
        format!(
            r#"{{"qosProfile":"QOS_E","duration":{}}}"#,
            deep("[", "]", 10_000)
        ),
    ));
    cases.push(Case::bad(
        "nested objects as device",
        format!(r#"{{"device":{}}}"#, deep("{\"phoneNumber\":", "}", 5_000)),
    ));
    cases.push(Case::bad("nested arrays, depth 129", deep("[", "]", 129)));

    // Huge values: above the body limit, and below it.
    let huge = format!(
        r#"{{"qosProfile":"{}","duration":60}}"#,
        "A".repeat(2 << 20)
    );
    cases.push(Case::bad("2 MB string", huge));
    cases.push(Case::bad("2 MB of spaces", " ".repeat(2 << 20)));
    cases.push(Case::bad(
        "900 kB qosProfile",
        create_text.replace("QOS_E", &"Q".repeat(900_000)),
    ));
    cases.push(Case::bad(
        "900 kB phone number",
        create_text.replace("+34600000700", &format!("+3{}", "4".repeat(900_000))),
    ));
    cases.push(Case::bad(
        "900 kB unknown key",
        format!(r#"{{"{}":1}}"#, "k".repeat(900_000)),
    ));
    let many_addresses: Vec<String> = (0..40_000)
        .map(|i| format!("\"10.{}.{}.{}\"", i / 65536, (i / 256) % 256, i % 256))
        .collect();
    cases.push(Case::bad(
        "40 000 application server addresses",
        create_text.replace(
            r#"{"ipv4Address":"198.51.100.0/24","ipv6Address":"2001:db8::/64"}"#,
            &format!(r#"{{"ipAddresses":[{}]}}"#, many_addresses.join(",")),
        ),
    ));
    let many_ports: Vec<String> = (0..65_537).map(|i| (1 + i % 65_535).to_string()).collect();
    cases.push(Case::bad(
        "65 537 device ports",
        create_text.replace(
            r#""ports":[5060]"#,
            &format!(r#""ports":[{}]"#, many_ports.join(",")),
        ),
    ));

    // Bytes that are not UTF-8.
    let with_bytes = |needle: &str, bytes: &[u8]| {
        let (a, b) = create_text.split_once(needle).unwrap();
        let mut out = a.as_bytes().to_vec();
        out.extend_from_slice(bytes);
        out.extend_from_slice(b.as_bytes());
        out
    };
    for (name, bytes) in [
        ("0xff", &b"\xff"[..]),
        ("0xfe 0xff", &b"\xfe\xff"[..]),
        ("truncated sequence", &b"\xc3"[..]),
        ("bad continuation", &b"\xc3\x28"[..]),
        ("overlong slash", &b"\xc0\xaf"[..]),
        ("encoded surrogate", &b"\xed\xa0\x80"[..]),
        ("above U+10FFFF", &b"\xf4\x90\x80\x80"[..]),
        ("NUL", &b"\x00"[..]),
    ] {
        cases.push(Case::bad(
            format!("{name} in qosProfile"),
            with_bytes("QOS_E", bytes),
        ));
        cases.push(Case::bad(
            format!("{name} in a key"),
            with_bytes("qosProfile", bytes),
        ));
    }
    cases.push(Case::bad("only 0xff bytes", vec![0xff; 64]));
    cases.push(Case::bad("UTF-16 body", {
        let mut v = vec![0xff, 0xfe];
        for u in "{\"duration\":0}".encode_utf16() {
            v.extend_from_slice(&u.to_le_bytes());
        }
        v
    }));

    // Numbers.
    for n in [
        "1e400",
        "-1e400",
        "-0",
        "-0.0",
        "0e0",
        "9999999999999999999999",
        "-9999999999999999999999",
        "18446744073709551616",
        "2147483648",
        "-2147483649",
        "1.0000000000000000001",
        "0.5e-400",
        "NaN",
        "Infinity",
        "-Infinity",
        "0x10",
        "010",
        "+60",
        ".5",
        "1.",
        "1e",
        "--1",
    ] {
        cases.push(Case::bad(
            format!("duration {n}"),
            create_text.replace("\"duration\":60", &format!("\"duration\":{n}")),
        ));
        cases.push(Case::bad(
            format!("port {n}"),
            create_text.replace("\"ports\":[5060]", &format!("\"ports\":[{n}]")),
        ));
    }
    cases.push(Case::bad(
        "requestedAdditionalDuration 1e400",
        r#"{"requestedAdditionalDuration":1e400}"#,
    ));
    cases.push(Case::bad(
        "requestedAdditionalDuration -0",
        r#"{"requestedAdditionalDuration":-0}"#,
    ));

    // Nulls.
    cases.push(Case::bad("null", "null"));
    cases.push(Case::bad("[null]", "[null]"));
    cases.push(Case::bad(
        "every property null",
        r#"{"device":null,"applicationServer":null,"devicePorts":null,"applicationServerPorts":null,"qosProfile":null,"duration":null,"sink":null,"sinkCredential":null,"requestedAdditionalDuration":null}"#,
    ));

    // Unicode escapes.
    for (name, escaped) in [
        ("NUL escape", r"QOS_\u0000"),
        ("lone high surrogate", r"QOS_\ud800"),
        ("lone low surrogate", r"QOS_\udc00"),
        ("reversed surrogates", r"QOS_\udc00\ud800"),
        ("bad escape", r"QOS_\x41"),
        ("short escape", r"QOS_\u12"),
        ("non-hex escape", r"QOS_\uZZZZ"),
        ("escaped e-acute", r"QOS_\u00e9"),
        ("right-to-left override", r"QOS_\u202e"),
        ("astral pair", r"QOS_\ud83d\ude00"),
    ] {
        cases.push(Case::bad(
            format!("{name} in qosProfile"),
            create_text.replace("QOS_E", escaped),
        ));
    }
    for (name, phone) in [
        ("fullwidth plus", r"\uff0b34600000700"),
        ("zero-width space", r"+3460000\u200b0700"),
        ("arabic-indic digits", r"+\u0663\u0664600000700"),
        ("escaped NUL", r"+34600000700\u0000"),
    ] {
        cases.push(Case::bad(
            format!("{name} in phoneNumber"),
            create_text.replace("+34600000700", phone),
        ));
    }
    cases.push(Case::bad(
        "escaped newline in sink",
        create_text.replace("app.example.com", r"app.example.com\n"),
    ));

    // Duplicate keys, also spelled with an escape.
    cases.push(Case::bad(
        "duplicate duration",
        create_text.replace("\"duration\":60", "\"duration\":60,\"duration\":60"),
    ));
    cases.push(Case::bad(
        "duplicate duration, escaped",
        create_text.replace("\"duration\":60", "\"duration\":60,\"d\\u0075ration\":60"),
    ));
    cases.push(Case::bad(
        "duplicate device",
        create_text.replacen(
            "\"device\":",
            "\"device\":{\"phoneNumber\":\"+34600000701\"},\"device\":",
            1,
        ),
    ));
    cases.push(Case::bad(
        "duplicate requestedAdditionalDuration",
        r#"{"requestedAdditionalDuration":60,"requestedAdditionalDuration":60}"#,
    ));

    // Syntax oddities.
    for (name, text) in [
        ("trailing garbage", format!("{create_text} x")),
        ("two documents", format!("{create_text}{create_text}")),
        (
            "trailing comma",
            create_text.replace("\"duration\":60", "\"duration\":60,"),
        ),
        ("comment", format!("/* c */{create_text}")),
        ("single quotes", create_text.replace('"', "'")),
        (
            "unquoted keys",
            create_text.replace("\"duration\"", "duration"),
        ),
        (
            "raw tab in a string",
            create_text.replace("QOS_E", "QOS\tE"),
        ),
        (
            "raw newline in a string",
            create_text.replace("QOS_E", "QOS\nE"),
        ),
        ("form encoded", "qosProfile=QOS_E&duration=60".to_owned()),
        (
            "xml",
            "<session><duration>60</duration></session>".to_owned(),
        ),
        ("true", "true".to_owned()),
        ("empty string", "\"\"".to_owned()),
        ("NUL bytes", "\0\0\0\0".to_owned()),
        ("only whitespace", " \t\r\n ".to_owned()),
    ] {
        cases.push(Case::bad(name, text));
    }

    // A byte order mark: JSON parsers may ignore it or refuse the text.
    let bom = |text: &str| {
        let mut v = vec![0xef, 0xbb, 0xbf];
        v.extend_from_slice(text.as_bytes());
        v
    };
    cases.push(Case {
        name: "BOM and a valid create body".into(),
        body: Some(bom(&create_body("+34600000702", 60).to_string())),
        may_succeed: true,
    });
    cases.push(Case {
        name: "BOM and a valid extend body".into(),
        body: Some(bom(&extend.to_string())),
        may_succeed: true,
    });
    cases.push(Case::bad("BOM and a bad body", bom(r#"{"duration":0}"#)));
    cases.push(Case::bad("BOM alone", bom("")));
    cases.push(Case {
        name: "no body".into(),
        body: None,
        may_succeed: false,
    });
    cases
}

/// Checks an error envelope: below 500, JSON, `status` equal to the HTTP status, a code and a
/// message.
#[track_caller]
fn assert_envelope(r: &Reply, what: &str) {
    let shown: String = r.text.chars().take(300).collect();
    let status = r.status.as_u16();
    assert!(status < 500, "{what}: status {status}: {shown}");
    assert!(
        (400..500).contains(&status),
        "{what}: not an error ({status}): {shown}"
    );
    assert!(
        r.headers
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("application/json")),
        "{what}: content type {:?}",
        r.headers.get("content-type")
    );
    assert_eq!(
        r.body["status"].as_u64(),
        Some(u64::from(status)),
        "{what}: {shown}"
    );
    assert!(
        r.body["code"].as_str().is_some_and(|c| !c.is_empty()),
        "{what}: {shown}"
    );
    assert!(
        r.body["message"].as_str().is_some_and(|m| !m.is_empty()),
        "{what}: {shown}"
    );
}

#[tokio::test]
async fn malformed_requests_never_cause_a_server_error() {
    let dir = tempfile::tempdir().unwrap();
    let mut server = Server::start(dir.path()).await;
    let api = Api::new(&server.base);
    // The static token keeps the corpus quick (no signature check per request); the JWT
    // path gets the odd headers below.
    let token = "mock_sandbox_access_token";
    let auth = format!("Bearer {token}");
    let jwt = api.token("app-corpus", None).await;
    let jwt_auth = format!("Bearer {jwt}");
    let created = api
        .post(
            &format!("{QOD}/sessions"),
            token,
            &create_body("+34600000799", 3600),
        )
        .await;
    assert_eq!(created.status, 201, "{}", created.text);
    let id = created.body["sessionId"].as_str().unwrap().to_owned();

    let cases = corpus();
    assert!(cases.len() >= 150, "only {} cases", cases.len());
    let targets = [
        format!("{QOD}/sessions"),
        format!("{QOD}/sessions/{id}/extend"),
        format!("{QOD}/retrieve-sessions"),
    ];
    let mut sent = 0;
    let mut too_large = 0;
    for case in &cases {
        for path in &targets {
            let r = api
                .send_raw(
                    Method::POST,
                    path,
                    &[("authorization", auth.as_bytes())],
                    case.body.clone(),
                )
                .await;
            let what = format!("POST {path} with {}", case.name);
            if case.may_succeed && r.status.is_success() {
                assert!(
                    r.body.is_object() || r.body.is_array(),
                    "{what}: {}",
                    r.text
                );
            } else {
                assert_envelope(&r, &what);
            }
            if case.body.as_ref().is_some_and(|b| b.len() > 1 << 20) {
                assert_eq!(r.status, 413, "{what}: {}", r.text);
                too_large += 1;
            }
            sent += 1;
        }
    }
    assert_eq!(too_large, 6);
    assert!(sent >= 450, "{sent}");
    // A refused oversized body still carries the x-correlator.
    let r = api
        .send_raw(
            Method::POST,
            &format!("{QOD}/sessions"),
            &[
                ("authorization", auth.as_bytes()),
                ("x-correlator", b"corr-413"),
            ],
            Some(vec![b' '; 2 << 20]),
        )
        .await;
    assert_envelope(&r, "2 MB body with an x-correlator");
    assert_eq!(r.status, 413);
    assert_eq!(
        r.headers.get("x-correlator").and_then(|v| v.to_str().ok()),
        Some("corr-413")
    );

    // Odd paths.
    let long_id = "a".repeat(4096);
    let long_uuidish = format!("{id}{}", "0".repeat(2000));
    let odd_paths = [
        format!("{QOD}/sessions/%00"),
        format!("{QOD}/sessions/%00/extend"),
        format!("{QOD}/sessions/{long_id}"),
        format!("{QOD}/sessions/{long_id}/extend"),
        format!("{QOD}/sessions/{long_uuidish}"),
        format!("{QOD}/sessions/%ZZ"),
        format!("{QOD}/sessions/%FF%FE"),
        format!("{QOD}/sessions/%E2%82%AC"),
        format!("{QOD}/sessions/..%2F..%2Fetc%2Fpasswd"),
        format!("{QOD}/sessions/{id}%00"),
        format!("{QOD}/sessions/{id}/"),
        format!("{QOD}/sessions/{id}/extend/"),
        format!("{QOD}/sessions/{id}/extend/extend"),
        format!("{QOD}/sessions/"),
        format!("{QOD}//sessions"),
        format!("{QOD}/sessions/{{{id}}}"),
        format!("{QOD}/sessions/urn:uuid:{id}"),
        format!("{QOD}/sessions?sessionId=%FF"),
        format!("{QOD}/retrieve-sessions/%00"),
        format!("/%00{QOD}/sessions"),
        "/%FF".to_owned(),
        format!("/{}", "x/".repeat(2000)),
    ];
    let body = json!({"requestedAdditionalDuration": 60})
        .to_string()
        .into_bytes();
    for path in &odd_paths {
        for method in [Method::GET, Method::DELETE, Method::POST, Method::PUT] {
            let b = (method == Method::POST).then(|| body.clone());
            let r = api
                .send_raw(
                    method.clone(),
                    path,
                    &[("authorization", auth.as_bytes())],
                    b,
                )
                .await;
            let shown: String = path.chars().take(120).collect();
            assert_envelope(&r, &format!("{method} {shown}"));
        }
    }
    let custom = Method::from_bytes(b"FROB").unwrap();
    let r = api
        .send_raw(
            custom,
            &format!("{QOD}/sessions/{id}"),
            &[("authorization", auth.as_bytes())],
            None,
        )
        .await;
    assert_envelope(&r, "FROB method");

    // Odd headers.
    let valid = create_body("+34600000798", 60).to_string().into_bytes();
    let session = format!("{QOD}/sessions/{id}");
    let long_token = format!("Bearer {}", "a".repeat(8000));
    let header_cases: Vec<(&str, Headers<'_>, u16)> = vec![
        (
            "x-correlator 0xff 0xfe",
            vec![
                ("authorization", jwt_auth.as_bytes()),
                ("x-correlator", b"\xff\xfe"),
            ],
            400,
        ),
        (
            "x-correlator with a high byte",
            vec![
                ("authorization", jwt_auth.as_bytes()),
                ("x-correlator", b"abc\x80def"),
            ],
            400,
        ),
        (
            "x-correlator with a tab",
            vec![
                ("authorization", jwt_auth.as_bytes()),
                ("x-correlator", b"a\tb"),
            ],
            400,
        ),
        (
            "empty x-correlator and no token",
            vec![("x-correlator", b"")],
            401,
        ),
        (
            "Authorization: Bearer",
            vec![("authorization", b"Bearer")],
            401,
        ),
        (
            "Authorization: Bearer and a space",
            vec![("authorization", b"Bearer ")],
            401,
        ),
        ("Authorization: empty", vec![("authorization", b"")], 401),
        (
            "Authorization: Bearer with a high byte",
            vec![("authorization", b"Bearer \xff\xfe")],
            401,
        ),
        (
            "Authorization: three words",
            vec![("authorization", b"Bearer a b")],
            401,
        ),
        (
            "Authorization: long token",
            vec![("authorization", long_token.as_bytes())],
            401,
        ),
        (
            "Authorization: Bearer and dots",
            vec![("authorization", b"Bearer ...")],
            401,
        ),
        (
            "Authorization: Bearer and a JWT without signature",
            vec![(
                "authorization",
                b"Bearer eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.",
            )],
            401,
        ),
        (
            "Authorization: Digest",
            vec![("authorization", b"Digest username=\"x\"")],
            401,
        ),
    ];
    for (name, headers, status) in &header_cases {
        for (method, path, body) in [
            (Method::POST, format!("{QOD}/sessions"), Some(valid.clone())),
            (Method::GET, session.clone(), None),
            (Method::DELETE, session.clone(), None),
        ] {
            let r = api.send_raw(method.clone(), &path, headers, body).await;
            assert_envelope(&r, &format!("{method} {path} with {name}"));
            assert_eq!(
                r.status.as_u16(),
                *status,
                "{method} {path} with {name}: {}",
                r.text
            );
        }
    }
    // Content types other than JSON, with bad bodies.
    for content_type in [
        &b"text/plain"[..],
        b"application/xml",
        b"multipart/form-data; boundary=x",
        b"\xff",
    ] {
        let r = api
            .send_raw(
                Method::POST,
                &format!("{QOD}/sessions"),
                &[
                    ("authorization", auth.as_bytes()),
                    ("content-type", content_type),
                ],
                Some(b"<session/>".to_vec()),
            )
            .await;
        assert_envelope(
            &r,
            &format!("content type {}", String::from_utf8_lossy(content_type)),
        );
    }

    // The server is still alive, has not panicked, and serves a valid request.
    assert!(
        server.is_running(),
        "qod-server exited; log:\n{}",
        server.log()
    );
    let r = api.get(&session, token).await;
    assert_eq!(r.status, 200, "{}", r.text);
    let r = api
        .post(
            &format!("{QOD}/sessions"),
            &jwt,
            &create_body("+34600000797", 60),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    assert_eq!(r.body["qosStatus"], "AVAILABLE");
    let log = server.log();
    assert!(!log.contains("panicked"), "the server panicked:\n{log}");
}
