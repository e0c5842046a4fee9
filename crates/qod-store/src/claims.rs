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

/// Timers read in due order before `next_due_time` falls back to reading them all.
pub(crate) const NEXT_DUE_PAGE: i64 = 256;

/// The earliest time at which a timer can be claimed, decided from the earliest
/// [`NEXT_DUE_PAGE`] timers by due time (`(due_at, claimed_until)`, in due order), or `None`
/// when they cannot decide it and every timer must be read.
///
/// A timer is never claimable before it is due, so once the best time found is no later than
/// the last due time read, no later timer can beat it. Only when that many timers at the front
/// are all claimed past it (other workers hold them) must all timers be read.
pub(crate) fn earliest_claimable(front: &[(i64, Option<i64>)]) -> Option<Option<i64>> {
    let best = front
        .iter()
        .map(|(due, claimed)| claimed.map_or(*due, |c| c.max(*due)))
        .min();
    let last_due = front.last().map(|(due, _)| *due);
    let complete = i64::try_from(front.len()).unwrap_or(i64::MAX) < NEXT_DUE_PAGE;
    (complete || matches!((best, last_due), (Some(b), Some(d)) if b <= d)).then_some(best)
}

/// A row limit as SQL wants it.
pub(crate) fn sql_limit(limit: usize) -> i64 {
    i64::try_from(limit).unwrap_or(i64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_short_front_decides_alone() {
        assert_eq!(earliest_claimable(&[]), Some(None));
        assert_eq!(
            earliest_claimable(&[(10, Some(50)), (20, None), (30, None)]),
            Some(Some(20))
        );
    }

    #[test]
    fn a_full_front_decides_when_its_best_is_no_later_than_its_last_due_time() {
        let page = usize::try_from(NEXT_DUE_PAGE).unwrap();
        let mut front: Vec<(i64, Option<i64>)> = (0..NEXT_DUE_PAGE).map(|d| (d, None)).collect();
        front[0].1 = Some(1_000);
        assert_eq!(earliest_claimable(&front), Some(Some(1)));
        // Every timer of the front claimed past the last due time: a later one may be earlier.
        let claimed: Vec<(i64, Option<i64>)> =
            (0..NEXT_DUE_PAGE).map(|d| (d, Some(1_000))).collect();
        assert_eq!(claimed.len(), page);
        assert_eq!(earliest_claimable(&claimed), None);
    }
}
