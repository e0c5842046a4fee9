//! Tests of the whole request bodies.

use std::net::Ipv4Addr;

use ipnet::IpNet;
use qod_domain::{ApplicationServer, CreateSession, DeviceIpv4, PortsSpec, Sink, SinkCredential};
use qod_network::PortRange;
use serde_json::{Value, json};
use time::macros::datetime;

use super::*;
use crate::error::ApiError;

fn create(json: &Value) -> Result<CreateSession, ApiError> {
    parse_body::<CreateSessionBody>(json.to_string().as_bytes())?.into_command()
}

fn minimal() -> Value {
    json!({
        "device": {"phoneNumber": "+123456789"},
        "applicationServer": {"ipv4Address": "198.51.100.0/24"},
        "qosProfile": "QOS_L",
        "duration": 3600
    })
}

fn full() -> Value {
    json!({
        "device": {
            "phoneNumber": "+123456789",
            "networkAccessIdentifier": "123456789@example.com",
            "ipv4Address": {"publicAddress": "84.125.93.10", "privateAddress": "10.0.0.7",
                            "publicPort": 59765},
            "ipv6Address": "2001:db8:85a3:8d3:1319:8a2e:370:7344"
        },
        "applicationServer": {"ipv4Address": "198.51.100.0/24", "ipv6Address": "2001:db8::/64"},
        "devicePorts": {"ranges": [{"from": 5010, "to": 5020}], "ports": [5060, 5070]},
        "applicationServerPorts": {"ports": [443]},
        "qosProfile": "QOS_L",
        "duration": 3600,
        "sink": "https://endpoint.example.com/sink",
        "sinkCredential": {
            "credentialType": "ACCESSTOKEN",
            "accessToken": "very-secret-token",
            "accessTokenExpiresUtc": "2030-07-03T12:27:08.312Z",
            "accessTokenType": "bearer"
        }
    })
}

/// Sets `value` at a `/`-separated path of object keys.
fn with(mut body: Value, path: &str, value: Value) -> Value {
    let mut keys: Vec<&str> = path.split('/').collect();
    let last = keys.pop().unwrap();
    let mut target = &mut body;
    for key in keys {
        target = &mut target[key];
    }
    target
        .as_object_mut()
        .unwrap()
        .insert(last.to_owned(), value);
    body
}

fn without(mut body: Value, key: &str) -> Value {
    body.as_object_mut().unwrap().remove(key);
    body
}

#[test]
fn full_body_converts() {
    let cmd = create(&full()).unwrap();
    let device = cmd.device.unwrap();
    assert_eq!(device.phone_number.as_deref(), Some("+123456789"));
    assert_eq!(
        device.network_access_identifier.as_deref(),
        Some("123456789@example.com")
    );
    assert_eq!(
        device.ipv4_address,
        Some(DeviceIpv4 {
            public_address: Ipv4Addr::new(84, 125, 93, 10),
            private_address: Some(Ipv4Addr::new(10, 0, 0, 7)),
            public_port: Some(59765),
        })
    );
    assert_eq!(
        device.ipv6_address.unwrap().raw,
        "2001:db8:85a3:8d3:1319:8a2e:370:7344"
    );
    let ApplicationServer::Subnets { ipv4, ipv6 } = cmd.application_server else {
        panic!("wrong form")
    };
    assert_eq!(
        ipv4.unwrap().net,
        "198.51.100.0/24".parse::<IpNet>().unwrap()
    );
    assert_eq!(ipv6.unwrap().raw, "2001:db8::/64");
    assert_eq!(
        cmd.device_ports,
        Some(PortsSpec {
            ranges: Some(vec![PortRange {
                first: 5010,
                last: 5020
            }]),
            ports: Some(vec![5060, 5070]),
        })
    );
    assert_eq!(
        cmd.application_server_ports,
        Some(PortsSpec {
            ranges: None,
            ports: Some(vec![443]),
        })
    );
    assert_eq!(cmd.qos_profile, "QOS_L");
    assert_eq!(cmd.duration_secs, 3600);
    assert_eq!(
        cmd.sink,
        Some(Sink {
            url: "https://endpoint.example.com/sink".into(),
            credential: Some(SinkCredential::AccessToken {
                access_token: "very-secret-token".into(),
                expires_at: datetime!(2030-07-03 12:27:08.312 UTC),
            }),
        })
    );
}

