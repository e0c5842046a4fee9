use crate::{AuthError, Principal};

/// Validates bearer tokens.
///
/// The sandbox uses [`crate::JwtValidator`] (wrapped in [`crate::SandboxValidator`]) over its
/// own key set; production validators (remote JWKS, token introspection) implement the same
/// trait so the HTTP layer does not care which one is configured.
#[async_trait::async_trait]
pub trait TokenValidator: Send + Sync + 'static {
    /// Returns the caller's [`Principal`] for an acceptable token.
    ///
    /// `Err(AuthError::InvalidToken)` for anything not acceptable (bad signature, expired,
    /// wrong issuer or audience, malformed); `Err(AuthError::Unavailable(..))` when the
    /// validator's backing service cannot be reached.
    async fn validate(&self, bearer_token: &str) -> Result<Principal, AuthError>;
}
