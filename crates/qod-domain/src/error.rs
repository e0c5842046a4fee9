use crate::{QosStatus, StoreError};

/// Why a use case did not go through. The HTTP layer maps each to one CAMARA error.
#[derive(Debug, thiserror::Error)]
pub enum DomainError {
    #[error("invalid argument: {0}")]
    InvalidArgument(String),
    #[error("the device cannot be identified")]
    MissingIdentifier,
    #[error("the device is already identified by the access token")]
    UnnecessaryIdentifier,
    #[error("the identifier provided is not supported")]
    UnsupportedIdentifier,
    #[error("device identifier not found")]
    IdentifierNotFound,
    #[error("the service is not available for the provided identifier")]
    ServiceNotApplicable,
    #[error("unknown QoS profile {0}")]
    UnknownProfile(String),
    #[error("QoS profile {0} is not available for new sessions")]
    ProfileNotApplicable(String),
    #[error("duration out of the profile's range {min}..={max} seconds")]
    DurationOutOfRange { min: i64, max: i64 },
    #[error("sink not allowed: {0}")]
    InvalidSink(String),
    #[error("no JWK set is configured for PRIVATE_KEY_JWT")]
    PrivateKeyJwtNotConfigured,
    #[error("conflict with an existing session for the same device")]
    Conflict,
    #[error("session not found")]
    NotFound,
    #[error("the session belongs to another client or device")]
    PermissionDenied,
    #[error("the client holds its maximum number of active sessions")]
    QuotaExceeded,
    #[error("extension not allowed in state {0:?}")]
    ExtensionNotAllowed(QosStatus),
    #[error("network unavailable: {0}")]
    NetworkUnavailable(String),
    #[error("network rejected the request: {0}")]
    NetworkRejected(String),
    #[error(transparent)]
    Storage(#[from] StoreError),
}

impl From<qod_network::NetworkError> for DomainError {
    fn from(e: qod_network::NetworkError) -> Self {
        use qod_network::NetworkError as N;
        match e {
            N::SubscriberNotFound => Self::IdentifierNotFound,
            N::NotApplicable => Self::ServiceNotApplicable,
            N::Unavailable(m) => Self::NetworkUnavailable(m),
            N::Rejected(m) => Self::NetworkRejected(m),
        }
    }
}
