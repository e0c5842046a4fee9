//! The QoD session entity and its state machine.

use qod_network::{IpFlows, ResourceRef, UeIdentity};
use serde::{Deserialize, Serialize};
use time::{Duration, OffsetDateTime};
use uuid::Uuid;

use crate::flow::ip_flows;
use crate::{ApplicationServer, Device, DomainError, PortsSpec, Sink};

/// Where a session stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum QosStatus {
    Requested,
    Available,
    Unavailable,
}

impl QosStatus {
    /// The CAMARA name of the status.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Requested => "REQUESTED",
            Self::Available => "AVAILABLE",
            Self::Unavailable => "UNAVAILABLE",
        }
    }

    /// The status named `s`.
    pub fn parse(s: &str) -> Option<Self> {
        [Self::Requested, Self::Available, Self::Unavailable]
            .into_iter()
            .find(|v| v.as_str() == s)
    }
}

/// Why a session became UNAVAILABLE.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum StatusInfo {
    DurationExpired,
    NetworkTerminated,
    DeleteRequested,
}

impl StatusInfo {
    /// The CAMARA name of the reason.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::DurationExpired => "DURATION_EXPIRED",
            Self::NetworkTerminated => "NETWORK_TERMINATED",
            Self::DeleteRequested => "DELETE_REQUESTED",
        }
    }

    /// The reason named `s`.
    pub fn parse(s: &str) -> Option<Self> {
        [
            Self::DurationExpired,
            Self::NetworkTerminated,
            Self::DeleteRequested,
        ]
        .into_iter()
        .find(|v| v.as_str() == s)
    }
}

/// One status change of a session, kept so that it can be notified.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatusChange {
    /// Unique id of the change (the notification's event id).
    pub id: Uuid,
    pub session_id: Uuid,
    pub status: QosStatus,
    pub status_info: Option<StatusInfo>,
    pub at: OffsetDateTime,
}

/// A QoD session: QoS for some flows of one device, for a while.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Session {
    pub id: Uuid,
    /// The API consumer that created it; only it may see or change it.
    pub client_id: String,
    /// The device the session is for (from the request or from the 3-legged token).
    pub ue: UeIdentity,
    /// The device as echoed in responses: only when the request carried one.
    pub device: Option<Device>,
    pub application_server: ApplicationServer,
    pub device_ports: Option<PortsSpec>,
    pub application_server_ports: Option<PortsSpec>,
    pub qos_profile: String,
    /// The profile's maxDuration (seconds) when the session was created: caps extensions.
    pub max_duration_secs: i64,
    pub sink: Option<Sink>,
    /// Seconds; granted while REQUESTED, overall while AVAILABLE, effective once UNAVAILABLE.
    pub duration_secs: i64,
    pub status: QosStatus,
    pub status_info: Option<StatusInfo>,
    pub started_at: Option<OffsetDateTime>,
    pub expires_at: Option<OffsetDateTime>,
    /// The network's handle on the policy, as the network returned it.
    pub network_resource: Option<ResourceRef>,
    pub created_at: OffsetDateTime,
    /// Bumped by every stored change; guards against lost updates.
    pub version: i64,
}

impl Session {
    /// The flows in network terms.
    pub fn flows(&self) -> IpFlows {
        ip_flows(
            &self.application_server,
            self.device_ports.as_ref(),
            self.application_server_ports.as_ref(),
        )
    }

    /// The key under which every session of the device is found.
    pub fn device_key(&self) -> String {
        self.ue.to_string()
    }

    fn next_version(&self) -> Session {
        let mut next = self.clone();
        next.version += 1;
        next
    }

    /// REQUESTED to AVAILABLE at `at`: the duration starts now.
    pub fn activated(&self, at: OffsetDateTime) -> Result<Session, DomainError> {
        if self.status != QosStatus::Requested {
            return Err(DomainError::InvalidArgument(format!(
                "cannot activate a session in state {}",
                self.status.as_str()
            )));
        }
        let mut next = self.next_version();
        next.status = QosStatus::Available;
        next.started_at = Some(at);
        next.expires_at = Some(at.saturating_add(Duration::seconds(self.duration_secs)));
        Ok(next)
    }

    /// AVAILABLE to UNAVAILABLE because the duration is over; `expiresAt` stays the planned end.
    pub fn expired(&self) -> Result<Session, DomainError> {
        if self.status != QosStatus::Available {
            return Err(DomainError::InvalidArgument(format!(
                "cannot expire a session in state {}",
                self.status.as_str()
            )));
        }
        let mut next = self.next_version();
        next.status = QosStatus::Unavailable;
        next.status_info = Some(StatusInfo::DurationExpired);
        Ok(next)
    }

    /// REQUESTED or AVAILABLE to UNAVAILABLE because the network ended (or refused) it at `at`.
    /// `expiresAt` becomes the termination time; an active session's duration becomes the
    /// effective one (whole seconds, at least 1). A refused one keeps its granted duration.
    pub fn terminated_by_network(&self, at: OffsetDateTime) -> Result<Session, DomainError> {
        if self.status == QosStatus::Unavailable {
            return Err(DomainError::InvalidArgument(
                "the session is already UNAVAILABLE".into(),
            ));
        }
        let mut next = self.next_version();
        next.status = QosStatus::Unavailable;
        next.status_info = Some(StatusInfo::NetworkTerminated);
        if let Some(started) = self.started_at {
            let end = self.expires_at.map_or(at, |planned| planned.min(at));
            next.duration_secs = (end - started).whole_seconds().max(1);
            next.expires_at = Some(end);
        } else {
            next.expires_at = Some(at);
        }
        Ok(next)
    }

    /// Adds `additional_secs` to the overall duration of an AVAILABLE session, capped at the
    /// profile's maximum (the cap counts the whole session, extensions included).
    pub fn extended(&self, additional_secs: i64) -> Result<Session, DomainError> {
        if self.status != QosStatus::Available {
            return Err(DomainError::ExtensionNotAllowed(self.status));
        }
        let mut next = self.next_version();
        next.duration_secs = self
            .duration_secs
            .saturating_add(additional_secs)
            .min(self.max_duration_secs.max(self.duration_secs));
        next.expires_at = self
            .started_at
            .map(|s| s.saturating_add(Duration::seconds(next.duration_secs)));
        Ok(next)
    }

    /// The status change that reaching this session's current state records.
    pub fn change(&self, id: Uuid, at: OffsetDateTime) -> StatusChange {
        StatusChange {
            id,
            session_id: self.id,
            status: self.status,
            status_info: self.status_info,
            at,
        }
    }
}
