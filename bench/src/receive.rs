//! A local HTTPS notification sink: a CA and a certificate for 127.0.0.1 made at start, one
//! `204` per CloudEvent, and how fast the events came.

use std::collections::HashSet;
use std::convert::Infallible;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::Context;
use http_body_util::{BodyExt, Empty};
use hyper::body::{Bytes, Incoming};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use rcgen::{BasicConstraints, CertificateParams, IsCa, Issuer, KeyPair, KeyUsagePurpose};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use serde_json::json;
use tokio::net::TcpListener;
use tokio_rustls::TlsAcceptor;

/// Options of `qod-bench receive`.
#[derive(Debug, clap::Args)]
pub struct Args {
    #[arg(long, default_value = "127.0.0.1:18082")]
    listen: String,
    /// Where to write the CA certificate (PEM) the server must trust.
    #[arg(long)]
    ca_out: PathBuf,
    /// Stop after this many distinct events.
    #[arg(long)]
    expect: usize,
    /// Stop this long after start regardless.
    #[arg(long, default_value_t = 300)]
    timeout_secs: u64,
    #[arg(long)]
    out: Option<PathBuf>,
}

/// A CA (written to `ca_out`) and a TLS acceptor with a certificate it signed for 127.0.0.1.
fn tls(ca_out: &PathBuf) -> anyhow::Result<TlsAcceptor> {
    let ca_key = KeyPair::generate()?;
    let mut ca = CertificateParams::new(Vec::<String>::new())?;
    ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca.key_usages = vec![
        KeyUsagePurpose::KeyCertSign,
        KeyUsagePurpose::DigitalSignature,
    ];
    let ca_cert = ca.self_signed(&ca_key)?;
    std::fs::write(ca_out, ca_cert.pem())?;
    let issuer = Issuer::new(ca, ca_key);
    let key = KeyPair::generate()?;
    let leaf = CertificateParams::new(vec!["127.0.0.1".to_owned(), "localhost".to_owned()])?
        .signed_by(&key, &issuer)?;
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()?
        .with_no_client_auth()
        .with_single_cert(
            vec![CertificateDer::from(leaf.der().to_vec())],
            PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.serialize_der())),
        )?;
    Ok(TlsAcceptor::from(Arc::new(config)))
}

#[derive(Default)]
struct Seen {
    ids: HashSet<String>,
    requests: u64,
    first: Option<Instant>,
    last: Option<Instant>,
}

/// Receives events until `expect` distinct ones came (or the timeout); writes the figures.
pub async fn run(args: Args) -> anyhow::Result<()> {
    let acceptor = tls(&args.ca_out)?;
    let listener = TcpListener::bind(&args.listen)
        .await
        .with_context(|| format!("listening on {}", args.listen))?;
    let seen = Arc::new(Mutex::new(Seen::default()));
    let done = Arc::new(tokio::sync::Notify::new());
    let accept = {
        let (seen, done, expect) = (Arc::clone(&seen), Arc::clone(&done), args.expect);
        tokio::spawn(async move {
            while let Ok((tcp, _)) = listener.accept().await {
                let (acceptor, seen, done) =
                    (acceptor.clone(), Arc::clone(&seen), Arc::clone(&done));
                tokio::spawn(async move {
                    let Ok(tls) = acceptor.accept(tcp).await else {
                        return;
                    };
                    let service = service_fn(move |req: Request<Incoming>| {
                        let (seen, done) = (Arc::clone(&seen), Arc::clone(&done));
                        async move {
                            let body = req.into_body().collect().await.map(|b| b.to_bytes());
                            let id = body.ok().and_then(|b| {
                                serde_json::from_slice::<serde_json::Value>(&b)
                                    .ok()
                                    .and_then(|v| v["id"].as_str().map(str::to_owned))
                            });
                            let mut s = seen.lock().unwrap_or_else(|e| e.into_inner());
                            let now = Instant::now();
                            s.requests += 1;
                            s.first.get_or_insert(now);
                            s.last = Some(now);
                            if let Some(id) = id {
                                s.ids.insert(id);
                            }
                            if s.ids.len() >= expect {
                                done.notify_one();
                            }
                            let mut res = Response::new(Empty::<Bytes>::new());
                            *res.status_mut() = StatusCode::NO_CONTENT;
                            Ok::<_, Infallible>(res)
                        }
                    });
                    let _ = http1::Builder::new()
                        .serve_connection(TokioIo::new(tls), service)
                        .await;
                });
            }
        })
    };
    let _ = tokio::time::timeout(Duration::from_secs(args.timeout_secs), done.notified()).await;
    accept.abort();
    let s = seen.lock().unwrap_or_else(|e| e.into_inner());
    let secs = match (s.first, s.last) {
        (Some(a), Some(b)) => (b - a).as_secs_f64(),
        _ => 0.0,
    };
    let result = json!({
        "expected": args.expect,
        "events": s.ids.len(),
        "requests": s.requests,
        "secs": (secs * 1000.0).round() / 1000.0,
        "events_per_sec": if secs > 0.0 { (s.ids.len() as f64 / secs).round() } else { 0.0 },
        "ok": s.ids.len() >= args.expect,
    });
    crate::emit(args.out.as_ref(), &result)
}
