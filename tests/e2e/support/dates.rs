//! The date-times of API bodies (RFC 3339) and the arithmetic the tests do with them.

use serde_json::Value;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

/// A date-time field of a body, such as a session's `startedAt`.
pub fn date_time(value: &Value) -> OffsetDateTime {
    OffsetDateTime::parse(value.as_str().expect("a date-time"), &Rfc3339).expect("RFC 3339")
}

/// `expiresAt - startedAt` of a session, in whole seconds.
pub fn lifetime(session: &Value) -> i64 {
    (date_time(&session["expiresAt"]) - date_time(&session["startedAt"])).whole_seconds()
}
