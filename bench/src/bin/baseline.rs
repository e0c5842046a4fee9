//! The transport's ceiling: a minimal actix-web server that accepts the same CAMARA bodies as
//! `qod-server` and keeps sessions in a `HashMap` behind a mutex. No storage, no network, no
//! timers: whatever `qod-server` adds on top of this is the cost of its guarantees.

use std::collections::HashMap;
use std::sync::Mutex;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{AUTHORIZATION, HeaderName, LOCATION};
use actix_web::middleware::{Next, from_fn};
use actix_web::{App, HttpRequest, HttpResponse, HttpServer, web};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;
use uuid::Uuid;

const BASE: &str = "/quality-on-demand/v1";
const TOKEN: &str = "Bearer mock_sandbox_access_token";
const MAX_DURATION: i64 = 86_400;
const X_CORRELATOR: HeaderName = HeaderName::from_static("x-correlator");

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct DeviceBody {
    phone_number: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct CreateBody {
    device: Option<DeviceBody>,
    application_server: serde_json::Value,
    qos_profile: String,
    duration: i64,
    /// Accepted and parsed, not kept.
    #[allow(dead_code)]
    device_ports: Option<serde_json::Value>,
    #[allow(dead_code)]
    application_server_ports: Option<serde_json::Value>,
    #[allow(dead_code)]
    sink: Option<String>,
    #[allow(dead_code)]
    sink_credential: Option<serde_json::Value>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct ExtendBody {
    requested_additional_duration: i64,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RetrieveBody {
    device: Option<DeviceBody>,
}

#[derive(Clone, Serialize)]
#[serde(rename_all = "camelCase")]
struct DeviceEcho {
    phone_number: String,
}

/// A session as `SessionInfo` shows it.
#[derive(Clone, Serialize)]
#[serde(rename_all = "camelCase")]
struct SessionInfo {
    session_id: Uuid,
    device: DeviceEcho,
    application_server: serde_json::Value,
    qos_profile: String,
    duration: i64,
    started_at: String,
    expires_at: String,
    qos_status: &'static str,
    #[serde(skip)]
    started: OffsetDateTime,
}

#[derive(Default)]
struct Store {
    sessions: HashMap<Uuid, SessionInfo>,
    by_device: HashMap<String, Vec<Uuid>>,
}

type State = web::Data<Mutex<Store>>;

fn rfc3339(at: OffsetDateTime) -> String {
    at.format(&Rfc3339).unwrap_or_default()
}

fn error(status: u16, code: &str) -> HttpResponse {
    let status = actix_web::http::StatusCode::from_u16(status)
        .unwrap_or(actix_web::http::StatusCode::INTERNAL_SERVER_ERROR);
    HttpResponse::build(status)
        .json(serde_json::json!({"status": status.as_u16(), "code": code, "message": code}))
}

fn authorised(req: &HttpRequest) -> bool {
    req.headers()
        .get(AUTHORIZATION)
        .is_some_and(|v| v.as_bytes() == TOKEN.as_bytes())
}

fn lock(state: &State) -> std::sync::MutexGuard<'_, Store> {
    state
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

async fn create(req: HttpRequest, state: State, body: web::Bytes) -> HttpResponse {
    if !authorised(&req) {
        return error(401, "UNAUTHENTICATED");
    }
    let Ok(body) = serde_json::from_slice::<CreateBody>(&body) else {
        return error(400, "INVALID_ARGUMENT");
    };
    let Some(phone) = body.device.and_then(|d| d.phone_number) else {
        return error(422, "MISSING_IDENTIFIER");
    };
    if !(1..=MAX_DURATION).contains(&body.duration) {
        return error(400, "DURATION_OUT_OF_RANGE");
    }
    let now = OffsetDateTime::now_utc();
    let info = SessionInfo {
        session_id: Uuid::new_v4(),
        device: DeviceEcho {
            phone_number: phone.clone(),
        },
        application_server: body.application_server,
        qos_profile: body.qos_profile,
        duration: body.duration,
        started_at: rfc3339(now),
        expires_at: rfc3339(now + time::Duration::seconds(body.duration)),
        qos_status: "AVAILABLE",
        started: now,
    };
    {
        let mut store = lock(&state);
        store.sessions.insert(info.session_id, info.clone());
        store
            .by_device
            .entry(phone)
            .or_default()
            .push(info.session_id);
    }
    HttpResponse::Created()
        .insert_header((LOCATION, format!("{BASE}/sessions/{}", info.session_id)))
        .json(info)
}

fn session_id(req: &HttpRequest) -> Option<Uuid> {
    req.match_info()
        .get("id")
        .and_then(|s| Uuid::parse_str(s).ok())
}

async fn get(req: HttpRequest, state: State) -> HttpResponse {
    if !authorised(&req) {
        return error(401, "UNAUTHENTICATED");
    }
    let found = session_id(&req).and_then(|id| lock(&state).sessions.get(&id).cloned());
    match found {
        Some(info) => HttpResponse::Ok().json(info),
        None => error(404, "NOT_FOUND"),
    }
}

async fn delete(req: HttpRequest, state: State) -> HttpResponse {
    if !authorised(&req) {
        return error(401, "UNAUTHENTICATED");
    }
    let removed = session_id(&req).and_then(|id| {
        let mut store = lock(&state);
        let info = store.sessions.remove(&id)?;
        if let Some(ids) = store.by_device.get_mut(&info.device.phone_number) {
            ids.retain(|i| *i != id);
        }
        Some(())
    });
    match removed {
        Some(()) => HttpResponse::NoContent().finish(),
        None => error(404, "NOT_FOUND"),
    }
}

async fn extend(req: HttpRequest, state: State, body: web::Bytes) -> HttpResponse {
    if !authorised(&req) {
        return error(401, "UNAUTHENTICATED");
    }
    let Ok(body) = serde_json::from_slice::<ExtendBody>(&body) else {
        return error(400, "INVALID_ARGUMENT");
    };
    let updated = session_id(&req).and_then(|id| {
        let mut store = lock(&state);
        let info = store.sessions.get_mut(&id)?;
        info.duration = (info.duration + body.requested_additional_duration).min(MAX_DURATION);
        info.expires_at = rfc3339(info.started + time::Duration::seconds(info.duration));
        Some(info.clone())
    });
    match updated {
        Some(info) => HttpResponse::Ok().json(info),
        None => error(404, "NOT_FOUND"),
    }
}

async fn retrieve(req: HttpRequest, state: State, body: web::Bytes) -> HttpResponse {
    if !authorised(&req) {
        return error(401, "UNAUTHENTICATED");
    }
    let Ok(body) = serde_json::from_slice::<RetrieveBody>(&body) else {
        return error(400, "INVALID_ARGUMENT");
    };
    let Some(phone) = body.device.and_then(|d| d.phone_number) else {
        return error(422, "MISSING_IDENTIFIER");
    };
    let list: Vec<SessionInfo> = {
        let store = lock(&state);
        store
            .by_device
            .get(&phone)
            .map(|ids| {
                ids.iter()
                    .filter_map(|id| store.sessions.get(id).cloned())
                    .collect()
            })
            .unwrap_or_default()
    };
    HttpResponse::Ok().json(list)
}

async fn health() -> HttpResponse {
    HttpResponse::Ok().json(serde_json::json!({"status": "UP"}))
}

/// Echoes `x-correlator`, as `qod-server` does.
async fn correlate(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let value = req.headers().get(&X_CORRELATOR).cloned();
    let mut res = next.call(req).await?;
    if let Some(v) = value {
        res.headers_mut().insert(X_CORRELATOR, v);
    }
    Ok(res)
}

#[actix_web::main]
async fn main() -> std::io::Result<()> {
    let listen = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "127.0.0.1:8090".to_owned());
    let state: State = web::Data::new(Mutex::new(Store::default()));
    println!("baseline listening on http://{listen}{BASE}");
    HttpServer::new(move || {
        App::new()
            .app_data(state.clone())
            .wrap(from_fn(correlate))
            .service(
                web::scope(BASE)
                    .route("/sessions", web::post().to(create))
                    .route("/sessions/{id}", web::get().to(get))
                    .route("/sessions/{id}", web::delete().to(delete))
                    .route("/sessions/{id}/extend", web::post().to(extend))
                    .route("/retrieve-sessions", web::post().to(retrieve)),
            )
            .route("/health", web::get().to(health))
    })
    .bind(listen)?
    .run()
    .await
}
