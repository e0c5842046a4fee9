//! Claiming due timers: one statement picks the earliest unclaimed due timers and claims them.
//!
//! Binds: the claim's end, now, and the most timers to claim (all unix milliseconds but the
//! last). A claim that ends at or before now is over. `RETURNING` gives no order, so callers
//! sort what they get.

use qod_domain::Timer;

use crate::error::Error;
use crate::rows::TimerRow;

/// The claim on SQLite, where the single writer already excludes concurrent claims. Ordered
/// by due time alone, so that it walks the due-time index and stops at the limit instead of
/// sorting every due timer (timers due at the same instant come in index order).
pub(crate) const CLAIM_SQLITE: &str = "UPDATE session_timers SET claimed_until = ?1 \
    WHERE (session_id, kind) IN (\
        SELECT session_id, kind FROM session_timers \
        WHERE due_at <= ?2 AND (claimed_until IS NULL OR claimed_until <= ?2) \
        ORDER BY due_at LIMIT ?3) \
    RETURNING session_id, kind, due_at";

/// The claim on PostgreSQL: rows another transaction is claiming (or changing) right now are
/// skipped instead of waited for, so concurrent workers split the due timers between them.
pub(crate) const CLAIM_POSTGRES: &str = "UPDATE session_timers SET claimed_until = $1 \
    WHERE (session_id, kind) IN (\
        SELECT session_id, kind FROM session_timers \
        WHERE due_at <= $2 AND (claimed_until IS NULL OR claimed_until <= $2) \
        ORDER BY due_at, session_id, kind LIMIT $3 \
        FOR UPDATE SKIP LOCKED) \
    RETURNING session_id, kind, due_at";

/// The claimed timers, earliest first.
pub(crate) fn into_timers(rows: Vec<TimerRow>) -> Result<Vec<Timer>, Error> {
    let mut timers = rows
        .into_iter()
        .map(TimerRow::into_timer)
        .collect::<Result<Vec<_>, _>>()?;
    timers.sort_by(|a, b| {
        (a.due_at, a.session_id, a.kind.as_str()).cmp(&(b.due_at, b.session_id, b.kind.as_str()))
    });
    Ok(timers)
}

/// A row limit as SQL wants it.
pub(crate) fn sql_limit(limit: usize) -> i64 {
    i64::try_from(limit).unwrap_or(i64::MAX)
}
