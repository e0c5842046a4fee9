//! Authentication and authorization of QoD Gateway callers.
//!
//! [`TokenValidator`] turns a bearer token into a [`Principal`] (client, scopes and, for
//! 3-legged tokens, the device subject). [`JwtValidator`] checks JWTs against a JSON Web Key
//! Set and is the path every token takes, including the sandbox's own: [`SandboxIssuer`] is the
//! sandbox's built-in authorization server (client credentials and CIBA), and
//! [`SandboxValidator`] adds the optional static sandbox token.
//!
//! Outside the sandbox, tokens come from the operator's authorization server:
//! [`JwksValidator`] checks JWTs against the key set it publishes (fetched, cached and
//! refreshed on key rotation), and [`IntrospectionValidator`] asks its RFC 7662 introspection
//! endpoint. Both read the principal through a configurable [`ClaimMapping`].

mod claims;
mod ct;
mod error;
mod jwt;
mod principal;
mod remote;
mod sandbox;
pub mod scope;
#[cfg(feature = "test-util")]
pub mod testing;
mod validator;

pub use claims::ClaimMapping;
pub use error::AuthError;
/// Signature algorithms, as named in JWT headers and in the validators' settings.
pub use jsonwebtoken::Algorithm;
pub use jwt::JwtValidator;
pub use principal::Principal;
pub use remote::{IntrospectionSettings, IntrospectionValidator, JwksSettings, JwksValidator};
pub use sandbox::{
    BcAuthorization, IssuedToken, MOCK_SANDBOX_ACCESS_TOKEN, SandboxIssuer, SandboxValidator,
};
pub use validator::TokenValidator;
