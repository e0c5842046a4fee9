//! Rows of the SQL tables and their conversion to and from domain values.

use diesel::pg::Pg;
use diesel::prelude::*;
use diesel::sqlite::Sqlite;
use qod_domain::ports::NewSession;
use qod_domain::{QosStatus, Session, StatusChange, StatusInfo, Timer, TimerKind};
use qod_network::ResourceRef;
use serde::Serialize;
use serde::de::DeserializeOwned;
use time::OffsetDateTime;
use uuid::Uuid;

use crate::error::Error;
use crate::schema::{session_timers, sessions, status_changes};

/// A time as unix milliseconds (UTC), the storage form of every timestamp.
pub(crate) fn to_ms(t: OffsetDateTime) -> i64 {
    let ms = t.unix_timestamp_nanos().div_euclid(1_000_000);
    i64::try_from(ms).unwrap_or(if ms < 0 { i64::MIN } else { i64::MAX })
}

/// The time stored as unix milliseconds.
pub(crate) fn from_ms(ms: i64) -> Result<OffsetDateTime, Error> {
    OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000)
        .map_err(|e| Error::Corrupt(format!("timestamp {ms}: {e}")))
}

pub(crate) fn to_json<T: Serialize>(value: &T) -> Result<String, Error> {
    serde_json::to_string(value).map_err(Error::Encode)
}

pub(crate) fn from_json<T: DeserializeOwned>(column: &str, text: &str) -> Result<T, Error> {
    serde_json::from_str(text).map_err(|e| Error::Corrupt(format!("column {column}: {e}")))
}

fn opt_json<T: Serialize>(value: Option<&T>) -> Result<Option<String>, Error> {
    value.map(to_json).transpose()
}

pub(crate) fn opt_from_json<T: DeserializeOwned>(
    column: &str,
    text: Option<&str>,
) -> Result<Option<T>, Error> {
    text.map(|t| from_json(column, t)).transpose()
}

pub(crate) fn parse_uuid(column: &str, text: &str) -> Result<Uuid, Error> {
    Uuid::parse_str(text).map_err(|e| Error::Corrupt(format!("column {column}: {e}")))
}

pub(crate) fn parse_status(text: &str) -> Result<QosStatus, Error> {
    QosStatus::parse(text).ok_or_else(|| Error::Corrupt(format!("unknown status {text:?}")))
}

pub(crate) fn parse_status_info(text: Option<&str>) -> Result<Option<StatusInfo>, Error> {
    text.map(|t| {
        StatusInfo::parse(t).ok_or_else(|| Error::Corrupt(format!("unknown status info {t:?}")))
    })
    .transpose()
}

/// A row of `sessions`.
#[derive(Debug, Clone, Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(
    table_name = sessions,
    check_for_backend(Sqlite, Pg),
    treat_none_as_null = true,
    treat_none_as_default_value = false
)]
pub(crate) struct SessionRow {
    pub id: String,
    pub client_id: String,
    pub device_key: String,
    pub ue: String,
    pub device: Option<String>,
    pub application_server: String,
    pub device_ports: Option<String>,
    pub application_server_ports: Option<String>,
    pub qos_profile: String,
    pub max_duration_secs: i64,
    pub sink: Option<String>,
    pub duration_secs: i64,
    pub status: String,
    pub status_info: Option<String>,
    pub started_at: Option<i64>,
    pub expires_at: Option<i64>,
    pub network_resource: Option<String>,
    pub created_at: i64,
    pub version: i64,
}

impl SessionRow {
    /// The storage form of `s`.
    pub(crate) fn from_session(s: &Session) -> Result<Self, Error> {
        Ok(Self {
            id: s.id.to_string(),
            client_id: s.client_id.clone(),
            device_key: s.device_key(),
            ue: to_json(&s.ue)?,
            device: opt_json(s.device.as_ref())?,
            application_server: to_json(&s.application_server)?,
            device_ports: opt_json(s.device_ports.as_ref())?,
            application_server_ports: opt_json(s.application_server_ports.as_ref())?,
            qos_profile: s.qos_profile.clone(),
            max_duration_secs: s.max_duration_secs,
            sink: opt_json(s.sink.as_ref())?,
            duration_secs: s.duration_secs,
            status: s.status.as_str().to_owned(),
            status_info: s.status_info.map(|i| i.as_str().to_owned()),
            started_at: s.started_at.map(to_ms),
            expires_at: s.expires_at.map(to_ms),
            network_resource: s.network_resource.as_ref().map(|r| r.0.clone()),
            created_at: to_ms(s.created_at),
            version: s.version,
        })
    }

