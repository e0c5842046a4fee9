//! A backend-agnostic test suite for [`qod_domain::SessionStore`] and
//! [`qod_domain::OutboxStore`].
//!
//! Each function exercises one part of the contract against a store and panics (like a test)
//! when the store misbehaves. Each expects a fresh, empty database. A backend's test file calls
//! every function once: `tests/sqlite.rs` for [`crate::SqliteStore`], `tests/postgres.rs` for
//! [`crate::PgStore`]; [`for_each_contract_test!`](crate::for_each_contract_test) names the
//! single-store ones for them. Functions that take several stores expect them on one database.

pub mod fixtures;

mod claims;
mod concurrency;
mod outbox;
mod outbox_claims;
mod quota;
mod sessions;
mod timers;
mod updates;

use async_trait::async_trait;
use qod_domain::{OutboxStore, SessionStore, StoreError, Timer};
use uuid::Uuid;

pub use claims::{
    a_claimed_timer_is_hidden_until_its_lease_ends, concurrent_claims_take_each_timer_once,
    setting_a_timer_anew_clears_its_claim,
};
pub use concurrency::{
    committed_writes_survive_reopening, concurrent_identical_inserts_admit_one,
    concurrent_inserts_for_many_devices, concurrent_reads_each_get_their_own_answer,
};
pub use outbox::{
    attempts_are_recorded, changes_of_sessions_with_a_sink_are_queued,
    gone_ends_the_session_and_purge_removes_finished,
};
pub use outbox_claims::{
    claims_respect_the_room_of_each_origin, concurrent_event_claims_take_each_event_once,
    events_of_a_session_are_claimed_in_order,
};
pub use quota::active_sessions_are_counted_per_client;
pub use sessions::{
    insert_accepts_disjoint_flows, insert_ignores_finished_sessions, insert_ignores_other_devices,
    insert_refuses_overlapping_flows, round_trip_of_every_field, sessions_of_device_oldest_first,
};
pub use timers::{
    LEASE, claims_take_due_timers_earliest_first, next_due_time_is_the_earliest,
    reschedule_moves_and_removes, timers_of, update_sets_clears_and_upserts_timers,
};
pub use updates::{
    delete_checks_the_version_and_keeps_changes, status_changes_in_recorded_order,
    update_checks_the_version, update_replaces_every_field,
};

/// Hands the name of every contract function that takes one fresh store to `$callback`, a
/// macro of the caller's that turns each name into a test. The list lives here, next to the
/// functions, so that no backend's test file can miss one:
///
/// ```text
/// macro_rules! contract_tests {
///     ($($name:ident),* $(,)?) => {$(
///         #[tokio::test]
///         async fn $name() {
///             let store = /* a fresh store */;
///             qod_store::contract::$name(&store).await;
///         }
///     )*};
/// }
///
/// qod_store::for_each_contract_test!(contract_tests);
/// ```
///
/// The functions that take several stores or a way to reopen one need a setup of their own
/// and are called one by one.
#[macro_export]
macro_rules! for_each_contract_test {
    ($callback:ident) => {
        $callback!(
            round_trip_of_every_field,
            insert_refuses_overlapping_flows,
            insert_accepts_disjoint_flows,
            insert_ignores_other_devices,
            insert_ignores_finished_sessions,
            sessions_of_device_oldest_first,
            update_checks_the_version,
            update_replaces_every_field,
            delete_checks_the_version_and_keeps_changes,
            status_changes_in_recorded_order,
            update_sets_clears_and_upserts_timers,
            claims_take_due_timers_earliest_first,
            next_due_time_is_the_earliest,
            reschedule_moves_and_removes,
            a_claimed_timer_is_hidden_until_its_lease_ends,
            setting_a_timer_anew_clears_its_claim,
            changes_of_sessions_with_a_sink_are_queued,
            attempts_are_recorded,
            gone_ends_the_session_and_purge_removes_finished,
            events_of_a_session_are_claimed_in_order,
            claims_respect_the_room_of_each_origin,
            active_sessions_are_counted_per_client,
        );
    };
}

/// What the suite needs beyond the ports: a look at a session's timers that claims nothing.
#[async_trait]
pub trait Inspect: SessionStore + OutboxStore {
    /// Every timer of the session, claimed or not, ordered by kind.
    async fn timers_of(&self, session_id: Uuid) -> Result<Vec<Timer>, StoreError>;
}
