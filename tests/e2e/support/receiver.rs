//! An HTTPS receiver on 127.0.0.1 for the notification tests: it records every request as it
//! arrives and answers as the test scripts it (status, headers, delay, or no answer at all).

use std::collections::HashMap;
use std::convert::Infallible;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use http_body_util::{BodyExt, Full};
use hyper::body::{Bytes, Incoming};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use serde_json::Value;
use tokio::net::TcpListener;
use tokio::task::JoinHandle;
use tokio_rustls::TlsAcceptor;

use super::tls::TestCa;

/// One request, as received.
#[derive(Debug, Clone)]
pub struct Request {
    pub at: Instant,
    pub method: String,
    pub path: String,
    /// Header names in lower case.
    pub headers: HashMap<String, String>,
    pub body: Vec<u8>,
}

impl Request {
    /// The body as JSON (`Null` when it is not JSON).
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or(Value::Null)
    }

    /// A header's value.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).map(String::as_str)
    }
}

/// How the receiver answers one request.
#[derive(Debug, Clone)]
pub struct Reply {
    pub status: u16,
    pub delay: Duration,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl Reply {
    /// An answer with this status, at once and without a body.
    pub fn status(status: u16) -> Reply {
        Reply {
            status,
            delay: Duration::ZERO,
            headers: Vec::new(),
            body: String::new(),
        }
    }

    /// No answer for an hour: the caller's timeout decides.
    pub fn hang() -> Reply {
        Reply::status(204).after(Duration::from_secs(3600))
    }

    /// The same answer after `delay`.
    pub fn after(mut self, delay: Duration) -> Reply {
        self.delay = delay;
        self
    }

    /// The same answer with a header.
    pub fn header(mut self, name: &str, value: &str) -> Reply {
        self.headers.push((name.to_owned(), value.to_owned()));
        self
    }

    /// The same answer with a JSON body.
    pub fn json(mut self, body: &Value) -> Reply {
        self.body = body.to_string();
        self.header("content-type", "application/json")
    }
}

/// Decides the answer to a request; the number is how many requests to the same path came
/// before it.
pub type Script = Arc<dyn Fn(&Request, usize) -> Reply + Send + Sync>;

struct State {
    requests: Mutex<Vec<Request>>,
    per_path: Mutex<HashMap<String, usize>>,
    script: Mutex<Script>,
    in_flight: AtomicUsize,
    max_in_flight: AtomicUsize,
}

/// Counts a request in progress until dropped.
struct InFlight(Arc<State>);

impl InFlight {
    fn enter(state: &Arc<State>) -> InFlight {
        let now = state.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
        state.max_in_flight.fetch_max(now, Ordering::SeqCst);
        InFlight(Arc::clone(state))
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        self.0.in_flight.fetch_sub(1, Ordering::SeqCst);
    }
}

/// A running receiver; it stops accepting when dropped.
pub struct Receiver {
    pub port: u16,
    state: Arc<State>,
    task: JoinHandle<()>,
}

impl Receiver {
    /// Starts a receiver with `ca`'s certificate, answering as `script` says.
    pub async fn start(
        ca: &TestCa,
        script: impl Fn(&Request, usize) -> Reply + Send + Sync + 'static,
    ) -> Receiver {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let port = listener.local_addr().expect("address").port();
        let state = Arc::new(State {
            requests: Mutex::default(),
            per_path: Mutex::default(),
            script: Mutex::new(Arc::new(script)),
            in_flight: AtomicUsize::new(0),
            max_in_flight: AtomicUsize::new(0),
        });
        let acceptor = TlsAcceptor::from(ca.server_config());
        let shared = Arc::clone(&state);
        let task = tokio::spawn(async move {
            loop {
                let Ok((tcp, _)) = listener.accept().await else {
                    continue;
                };
                let acceptor = acceptor.clone();
                let state = Arc::clone(&shared);
                tokio::spawn(async move {
                    let Ok(tls) = acceptor.accept(tcp).await else {
                        return;
                    };
                    let service = service_fn(move |req| handle(Arc::clone(&state), req));
                    let _ = http1::Builder::new()
                        .serve_connection(TokioIo::new(tls), service)
                        .await;
                });
            }
        });
        Receiver { port, state, task }
    }

    /// A receiver that answers 204 to everything.
    pub async fn ok(ca: &TestCa) -> Receiver {
        Receiver::start(ca, |_, _| Reply::status(204)).await
    }

    /// `https://127.0.0.1:<port><path>`.
    pub fn url(&self, path: &str) -> String {
        format!("https://127.0.0.1:{}{path}", self.port)
    }

    /// Answers from now on as `script` says.
    pub fn set_script(&self, script: impl Fn(&Request, usize) -> Reply + Send + Sync + 'static) {
        *self.state.script.lock().unwrap() = Arc::new(script);
    }

    /// Every request so far, in arrival order.
    pub fn requests(&self) -> Vec<Request> {
        self.state.requests.lock().unwrap().clone()
    }

    /// The requests to `path` so far.
    pub fn requests_to(&self, path: &str) -> Vec<Request> {
        self.requests()
            .into_iter()
            .filter(|r| r.path == path)
            .collect()
    }

    /// The most requests that were in progress at once.
    pub fn max_concurrent(&self) -> usize {
        self.state.max_in_flight.load(Ordering::SeqCst)
    }

    /// Waits until `done` holds for the requests received (or `timeout` passes), and returns
    /// them.
    pub async fn wait_for(
        &self,
        timeout: Duration,
        done: impl Fn(&[Request]) -> bool,
    ) -> Vec<Request> {
        let deadline = Instant::now() + timeout;
        loop {
            let requests = self.requests();
            if done(&requests) || Instant::now() > deadline {
                return requests;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// Waits until `n` requests reached `path` (or `timeout` passes); returns those.
    pub async fn wait_for_path(&self, path: &str, n: usize, timeout: Duration) -> Vec<Request> {
        self.wait_for(timeout, |all| {
            all.iter().filter(|r| r.path == path).count() >= n
        })
        .await
        .into_iter()
        .filter(|r| r.path == path)
        .collect()
    }
}

impl Drop for Receiver {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn handle(
    state: Arc<State>,
    req: hyper::Request<Incoming>,
) -> Result<hyper::Response<Full<Bytes>>, Infallible> {
    let at = Instant::now();
    let (parts, body) = req.into_parts();
    let body = body
        .collect()
        .await
        .map(|b| b.to_bytes().to_vec())
        .unwrap_or_default();
    let request = Request {
        at,
        method: parts.method.to_string(),
        path: parts.uri.path().to_owned(),
        headers: parts
            .headers
            .iter()
            .map(|(k, v)| {
                (
                    k.as_str().to_owned(),
                    String::from_utf8_lossy(v.as_bytes()).into_owned(),
                )
            })
            .collect(),
        body,
    };
    let nth = {
        let mut per_path = state.per_path.lock().unwrap();
        let n = per_path.entry(request.path.clone()).or_default();
        *n += 1;
        *n - 1
    };
    let script = Arc::clone(&state.script.lock().unwrap());
    let reply = script(&request, nth);
    state.requests.lock().unwrap().push(request);
    let _in_flight = InFlight::enter(&state);
    if !reply.delay.is_zero() {
        tokio::time::sleep(reply.delay).await;
    }
    let mut response = hyper::Response::builder().status(reply.status);
    for (name, value) in &reply.headers {
        response = response.header(name, value);
    }
    Ok(response
        .body(Full::new(Bytes::from(reply.body)))
        .expect("response"))
}
