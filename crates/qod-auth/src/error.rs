/// Why an authentication or authorization step failed.
///
/// Messages never contain tokens, secrets or key material.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AuthError {
    /// The bearer token is not acceptable: malformed, badly signed, expired, or meant for
    /// another issuer or audience.
    #[error("invalid access token")]
    InvalidToken,
    /// The service that validates tokens could not be reached; the request may be retried.
    #[error("token validation unavailable: {0}")]
    Unavailable(String),
    /// The client could not be authenticated (unknown client or wrong secret).
    #[error("client authentication failed")]
    InvalidClient,
    /// A requested scope or purpose is unknown or not allowed.
    #[error("invalid scope")]
    InvalidScope,
    /// The grant (for example a CIBA `auth_req_id`) is invalid, expired or belongs to
    /// another client.
    #[error("invalid grant")]
    InvalidGrant,
    /// The request is missing a parameter or has one in the wrong form.
    #[error("invalid request: {0}")]
    InvalidRequest(String),
    /// The token endpoint does not support the requested grant type.
    #[error("unsupported grant type")]
    UnsupportedGrantType,
    /// A signing or verification key could not be generated, loaded or used.
    #[error("key error: {0}")]
    Key(String),
    /// A validator's settings are not usable (a malformed URL, an empty setting).
    #[error("configuration error: {0}")]
    Config(String),
}

impl AuthError {
    /// The OAuth 2.0 error code for this error, as sent in a token endpoint's error response
    /// (RFC 6749 section 5.2, RFC 6750 section 3.1 for `invalid_token`).
    pub fn oauth_error_code(&self) -> &'static str {
        match self {
            Self::InvalidToken => "invalid_token",
            Self::Unavailable(_) => "temporarily_unavailable",
            Self::InvalidClient => "invalid_client",
            Self::InvalidScope => "invalid_scope",
            Self::InvalidGrant => "invalid_grant",
            Self::InvalidRequest(_) => "invalid_request",
            Self::UnsupportedGrantType => "unsupported_grant_type",
            Self::Key(_) | Self::Config(_) => "server_error",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::AuthError;

    #[test]
    fn oauth_codes_follow_rfc_6749() {
        assert_eq!(
            AuthError::InvalidClient.oauth_error_code(),
            "invalid_client"
        );
        assert_eq!(AuthError::InvalidScope.oauth_error_code(), "invalid_scope");
        assert_eq!(AuthError::InvalidGrant.oauth_error_code(), "invalid_grant");
        assert_eq!(
            AuthError::InvalidRequest("x".into()).oauth_error_code(),
            "invalid_request"
        );
        assert_eq!(
            AuthError::UnsupportedGrantType.oauth_error_code(),
            "unsupported_grant_type"
        );
        assert_eq!(AuthError::InvalidToken.oauth_error_code(), "invalid_token");
    }
}
