/// Why the network could not do what it was asked.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NetworkError {
    /// The network knows no subscriber with this identity.
    #[error("no subscriber with this identity")]
    SubscriberNotFound,
    /// The subscriber exists but the service is not offered to it.
    #[error("the service is not applicable to this subscriber")]
    NotApplicable,
    /// The network could not be reached or did not answer in time; the request may be retried.
    #[error("network unavailable: {0}")]
    Unavailable(String),
    /// The network answered with an error that retrying will not fix.
    #[error("network rejected the request: {0}")]
    Rejected(String),
}