#[test]
fn minimal_bodies_convert() {
    let cmd = create(&minimal()).unwrap();
    assert!(cmd.device_ports.is_none() && cmd.sink.is_none());
    let cmd = create(&without(minimal(), "device")).unwrap();
    assert!(cmd.device.is_none());
}

#[test]
fn create_validation() {
    let long_name = "a".repeat(257);
    let cases: Vec<(Value, &str)> = vec![
        (json!({}), "INVALID_ARGUMENT"),
        (json!([]), "INVALID_ARGUMENT"),
        (without(minimal(), "applicationServer"), "INVALID_ARGUMENT"),
        (without(minimal(), "qosProfile"), "INVALID_ARGUMENT"),
        (without(minimal(), "duration"), "INVALID_ARGUMENT"),
        (with(minimal(), "device", json!({})), "INVALID_ARGUMENT"),
        (with(minimal(), "device", json!(null)), "INVALID_ARGUMENT"),
        (
            with(minimal(), "applicationServer", json!({})),
            "INVALID_ARGUMENT",
        ),
        (
            with(minimal(), "applicationServer", json!(null)),
            "INVALID_ARGUMENT",
        ),
        (
            with(minimal(), "qosProfile", json!("ab")),
            "INVALID_ARGUMENT",
        ),
        (
            with(minimal(), "qosProfile", json!(long_name)),
            "INVALID_ARGUMENT",
        ),
        (
            with(minimal(), "qosProfile", json!("QOS L")),
            "INVALID_ARGUMENT",
        ),
        (
            with(minimal(), "qosProfile", json!("QOS/L")),
            "INVALID_ARGUMENT",
        ),
        (
            with(minimal(), "qosProfile", json!(null)),
            "INVALID_ARGUMENT",
        ),
        (with(minimal(), "duration", json!(0)), "INVALID_ARGUMENT"),
        (with(minimal(), "duration", json!(-5)), "INVALID_ARGUMENT"),
        (
            with(minimal(), "duration", json!(2_147_483_648_i64)),
            "INVALID_ARGUMENT",
        ),
        (
            with(minimal(), "duration", json!(u64::MAX)),
            "INVALID_ARGUMENT",
        ),
        (with(minimal(), "duration", json!(60.5)), "INVALID_ARGUMENT"),
        (with(minimal(), "duration", json!("60")), "INVALID_ARGUMENT"),
        (with(minimal(), "duration", json!(null)), "INVALID_ARGUMENT"),
        (
            with(minimal(), "devicePorts", json!({})),
            "INVALID_ARGUMENT",
        ),
        (
            with(minimal(), "devicePorts", json!({"ports": [0]})),
            "OUT_OF_RANGE",
        ),
        (
            with(
                minimal(),
                "applicationServerPorts",
                json!({"ranges": [{"from": 9, "to": 8}]}),
            ),
            "OUT_OF_RANGE",
        ),
        (
            with(minimal(), "applicationServerPorts", json!(null)),
            "INVALID_ARGUMENT",
        ),
        (
            with(minimal(), "sink", json!("http://example.com")),
            "INVALID_SINK",
        ),
        (with(minimal(), "sink", json!(null)), "INVALID_ARGUMENT"),
        (with(minimal(), "sink", json!(42)), "INVALID_ARGUMENT"),
        (
            with(
                minimal(),
                "sinkCredential",
                full()["sinkCredential"].clone(),
            ),
            "INVALID_ARGUMENT",
        ),
        (
            with(full(), "sinkCredential", json!(null)),
            "INVALID_ARGUMENT",
        ),
        (
            with(full(), "sinkCredential/accessTokenType", json!("mac")),
            "INVALID_TOKEN",
        ),
        (
            with(full(), "sinkCredential/credentialType", json!("PLAIN")),
            "INVALID_ARGUMENT",
        ),
        (
            with(
                minimal(),
                "applicationServer/ipAddresses",
                json!(["1.2.3.4"]),
            ),
            "INVALID_ARGUMENT",
        ),
    ];
    for (body, code) in cases {
        let err = create(&body).expect_err(&body.to_string());
        assert_eq!(err.status.as_u16(), 400, "{body}");
        assert_eq!(err.code, code, "{body}");
    }
    let ok = with(minimal(), "duration", json!(2_147_483_647_i64));
    assert_eq!(create(&ok).unwrap().duration_secs, 2_147_483_647);
}

