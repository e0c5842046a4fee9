//! [`SandboxValidator`]: the sandbox's token validator, which also accepts one static token.

use std::fmt;

use crate::ct::secrets_equal;
use crate::scope::all_scopes;
use crate::{AuthError, JwtValidator, Principal, TokenValidator};

/// The well-known static token of CAMARA sandboxes, for configurations that enable it.
pub const MOCK_SANDBOX_ACCESS_TOKEN: &str = "mock_sandbox_access_token";

/// Client id of the principal a static token stands for.
const STATIC_CLIENT_ID: &str = "sandbox";

/// Validates sandbox tokens: the configured static token (if any) is a 2-legged principal
/// `sandbox` with every scope; anything else goes to the JWT validator.
#[derive(Clone)]
pub struct SandboxValidator {
    /// Validator of issued JWTs.
    pub inner: JwtValidator,
    /// The static token, compared in constant time; `None` (or empty) disables it.
    pub static_token: Option<String>,
}

impl SandboxValidator {
    /// A validator over `inner` that also accepts `static_token`.
    pub fn new(inner: JwtValidator, static_token: Option<String>) -> Self {
        Self {
            inner,
            static_token,
        }
    }

    /// Validates `token` without waiting on anything.
    pub fn validate_now(&self, token: &str) -> Result<Principal, AuthError> {
        match self.static_token.as_deref() {
            Some(expected) if !expected.is_empty() && secrets_equal(token, expected) => {
                Ok(Principal {
                    client_id: STATIC_CLIENT_ID.to_owned(),
                    scopes: all_scopes(),
                    subject: None,
                })
            }
            _ => self.inner.validate_now(token),
        }
    }
}

#[async_trait::async_trait]
impl TokenValidator for SandboxValidator {
    async fn validate(&self, bearer_token: &str) -> Result<Principal, AuthError> {
        self.validate_now(bearer_token)
    }
}

impl fmt::Debug for SandboxValidator {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SandboxValidator")
            .field("inner", &self.inner)
            .field(
                "static_token",
                &self.static_token.as_ref().map(|_| "[redacted]"),
            )
            .finish()
    }
}
