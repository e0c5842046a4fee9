//! One delivery attempt: the CloudEvent, its headers, the POST, and what the answer means.

use qod_domain::OutboxEvent;
use reqwest::header::{AUTHORIZATION, CONTENT_TYPE, HeaderMap, HeaderName, HeaderValue};
use time::OffsetDateTime;

use crate::credentials::{CredentialError, Credentials};
use crate::event::EventFormat;
use crate::http::{Http, SendError};
use crate::retry::{Verdict, parse_retry_after};

/// The media type of a structured-mode CloudEvent.
pub const CLOUDEVENTS_JSON: &str = "application/cloudevents+json";

/// What one attempt came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Report {
    pub verdict: Verdict,
    /// The HTTP status of the sink's (or the token endpoint's) answer, if any.
    pub status: Option<u16>,
    /// Why it was not delivered.
    pub error: Option<String>,
}

impl Report {
    fn failed(verdict: Verdict, status: Option<u16>, error: String) -> Self {
        Self {
            verdict,
            status,
            error: Some(error),
        }
    }
}

/// Sends events to their sinks.
#[derive(Debug)]
pub struct Sender {
    pub(crate) format: EventFormat,
    pub(crate) http: Http,
    pub(crate) credentials: Credentials,
}

impl Sender {
    /// A sender writing events with `format`, over `http`, authenticated with `credentials`.
    pub fn new(format: EventFormat, http: Http, credentials: Credentials) -> Self {
        Self {
            format,
            http,
            credentials,
        }
    }

    /// Attempts to deliver `event` at `now`.
    pub async fn send(&self, event: &OutboxEvent, now: OffsetDateTime) -> Report {
        let bearer = match self.credentials.bearer(&event.sink, now, &self.http).await {
            Ok(bearer) => bearer,
            Err(CredentialError::Unusable(why)) => {
                return Report::failed(Verdict::Fatal, None, why);
            }
            Err(CredentialError::TokenEndpoint {
                verdict,
                error,
                status,
            }) => return Report::failed(verdict, status, error),
        };
        let body = match serde_json::to_vec(&self.format.event(event)) {
            Ok(body) => body,
            Err(e) => return Report::failed(Verdict::Fatal, None, e.to_string()),
        };
        let mut headers = HeaderMap::new();
        headers.insert(CONTENT_TYPE, HeaderValue::from_static(CLOUDEVENTS_JSON));
        if let Ok(correlator) = HeaderValue::from_str(&event.id.to_string()) {
            headers.insert(HeaderName::from_static("x-correlator"), correlator);
        }
        if let Some(token) = bearer {
            match HeaderValue::from_str(&format!("Bearer {token}")) {
                Ok(mut value) => {
                    value.set_sensitive(true);
                    headers.insert(AUTHORIZATION, value);
                }
                Err(_) => {
                    return Report::failed(
                        Verdict::Fatal,
                        None,
                        "the access token is not a valid header value".into(),
                    );
                }
            }
        }
        match self.http.post(&event.sink.url, headers, body).await {
            Ok(answer) => {
                let verdict = verdict_of(answer.status, answer.retry_after.as_deref(), now);
                if answer.status == 401 {
                    // A token obtained with PRIVATE_KEY_JWT may have been revoked: get a new one.
                    self.credentials.forget(&event.sink);
                }
                match verdict {
                    Verdict::Delivered => Report {
                        verdict,
                        status: Some(answer.status),
                        error: None,
                    },
                    _ => Report::failed(
                        verdict,
                        Some(answer.status),
                        format!("sink answered HTTP {}", answer.status),
                    ),
                }
            }
            Err(e) => Report::failed(verdict_of_send_error(&e), None, e.to_string()),
        }
    }
}

/// What an HTTP status means for a delivery (or a token request).
pub(crate) fn verdict_of(status: u16, retry_after: Option<&str>, now: OffsetDateTime) -> Verdict {
    match status {
        200..=299 => Verdict::Delivered,
        410 => Verdict::Gone,
        408 | 429 | 500..=599 => Verdict::Transient {
            retry_after: retry_after.and_then(|v| parse_retry_after(v, now)),
        },
        _ => Verdict::Refused,
    }
}

/// What a request without an answer means.
pub(crate) fn verdict_of_send_error(e: &SendError) -> Verdict {
    match e {
        SendError::Refused(_) => Verdict::Fatal,
        SendError::Timeout | SendError::Connect(_) | SendError::Other(_) => {
            Verdict::Transient { retry_after: None }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[test]
    fn statuses_mean_what_the_spec_says() {
        let now = OffsetDateTime::UNIX_EPOCH;
        for ok in [200, 201, 202, 204] {
            assert_eq!(verdict_of(ok, None, now), Verdict::Delivered);
        }
        assert_eq!(verdict_of(410, None, now), Verdict::Gone);
        for transient in [408, 429, 500, 502, 503, 504] {
            assert_eq!(
                verdict_of(transient, Some("7"), now),
                Verdict::Transient {
                    retry_after: Some(Duration::from_secs(7))
                }
            );
        }
        for refused in [301, 302, 400, 401, 403, 404, 405, 413, 422] {
            assert_eq!(verdict_of(refused, None, now), Verdict::Refused);
        }
        assert_eq!(
            verdict_of_send_error(&SendError::Refused("x".into())),
            Verdict::Fatal
        );
        assert_eq!(
            verdict_of_send_error(&SendError::Timeout),
            Verdict::Transient { retry_after: None }
        );
    }
}