#[test]
fn unknown_fields_are_rejected_at_every_depth() {
    let cases = [
        with(full(), "extra", json!(1)),
        with(full(), "device/imsi", json!("1")),
        with(full(), "applicationServer/port", json!(80)),
        with(full(), "devicePorts/protocol", json!("TCP")),
        with(full(), "sinkCredential/refreshToken", json!("x")),
        with(full(), "device/ipv4Address/natType", json!("x")),
    ];
    let ranges = json!([{"from": 1, "to": 2, "step": 1}]);
    let depth3 = with(full(), "devicePorts/ranges", ranges);
    for body in cases.iter().chain([&depth3]) {
        let err = create(body).expect_err(&body.to_string());
        assert_eq!(err.code, "INVALID_ARGUMENT", "{body}");
        assert!(err.message.contains("unknown field"), "{}", err.message);
    }
}

#[test]
fn parse_body_errors() {
    for body in ["", "  \n\t"] {
        let err = parse_body::<CreateSessionBody>(body.as_bytes()).unwrap_err();
        assert_eq!(err.code, "INVALID_ARGUMENT");
        assert_eq!(err.message, "The request body is missing.");
    }
    for body in ["{", "nope", "{\"a\":1}}", "\u{feff}{}", "null"] {
        let err = parse_body::<RetrieveSessionsBody>(body.as_bytes()).unwrap_err();
        assert_eq!(err.status.as_u16(), 400, "{body}");
        assert_eq!(err.code, "INVALID_ARGUMENT", "{body}");
    }
    let long_key = "k".repeat(1000);
    let body = format!(r#"{{"{long_key}":1}}"#);
    let err = parse_body::<RetrieveSessionsBody>(body.as_bytes()).unwrap_err();
    assert!(
        err.message
            .starts_with("Invalid request body: unknown field")
    );
    assert!(err.message.chars().count() <= 250, "{}", err.message);
}

#[test]
fn extend_body() {
    let extend = |json: &str| parse_body::<ExtendBody>(json.as_bytes())?.additional_secs();
    assert_eq!(
        extend(r#"{"requestedAdditionalDuration":1800}"#).unwrap(),
        1800
    );
    for json in [
        "{}",
        r#"{"requestedAdditionalDuration":0}"#,
        r#"{"requestedAdditionalDuration":2147483648}"#,
        r#"{"requestedAdditionalDuration":1.5}"#,
        r#"{"requestedAdditionalDuration":"10"}"#,
        r#"{"requestedAdditionalDuration":null}"#,
        r#"{"requestedAdditionalDuration":10,"x":1}"#,
    ] {
        assert_eq!(extend(json).unwrap_err().code, "INVALID_ARGUMENT", "{json}");
    }
}

#[test]
fn retrieve_body() {
    let retrieve = |json: &str| parse_body::<RetrieveSessionsBody>(json.as_bytes())?.into_device();
    assert_eq!(retrieve("{}").unwrap(), None);
    let device = retrieve(r#"{"device":{"phoneNumber":"+123456789"}}"#).unwrap();
    assert_eq!(device.unwrap().phone_number.as_deref(), Some("+123456789"));
    for json in [
        r#"{"device":{}}"#,
        r#"{"device":null}"#,
        r#"{"device":{"phoneNumber":"+1"}}"#,
        r#"{"devices":{}}"#,
    ] {
        assert_eq!(
            retrieve(json).unwrap_err().code,
            "INVALID_ARGUMENT",
            "{json}"
        );
    }
}
