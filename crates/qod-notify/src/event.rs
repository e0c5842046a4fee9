//! The CloudEvent a sink receives: CloudEvents 1.0 in structured JSON mode, as CAMARA's
//! `EventQosStatusChanged` defines it.

use qod_domain::OutboxEvent;
use serde::{Deserialize, Serialize};
use time::format_description::well_known::Rfc3339;

/// The spec's event type (CAMARA quality-on-demand 1.2.0-rc.3).
pub const SPEC_EVENT_TYPE: &str = "org.camaraproject.quality-on-demand.v1.qos-status-changed";

/// The event type CAMARA's test suite expects instead.
pub const TEST_SUITE_EVENT_TYPE: &str = "org.camaraproject.qod.v1.qos-status-changed";

/// A CloudEvents 1.0 envelope with a QoS status change as its data.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CloudEvent {
    /// Unique per source: the status change's id.
    pub id: String,
    /// The session's URI.
    pub source: String,
    /// Always `1.0`.
    pub specversion: String,
    #[serde(rename = "type")]
    pub event_type: String,
    /// When the change happened, RFC 3339 in UTC.
    pub time: String,
    /// Always `application/json`.
    pub datacontenttype: String,
    pub data: QosStatusChanged,
}

/// The data of a `qos-status-changed` event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct QosStatusChanged {
    pub session_id: String,
    /// `AVAILABLE` or `UNAVAILABLE`.
    pub qos_status: String,
    /// Why the session became UNAVAILABLE.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status_info: Option<String>,
}

/// How events are written: their type and the base of their `source`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventFormat {
    event_type: String,
    sessions_base: String,
}

impl EventFormat {
    /// Events of type `event_type` whose source is
    /// `{public_base_url}{qod_base_path}/sessions/{sessionId}`.
    pub fn new(event_type: &str, public_base_url: &str, qod_base_path: &str) -> Self {
        Self {
            event_type: event_type.to_owned(),
            sessions_base: format!(
                "{}{}/sessions",
                public_base_url.trim_end_matches('/'),
                qod_base_path.trim_end_matches('/')
            ),
        }
    }

    /// The CloudEvent of an outbox event.
    pub fn event(&self, event: &OutboxEvent) -> CloudEvent {
        let time = event
            .occurred_at
            .to_offset(time::UtcOffset::UTC)
            .format(&Rfc3339)
            .unwrap_or_default();
        CloudEvent {
            id: event.id.to_string(),
            source: format!("{}/{}", self.sessions_base, event.session_id),
            specversion: "1.0".to_owned(),
            event_type: self.event_type.clone(),
            time,
            datacontenttype: "application/json".to_owned(),
            data: QosStatusChanged {
                session_id: event.session_id.to_string(),
                qos_status: event.status.as_str().to_owned(),
                status_info: event.status_info.map(|i| i.as_str().to_owned()),
            },
        }
    }
}
