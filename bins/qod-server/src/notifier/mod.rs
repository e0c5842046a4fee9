//! Notifications in the server: the sink policy the sessions use, the dispatcher that delivers
//! the outbox's events (woken when a change is committed), and two routes — the public key set
//! of PRIVATE_KEY_JWT client assertions (`/notifications/jwks`) and `/metrics`.

mod config;

pub use config::{NotificationsConfig, validate};

use std::sync::Arc;
use std::time::Duration;

use actix_web::web::{self, ServiceConfig};
use actix_web::{HttpResponse, http::header::ContentType};
use qod_domain::{OutboxStore, OutboxWakeup, SinkPolicy};
use qod_notify::{
    DispatchSettings, HttpSettings, Metrics, Notifications, NotifyConfig, RetryPolicy,
};
use tokio::task::JoinHandle;

use crate::config::Config;
use crate::error::ServerError;

/// Notification delivery, running.
pub struct Notifier {
    /// Checks new sinks.
    pub guard: Arc<dyn SinkPolicy>,
    /// Wakes the dispatcher when a change is committed.
    pub wakeup: Arc<dyn OutboxWakeup>,
    /// Whether sessions may use PRIVATE_KEY_JWT sink credentials.
    pub private_key_jwt_configured: bool,
    routes: Routes,
    task: JoinHandle<()>,
}

/// What the routes serve.
#[derive(Clone)]
struct Routes {
    jwks: Option<Arc<String>>,
    metrics: Arc<Metrics>,
    outbox: Arc<dyn OutboxStore>,
}

fn ms(ms: u64) -> Duration {
    Duration::from_millis(ms)
}

fn read(path: &std::path::Path, what: &str) -> Result<Vec<u8>, ServerError> {
    std::fs::read(path).map_err(|e| {
        ServerError::Config(format!(
            "notifications.{what}: cannot read {}: {e}",
            path.display()
        ))
    })
}

/// Sets delivery up over `outbox` as `config` says, and starts the dispatcher.
pub fn start(config: &Config, outbox: Arc<dyn OutboxStore>) -> Result<Notifier, ServerError> {
    let n = &config.notifications;
    let extra_root_ca_pem = n
        .extra_root_ca_file
        .as_deref()
        .map(|path| read(path, "extra_root_ca_file"))
        .transpose()?;
    let private_key_jwt_pem = n
        .private_key_jwt
        .key_file
        .as_deref()
        .map(|path| read(path, "private_key_jwt.key_file"))
        .transpose()?;
    let public_base_url = config
        .api
        .public_base_url
        .clone()
        .unwrap_or_else(|| format!("http://{}", config.server.listen));
    let notify = NotifyConfig {
        event_type: n.event_type.clone(),
        public_base_url: public_base_url.clone(),
        qod_base_path: format!(
            "/quality-on-demand/{}",
            config.api.quality_on_demand_version
        ),
        allowed_hosts: n.allowed_hosts.clone(),
        create_resolve_timeout: ms(n.create_resolve_timeout_ms),
        http: HttpSettings {
            request_timeout: ms(n.request_timeout_ms),
            max_response_bytes: n.max_response_bytes,
            extra_root_ca_pem,
            insecure_tls: n.insecure_tls,
        },
        dispatch: DispatchSettings {
            max_in_flight: n.max_in_flight,
            max_in_flight_per_origin: n.max_in_flight_per_origin,
            claim_lease: ms(n.claim_lease_ms),
            poll_interval: ms(n.poll_interval_ms),
            keep_finished: Duration::from_secs(n.keep_finished_secs),
            retry: RetryPolicy {
                initial_backoff: ms(n.initial_backoff_ms),
                max_backoff: ms(n.max_backoff_ms),
                max_age: Duration::from_secs(n.max_age_secs),
                max_refused_attempts: n.max_refused_attempts,
            },
        },
        private_key_jwt_pem,
    };
    let built = Notifications::build(notify, Arc::clone(&outbox))
        .map_err(|e| ServerError::Config(format!("notifications: {e}")))?;
    if n.insecure_tls {
        tracing::warn!(
            "notifications.insecure_tls is on: sink certificates are NOT verified; never use this in production"
        );
    }
    if !n.allowed_hosts.is_empty() {
        tracing::info!(allowed_hosts = ?n.allowed_hosts,
            "sinks may use these internal hosts and networks");
    }
    let jwks = match &built.jwks {
        Some(set) => Some(Arc::new(serde_json::to_string(set).map_err(|e| {
            ServerError::Config(format!("notifications.private_key_jwt: {e}"))
        })?)),
        None => None,
    };
    tracing::info!(event_type = %n.event_type, source = %public_base_url,
        private_key_jwt = jwks.is_some(), "notifications to sinks are delivered from the outbox");
    let wakeup = Arc::new(built.dispatcher.wakeup());
    let task = tokio::spawn(built.dispatcher.run());
    Ok(Notifier {
        guard: built.guard,
        wakeup,
        private_key_jwt_configured: jwks.is_some(),
        routes: Routes {
            jwks,
            metrics: built.metrics,
            outbox,
        },
        task,
    })
}

impl Notifier {
    /// Registers `GET /notifications/jwks` (when PRIVATE_KEY_JWT is configured) and
    /// `GET /metrics`.
    pub fn routes(&self) -> impl Fn(&mut ServiceConfig) + Clone + Send + 'static {
        let routes = self.routes.clone();
        move |cfg: &mut ServiceConfig| {
            if let Some(jwks) = routes.jwks.clone() {
                cfg.route(
                    "/notifications/jwks",
                    web::get().to(move || {
                        let body = jwks.as_str().to_owned();
                        async move {
                            HttpResponse::Ok()
                                .content_type(ContentType::json())
                                .body(body)
                        }
                    }),
                );
            }
            let routes = routes.clone();
            cfg.route(
                "/metrics",
                web::get().to(move || {
                    let routes = routes.clone();
                    async move {
                        let stored = match routes.outbox.delivery_counts().await {
                            Ok(counts) => Some(counts),
                            Err(e) => {
                                tracing::warn!(error = %e, "cannot count outbox events for /metrics");
                                None
                            }
                        };
                        HttpResponse::Ok()
                            .content_type("text/plain; version=0.0.4")
                            .body(routes.metrics.render(stored))
                    }
                }),
            );
        }
    }

    /// Stops the dispatcher (deliveries in progress end with the process).
    pub fn stop(&self) {
        self.task.abort();
    }
}
