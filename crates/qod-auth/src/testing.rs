//! Test support, behind the `test-util` feature: a fake identity provider on 127.0.0.1 for the
//! production auth modes, and the fixture keys.
//!
//! [`Idp`] serves a JWKS endpoint and an RFC 7662 introspection endpoint (HTTP Basic client
//! authentication as [`GATEWAY_CLIENT_ID`] and [`GATEWAY_CLIENT_SECRET`]); tests change its
//! answers while it runs. [`TestKey`] signs tokens with the fixture keys or a key minted at test
//! time. This crate's tests and the server's end-to-end tests use it; nothing else should.

// A failed expectation in a test helper is a failed test.
#![allow(clippy::expect_used)]

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};

use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use ed25519_dalek::SigningKey;
use ed25519_dalek::pkcs8::EncodePrivateKey;
use jsonwebtoken::jwk::{
    AlgorithmParameters, CommonParameters, EllipticCurve, Jwk, JwkSet, KeyAlgorithm,
    OctetKeyPairParameters, OctetKeyPairType,
};
use jsonwebtoken::{Algorithm, EncodingKey, Header, encode};
use rand_core::OsRng;
use serde_json::{Value, json};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

/// The fixture Ed25519 private key (PKCS#8 PEM).
pub const ED25519_PEM: &str = include_str!("../tests/fixtures/ed25519_test_key.pem");
/// The fixture P-256 private key (PKCS#8 PEM).
pub const EC_P256_PEM: &str = include_str!("../tests/fixtures/ec_p256_test_key.pem");
/// The fixture RSA 2048 private key (PKCS#8 PEM).
pub const RSA_PEM: &str = include_str!("../tests/fixtures/rsa2048_test_key.pem");

/// The gateway's client id at the fake provider (introspection).
pub const GATEWAY_CLIENT_ID: &str = "qod-gateway-rs";
/// The gateway's client secret at the fake provider (introspection). Tests look for it in
/// logs and debug output, where it must never appear.
pub const GATEWAY_CLIENT_SECRET: &str = "idp-secret-Zq81-never-logged";

/// The DER body of a PEM document.
pub fn pem_der(pem: &str) -> Result<Vec<u8>, base64::DecodeError> {
    let body: String = pem.lines().filter(|l| !l.starts_with("-----")).collect();
    STANDARD.decode(body)
}

/// A signing key and its public JWK.
pub struct TestKey {
    pub kid: String,
    pub alg: Algorithm,
    encoding: EncodingKey,
    pub jwk: Jwk,
}

impl TestKey {
    /// The fixture RSA 2048 key (RS256).
    pub fn rsa(kid: &str) -> TestKey {
        let der = pem_der(RSA_PEM).expect("PEM");
        Self::from_encoding(kid, Algorithm::RS256, EncodingKey::from_rsa_der(&der))
    }

    /// The fixture P-256 key (ES256).
    pub fn p256(kid: &str) -> TestKey {
        let der = pem_der(EC_P256_PEM).expect("PEM");
        Self::from_encoding(kid, Algorithm::ES256, EncodingKey::from_ec_der(&der))
    }

    fn from_encoding(kid: &str, alg: Algorithm, encoding: EncodingKey) -> TestKey {
        let mut jwk = Jwk::from_encoding_key(&encoding, alg).expect("public key");
        jwk.common.key_id = Some(kid.to_owned());
        TestKey {
            kid: kid.to_owned(),
            alg,
            encoding,
            jwk,
        }
    }

    /// A fresh Ed25519 key (EdDSA).
    pub fn ed25519(kid: &str) -> TestKey {
        let key = SigningKey::generate(&mut OsRng);
        let der = key.to_pkcs8_der().expect("PKCS#8");
        let jwk = Jwk {
            common: CommonParameters {
                key_id: Some(kid.to_owned()),
                key_algorithm: Some(KeyAlgorithm::EdDSA),
                ..CommonParameters::default()
            },
            algorithm: AlgorithmParameters::OctetKeyPair(OctetKeyPairParameters {
                key_type: OctetKeyPairType::OctetKeyPair,
                curve: EllipticCurve::Ed25519,
                x: URL_SAFE_NO_PAD.encode(key.verifying_key().as_bytes()),
            }),
        };
        TestKey {
            kid: kid.to_owned(),
            alg: Algorithm::EdDSA,
            encoding: EncodingKey::from_ed_der(der.as_bytes()),
            jwk,
        }
    }

    /// Signs `claims` as an access token (`typ: at+jwt`), naming this key in the header.
    pub fn sign(&self, claims: &Value) -> String {
        self.sign_as(&self.kid, claims)
    }

