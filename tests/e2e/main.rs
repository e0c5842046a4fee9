//! End-to-end tests: the real `qod-server` binary, driven over HTTP on 127.0.0.1.

// A failed expectation in a test helper is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

mod corpus;
mod errors;
mod lifecycle;
mod multi_instance;
mod notifications;
mod notifications_delivery;
mod notifications_fairness;
mod notifications_multi;
mod notifications_policy;
mod notifications_restart;
mod production_auth;
mod profiles;
mod sqlite_access;
mod three_legged;
