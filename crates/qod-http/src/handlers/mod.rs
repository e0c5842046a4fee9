//! Request handlers: each authenticates, checks its scope, parses, calls the domain, renders.

pub mod oauth;
pub mod profiles;
pub mod sessions;

use crate::ApiError;

/// Parses a path id as a UUID in its hyphenated form, the only one CAMARA's `format: uuid`
/// allows (400 INVALID_ARGUMENT otherwise).
pub fn path_uuid(raw: &str) -> Result<uuid::Uuid, ApiError> {
    if raw.len() != 36 {
        return Err(ApiError::invalid_argument(
            "The session id is not a valid UUID.",
        ));
    }
    uuid::Uuid::parse_str(raw)
        .map_err(|_| ApiError::invalid_argument("The session id is not a valid UUID."))
}
