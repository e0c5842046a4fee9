//! The outbound HTTP client of the remote validators: no redirects, bounded in time and in the
//! size of what it reads, and errors that never carry a request, a token or a secret.

use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

use oauth2::{AsyncHttpClient, HttpRequest, HttpResponse};

use crate::AuthError;

/// Largest response body read from an authorization server.
pub(crate) const MAX_BODY_BYTES: usize = 1 << 20;

/// Why a call to an authorization server failed.
#[derive(Debug, thiserror::Error)]
pub(crate) enum CallError {
    #[error("timed out")]
    Timeout,
    #[error("connection failed")]
    Connect,
    #[error("answered HTTP {0}")]
    Status(u16),
    #[error("answered more than {MAX_BODY_BYTES} bytes")]
    TooLarge,
    #[error("request failed")]
    Other,
}

/// A client that follows no redirects (they could lead credentials elsewhere) and gives up
/// after `timeout`.
pub(crate) fn client(timeout: Duration) -> Result<reqwest::Client, AuthError> {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(timeout)
        .connect_timeout(timeout)
        .build()
        .map_err(|_| AuthError::Config("cannot build the HTTP client".to_owned()))
}

/// Checks that `url` is an absolute `http` or `https` URL.
pub(crate) fn check_url(what: &str, url: &str) -> Result<(), AuthError> {
    match reqwest::Url::parse(url) {
        Ok(u) if matches!(u.scheme(), "http" | "https") && u.host().is_some() => Ok(()),
        _ => Err(AuthError::Config(format!(
            "{what} must be an absolute http:// or https:// URL"
        ))),
    }
}

fn classify(e: &reqwest::Error) -> CallError {
    if e.is_timeout() {
        CallError::Timeout
    } else if e.is_connect() {
        CallError::Connect
    } else {
        CallError::Other
    }
}

async fn read_capped(mut res: reqwest::Response) -> Result<Vec<u8>, CallError> {
    let mut body = Vec::new();
    while let Some(chunk) = res.chunk().await.map_err(|e| classify(&e))? {
        if body.len().saturating_add(chunk.len()) > MAX_BODY_BYTES {
            return Err(CallError::TooLarge);
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

/// `GET url`: the body of a 2xx answer.
pub(crate) async fn get(client: &reqwest::Client, url: &str) -> Result<Vec<u8>, CallError> {
    let res = client
        .get(url)
        .header(reqwest::header::ACCEPT, "application/json")
        .send()
        .await
        .map_err(|e| classify(&e))?;
    if !res.status().is_success() {
        return Err(CallError::Status(res.status().as_u16()));
    }
    read_capped(res).await
}

/// `oauth2`'s HTTP client: requests go through reqwest with [`send`].
#[derive(Debug, Clone)]
pub(crate) struct OAuthHttp(pub(crate) reqwest::Client);

impl<'c> AsyncHttpClient<'c> for OAuthHttp {
    type Error = CallError;
    type Future = Pin<Box<dyn Future<Output = Result<HttpResponse, CallError>> + Send + 'c>>;

    fn call(&'c self, request: HttpRequest) -> Self::Future {
        Box::pin(send(&self.0, request))
    }
}

/// Sends a request built by `oauth2` through reqwest. An answer other than 2xx is an error
/// here already, so that its status (and never its body) is what gets reported.
pub(crate) async fn send(
    client: &reqwest::Client,
    request: HttpRequest,
) -> Result<HttpResponse, CallError> {
    let request = reqwest::Request::try_from(request).map_err(|_| CallError::Other)?;
    let res = client.execute(request).await.map_err(|e| classify(&e))?;
    let status = res.status();
    if !status.is_success() {
        return Err(CallError::Status(status.as_u16()));
    }
    let headers = res.headers().clone();
    let body = read_capped(res).await?;
    let mut response = HttpResponse::new(body);
    *response.status_mut() = status;
    *response.headers_mut() = headers;
    Ok(response)
}
