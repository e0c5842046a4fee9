//! The routes and middleware of the HTTP surface.

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceFactory, ServiceRequest, ServiceResponse};
use actix_web::http::{StatusCode, header};
use actix_web::middleware::{ErrorHandlers, from_fn};
use actix_web::web::{self, ServiceConfig};
use actix_web::{App, ResponseError};

use crate::envelope::ensure_envelope;
use crate::handlers::{oauth, profiles, sessions};
use crate::{ApiError, ApiState, correlator};

/// Registers every route. Use [`app`] for the whole application.
pub fn configure(state: web::Data<ApiState>) -> impl FnOnce(&mut ServiceConfig) {
    move |cfg: &mut ServiceConfig| {
        let base = state.settings.qod_base_path.clone();
        let limit = state.settings.max_body_bytes;
        let profiles_base = state.settings.profiles_base_path.clone();
        let admin = state.profiles.admin.is_some();
        cfg.app_data(state)
            .app_data(web::PayloadConfig::new(limit))
            .service(
                web::scope(&base)
                    .service(resource("/sessions", "POST").route(web::post().to(sessions::create)))
                    .service(
                        resource("/sessions/{sessionId}", "GET, DELETE")
                            .route(web::get().to(sessions::get))
                            .route(web::delete().to(sessions::delete)),
                    )
                    .service(
                        resource("/sessions/{sessionId}/extend", "POST")
                            .route(web::post().to(sessions::extend)),
                    )
                    .service(
                        resource("/retrieve-sessions", "POST")
                            .route(web::post().to(sessions::retrieve)),
                    ),
            )
            .service(
                web::scope(&profiles_base)
                    .service(
                        resource("/retrieve-qos-profiles", "POST")
                            .route(web::post().to(profiles::retrieve)),
                    )
                    .service(
                        resource("/qos-profiles/{name}", "GET").route(web::get().to(profiles::get)),
                    ),
            )
            .route("/oauth2/token", web::post().to(oauth::token))
            .route("/oauth2/bc-authorize", web::post().to(oauth::bc_authorize))
            .route("/oauth2/jwks", web::get().to(oauth::jwks))
            .route("/health", web::get().to(health));
        if admin {
            cfg.service(
                resource("/admin/reload-catalogue", "POST")
                    .route(web::post().to(profiles::reload_catalogue)),
            );
        }
    }
}

async fn health() -> actix_web::HttpResponse {
    actix_web::HttpResponse::Ok().json(serde_json::json!({"status": "UP"}))
}

/// A resource whose other methods answer 405 METHOD_NOT_ALLOWED, naming the `allow`ed ones.
fn resource(path: &str, allow: &'static str) -> actix_web::Resource {
    web::resource(path).default_service(web::to(move || async move {
        let mut res = ApiError::for_status(StatusCode::METHOD_NOT_ALLOWED).error_response();
        res.headers_mut()
            .insert(header::ALLOW, header::HeaderValue::from_static(allow));
        res
    }))
}

async fn no_route() -> Result<actix_web::HttpResponse, ApiError> {
    Err(ApiError::not_found("The specified resource is not found."))
}

/// The whole application: routes, a CAMARA envelope for every framework error, and
/// `x-correlator` handling outermost so that every response carries it.
pub fn app(
    state: web::Data<ApiState>,
) -> App<
    impl ServiceFactory<
        ServiceRequest,
        Config = (),
        Response = ServiceResponse<impl MessageBody>,
        Error = actix_web::Error,
        InitError = (),
    >,
> {
    App::new()
        .configure(configure(state))
        .default_service(web::to(no_route))
        .wrap(ErrorHandlers::new().default_handler(ensure_envelope))
        .wrap(from_fn(correlator::correlate))
}
