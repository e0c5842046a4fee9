//! Where the status-change events of a session go.

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

/// Where status-change events of a resource go, and how to authenticate there.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Sink {
    /// An `https://` URL.
    pub url: String,
    pub credential: Option<SinkCredential>,
}

impl Sink {
    /// The sink's origin, e.g. `https://app.example.com:443`: concurrent deliveries are capped
    /// per origin.
    pub fn origin(&self) -> String {
        origin_of(&self.url)
    }
}

/// The origin (`scheme://host:port`, lower case, default port made explicit) of a URL.
pub fn origin_of(url: &str) -> String {
    let (scheme, rest) = url.split_once("://").unwrap_or(("https", url));
    let scheme = scheme.to_ascii_lowercase();
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    let host_port = authority
        .rsplit_once('@')
        .map_or(authority, |(_, host)| host)
        .to_ascii_lowercase();
    let has_port = match host_port.strip_prefix('[') {
        Some(bracketed) => bracketed.contains("]:"),
        None => host_port.contains(':'),
    };
    if has_port {
        format!("{scheme}://{host_port}")
    } else {
        let port = if scheme == "http" { 80 } else { 443 };
        format!("{scheme}://{host_port}:{port}")
    }
}

/// A credential for the sink. Secrets are stored for delivery and never returned; `Debug`
/// shows no access token.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum SinkCredential {
    /// A bearer access token valid until `expires_at`.
    AccessToken {
        access_token: String,
        #[serde(with = "time::serde::rfc3339")]
        expires_at: OffsetDateTime,
    },
    /// Obtain a token from the client's authorization server with a signed client assertion.
    PrivateKeyJwt {
        client_id: Option<String>,
        token_uri: Option<String>,
    },
}

impl std::fmt::Debug for SinkCredential {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::AccessToken { expires_at, .. } => f
                .debug_struct("AccessToken")
                .field("access_token", &"<redacted>")
                .field("expires_at", expires_at)
                .finish(),
            Self::PrivateKeyJwt {
                client_id,
                token_uri,
            } => f
                .debug_struct("PrivateKeyJwt")
                .field("client_id", client_id)
                .field("token_uri", token_uri)
                .finish(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::origin_of;

    #[test]
    fn debug_hides_the_access_token() {
        let credential = super::SinkCredential::AccessToken {
            access_token: "tok-3f9a-secret".into(),
            expires_at: time::OffsetDateTime::UNIX_EPOCH,
        };
        let shown = format!("{credential:?}");
        assert!(!shown.contains("tok-3f9a-secret"), "{shown}");
        assert!(shown.contains("redacted"), "{shown}");
    }

    #[test]
    fn origins_are_normalised() {
        assert_eq!(
            origin_of("https://App.Example.com/x?y"),
            "https://app.example.com:443"
        );
        assert_eq!(origin_of("https://h:8443"), "https://h:8443");
        assert_eq!(origin_of("https://u:p@h/p"), "https://h:443");
        assert_eq!(origin_of("https://[::1]/p"), "https://[::1]:443");
        assert_eq!(origin_of("https://[::1]:9/p"), "https://[::1]:9");
        assert_eq!(origin_of("https://127.0.0.1:7#f"), "https://127.0.0.1:7");
    }
}
