//! What the test files of this crate share: in-memory fakes of the service's ports, a harness
//! that wires a [`qod_domain::SessionService`] to them, and builders for requests, sessions,
//! ports and networks.
//!
//! Each test file declares `mod common;` and uses the part it needs.

pub mod doubles;
pub mod flows;
pub mod harness;
pub mod store;
