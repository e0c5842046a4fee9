//! The HTTP client of deliveries: HTTPS only, no redirects, no proxies, a timeout per request,
//! a cap on what is read of an answer, and a resolver that applies the sink policy to every
//! address it hands out (so the connection goes to an address that was checked).

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use reqwest::dns::{Addrs, Name, Resolve, Resolving};
use reqwest::header::{HeaderMap, RETRY_AFTER};

use crate::error::NotifyError;
use crate::policy::{AddressPolicy, Refused, Target, target};

/// TLS and transport settings of the client.
#[derive(Debug, Clone)]
pub struct HttpSettings {
    /// The longest one request may take, connection and answer included.
    pub request_timeout: Duration,
    /// The most bytes read of an answer; the rest is dropped.
    pub max_response_bytes: usize,
    /// An extra trusted root CA (PEM), e.g. a local development CA.
    pub extra_root_ca_pem: Option<Vec<u8>>,
    /// Accept any server certificate. For local development only.
    pub insecure_tls: bool,
}

/// An answer, with at most the capped number of body bytes.
#[derive(Debug, Clone)]
pub struct Answer {
    pub status: u16,
    pub retry_after: Option<String>,
    pub body: Vec<u8>,
}

/// Why a request got no answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SendError {
    /// The sink policy refused the target.
    Refused(String),
    /// No answer in time.
    Timeout,
    /// Name resolution, connection or TLS failed.
    Connect(String),
    /// Anything else.
    Other(String),
}

impl std::fmt::Display for SendError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Refused(why) => write!(f, "refused: {why}"),
            Self::Timeout => f.write_str("no answer within the request timeout"),
            Self::Connect(why) => write!(f, "cannot connect: {why}"),
            Self::Other(why) => write!(f, "request failed: {why}"),
        }
    }
}

/// The resolver of the client: resolves with the system, refuses internal addresses.
#[derive(Debug)]
struct GuardedResolver {
    policy: Arc<AddressPolicy>,
}

impl Resolve for GuardedResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let policy = Arc::clone(&self.policy);
        Box::pin(async move {
            let host = name.as_str().to_owned();
            let addrs: Vec<SocketAddr> =
                tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            if let Some(refused) = addrs.iter().find_map(|a| policy.refusal(&host, a.ip())) {
                return Err(Box::new(refused) as Box<dyn std::error::Error + Send + Sync>);
            }
            Ok(Box::new(addrs.into_iter()) as Addrs)
        })
    }
}

/// The client every delivery and token request goes through.
#[derive(Debug, Clone)]
pub struct Http {
    client: reqwest::Client,
    policy: Arc<AddressPolicy>,
    max_response_bytes: usize,
}

impl Http {
    /// A client with these settings, refusing what `policy` refuses.
    pub fn new(settings: &HttpSettings, policy: Arc<AddressPolicy>) -> Result<Self, NotifyError> {
        let mut builder = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .no_proxy()
            .timeout(settings.request_timeout)
            .connect_timeout(settings.request_timeout)
            .pool_idle_timeout(Duration::from_secs(30))
            .user_agent(concat!("qod-gateway/", env!("CARGO_PKG_VERSION")))
            .dns_resolver(Arc::new(GuardedResolver {
                policy: Arc::clone(&policy),
            }));
        if let Some(pem) = &settings.extra_root_ca_pem {
            builder = builder.tls_certs_merge(root_certificates(pem)?);
        }
        if settings.insecure_tls {
            builder = builder.danger_accept_invalid_certs(true);
        }
        let client = builder
            .build()
            .map_err(|e| NotifyError::Client(e.to_string()))?;
        Ok(Self {
            client,
            policy,
            max_response_bytes: settings.max_response_bytes,
        })
    }

    /// POSTs `body` to `url` with `headers`, and reads the answer up to the cap.
    pub async fn post(
        &self,
        url: &str,
        headers: HeaderMap,
        body: Vec<u8>,
    ) -> Result<Answer, SendError> {
        match target(url) {
            Err(why) => return Err(SendError::Refused(why)),
            Ok(Target::Address(host, ip)) => {
                if let Some(refused) = self.policy.refusal(&host, ip) {
                    return Err(SendError::Refused(refused.to_string()));
                }
            }
            Ok(Target::Name(_)) => {}
        }
        let request = self.client.post(url).headers(headers).body(body);
        let mut response = request.send().await.map_err(send_error)?;
        let status = response.status().as_u16();
        let retry_after = response
            .headers()
            .get(RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let mut kept = Vec::new();
        // Read what the cap allows; a sink that sends more is not waited for.
        while kept.len() < self.max_response_bytes {
            match response.chunk().await {
                Ok(Some(chunk)) => {
                    let room = self.max_response_bytes - kept.len();
                    kept.extend_from_slice(&chunk[..chunk.len().min(room)]);
                }
                Ok(None) => break,
                Err(e) if e.is_timeout() => return Err(SendError::Timeout),
                Err(_) => break,
            }
        }
        Ok(Answer {
            status,
            retry_after,
            body: kept,
        })
    }
}

/// The certificates of a PEM bundle of extra root CAs; an error when there is none.
pub fn root_certificates(pem: &[u8]) -> Result<Vec<reqwest::Certificate>, NotifyError> {
    let certs = reqwest::Certificate::from_pem_bundle(pem)
        .map_err(|e| NotifyError::RootCa(e.to_string()))?;
    if certs.is_empty() {
        return Err(NotifyError::RootCa("no certificate in the file".into()));
    }
    Ok(certs)
}

/// What a failed request means for its delivery.
fn send_error(e: reqwest::Error) -> SendError {
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(&e);
    while let Some(err) = source {
        if let Some(refused) = err.downcast_ref::<Refused>() {
            return SendError::Refused(refused.to_string());
        }
        source = err.source();
    }
    if e.is_timeout() {
        SendError::Timeout
    } else if e.is_connect() {
        SendError::Connect(chain(&e))
    } else {
        SendError::Other(chain(&e))
    }
}

/// An error and its causes, on one line.
fn chain(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(cause) = source {
        let more = cause.to_string();
        if !text.contains(&more) {
            text.push_str(": ");
            text.push_str(&more);
        }
        source = cause.source();
    }
    text
}