    /// Signs `claims` as an access token (`typ: at+jwt`) with this key, naming `kid` in the
    /// header.
    pub fn sign_as(&self, kid: &str, claims: &Value) -> String {
        let mut header = Header::new(self.alg);
        header.kid = Some(kid.to_owned());
        header.typ = Some("at+jwt".to_owned());
        encode(&header, claims, &self.encoding).expect("sign")
    }
}

/// What the provider answers and how often it was asked.
struct State {
    keys: Vec<Jwk>,
    jwks_status: u16,
    jwks_hits: usize,
    /// Introspection answers by token; unknown tokens are `{"active": false}`.
    introspection: HashMap<String, Value>,
    introspection_status: u16,
    introspection_hits: usize,
}

/// The running fake provider.
pub struct Idp {
    server: MockServer,
    state: Arc<Mutex<State>>,
}

struct Jwks(Arc<Mutex<State>>);

impl Respond for Jwks {
    fn respond(&self, _: &Request) -> ResponseTemplate {
        let mut state = self.0.lock().expect("state");
        state.jwks_hits += 1;
        if state.jwks_status != 200 {
            return ResponseTemplate::new(state.jwks_status);
        }
        ResponseTemplate::new(200).set_body_json(JwkSet {
            keys: state.keys.clone(),
        })
    }
}

struct Introspection(Arc<Mutex<State>>);

impl Respond for Introspection {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        let mut state = self.0.lock().expect("state");
        state.introspection_hits += 1;
        if state.introspection_status != 200 {
            return ResponseTemplate::new(state.introspection_status);
        }
        let expected = format!(
            "Basic {}",
            STANDARD.encode(format!("{GATEWAY_CLIENT_ID}:{GATEWAY_CLIENT_SECRET}"))
        );
        let given = request
            .headers
            .get("authorization")
            .and_then(|v| v.to_str().ok());
        if given != Some(expected.as_str()) {
            return ResponseTemplate::new(401).set_body_json(json!({"error": "invalid_client"}));
        }
        let form: HashMap<String, String> = oauth2::url::form_urlencoded::parse(&request.body)
            .into_owned()
            .collect();
        let answer = form
            .get("token")
            .and_then(|t| state.introspection.get(t))
            .cloned()
            .unwrap_or_else(|| json!({"active": false}));
        ResponseTemplate::new(200).set_body_json(answer)
    }
}

impl Idp {
    /// Starts a provider that publishes `keys` and knows no token yet.
    pub async fn start(keys: &[&TestKey]) -> Idp {
        let server = MockServer::start().await;
        let state = Arc::new(Mutex::new(State {
            keys: keys.iter().map(|k| k.jwk.clone()).collect(),
            jwks_status: 200,
            jwks_hits: 0,
            introspection: HashMap::new(),
            introspection_status: 200,
            introspection_hits: 0,
        }));
        Mock::given(method("GET"))
            .and(path("/jwks"))
            .respond_with(Jwks(state.clone()))
            .mount(&server)
            .await;
        Mock::given(method("POST"))
            .and(path("/introspect"))
            .respond_with(Introspection(state.clone()))
            .mount(&server)
            .await;
        Idp { server, state }
    }

    fn state(&self) -> MutexGuard<'_, State> {
        self.state.lock().expect("state")
    }

    pub fn jwks_url(&self) -> String {
        format!("{}/jwks", self.server.uri())
    }

    pub fn introspection_url(&self) -> String {
        format!("{}/introspect", self.server.uri())
    }

    /// Publishes exactly `keys` from now on.
    pub fn set_keys(&self, keys: &[&TestKey]) {
        self.state().keys = keys.iter().map(|k| k.jwk.clone()).collect();
    }

    /// Publishes a raw key set document.
    pub fn set_raw_keys(&self, keys: Vec<Jwk>) {
        self.state().keys = keys;
    }

    pub fn set_jwks_status(&self, status: u16) {
        self.state().jwks_status = status;
    }

    /// How many times the key set was fetched.
    pub fn jwks_hits(&self) -> usize {
        self.state().jwks_hits
    }

    /// Answers `response` when `token` is introspected.
    pub fn answer(&self, token: &str, response: Value) {
        self.state()
            .introspection
            .insert(token.to_owned(), response);
    }

    pub fn set_introspection_status(&self, status: u16) {
        self.state().introspection_status = status;
    }

    /// How many introspection requests arrived.
    pub fn introspection_hits(&self) -> usize {
        self.state().introspection_hits
    }
}

/// A loopback URL where nothing listens.
pub fn dead_url(path: &str) -> String {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("free port");
    format!("http://127.0.0.1:{port}{path}")
}
