//! Bearer-token authentication and scope checks.

use std::future::Future;
use std::pin::Pin;

use actix_web::http::header::AUTHORIZATION;
use actix_web::{FromRequest, HttpRequest, dev::Payload, web};
use qod_auth::{AuthError, Principal};
use qod_domain::Caller;

use crate::limit::retry_after_secs;
use crate::{ApiError, ApiState};

/// A request whose bearer token was validated. Extract it before the body, so that an
/// unauthenticated request gets 401 whatever its body. A validated caller beyond its rate
/// limit gets 429 TOO_MANY_REQUESTS with `Retry-After`.
#[derive(Debug, Clone)]
pub struct Authenticated(pub Principal);

impl Authenticated {
    /// The caller, if the token carries `scope` (else 403 PERMISSION_DENIED).
    pub fn require(&self, scope: &str) -> Result<Caller, ApiError> {
        if !self.0.has_scope(scope) {
            return Err(ApiError::permission_denied());
        }
        let subject = match &self.0.subject {
            None => None,
            Some(s) => Some(Caller::subject_identity(s).ok_or_else(ApiError::unauthenticated)?),
        };
        Ok(Caller {
            client_id: self.0.client_id.clone(),
            subject,
        })
    }
}

fn bearer(req: &HttpRequest) -> Option<String> {
    let value = req.headers().get(AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.trim().split_once(' ')?;
    let token = token.trim();
    (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty()).then(|| token.to_owned())
}

impl FromRequest for Authenticated {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, ApiError>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let token = bearer(req);
        let state = req.app_data::<web::Data<ApiState>>().cloned();
        Box::pin(async move {
            let (Some(token), Some(state)) = (token, state) else {
                return Err(ApiError::unauthenticated());
            };
            match state.validator.validate(&token).await {
                Ok(principal) => {
                    if let Some(limiter) = &state.rate_limiter
                        && let Err(wait) = limiter.check(&principal.client_id)
                    {
                        tracing::debug!(client.id = %principal.client_id, "rate limit reached");
                        return Err(ApiError::too_many_requests(retry_after_secs(wait)));
                    }
                    Ok(Authenticated(principal))
                }
                Err(AuthError::Unavailable(cause)) => {
                    tracing::error!(error = %cause, "token validation unavailable");
                    Err(ApiError::unavailable())
                }
                Err(_) => Err(ApiError::unauthenticated()),
            }
        })
    }
}