    /// The session stored in this row.
    pub(crate) fn into_session(self) -> Result<Session, Error> {
        Ok(Session {
            id: parse_uuid("sessions.id", &self.id)?,
            ue: from_json("sessions.ue", &self.ue)?,
            device: opt_from_json("sessions.device", self.device.as_deref())?,
            application_server: from_json("sessions.application_server", &self.application_server)?,
            device_ports: opt_from_json("sessions.device_ports", self.device_ports.as_deref())?,
            application_server_ports: opt_from_json(
                "sessions.application_server_ports",
                self.application_server_ports.as_deref(),
            )?,
            max_duration_secs: self.max_duration_secs,
            sink: opt_from_json("sessions.sink", self.sink.as_deref())?,
            duration_secs: self.duration_secs,
            status: parse_status(&self.status)?,
            status_info: parse_status_info(self.status_info.as_deref())?,
            started_at: self.started_at.map(from_ms).transpose()?,
            expires_at: self.expires_at.map(from_ms).transpose()?,
            network_resource: self.network_resource.map(ResourceRef),
            created_at: from_ms(self.created_at)?,
            version: self.version,
            client_id: self.client_id,
            qos_profile: self.qos_profile,
        })
    }
}

/// Refuses `new` when one of the device's stored sessions blocks it under its conflict rule.
pub(crate) fn ensure_no_conflict(stored: Vec<SessionRow>, new: &NewSession) -> Result<(), Error> {
    for row in stored {
        let existing = row.into_session()?;
        if new.conflict_rule.blocks(&existing, &new.session) {
            return Err(Error::Conflict);
        }
    }
    Ok(())
}

/// A row of `session_timers`, without its claim (a new row is unclaimed).
#[derive(Debug, Clone, Queryable, QueryableByName, Selectable, Insertable)]
#[diesel(
    table_name = session_timers,
    check_for_backend(Sqlite, Pg),
    treat_none_as_default_value = false
)]
pub(crate) struct TimerRow {
    pub session_id: String,
    pub kind: String,
    pub due_at: i64,
}

impl TimerRow {
    /// The storage form of `t`.
    pub(crate) fn from_timer(t: &Timer) -> Self {
        Self {
            session_id: t.session_id.to_string(),
            kind: t.kind.as_str().to_owned(),
            due_at: to_ms(t.due_at),
        }
    }

    /// The timer stored in this row.
    pub(crate) fn into_timer(self) -> Result<Timer, Error> {
        Ok(Timer {
            session_id: parse_uuid("session_timers.session_id", &self.session_id)?,
            kind: TimerKind::parse(&self.kind)
                .ok_or_else(|| Error::Corrupt(format!("unknown timer kind {:?}", self.kind)))?,
            due_at: from_ms(self.due_at)?,
        })
    }
}

/// A row of `status_changes` to insert; the backend numbers it (`seq`).
#[derive(Debug, Clone, Insertable)]
#[diesel(
    table_name = status_changes,
    check_for_backend(Sqlite, Pg),
    treat_none_as_default_value = false
)]
pub(crate) struct NewChangeRow {
    pub id: String,
    pub session_id: String,
    pub status: String,
    pub status_info: Option<String>,
    pub at: i64,
}

impl NewChangeRow {
    /// The storage form of `c`.
    pub(crate) fn from_change(c: &StatusChange) -> Self {
        Self {
            id: c.id.to_string(),
            session_id: c.session_id.to_string(),
            status: c.status.as_str().to_owned(),
            status_info: c.status_info.map(|i| i.as_str().to_owned()),
            at: to_ms(c.at),
        }
    }
}

/// A stored row of `status_changes`.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = status_changes, check_for_backend(Sqlite, Pg))]
pub(crate) struct ChangeRow {
    pub id: String,
    pub session_id: String,
    pub status: String,
    pub status_info: Option<String>,
    pub at: i64,
}

impl ChangeRow {
    /// The change stored in this row.
    pub(crate) fn into_change(self) -> Result<StatusChange, Error> {
        Ok(StatusChange {
            id: parse_uuid("status_changes.id", &self.id)?,
            session_id: parse_uuid("status_changes.session_id", &self.session_id)?,
            status: parse_status(&self.status)?,
            status_info: parse_status_info(self.status_info.as_deref())?,
            at: from_ms(self.at)?,
        })
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn milliseconds_round_trip_before_and_after_the_epoch() {
        for ms in [0, 1, -1, 1_893_456_000_123, -86_400_001] {
            let t = from_ms(ms).unwrap();
            assert_eq!(to_ms(t), ms);
        }
    }

    #[test]
    fn sub_millisecond_precision_is_truncated() {
        let t = OffsetDateTime::from_unix_timestamp_nanos(1_500_999_999).unwrap();
        assert_eq!(to_ms(t), 1_500);
    }
}
