//! Tests of strict body parsing: objects only, no repeated keys, no explicit nulls.

use serde_json::{Value, json};

use super::*;
use crate::error::ApiError;

fn full() -> Value {
    json!({
        "device": {
            "phoneNumber": "+34600400601",
            "ipv4Address": {"publicAddress": "84.125.93.10", "publicPort": 59765}
        },
        "applicationServer": {"ipAddresses": ["198.51.100.7"]},
        "devicePorts": {"ranges": [{"from": 5000, "to": 5010}], "ports": [5060]},
        "applicationServerPorts": {"ports": [443]},
        "qosProfile": "QOS_E",
        "duration": 60,
        "sink": "https://endpoint.example.com/sink",
        "sinkCredential": {
            "credentialType": "ACCESSTOKEN",
            "accessToken": "token",
            "accessTokenExpiresUtc": "2030-07-03T12:27:08.312Z",
            "accessTokenType": "bearer"
        }
    })
}

/// `full()` with the value at a `/`-separated key path replaced.
fn with(mut body: Value, path: &str, value: Value) -> Value {
    let mut target = &mut body;
    for key in path.split('/') {
        target = &mut target[key];
    }
    *target = value;
    body
}

fn create(text: &str) -> Result<CreateSessionBody, ApiError> {
    parse_body::<CreateSessionBody>(text.as_bytes())
}

fn assert_invalid<T: std::fmt::Debug>(result: Result<T, ApiError>, text: &str) -> String {
    let err = result.expect_err(text);
    assert_eq!(err.status.as_u16(), 400, "{text}");
    assert_eq!(err.code, "INVALID_ARGUMENT", "{text}");
    assert!(
        err.message.starts_with("Invalid request body: "),
        "{}",
        err.message
    );
    err.message
}

const SEQUENCE: &str = "Invalid request body: invalid type: sequence, expected an object";

