//! The Quality-on-Demand sessions API.

use actix_web::http::header::LOCATION;
use actix_web::{HttpResponse, web};
use qod_auth::scope;

use super::path_uuid;
use crate::auth::Authenticated;
use crate::wire::{CreateSessionBody, ExtendBody, RetrieveSessionsBody, SessionInfo, parse_body};
use crate::{ApiError, ApiState};

/// `POST /sessions`.
pub async fn create(
    state: web::Data<ApiState>,
    auth: Authenticated,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let caller = auth.require(scope::SESSIONS_CREATE)?;
    let command = parse_body::<CreateSessionBody>(&body)?.into_command()?;
    let session = state
        .sessions
        .create(&caller, command)
        .await
        .map_err(|e| ApiError::from_domain(e, state.settings.duration_code))?;
    let location = format!("{}/sessions/{}", state.settings.qod_base_path, session.id);
    Ok(HttpResponse::Created()
        .insert_header((LOCATION, location))
        .json(SessionInfo::from(&session)))
}

/// `GET /sessions/{sessionId}`.
pub async fn get(
    state: web::Data<ApiState>,
    auth: Authenticated,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let caller = auth.require(scope::SESSIONS_READ)?;
    let id = path_uuid(&id)?;
    let session = state.sessions.get(&caller, id).await?;
    Ok(HttpResponse::Ok().json(SessionInfo::from(&session)))
}

/// `DELETE /sessions/{sessionId}`.
pub async fn delete(
    state: web::Data<ApiState>,
    auth: Authenticated,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let caller = auth.require(scope::SESSIONS_DELETE)?;
    let id = path_uuid(&id)?;
    state.sessions.delete(&caller, id).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// `POST /sessions/{sessionId}/extend`.
pub async fn extend(
    state: web::Data<ApiState>,
    auth: Authenticated,
    id: web::Path<String>,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let caller = auth.require(scope::SESSIONS_UPDATE)?;
    let id = path_uuid(&id)?;
    let additional = parse_body::<ExtendBody>(&body)?.additional_secs()?;
    let session = state.sessions.extend(&caller, id, additional).await?;
    Ok(HttpResponse::Ok().json(SessionInfo::from(&session)))
}

/// `POST /retrieve-sessions`.
pub async fn retrieve(
    state: web::Data<ApiState>,
    auth: Authenticated,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let caller = auth.require(scope::SESSIONS_RETRIEVE_BY_DEVICE)?;
    let device = parse_body::<RetrieveSessionsBody>(&body)?.into_device()?;
    let sessions = state
        .sessions
        .sessions_of_device(&caller, device.as_ref())
        .await?;
    let list: Vec<SessionInfo> = sessions.iter().map(SessionInfo::from).collect();
    Ok(HttpResponse::Ok().json(list))
}
