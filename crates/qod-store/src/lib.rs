//! Session storage for QoD Gateway, on SQLite or PostgreSQL.
//!
//! [`SqliteStore`] keeps sessions, their due times and the status-change outbox in one SQLite
//! file: the zero-set-up default. Every write is committed (and synced) before its call
//! returns; concurrent writes share commits through a single writer thread.
//!
//! [`PgStore`] serves the same contract from PostgreSQL (or a compatible engine) to any number
//! of server instances: creations are serialised per device in the database, and due timers
//! are claimed with leases so that each is worked on by one instance at a time.
//!
//! Both keep the notification outbox ([`qod_domain::OutboxStore`]): every status change of a
//! session with a sink is queued in the transaction that records it, and dispatchers claim
//! due events with leases, like timers.
//!
//! [`open`] and [`migrate`] pick the backend from a database URL. [`contract`] is the
//! backend-agnostic test suite that every [`qod_domain::SessionStore`] implementation must
//! pass.

mod claims;
pub mod contract;
mod error;
mod migrations;
mod open;
mod outbox;
mod pg;
mod rows;
mod schema;
mod sqlite;

pub use error::Error;
pub use open::{DatabaseUrl, Store, migrate, open};
pub use pg::{PgStore, PoolSettings};
pub use sqlite::{SqliteAccess, SqliteStore, WriteStats};
