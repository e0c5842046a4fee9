//! Validators backed by the operator's authorization server: JWTs checked against its
//! published key set ([`JwksValidator`]) and RFC 7662 token introspection
//! ([`IntrospectionValidator`]).

mod cache;
mod http;
mod introspection;
mod jwks;

pub use introspection::{IntrospectionSettings, IntrospectionValidator};
pub use jwks::{JwksSettings, JwksValidator};
