//! `qod-server`: wires the QoD Gateway together and runs it.

mod auth;
mod catalogue;
mod cli;
mod config;
mod error;
mod notifier;
mod scheduler;
mod storage;

use std::process::ExitCode;
use std::sync::Arc;

use actix_web::{HttpServer, web};
use clap::Parser;
use qod_auth::SandboxIssuer;
use qod_domain::profile::SwappableCatalogue;
use qod_domain::service::ProfileService;
use qod_domain::{ConflictRule, SessionRules, SessionService, SystemClock};
use qod_http::state::{CatalogueAdmin, CatalogueReloader, ProfilesState};
use qod_http::{ApiState, DurationErrorCode, HttpSettings};
use qod_network_sim::SimulatedNetwork;

use crate::cli::{Cli, Command};
use crate::config::Config;
use crate::error::ServerError;
use crate::scheduler::NotifyWakeup;

/// mimalloc instead of the C library's allocator: a request allocates and frees many small
/// buffers on one thread, and glibc's `malloc` and `free` took a tenth of the server's CPU under
/// get (see docs/performance.md).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    let cli = Cli::parse();
    init_tracing();
    let result =
        Config::load(&cli).and_then(|config| match cli.command.unwrap_or(Command::Serve) {
            Command::CheckConfig => storage::database_url(&config)
                .and_then(|_| load_catalogue(&config))
                .map(|_| {
                    println!("configuration is valid");
                }),
            Command::Migrate => storage::migrate(&config),
            Command::Serve => serve(config),
        });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            tracing::error!(error = %e, "qod-server stopped");
            eprintln!("qod-server: {e}");
            ExitCode::FAILURE
        }
    }
}

fn init_tracing() {
    use tracing_subscriber::{EnvFilter, fmt};
    let filter = EnvFilter::try_from_env("QOD_LOG").unwrap_or_else(|_| EnvFilter::new("info"));
    let json = std::env::var("QOD_LOG_FORMAT").is_ok_and(|v| v == "json");
    if json {
        fmt().with_env_filter(filter).json().init();
    } else {
        fmt().with_env_filter(filter).init();
    }
}

fn serve(config: Config) -> Result<(), ServerError> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(runtime_threads(config.server.runtime_threads))
        .enable_all()
        .build()?;
    runtime.block_on(run(config))
}

/// The runtime's threads: as configured, or one per two cores. The HTTP workers have threads
/// of their own; each thread more here is one more to wake and switch to for every database
/// answer, which on two cores cost more than it gave (see docs/performance.md).
fn runtime_threads(configured: usize) -> usize {
    if configured > 0 {
        return configured;
    }
    std::thread::available_parallelism().map_or(1, |n| n.get().div_ceil(2))
}

