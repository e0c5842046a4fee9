//! The HTTP transport of QoD Gateway: CAMARA wire types and validation, the error envelope,
//! `x-correlator`, bearer-token authentication, the sandbox's token endpoints, and the routes.

pub mod app;
pub mod auth;
pub mod correlator;
pub mod envelope;
pub mod error;
pub mod handlers;
pub mod limit;
pub mod state;
pub mod wire;

pub use app::{app, configure};
pub use error::{ApiError, DurationErrorCode};
pub use state::{ApiState, HttpSettings};
