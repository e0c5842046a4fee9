//! The QoS Profiles API and the catalogue's reload endpoint.

use actix_web::http::StatusCode;
use actix_web::http::header::AUTHORIZATION;
use actix_web::{HttpRequest, HttpResponse, web};
use qod_auth::scope;
use subtle::ConstantTimeEq;

use crate::auth::Authenticated;
use crate::wire::{QosProfileResponse, RetrieveProfilesBody, check_profile_path_name};
use crate::{ApiError, ApiState};

/// The longest message an error envelope carries (CAMARA's `ErrorInfo.message`).
const MAX_MESSAGE_CHARS: usize = 512;

/// `POST /retrieve-qos-profiles`.
pub async fn retrieve(
    state: web::Data<ApiState>,
    auth: Authenticated,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let caller = auth.require(scope::QOS_PROFILES_READ)?;
    let query = RetrieveProfilesBody::parse(&body)?.into_query()?;
    let profiles = state.profiles.service.retrieve(&caller, &query).await?;
    let list: Vec<QosProfileResponse> = profiles
        .iter()
        .map(|p| QosProfileResponse::from(p.as_ref()))
        .collect();
    Ok(HttpResponse::Ok().json(list))
}

/// `GET /qos-profiles/{name}`.
pub async fn get(
    state: web::Data<ApiState>,
    auth: Authenticated,
    name: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let caller = auth.require(scope::QOS_PROFILES_READ)?;
    check_profile_path_name(&name)?;
    let profile = state.profiles.service.get(&caller, &name)?;
    Ok(HttpResponse::Ok().json(QosProfileResponse::from(profile.as_ref())))
}

/// `POST /admin/reload-catalogue`: reads the catalogue file again. Needs the configured admin
/// token (401 otherwise); 404 when no admin token is configured. A catalogue that fails its
/// checks is not put in force: 422 INVALID_CATALOGUE says what is wrong and where.
pub async fn reload_catalogue(
    state: web::Data<ApiState>,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let Some(admin) = &state.profiles.admin else {
        return Err(ApiError::not_found("The specified resource is not found."));
    };
    let given = req
        .headers()
        .get(AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().split_once(' '))
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
        .map(|(_, token)| token.trim());
    let authorised = given.is_some_and(|t| bool::from(t.as_bytes().ct_eq(admin.token.as_bytes())));
    if !authorised {
        return Err(ApiError::unauthenticated());
    }
    let reloader = admin.reloader.clone();
    let outcome = web::block(move || reloader.reload()).await.map_err(|e| {
        tracing::error!(error = %e, "catalogue reload did not run");
        ApiError::internal()
    })?;
    match outcome {
        Ok(count) => Ok(HttpResponse::Ok().json(serde_json::json!({
            "status": "RELOADED",
            "profiles": count,
        }))),
        Err(message) => Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "INVALID_CATALOGUE",
            message.chars().take(MAX_MESSAGE_CHARS).collect::<String>(),
        )),
    }
}