async fn run(config: Config) -> Result<(), ServerError> {
    let auth = auth::build(&config).await?;
    let profile_catalogue = Arc::new(SwappableCatalogue::new(load_catalogue(&config)?));
    let network = Arc::new(SimulatedNetwork::default());
    let store = storage::open(&config).await?;
    let notifier = notifier::start(&config, store.clone())?;
    let wakeup = Arc::new(NotifyWakeup::default());
    let rules = SessionRules {
        conflict_rule: match config.sessions.conflict_rule.as_str() {
            "any-session" => ConflictRule::AnySession,
            _ => ConflictRule::OverlappingFlows,
        },
        retention: time::Duration::seconds(config.sessions.retention_secs),
        claim_lease: time::Duration::milliseconds(
            i64::try_from(config.database.claim_lease_ms).unwrap_or(i64::MAX),
        ),
        max_active_sessions_per_client: config.limits.max_active_sessions_per_client,
        private_key_jwt_configured: notifier.private_key_jwt_configured,
        ..SessionRules::default()
    };
    let sessions = SessionService::new(
        store,
        network.clone(),
        profile_catalogue.clone(),
        Arc::new(SystemClock),
        wakeup.clone(),
        rules,
    )
    .with_sink_policy(notifier.guard.clone())
    .with_outbox_wakeup(notifier.wakeup.clone());
    let settings = HttpSettings {
        qod_base_path: format!(
            "/quality-on-demand/{}",
            config.api.quality_on_demand_version
        ),
        duration_code: if config.api.duration_error_code == "INVALID_ARGUMENT" {
            DurationErrorCode::InvalidArgument
        } else {
            DurationErrorCode::DurationOutOfRange
        },
        max_body_bytes: config.api.max_body_bytes,
        profiles_base_path: format!("/qos-profiles/{}", config.api.qos_profiles_version),
    };
    let reloader = config
        .profiles
        .catalogue_file
        .clone()
        .map(|path| Arc::new(catalogue::Reloader::new(path, profile_catalogue.clone())));
    let admin = config.admin.token.clone().map(|token| CatalogueAdmin {
        token,
        reloader: match &reloader {
            Some(r) => r.clone() as Arc<dyn CatalogueReloader>,
            None => Arc::new(catalogue::BuiltIn),
        },
    });
    let profiles_base = settings.profiles_base_path.clone();
    let base = settings.qod_base_path.clone();
    let state = web::Data::new(ApiState {
        sessions: sessions.clone(),
        validator: auth.validator,
        sandbox: auth.sandbox.clone(),
        rate_limiter: auth.rate_limiter,
        settings,
        profiles: ProfilesState {
            service: ProfileService::new(network, profile_catalogue),
            admin,
        },
    });

    let poll = std::time::Duration::from_millis(config.database.scheduler_poll_ms);
    let timers = tokio::spawn(scheduler::run(sessions, wakeup, poll));
    let hangups = catalogue::watch_sighup(reloader);
    let notification_routes = notifier.routes();
    let mut server = HttpServer::new(move || {
        qod_http::app(state.clone()).configure(notification_routes.clone())
    })
    .bind(&config.server.listen)?
    .shutdown_timeout(10);
    if config.server.workers > 0 {
        server = server.workers(config.server.workers);
    }
    let addrs: Vec<String> = server.addrs().iter().map(ToString::to_string).collect();
    match &config.profiles.catalogue_file {
        Some(file) => tracing::info!(file = %file.display(),
            "QoS profile catalogue from the operator's file (reload: SIGHUP or POST /admin/reload-catalogue)"),
        None => tracing::info!("QoS profile catalogue: the built-in sandbox catalogue"),
    }
    for addr in &addrs {
        tracing::info!(%addr, "listening: Quality-on-Demand at http://{addr}{base}");
        if auth.sandbox.is_some() {
            tracing::info!(%addr, "listening: sandbox tokens at http://{addr}/oauth2/token");
        }
        tracing::info!(%addr, "listening: QoS Profiles at http://{addr}{profiles_base}");
    }
    let result = server.run().await;
    timers.abort();
    hangups.abort();
    notifier.stop();
    result.map_err(ServerError::from)
}

/// The catalogue in force at start: the operator's file, checked in full, or the sandbox's.
fn load_catalogue(config: &Config) -> Result<qod_domain::StaticCatalogue, ServerError> {
    catalogue::initial(config.profiles.catalogue_file.as_deref())
        .map_err(|e| ServerError::Config(format!("QoS profile catalogue: {e}")))
}

fn load_issuer(config: &Config) -> Result<SandboxIssuer, ServerError> {
    let ttl = std::time::Duration::from_secs(config.sandbox.token_ttl_secs);
    let issuer = "qod-gateway-sandbox".to_owned();
    let audience = "qod-gateway".to_owned();
    let secret = config.sandbox.client_secret.clone();
    Ok(match &config.sandbox.signing_key_file {
        Some(path) => {
            let pem = std::fs::read_to_string(path)
                .map_err(|e| ServerError::Config(format!("cannot read {}: {e}", path.display())))?;
            SandboxIssuer::from_pkcs8_pem(&pem, issuer, audience, secret, ttl)?
        }
        None => {
            let der = sandbox_key(&config.server.data_dir)?;
            SandboxIssuer::from_pkcs8_der(&der, issuer, audience, secret, ttl)?
        }
    })
}

/// The sandbox signing key kept in the data directory (created on first start), so that issued
/// tokens stay valid across restarts.
fn sandbox_key(data_dir: &std::path::Path) -> Result<Vec<u8>, ServerError> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let path = data_dir.join("sandbox-signing-key.der");
    match std::fs::read(&path) {
        Ok(der) => return Ok(der),
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(e.into()),
        Err(_) => {}
    }
    std::fs::create_dir_all(data_dir)?;
    let der = SandboxIssuer::generate_pkcs8_der()?;
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(&path)?;
    file.write_all(&der)?;
    file.sync_all()?;
    Ok(der)
}
