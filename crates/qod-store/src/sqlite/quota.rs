//! The count behind a client's quota of active sessions.

use diesel::dsl::count_star;
use diesel::prelude::*;
use qod_domain::QosStatus;
use time::OffsetDateTime;

use crate::error::Error;
use crate::rows::to_ms;
use crate::schema::sessions;

/// How many sessions of the client are REQUESTED, or AVAILABLE and not past their expiry.
pub(crate) fn count_active_sessions(
    conn: &mut SqliteConnection,
    client_id: &str,
    now: OffsetDateTime,
) -> Result<u64, Error> {
    let now = to_ms(now);
    let n: i64 = sessions::table
        .filter(sessions::client_id.eq(client_id))
        .filter(
            sessions::status
                .eq(QosStatus::Requested.as_str())
                .or(sessions::status.eq(QosStatus::Available.as_str()).and(
                    sessions::expires_at
                        .is_null()
                        .or(sessions::expires_at.gt(now)),
                )),
        )
        .select(count_star())
        .first(conn)?;
    Ok(u64::try_from(n).unwrap_or(0))
}
