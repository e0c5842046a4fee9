//! The CAMARA error envelope and the one place where errors become HTTP responses.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError};
use qod_domain::{DomainError, QosStatus, StoreError};
use serde::Serialize;

/// An error as the client sees it: `{status, code, message}`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{status} {code}: {message}")]
pub struct ApiError {
    pub status: StatusCode,
    pub code: &'static str,
    pub message: String,
    /// Seconds after which the client may try again, sent as `Retry-After`.
    pub retry_after_secs: Option<u64>,
}

#[derive(Serialize)]
struct Envelope<'a> {
    status: u16,
    code: &'a str,
    message: &'a str,
}

impl ApiError {
    /// An error with this status, code and message.
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        Self {
            status,
            code,
            message: message.into(),
            retry_after_secs: None,
        }
    }

    /// 400 INVALID_ARGUMENT.
    pub fn invalid_argument(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "INVALID_ARGUMENT", message)
    }

    /// 400 OUT_OF_RANGE.
    pub fn out_of_range(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "OUT_OF_RANGE", message)
    }

    /// 401 UNAUTHENTICATED.
    pub fn unauthenticated() -> Self {
        Self::new(
            StatusCode::UNAUTHORIZED,
            "UNAUTHENTICATED",
            "Request not authenticated due to missing, invalid, or expired credentials. \
             A new authentication is required.",
        )
    }

    /// 403 PERMISSION_DENIED.
    pub fn permission_denied() -> Self {
        Self::new(
            StatusCode::FORBIDDEN,
            "PERMISSION_DENIED",
            "Client does not have sufficient permissions to perform this action.",
        )
    }

    /// 404 NOT_FOUND.
    pub fn not_found(message: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, "NOT_FOUND", message)
    }

    /// 429 TOO_MANY_REQUESTS, with `Retry-After` (at least one second).
    pub fn too_many_requests(retry_after_secs: u64) -> Self {
        let mut error = Self::new(
            StatusCode::TOO_MANY_REQUESTS,
            "TOO_MANY_REQUESTS",
            "Rate limit reached.",
        );
        error.retry_after_secs = Some(retry_after_secs.max(1));
        error
    }

    /// 429 QUOTA_EXCEEDED.
    pub fn quota_exceeded() -> Self {
        Self::new(
            StatusCode::TOO_MANY_REQUESTS,
            "QUOTA_EXCEEDED",
            "Out of resource quota.",
        )
    }

    /// 500 INTERNAL, with a message that reveals nothing.
    pub fn internal() -> Self {
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "INTERNAL",
            "Unknown server error. Typically a server bug.",
        )
    }

    /// 503 UNAVAILABLE.
    pub fn unavailable() -> Self {
        Self::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "UNAVAILABLE",
            "Service Unavailable.",
        )
    }

    /// The envelope for a response that carries only a status (routing, payload limits).
    pub fn for_status(status: StatusCode) -> Self {
        let code = match status.as_u16() {
            400 => "INVALID_ARGUMENT",
            401 => "UNAUTHENTICATED",
            403 => "PERMISSION_DENIED",
            404 => "NOT_FOUND",
            405 => "METHOD_NOT_ALLOWED",
            406 => "NOT_ACCEPTABLE",
            409 => "CONFLICT",
            411 => "LENGTH_REQUIRED",
            413 => "PAYLOAD_TOO_LARGE",
            415 => "UNSUPPORTED_MEDIA_TYPE",
            429 => "TOO_MANY_REQUESTS",
            501 => "NOT_IMPLEMENTED",
            502 => "BAD_GATEWAY",
            503 => "UNAVAILABLE",
            504 => "TIMEOUT",
            s if s >= 500 => "INTERNAL",
            _ => "INVALID_ARGUMENT",
        };
        let message = match status.as_u16() {
            404 => "The specified resource is not found.".to_owned(),
            405 => "The requested method is not allowed for this resource.".to_owned(),
            413 => "The request body is too large.".to_owned(),
            s if s >= 500 => "Unknown server error. Typically a server bug.".to_owned(),
            _ => status
                .canonical_reason()
                .unwrap_or("Request failed")
                .to_owned(),
        };
        Self::new(status, code, message)
    }

    /// The response body, as JSON text.
    pub fn body(&self) -> String {
        serde_json::to_string(&Envelope {
            status: self.status.as_u16(),
            code: self.code,
            message: &self.message,
        })
        .unwrap_or_else(|_| {
            String::from(r#"{"status":500,"code":"INTERNAL","message":"Unknown server error."}"#)
        })
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        self.status
    }

    fn error_response(&self) -> HttpResponse {
        let mut response = HttpResponse::build(self.status);
        if let Some(secs) = self.retry_after_secs {
            response.insert_header((actix_web::http::header::RETRY_AFTER, secs.to_string()));
        }
        response.content_type("application/json").body(self.body())
    }
}

