//! The CloudEvent a sink receives, checked field by field against the spec's
//! `EventQosStatusChanged` (CAMARA quality-on-demand 1.2.0-rc.3).

#![allow(clippy::unwrap_used, clippy::expect_used)]

use qod_domain::{DeliveryState, OutboxEvent, QosStatus, Sink, StatusInfo};
use qod_notify::{EventFormat, SPEC_EVENT_TYPE, TEST_SUITE_EVENT_TYPE};
use serde_json::{Value, json};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;
use uuid::Uuid;

fn outbox_event(status: QosStatus, info: Option<StatusInfo>, at: OffsetDateTime) -> OutboxEvent {
    OutboxEvent {
        id: Uuid::new_v4(),
        session_id: Uuid::new_v4(),
        seq: 1,
        sink: Sink {
            url: "https://app.example.com/cb".into(),
            credential: None,
        },
        status,
        status_info: info,
        occurred_at: at,
        state: DeliveryState::Pending,
        attempts: 0,
        next_attempt_at: at,
        last_error: None,
        last_http_status: None,
        updated_at: at,
    }
}

/// Checks `event` against the schema: the CloudEvent envelope's required fields, enums and
/// lengths, and the data of a QoS status change.
fn check_schema(event: &Value) {
    let object = event.as_object().expect("an object");
    for required in ["id", "source", "specversion", "type", "time", "data"] {
        assert!(object.contains_key(required), "{required} missing: {event}");
    }
    for key in object.keys() {
        assert!(
            [
                "id",
                "source",
                "specversion",
                "type",
                "time",
                "datacontenttype",
                "data"
            ]
            .contains(&key.as_str()),
            "unexpected {key}"
        );
    }
    let text = |k: &str| {
        event[k]
            .as_str()
            .unwrap_or_else(|| panic!("{k} is a string"))
    };
    assert!(!text("id").is_empty() && text("id").len() <= 256);
    let source = text("source");
    assert!(!source.is_empty() && source.len() <= 2048);
    assert!(url::Url::parse(source).is_ok(), "a URI: {source}");
    assert_eq!(text("specversion"), "1.0");
    assert!(text("type").len() <= 512);
    assert_eq!(text("datacontenttype"), "application/json");
    let time = text("time");
    assert!(time.len() <= 64);
    OffsetDateTime::parse(time, &Rfc3339).expect("RFC 3339 with a time zone");
    let data = event["data"].as_object().expect("data is an object");
    for key in data.keys() {
        assert!(["sessionId", "qosStatus", "statusInfo"].contains(&key.as_str()));
    }
    let session = data["sessionId"].as_str().expect("sessionId");
    assert!(session.len() <= 36 && Uuid::parse_str(session).is_ok());
    assert!(["AVAILABLE", "UNAVAILABLE"].contains(&data["qosStatus"].as_str().unwrap()));
    if let Some(info) = data.get("statusInfo") {
        assert!(
            ["DURATION_EXPIRED", "NETWORK_TERMINATED", "DELETE_REQUESTED"]
                .contains(&info.as_str().unwrap())
        );
    }
}

#[test]
fn events_follow_the_spec_schema() {
    let format = EventFormat::new(
        SPEC_EVENT_TYPE,
        "https://api.example.com/",
        "/quality-on-demand/v1",
    );
    let at = time::macros::datetime!(2024-06-01 13:00:00.250 UTC);
    let cases = [
        (QosStatus::Available, None),
        (QosStatus::Unavailable, Some(StatusInfo::DurationExpired)),
        (QosStatus::Unavailable, Some(StatusInfo::NetworkTerminated)),
        (QosStatus::Unavailable, Some(StatusInfo::DeleteRequested)),
    ];
    for (status, info) in cases {
        let e = outbox_event(status, info, at);
        let event = serde_json::to_value(format.event(&e)).unwrap();
        check_schema(&event);
        let mut data = json!({"sessionId": e.session_id.to_string(), "qosStatus": status.as_str()});
        if let Some(info) = info {
            data["statusInfo"] = json!(info.as_str());
        }
        assert_eq!(
            event,
            json!({
                "id": e.id.to_string(),
                "source": format!(
                    "https://api.example.com/quality-on-demand/v1/sessions/{}",
                    e.session_id
                ),
                "specversion": "1.0",
                "type": "org.camaraproject.quality-on-demand.v1.qos-status-changed",
                "time": "2024-06-01T13:00:00.25Z",
                "datacontenttype": "application/json",
                "data": data,
            })
        );
    }
}

#[test]
fn the_type_is_configurable_and_times_are_utc() {
    let format = EventFormat::new(
        TEST_SUITE_EVENT_TYPE,
        "http://127.0.0.1:8080",
        "/qod/v1rc3/",
    );
    let at = time::macros::datetime!(2024-06-01 15:00:00 +02:00);
    let e = outbox_event(QosStatus::Available, None, at);
    let event = format.event(&e);
    assert_eq!(
        event.event_type,
        "org.camaraproject.qod.v1.qos-status-changed"
    );
    assert_eq!(event.time, "2024-06-01T13:00:00Z");
    assert_eq!(
        event.source,
        format!("http://127.0.0.1:8080/qod/v1rc3/sessions/{}", e.session_id)
    );
    check_schema(&serde_json::to_value(&event).unwrap());
}
