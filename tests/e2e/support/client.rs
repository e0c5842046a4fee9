//! A small API client for the tests: tokens from the sandbox issuer and CAMARA calls.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

/// The Quality-on-Demand base path the server uses by default.
pub const QOD: &str = "/quality-on-demand/v1";

/// A response, read whole.
#[derive(Debug)]
pub struct Reply {
    pub status: StatusCode,
    pub headers: reqwest::header::HeaderMap,
    pub body: Value,
    pub text: String,
}

impl Reply {
    /// Reads a whole response; a body that is not JSON is `Value::Null`.
    async fn read(res: reqwest::Response) -> Reply {
        let status = res.status();
        let headers = res.headers().clone();
        let text = res.text().await.expect("body");
        let body = serde_json::from_str(&text).unwrap_or(Value::Null);
        Reply {
            status,
            headers,
            body,
            text,
        }
    }

    /// Asserts a CAMARA error envelope with this status and code.
    #[track_caller]
    pub fn assert_error(&self, status: u16, code: &str) {
        assert_eq!(
            self.status.as_u16(),
            status,
            "unexpected status; body: {}",
            self.text
        );
        assert_eq!(self.body["status"], json!(status), "body: {}", self.text);
        assert_eq!(self.body["code"], json!(code), "body: {}", self.text);
        assert!(
            self.body["message"].as_str().is_some_and(|m| !m.is_empty()),
            "message missing: {}",
            self.text
        );
    }
}

/// A client of one server.
#[derive(Clone)]
pub struct Api {
    pub base: String,
    http: reqwest::Client,
}

impl Api {
    pub fn new(base: &str) -> Api {
        Api {
            base: base.to_owned(),
            http: reqwest::Client::new(),
        }
    }

    /// Sends a request; `body` is sent as raw text with a JSON content type when given.
    pub async fn call(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<&str>,
        headers: &[(&str, &str)],
    ) -> Reply {
        let mut req = self.http.request(method, format!("{}{}", self.base, path));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        if let Some(b) = body {
            req = req
                .header("content-type", "application/json")
                .body(b.to_owned());
        }
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        Reply::read(req.send().await.expect("request")).await
    }

    /// Sends raw bytes: header values and the body need not be UTF-8. The body, when given,
    /// goes with a JSON content type unless `headers` names another.
    pub async fn send_raw(
        &self,
        method: Method,
        path: &str,
        headers: &[(&str, &[u8])],
        body: Option<Vec<u8>>,
    ) -> Reply {
        let mut req = self.http.request(method, format!("{}{}", self.base, path));
        let has_type = headers
            .iter()
            .any(|(k, _)| k.eq_ignore_ascii_case("content-type"));
        if body.is_some() && !has_type {
            req = req.header("content-type", "application/json");
        }
        for (k, v) in headers {
            let value = reqwest::header::HeaderValue::from_bytes(v).expect("header value");
            req = req.header(*k, value);
        }
        if let Some(b) = body {
            req = req.body(b);
        }
        let res = req.send().await.expect("request");
        let status = res.status();
        let headers = res.headers().clone();
        let bytes = res.bytes().await.expect("body");
        let text = String::from_utf8_lossy(&bytes).into_owned();
        Reply {
            status,
            headers,
            body: serde_json::from_slice(&bytes).unwrap_or(Value::Null),
            text,
        }
    }

    /// A form POST authenticated with HTTP Basic (`client_id:secret`).
    pub async fn form_basic(
        &self,
        path: &str,
        client_id: &str,
        secret: &str,
        form: &[(&str, &str)],
    ) -> Reply {
        let res = self
            .http
            .post(format!("{}{}", self.base, path))
            .basic_auth(client_id, Some(secret))
            .form(form)
            .send()
            .await
            .expect("request");
        Reply::read(res).await
    }

    pub async fn post(&self, path: &str, token: &str, body: &Value) -> Reply {
        self.call(
            Method::POST,
            path,
            Some(token),
            Some(&body.to_string()),
            &[],
        )
        .await
    }

    pub async fn get(&self, path: &str, token: &str) -> Reply {
        self.call(Method::GET, path, Some(token), None, &[]).await
    }

    pub async fn delete(&self, path: &str, token: &str) -> Reply {
        self.call(Method::DELETE, path, Some(token), None, &[])
            .await
    }

    /// Creates a session of `duration` seconds for the device with this phone number; asserts
    /// 201 and returns the session.
    pub async fn create_session(&self, token: &str, phone: &str, duration: i64) -> Value {
        let r = self
            .post(
                &format!("{QOD}/sessions"),
                token,
                &create_body(phone, duration),
            )
            .await;
        assert_eq!(r.status, 201, "{}", r.text);
        r.body
    }

    /// A form POST to the sandbox authorization server.
    pub async fn form(&self, path: &str, form: &[(&str, &str)]) -> Reply {
        let res = self
            .http
            .post(format!("{}{}", self.base, path))
            .form(form)
            .send()
            .await
            .expect("request");
        Reply::read(res).await
    }

    /// A client-credentials grant of `client_id` at the token endpoint (every scope when
    /// `scope` is None), whatever the answer.
    pub async fn client_credentials(&self, client_id: &str, scope: Option<&str>) -> Reply {
        let mut form = vec![
            ("grant_type", "client_credentials"),
            ("client_id", client_id),
            ("client_secret", "sandbox-secret"),
        ];
        if let Some(s) = scope {
            form.push(("scope", s));
        }
        self.form("/oauth2/token", &form).await
    }

    /// A 2-legged token for `client_id` (every scope when `scope` is None).
    pub async fn token(&self, client_id: &str, scope: Option<&str>) -> String {
        let r = self.client_credentials(client_id, scope).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        r.body["access_token"].as_str().expect("token").to_owned()
    }

    /// A 3-legged token (CIBA) of `client_id` for the device `login_hint`.
    pub async fn token_3legged(&self, client_id: &str, login_hint: &str) -> String {
        let auth = self
            .form(
                "/oauth2/bc-authorize",
                &[
                    ("client_id", client_id),
                    ("client_secret", "sandbox-secret"),
                    ("login_hint", login_hint),
                    ("purpose", "dpv:RequestedServiceProvision#qod"),
                ],
            )
            .await;
        assert_eq!(auth.status, StatusCode::OK, "{}", auth.text);
        let id = auth.body["auth_req_id"].as_str().expect("auth_req_id");
        let r = self
            .form(
                "/oauth2/token",
                &[
                    ("grant_type", "urn:openid:params:grant-type:ciba"),
                    ("auth_req_id", id),
                    ("client_id", client_id),
                    ("client_secret", "sandbox-secret"),
                ],
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        r.body["access_token"].as_str().expect("token").to_owned()
    }
}

/// A valid create body for the device with this phone number.
pub fn create_body(phone: &str, duration: i64) -> Value {
    json!({
        "device": {"phoneNumber": phone},
        "applicationServer": {"ipv4Address": "198.51.100.0/24"},
        "qosProfile": "QOS_E",
        "duration": duration,
    })
}
