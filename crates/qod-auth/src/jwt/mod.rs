//! Validation of JWT access tokens against a JSON Web Key Set.

mod keys;
mod validator;

pub(crate) use keys::ALLOWED_ALGORITHMS;
pub use validator::JwtValidator;
pub(crate) use validator::MAX_TOKEN_LEN;