#[test]
fn valid_full_body_is_accepted() {
    let text = full().to_string();
    let command = create(&text).unwrap().into_command().unwrap();
    assert_eq!(command.qos_profile, "QOS_E");
    assert_eq!(command.duration_secs, 60);
    assert!(command.device.is_some() && command.sink.is_some());
    let extend = parse_body::<ExtendBody>(br#"{"requestedAdditionalDuration":60}"#).unwrap();
    assert_eq!(extend.additional_secs().unwrap(), 60);
    parse_body::<RetrieveSessionsBody>(b"{}").unwrap();
    parse_body::<RetrieveSessionsBody>(br#"{"device":{"phoneNumber":"+34600400601"}}"#).unwrap();
}

#[test]
fn top_level_arrays_are_rejected() {
    let text = r#"[{"phoneNumber":"+34600400601"},{"ipv4Address":"198.51.100.0/24"},{"ports":[80]},{"ports":[443]},"QOS_E",60]"#;
    assert_eq!(assert_invalid(create(text), text), SEQUENCE);
    assert_eq!(assert_invalid(create("[]"), "[]"), SEQUENCE);
    for text in ["[60]", "[]", r#"[{"requestedAdditionalDuration":60}]"#] {
        let message = assert_invalid(parse_body::<ExtendBody>(text.as_bytes()), text);
        assert_eq!(message, SEQUENCE);
    }
    for text in [r#"[{"phoneNumber":"+34600400600"}]"#, "[]", "[null]"] {
        let message = assert_invalid(parse_body::<RetrieveSessionsBody>(text.as_bytes()), text);
        assert_eq!(message, SEQUENCE);
    }
}

#[test]
fn nested_arrays_in_place_of_objects_are_rejected() {
    let cases = [
        ("device", json!(["+34600400603"])),
        ("device/ipv4Address", json!(["84.125.93.10", null, 59765])),
        ("applicationServer", json!([["198.51.100.7"]])),
        ("applicationServer", json!([null, "198.51.100.0/24"])),
        ("devicePorts", json!([[{"from": 5000, "to": 5010}], [80]])),
        ("applicationServerPorts", json!([null, [443]])),
        ("devicePorts/ranges", json!([[5000, 5010]])),
        ("sinkCredential", json!(["ACCESSTOKEN", "token"])),
    ];
    for (path, value) in cases {
        let text = with(full(), path, value).to_string();
        assert_eq!(assert_invalid(create(&text), &text), SEQUENCE, "{path}");
    }
    let text = r#"{"device":[null,null,null,"2001:db8::1"]}"#;
    let message = assert_invalid(parse_body::<RetrieveSessionsBody>(text.as_bytes()), text);
    assert_eq!(message, SEQUENCE);
}

#[test]
fn duplicate_keys_are_rejected_at_every_depth() {
    let extend = r#"{"requestedAdditionalDuration":60,"requestedAdditionalDuration":60}"#;
    let message = assert_invalid(parse_body::<ExtendBody>(extend.as_bytes()), extend);
    assert!(
        message.contains("duplicate key `requestedAdditionalDuration`"),
        "{message}"
    );

    let text = full().to_string();
    let cases = [
        text.replacen(r#""duration":60"#, r#""duration":60,"d\u0075ration":60"#, 1),
        text.replacen(r#""qosProfile""#, r#""extra":1,"extra":1,"qosProfile""#, 1),
        text.replacen(
            r#""phoneNumber":"+34600400601""#,
            r#""phoneNumber":"+34600400601","phoneNumber":"+34600400602""#,
            1,
        ),
        text.replacen(r#""ports":[443]"#, r#""ports":[443],"ports":[443]"#, 1),
        text.replacen(r#""from":5000"#, r#""from":5000,"from":5000"#, 1),
    ];
    for body in &cases {
        assert_ne!(body, &text);
        let message = assert_invalid(create(body), body);
        assert!(message.contains("duplicate key"), "{message}");
    }
    let retrieve = r#"{"device":{"phoneNumber":"+34600400601","phoneNumber":"+34600400601"}}"#;
    let message = assert_invalid(
        parse_body::<RetrieveSessionsBody>(retrieve.as_bytes()),
        retrieve,
    );
    assert!(message.contains("duplicate key `phoneNumber`"), "{message}");
}

#[test]
fn explicit_null_for_an_optional_field_is_rejected() {
    for path in [
        "device",
        "device/phoneNumber",
        "device/ipv4Address/publicPort",
        "devicePorts",
        "devicePorts/ports",
        "sink",
        "sinkCredential",
    ] {
        let text = with(full(), path, Value::Null).to_string();
        let message = assert_invalid(create(&text), &text);
        assert!(message.contains("invalid type: null"), "{path}: {message}");
    }
    let text = r#"{"device":null}"#;
    assert_invalid(parse_body::<RetrieveSessionsBody>(text.as_bytes()), text);
}

#[test]
fn int_rejects_floats_and_strings() {
    for text in ["1.5", "\"10\"", "null", "true", "[10]", "{}", "1e3"] {
        assert_invalid(parse_body::<Int>(text.as_bytes()), text);
    }
    for text in [
        r#"{"requestedAdditionalDuration":1.5}"#,
        r#"{"requestedAdditionalDuration":"10"}"#,
    ] {
        assert_invalid(parse_body::<ExtendBody>(text.as_bytes()), text);
    }
    assert_eq!(parse_body::<Int>(b"10").unwrap(), Int(10));
    assert_eq!(parse_body::<Int>(b"-7").unwrap(), Int(-7));
    assert_eq!(
        parse_body::<Int>(b"18446744073709551615").unwrap(),
        Int(i64::MAX)
    );
}

#[test]
fn deep_nesting_is_an_error() {
    let deep = |open: &str, close: &str| format!("{}{}", open.repeat(10_000), close.repeat(10_000));
    for text in [deep("[", "]"), deep(r#"{"a":"#, "}"), "[".repeat(10_000)] {
        let message = assert_invalid(create(&text), "deep");
        assert!(message.contains("recursion limit exceeded"), "{message}");
    }
    let text = format!(r#"{{"requestedAdditionalDuration":{}}}"#, deep("[", "]"));
    assert_invalid(parse_body::<ExtendBody>(text.as_bytes()), "deep");
}

#[test]
fn trailing_text_and_long_messages() {
    for text in [r#"{"requestedAdditionalDuration":60}}"#, "{} []", "[] x"] {
        assert_invalid(parse_body::<ExtendBody>(text.as_bytes()), text);
    }
    let key = "k".repeat(1000);
    let text = format!(r#"{{"{key}":1,"{key}":1}}"#);
    let message = assert_invalid(parse_body::<RetrieveSessionsBody>(text.as_bytes()), "long");
    assert!(message.contains("duplicate key"), "{message}");
    assert!(message.chars().count() <= 250, "{message}");
}
