//! Every error code of the sessions API, through the real server: the exact status and code of
//! the CAMARA envelope, and the `x-correlator` echoed on error responses.

use std::time::Duration;

use reqwest::Method;
use serde_json::{Value, json};

use crate::support::{Api, QOD, Reply, Server, create_body, wait_for_session};

/// An id no session has.
pub(super) const UNKNOWN_ID: &str = "3fa85f64-5717-4562-b3fc-2c963f66afa6";

pub(super) fn session_path(id: &str) -> String {
    format!("{QOD}/sessions/{id}")
}

pub(super) fn extend_path(id: &str) -> String {
    format!("{QOD}/sessions/{id}/extend")
}

/// The five operations with a valid request each: (name, method, path, body).
pub(super) fn operations(
    id: &str,
    phone: &str,
) -> Vec<(&'static str, Method, String, Option<String>)> {
    vec![
        (
            "createSession",
            Method::POST,
            format!("{QOD}/sessions"),
            Some(create_body(phone, 60).to_string()),
        ),
        ("getSession", Method::GET, session_path(id), None),
        ("deleteSession", Method::DELETE, session_path(id), None),
        (
            "extendQosSessionDuration",
            Method::POST,
            extend_path(id),
            Some(json!({"requestedAdditionalDuration": 30}).to_string()),
        ),
        (
            "retrieveSessionsByDevice",
            Method::POST,
            format!("{QOD}/retrieve-sessions"),
            Some(json!({"device": {"phoneNumber": phone}}).to_string()),
        ),
    ]
}

#[track_caller]
pub(super) fn assert_echoed(reply: &Reply, correlator: &str) {
    assert_eq!(
        reply
            .headers
            .get("x-correlator")
            .and_then(|v| v.to_str().ok()),
        Some(correlator),
        "x-correlator not echoed; status {} body {}",
        reply.status,
        reply.text
    );
}

/// Returns `base` with the value at `path` (object keys, or array indices) replaced.
pub(super) fn with(mut base: Value, path: &[&str], new: Value) -> Value {
    let mut at = &mut base;
    for key in &path[..path.len() - 1] {
        at = match key.parse::<usize>() {
            Ok(i) if at.is_array() => &mut at[i],
            _ => at
                .as_object_mut()
                .expect("object on the path")
                .entry(key.to_string())
                .or_insert_with(|| json!({})),
        };
    }
    let last = path[path.len() - 1];
    match last.parse::<usize>() {
        Ok(i) if at.is_array() => at[i] = new,
        _ => {
            at.as_object_mut()
                .expect("object at the end of the path")
                .insert(last.to_owned(), new);
        }
    }
    base
}

/// Returns `base` without the top-level `key`.
pub(super) fn without(mut base: Value, key: &str) -> Value {
    base.as_object_mut().expect("object").remove(key);
    base
}

pub(super) async fn created_id(api: &Api, token: &str, body: &Value) -> String {
    let r = api.post(&format!("{QOD}/sessions"), token, body).await;
    assert_eq!(r.status, 201, "{}", r.text);
    r.body["sessionId"].as_str().expect("sessionId").to_owned()
}

mod auth;
mod bodies;
mod order;
mod rules;
