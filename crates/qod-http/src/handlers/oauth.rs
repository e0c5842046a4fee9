//! The sandbox's built-in authorization server: client credentials and CIBA (RFC 6749 errors).

use std::collections::HashMap;

use actix_web::http::StatusCode;
use actix_web::http::header::{AUTHORIZATION, CACHE_CONTROL, PRAGMA, WWW_AUTHENTICATE};
use actix_web::{HttpRequest, HttpResponse, web};
use base64::Engine;
use oauth2::StandardErrorResponse;
use oauth2::basic::BasicErrorResponseType;
use qod_auth::{AuthError, SandboxIssuer};
use serde::Serialize;

use crate::{ApiError, ApiState};

const CIBA_GRANT: &str = "urn:openid:params:grant-type:ciba";

#[derive(Serialize)]
struct TokenResponse<'a> {
    access_token: &'a str,
    token_type: &'static str,
    expires_in: u64,
    scope: &'a str,
}

#[derive(Serialize)]
struct BcAuthorizeResponse<'a> {
    auth_req_id: &'a str,
    expires_in: u64,
    interval: u64,
}

fn oauth_error(error: &AuthError, basic_auth_used: bool) -> HttpResponse {
    let code = error.oauth_error_code();
    let kind = match code {
        "invalid_client" => BasicErrorResponseType::InvalidClient,
        "invalid_grant" => BasicErrorResponseType::InvalidGrant,
        "invalid_scope" => BasicErrorResponseType::InvalidScope,
        "unsupported_grant_type" => BasicErrorResponseType::UnsupportedGrantType,
        "invalid_request" => BasicErrorResponseType::InvalidRequest,
        other => BasicErrorResponseType::Extension(other.to_owned()),
    };
    let body = StandardErrorResponse::new(kind, Some(error.to_string()), None);
    let status = if matches!(error, AuthError::InvalidClient) && basic_auth_used {
        StatusCode::UNAUTHORIZED
    } else {
        StatusCode::BAD_REQUEST
    };
    let mut res = HttpResponse::build(status);
    if status == StatusCode::UNAUTHORIZED {
        res.insert_header((WWW_AUTHENTICATE, "Basic realm=\"qod-sandbox\""));
    }
    res.insert_header((CACHE_CONTROL, "no-store")).json(body)
}

/// Client credentials from HTTP Basic or the form, and whether Basic was used.
fn client_credentials(
    req: &HttpRequest,
    form: &HashMap<String, String>,
) -> Option<(String, String, bool)> {
    if let Some(value) = req
        .headers()
        .get(AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        && let Some((scheme, encoded)) = value.trim().split_once(' ')
        && scheme.eq_ignore_ascii_case("basic")
    {
        let decoded = base64::engine::general_purpose::STANDARD
            .decode(encoded.trim())
            .ok()?;
        let text = String::from_utf8(decoded).ok()?;
        let (id, secret) = text.split_once(':')?;
        return Some((id.to_owned(), secret.to_owned(), true));
    }
    Some((
        form.get("client_id")?.clone(),
        form.get("client_secret")?.clone(),
        false,
    ))
}

fn parse_form(body: &[u8]) -> Result<HashMap<String, String>, AuthError> {
    serde_urlencoded::from_bytes(body)
        .map_err(|_| AuthError::InvalidRequest("the body is not a valid form".into()))
}

fn issuer(state: &ApiState) -> Result<&SandboxIssuer, ApiError> {
    state
        .sandbox
        .as_deref()
        .ok_or_else(|| ApiError::not_found("The specified resource is not found."))
}

/// Parses a token-endpoint form and authenticates its client: the form and the client id, or
/// the RFC 6749 error response to send.
fn authenticated_form(
    issuer: &SandboxIssuer,
    req: &HttpRequest,
    body: &[u8],
) -> Result<(HashMap<String, String>, String), Box<HttpResponse>> {
    let form = parse_form(body).map_err(|e| Box::new(oauth_error(&e, false)))?;
    let (id, secret, basic) = client_credentials(req, &form)
        .ok_or_else(|| Box::new(oauth_error(&AuthError::InvalidClient, false)))?;
    issuer
        .authenticate_client(&id, &secret)
        .map_err(|e| Box::new(oauth_error(&e, basic)))?;
    Ok((form, id))
}

/// `POST /oauth2/token`.
pub async fn token(
    state: web::Data<ApiState>,
    req: HttpRequest,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let issuer = issuer(&state)?;
    let (form, client) = match authenticated_form(issuer, &req, &body) {
        Ok(authenticated) => authenticated,
        Err(response) => return Ok(*response),
    };
    let issued = match form.get("grant_type").map(String::as_str) {
        Some("client_credentials") => {
            issuer.issue_client_credentials(&client, form.get("scope").map(String::as_str))
        }
        Some(CIBA_GRANT) => match form.get("auth_req_id") {
            Some(id) => issuer.issue_ciba(&client, id),
            None => Err(AuthError::InvalidRequest("auth_req_id is missing".into())),
        },
        Some(_) => Err(AuthError::UnsupportedGrantType),
        None => Err(AuthError::InvalidRequest("grant_type is missing".into())),
    };
    Ok(match issued {
        Ok(t) => HttpResponse::Ok()
            .insert_header((CACHE_CONTROL, "no-store"))
            .insert_header((PRAGMA, "no-cache"))
            .json(TokenResponse {
                access_token: &t.access_token,
                token_type: "Bearer",
                expires_in: t.expires_in,
                scope: &t.scope,
            }),
        Err(e) => oauth_error(&e, false),
    })
}

/// `POST /oauth2/bc-authorize` (CIBA): the sandbox consents at once.
pub async fn bc_authorize(
    state: web::Data<ApiState>,
    req: HttpRequest,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let issuer = issuer(&state)?;
    let (form, client) = match authenticated_form(issuer, &req, &body) {
        Ok(authenticated) => authenticated,
        Err(response) => return Ok(*response),
    };
    let Some(login_hint) = form.get("login_hint") else {
        return Ok(oauth_error(
            &AuthError::InvalidRequest("login_hint is missing".into()),
            false,
        ));
    };
    let field = |name: &str| form.get(name).map(String::as_str);
    Ok(
        match issuer.bc_authorize(&client, login_hint, field("scope"), field("purpose")) {
            Ok(a) => HttpResponse::Ok()
                .insert_header((CACHE_CONTROL, "no-store"))
                .json(BcAuthorizeResponse {
                    auth_req_id: &a.auth_req_id,
                    expires_in: a.expires_in,
                    interval: a.interval,
                }),
            Err(e) => oauth_error(&e, false),
        },
    )
}

/// `GET /oauth2/jwks`: the sandbox issuer's public keys.
pub async fn jwks(state: web::Data<ApiState>) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(issuer(&state)?.jwks()))
}
