//! The crate's error type: what can go wrong while setting delivery up.

/// Why notification delivery could not be set up.
#[derive(Debug, thiserror::Error)]
pub enum NotifyError {
    /// An entry of the sink allow-list is neither a host name, an IP address nor a network.
    #[error("invalid allowed host {0:?}")]
    AllowedHost(String),
    /// The extra root CA file is not usable PEM.
    #[error("extra root CA: {0}")]
    RootCa(String),
    /// The HTTP client could not be built.
    #[error("HTTP client: {0}")]
    Client(String),
    /// The PRIVATE_KEY_JWT signing key is not a usable PKCS#8 PEM key.
    #[error("PRIVATE_KEY_JWT signing key: {0}")]
    SigningKey(String),
    /// A setting is out of range.
    #[error("invalid setting: {0}")]
    Setting(String),
}
