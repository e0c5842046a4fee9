//! Turns every error response that is not already a CAMARA envelope (routing misses, wrong
//! methods, oversized bodies, framework errors) into one.

use actix_web::body::{BoxBody, EitherBody, MessageBody};
use actix_web::dev::ServiceResponse;
use actix_web::http::header::{CONTENT_TYPE, HeaderValue};
use actix_web::middleware::ErrorHandlerResponse;
use actix_web::{HttpResponse, Result};

use crate::ApiError;

/// An `ErrorHandlers` default handler: responses whose body is not JSON get the envelope.
pub fn ensure_envelope<B: MessageBody + 'static>(
    res: ServiceResponse<B>,
) -> Result<ErrorHandlerResponse<B>> {
    let is_json = res
        .headers()
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"));
    if is_json {
        return Ok(ErrorHandlerResponse::Response(res.map_into_left_body()));
    }
    let error = ApiError::for_status(res.status());
    let (req, old) = res.into_parts();
    let mut new = HttpResponse::build(old.status());
    for (name, value) in old.headers() {
        if name != CONTENT_TYPE && name != actix_web::http::header::CONTENT_LENGTH {
            new.append_header((name.clone(), value.clone()));
        }
    }
    new.insert_header((CONTENT_TYPE, HeaderValue::from_static("application/json")));
    let res: ServiceResponse<EitherBody<B, BoxBody>> =
        ServiceResponse::new(req, new.body(error.body())).map_into_right_body();
    Ok(ErrorHandlerResponse::Response(res))
}
