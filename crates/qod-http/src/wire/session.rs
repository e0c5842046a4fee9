//! The session bodies: create, extend, retrieve by device, and `SessionInfo`.

use qod_domain::{CreateSession, Device, Session};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;
use uuid::Uuid;

use super::address::{ApplicationServerBody, ApplicationServerResponse};
use super::device::{DeviceBody, DeviceResponse};
use super::ports::{PortsSpecBody, PortsSpecResponse};
use super::sink::{SinkCredentialBody, sink_from_body};
use super::{Int, char_len, duration_secs, non_null};
use crate::error::ApiError;

/// The body of `POST /sessions`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct CreateSessionBody {
    #[serde(default, deserialize_with = "non_null")]
    device: Option<DeviceBody>,
    application_server: ApplicationServerBody,
    #[serde(default, deserialize_with = "non_null")]
    device_ports: Option<PortsSpecBody>,
    #[serde(default, deserialize_with = "non_null")]
    application_server_ports: Option<PortsSpecBody>,
    qos_profile: String,
    duration: Int,
    #[serde(default, deserialize_with = "non_null")]
    sink: Option<String>,
    #[serde(default, deserialize_with = "non_null")]
    sink_credential: Option<SinkCredentialBody>,
}

impl CreateSessionBody {
    /// Validates every field and returns the create command.
    pub fn into_command(self) -> Result<CreateSession, ApiError> {
        let device = self.device.map(DeviceBody::into_domain).transpose()?;
        let application_server = self.application_server.into_domain()?;
        let device_ports = self
            .device_ports
            .map(|p| p.into_domain("devicePorts"))
            .transpose()?;
        let application_server_ports = self
            .application_server_ports
            .map(|p| p.into_domain("applicationServerPorts"))
            .transpose()?;
        check_profile_name(&self.qos_profile)?;
        let duration_secs = duration_secs("duration", self.duration)?;
        let sink = sink_from_body(self.sink, self.sink_credential)?;
        Ok(CreateSession {
            device,
            application_server,
            device_ports,
            application_server_ports,
            qos_profile: self.qos_profile,
            duration_secs,
            sink,
        })
    }
}

/// Checks a QoS profile name: `^[a-zA-Z0-9_.-]+$`, 3 to 256 characters.
pub fn check_profile_name(name: &str) -> Result<(), ApiError> {
    let valid = (3..=256).contains(&char_len(name))
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-'));
    if valid {
        Ok(())
    } else {
        Err(ApiError::invalid_argument(
            "qosProfile must be 3 to 256 letters, digits, '_', '.' or '-'.",
        ))
    }
}

/// The body of `POST /sessions/{sessionId}/extend`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ExtendBody {
    requested_additional_duration: Int,
}

impl ExtendBody {
    /// The additional duration in seconds, checked to be 1 to 2147483647.
    pub fn additional_secs(&self) -> Result<i64, ApiError> {
        duration_secs(
            "requestedAdditionalDuration",
            self.requested_additional_duration,
        )
    }
}

/// The body of `POST /retrieve-sessions`; `{}` is valid (3-legged callers send no device).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct RetrieveSessionsBody {
    #[serde(default, deserialize_with = "non_null")]
    device: Option<DeviceBody>,
}

impl RetrieveSessionsBody {
    /// The validated device, if one was sent.
    pub fn into_device(self) -> Result<Option<Device>, ApiError> {
        self.device.map(DeviceBody::into_domain).transpose()
    }
}

/// A session as returned to its client. Carries no sink credential.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SessionInfo {
    pub session_id: Uuid,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub device: Option<DeviceResponse>,
    pub application_server: ApplicationServerResponse,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub device_ports: Option<PortsSpecResponse>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub application_server_ports: Option<PortsSpecResponse>,
    pub qos_profile: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sink: Option<String>,
    pub duration: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub started_at: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expires_at: Option<String>,
    pub qos_status: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status_info: Option<&'static str>,
}

impl From<&Session> for SessionInfo {
    fn from(session: &Session) -> Self {
        Self {
            session_id: session.id,
            device: session.device.as_ref().map(DeviceResponse::from),
            application_server: ApplicationServerResponse::from(&session.application_server),
            device_ports: session.device_ports.as_ref().map(PortsSpecResponse::from),
            application_server_ports: session
                .application_server_ports
                .as_ref()
                .map(PortsSpecResponse::from),
            qos_profile: session.qos_profile.clone(),
            sink: session.sink.as_ref().map(|s| s.url.clone()),
            duration: session.duration_secs,
            started_at: session.started_at.and_then(format_utc),
            expires_at: session.expires_at.and_then(format_utc),
            qos_status: session.status.as_str(),
            status_info: session.status_info.map(|s| s.as_str()),
        }
    }
}

