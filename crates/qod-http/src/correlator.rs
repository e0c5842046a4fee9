//! The `x-correlator` header: validated on the way in, echoed on every response.

use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::middleware::Next;
use actix_web::{Error, ResponseError};

use crate::ApiError;

/// The header's name.
pub const X_CORRELATOR: HeaderName = HeaderName::from_static("x-correlator");

/// True for a value matching CAMARA's `^[a-zA-Z0-9-_:;.\/<>{}]{0,256}$`.
pub fn is_valid(value: &str) -> bool {
    value.len() <= 256
        && value
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_:;./<>{}".contains(&b))
}

/// Middleware: a bad `x-correlator` is 400 INVALID_ARGUMENT; a good one is echoed; a missing one
/// is generated, so that every response (and log line) can be correlated.
pub async fn correlate(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody>>, Error> {
    let given = req
        .headers()
        .get(&X_CORRELATOR)
        .map(|v| v.to_str().ok().filter(|s| is_valid(s)).map(str::to_owned));
    let value = match given {
        Some(Some(v)) => v,
        Some(None) => {
            let error = ApiError::invalid_argument("The x-correlator header is not valid.");
            return Ok(req
                .into_response(error.error_response())
                .map_into_right_body());
        }
        None => uuid::Uuid::new_v4().to_string(),
    };
    let mut res = next.call(req).await?;
    if let Ok(v) = HeaderValue::from_str(&value) {
        res.headers_mut().insert(X_CORRELATOR, v);
    }
    Ok(res.map_into_left_body())
}