/// Which code a createSession duration outside the profile's range gets (CAMARA's spec and its
/// test suite disagree; the spec's code is the default).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum DurationErrorCode {
    /// 400 QUALITY_ON_DEMAND.DURATION_OUT_OF_RANGE (the spec).
    #[default]
    DurationOutOfRange,
    /// 400 INVALID_ARGUMENT (the CAMARA test suite).
    InvalidArgument,
}

impl ApiError {
    /// Maps a domain error to its CAMARA error. Internal causes are logged here, once.
    pub fn from_domain(error: DomainError, duration_code: DurationErrorCode) -> Self {
        use StatusCode as S;
        match error {
            DomainError::InvalidArgument(m) => Self::invalid_argument(m),
            DomainError::MissingIdentifier => Self::new(
                S::UNPROCESSABLE_ENTITY,
                "MISSING_IDENTIFIER",
                "The device cannot be identified.",
            ),
            DomainError::UnnecessaryIdentifier => Self::new(
                S::UNPROCESSABLE_ENTITY,
                "UNNECESSARY_IDENTIFIER",
                "The device is already identified by the access token.",
            ),
            DomainError::UnsupportedIdentifier => Self::new(
                S::UNPROCESSABLE_ENTITY,
                "UNSUPPORTED_IDENTIFIER",
                "The identifier provided is not supported.",
            ),
            DomainError::IdentifierNotFound => Self::new(
                S::NOT_FOUND,
                "IDENTIFIER_NOT_FOUND",
                "Device identifier not found.",
            ),
            DomainError::ServiceNotApplicable => Self::new(
                S::UNPROCESSABLE_ENTITY,
                "SERVICE_NOT_APPLICABLE",
                "The service is not available for the provided identifier.",
            ),
            DomainError::UnknownProfile(name) => {
                Self::invalid_argument(format!("The QoS profile {name} does not exist."))
            }
            DomainError::ProfileNotApplicable(_) => Self::new(
                S::UNPROCESSABLE_ENTITY,
                "QUALITY_ON_DEMAND.QOS_PROFILE_NOT_APPLICABLE",
                "The requested QoS Profile is currently not available for session creation.",
            ),
            DomainError::DurationOutOfRange { min, max } => {
                let message = format!(
                    "The requested duration is out of the allowed range for the specific QoS \
                     profile ({min} to {max} seconds)."
                );
                match duration_code {
                    DurationErrorCode::DurationOutOfRange => Self::new(
                        S::BAD_REQUEST,
                        "QUALITY_ON_DEMAND.DURATION_OUT_OF_RANGE",
                        message,
                    ),
                    DurationErrorCode::InvalidArgument => Self::invalid_argument(message),
                }
            }
            DomainError::InvalidSink(why) => Self::new(S::BAD_REQUEST, "INVALID_SINK", why),
            DomainError::PrivateKeyJwtNotConfigured => Self::new(
                S::UNPROCESSABLE_ENTITY,
                "PRIVATE_KEY_JWT_NOT_CONFIGURED",
                "No JWK Set configured for PRIVATE_KEY_JWT authentication.",
            ),
            DomainError::Conflict => Self::new(
                S::CONFLICT,
                "CONFLICT",
                "Conflict with an existing session for the same device.",
            ),
            DomainError::NotFound => Self::not_found("The specified resource is not found."),
            DomainError::PermissionDenied => Self::permission_denied(),
            DomainError::QuotaExceeded => Self::quota_exceeded(),
            DomainError::ExtensionNotAllowed(status) => Self::new(
                S::CONFLICT,
                "QUALITY_ON_DEMAND.SESSION_EXTENSION_NOT_ALLOWED",
                format!(
                    "Extending the session duration is not allowed in the current state ({}). \
                     The session must be in the AVAILABLE state.",
                    status_name(status)
                ),
            ),
            DomainError::NetworkUnavailable(cause) => {
                tracing::error!(error = %cause, "network unavailable");
                Self::unavailable()
            }
            DomainError::NetworkRejected(cause) => {
                tracing::error!(error = %cause, "network rejected a request");
                Self::new(
                    S::BAD_GATEWAY,
                    "BAD_GATEWAY",
                    "The network refused the request.",
                )
            }
            DomainError::Storage(StoreError::Conflict) => Self::new(
                S::CONFLICT,
                "CONFLICT",
                "Conflict with an existing session for the same device.",
            ),
            DomainError::Storage(StoreError::Unavailable(cause)) => {
                tracing::error!(error = %cause, "storage unavailable");
                Self::unavailable()
            }
            DomainError::Storage(StoreError::Internal(cause)) => {
                tracing::error!(error = %cause, "storage failure");
                Self::internal()
            }
        }
    }
}

impl From<DomainError> for ApiError {
    fn from(error: DomainError) -> Self {
        Self::from_domain(error, DurationErrorCode::default())
    }
}

fn status_name(status: QosStatus) -> &'static str {
    status.as_str()
}