/// RFC 3339 in UTC with at most millisecond precision, e.g. `2026-11-22T13:40:01.123Z`.
pub fn format_utc(at: OffsetDateTime) -> Option<String> {
    let utc = at.to_offset(time::UtcOffset::UTC);
    let utc = utc.replace_millisecond(utc.millisecond()).ok()?;
    utc.format(&Rfc3339).ok()
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use qod_domain::{
        AddressValue, ApplicationServer, PortsSpec, QosStatus, Sink, SinkCredential, StatusInfo,
    };
    use qod_network::{PortRange, UeIdentity};
    use serde_json::json;
    use time::macros::datetime;

    use super::*;

    fn session(status: QosStatus) -> Session {
        let server = ApplicationServer::IpAddresses(vec![AddressValue {
            raw: "2001:DB8::1".into(),
            net: "2001:db8::1/128".parse().unwrap_or_else(|_| unreachable!()),
        }]);
        Session {
            id: Uuid::nil(),
            client_id: "client-1".into(),
            ue: UeIdentity::Msisdn {
                number: "+123456789".into(),
            },
            device: Some(Device {
                phone_number: Some("+123456789".into()),
                ..Device::default()
            }),
            application_server: server,
            device_ports: Some(PortsSpec {
                ranges: Some(vec![PortRange {
                    first: 5010,
                    last: 5020,
                }]),
                ports: None,
            }),
            application_server_ports: None,
            qos_profile: "QOS_L".into(),
            max_duration_secs: 86_400,
            sink: Some(Sink {
                url: "https://endpoint.example.com/sink".into(),
                credential: Some(SinkCredential::AccessToken {
                    access_token: "very-secret-token".into(),
                    expires_at: datetime!(2030-07-03 12:27:08 UTC),
                }),
            }),
            duration_secs: 3600,
            status,
            status_info: None,
            started_at: None,
            expires_at: None,
            network_resource: None,
            created_at: datetime!(2026-11-22 13:40:00 UTC),
            version: 1,
        }
    }

    #[test]
    fn requested_session_info() {
        let info = serde_json::to_value(SessionInfo::from(&session(QosStatus::Requested))).unwrap();
        assert_eq!(
            info,
            json!({
                "sessionId": "00000000-0000-0000-0000-000000000000",
                "device": {"phoneNumber": "+123456789"},
                "applicationServer": {"ipAddresses": ["2001:DB8::1"]},
                "devicePorts": {"ranges": [{"from": 5010, "to": 5020}]},
                "qosProfile": "QOS_L",
                "sink": "https://endpoint.example.com/sink",
                "duration": 3600,
                "qosStatus": "REQUESTED"
            })
        );
    }

    #[test]
    fn unavailable_session_info() {
        let mut s = session(QosStatus::Unavailable);
        s.device = None;
        s.sink = None;
        s.status_info = Some(StatusInfo::NetworkTerminated);
        s.started_at = Some(datetime!(2026-11-22 14:40:01.123456 +01:00));
        s.expires_at = Some(datetime!(2026-11-22 13:50:00 UTC));
        let info = serde_json::to_value(SessionInfo::from(&s)).unwrap();
        assert_eq!(info["qosStatus"], "UNAVAILABLE");
        assert_eq!(info["statusInfo"], "NETWORK_TERMINATED");
        assert_eq!(info["startedAt"], "2026-11-22T13:40:01.123Z");
        assert_eq!(info["expiresAt"], "2026-11-22T13:50:00Z");
        assert!(info.get("device").is_none());
        assert!(info.get("sink").is_none());
    }

    #[test]
    fn session_info_carries_no_secret() {
        for status in [
            QosStatus::Requested,
            QosStatus::Available,
            QosStatus::Unavailable,
        ] {
            let text = serde_json::to_string(&SessionInfo::from(&session(status))).unwrap();
            assert!(!text.contains("very-secret-token"), "{text}");
            assert!(!text.contains("sinkCredential"), "{text}");
            assert!(!text.contains("accessToken"), "{text}");
            assert!(!text.contains("bearer"), "{text}");
        }
    }
}
