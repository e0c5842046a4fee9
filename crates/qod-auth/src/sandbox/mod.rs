//! The sandbox's built-in authorization server: key, client authentication, token issuance
//! (client credentials and CIBA) and the static sandbox token.

mod ciba;
mod issuer;
mod key;
mod login_hint;
mod static_token;
mod token;

pub use ciba::BcAuthorization;
pub use issuer::SandboxIssuer;
pub use static_token::{MOCK_SANDBOX_ACCESS_TOKEN, SandboxValidator};
pub use token::IssuedToken;
