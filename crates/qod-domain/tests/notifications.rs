//! The domain's side of notifications: sinks checked by the sink policy port before anything
//! else, and the outbox wake-up after every committed change of a session with a sink.

#![allow(clippy::unwrap_used, clippy::expect_used)]

#[allow(dead_code)] // each test file uses only some of the shared helpers
mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use async_trait::async_trait;
use common::doubles::{ManualClock, RecordingWakeup};
use common::harness::{client, phone_device, request as session_request};
use common::store::MemoryStore;
use qod_domain::{
    Caller, CreateSession, DomainError, OutboxWakeup, QosStatus, SessionRules, SessionService,
    Sink, SinkCredential, SinkPolicy, SinkRefusal, StaticCatalogue,
};
use qod_network_sim::SimulatedNetwork;
use time::Duration;

/// Counts wake-ups of the dispatcher.
#[derive(Default)]
struct Wakeups(AtomicUsize);

impl OutboxWakeup for Wakeups {
    fn event_queued(&self) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
}

/// Refuses sinks on `bad.example` and token endpoints on `bad-token.example`.
struct Policy;

#[async_trait]
impl SinkPolicy for Policy {
    async fn check(&self, sink: &Sink) -> Result<(), SinkRefusal> {
        if sink.url.contains("bad.example") {
            return Err(SinkRefusal::Sink("internal".into()));
        }
        match &sink.credential {
            Some(SinkCredential::PrivateKeyJwt {
                token_uri: Some(uri),
                ..
            }) if uri.contains("bad-token.example") => {
                Err(SinkRefusal::TokenUri("internal token endpoint".into()))
            }
            _ => Ok(()),
        }
    }
}

struct Harness {
    service: SessionService,
    wakeups: Arc<Wakeups>,
    clock: Arc<ManualClock>,
}

fn harness() -> Harness {
    let wakeups = Arc::new(Wakeups::default());
    let clock = Arc::new(ManualClock::starting_at(time::macros::datetime!(
        2030-01-01 00:00 UTC
    )));
    let rules = SessionRules {
        private_key_jwt_configured: true,
        ..SessionRules::default()
    };
    let service = SessionService::new(
        Arc::new(MemoryStore::default()),
        Arc::new(SimulatedNetwork::default()),
        Arc::new(StaticCatalogue::sandbox()),
        clock.clone(),
        Arc::new(RecordingWakeup::default()),
        rules,
    )
    .with_sink_policy(Arc::new(Policy))
    .with_outbox_wakeup(wakeups.clone());
    Harness {
        service,
        wakeups,
        clock,
    }
}

/// A one-minute `QOS_E` session, for `phone` when given.
fn request(phone: Option<&str>, sink: Option<Sink>) -> CreateSession {
    CreateSession {
        device: phone.map(phone_device),
        sink,
        ..session_request("+34600000001", "QOS_E", 60)
    }
}

fn sink(url: &str) -> Option<Sink> {
    Some(Sink {
        url: url.into(),
        credential: None,
    })
}

fn caller() -> Caller {
    client("app")
}

#[tokio::test]
async fn refused_sinks_are_400_before_anything_else() {
    let h = harness();
    // No device with a 2-legged token would be 422; the sink is judged first (a body error).
    let err = h
        .service
        .create(&caller(), request(None, sink("https://bad.example/cb")))
        .await
        .unwrap_err();
    assert!(matches!(err, DomainError::InvalidSink(_)), "{err:?}");
    let jwt = Some(Sink {
        url: "https://ok.example/cb".into(),
        credential: Some(SinkCredential::PrivateKeyJwt {
            client_id: Some("c".into()),
            token_uri: Some("https://bad-token.example/t".into()),
        }),
    });
    let err = h
        .service
        .create(&caller(), request(Some("+34600000001"), jwt))
        .await
        .unwrap_err();
    assert!(matches!(err, DomainError::InvalidArgument(_)), "{err:?}");
    assert_eq!(h.wakeups.0.load(Ordering::SeqCst), 0);
}

#[tokio::test]
async fn every_committed_change_of_a_session_with_a_sink_wakes_the_dispatcher() {
    let h = harness();
    let woken = || h.wakeups.0.load(Ordering::SeqCst);
    let plain = h
        .service
        .create(&caller(), request(Some("+34600000001"), None))
        .await
        .unwrap();
    assert_eq!(woken(), 0, "no sink, no event");
    h.service.delete(&caller(), plain.id).await.unwrap();
    assert_eq!(woken(), 0);

    let available = h
        .service
        .create(
            &caller(),
            request(Some("+34600000002"), sink("https://ok.example/a")),
        )
        .await
        .unwrap();
    assert_eq!(available.status, QosStatus::Available);
    assert_eq!(woken(), 1, "AVAILABLE at creation");
    let requested = h
        .service
        .create(
            &caller(),
            request(Some("+99999990202"), sink("https://ok.example/r")),
        )
        .await
        .unwrap();
    assert_eq!(requested.status, QosStatus::Requested);
    assert_eq!(woken(), 1, "REQUESTED is no status change");
    h.clock.advance(Duration::seconds(3));
    h.service.fire_due_timers(10).await.unwrap();
    assert_eq!(woken(), 2, "AVAILABLE after the network granted it");
    h.service.delete(&caller(), available.id).await.unwrap();
    assert_eq!(woken(), 3, "DELETE_REQUESTED");
}
