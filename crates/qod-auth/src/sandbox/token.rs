//! Access tokens the sandbox issues.

use std::fmt;

use serde::Serialize;

/// An access token as returned by the token endpoint.
#[derive(Clone, PartialEq, Eq)]
pub struct IssuedToken {
    /// The signed JWT.
    pub access_token: String,
    /// Seconds until the token expires.
    pub expires_in: u64,
    /// The granted scopes, space-separated.
    pub scope: String,
}

impl fmt::Debug for IssuedToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("IssuedToken")
            .field("access_token", &"[redacted]")
            .field("expires_in", &self.expires_in)
            .field("scope", &self.scope)
            .finish()
    }
}

/// `typ` header of the access tokens (RFC 9068).
pub(crate) const ACCESS_TOKEN_TYP: &str = "at+jwt";

/// Claims of an access token.
#[derive(Serialize)]
pub(crate) struct AccessClaims<'a> {
    pub(crate) iss: &'a str,
    pub(crate) aud: &'a str,
    pub(crate) sub: &'a str,
    pub(crate) client_id: &'a str,
    pub(crate) scope: &'a str,
    pub(crate) iat: u64,
    pub(crate) nbf: u64,
    pub(crate) exp: u64,
    pub(crate) jti: String,
}

/// Seconds since the Unix epoch.
pub(crate) fn now_secs() -> u64 {
    u64::try_from(time::OffsetDateTime::now_utc().unix_timestamp()).unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_hides_the_token() {
        let t = IssuedToken {
            access_token: "eyJ.secret.part".into(),
            expires_in: 5,
            scope: "a".into(),
        };
        let shown = format!("{t:?}");
        assert!(!shown.contains("secret"));
        assert!(shown.contains("redacted"));
    }

    #[test]
    fn clock_is_after_2024() {
        assert!(now_secs() > 1_704_067_200);
    }
}
