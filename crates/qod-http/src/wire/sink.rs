//! `sink` and `sinkCredential`: where notifications go and how to authenticate there.

use actix_web::http::StatusCode;
use qod_domain::{Sink, SinkCredential};
use serde::Deserialize;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use super::{char_len, non_null};
use crate::error::ApiError;

const MAX_URI_CHARS: usize = 2048;
const MAX_TOKEN_CHARS: usize = 4096;
const MAX_DATE_TIME_CHARS: usize = 64;
const MAX_CLIENT_ID_CHARS: usize = 128;

/// A sink credential as sent. Which fields are allowed depends on `credentialType`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct SinkCredentialBody {
    credential_type: String,
    #[serde(default, deserialize_with = "non_null")]
    access_token: Option<String>,
    #[serde(default, deserialize_with = "non_null")]
    access_token_expires_utc: Option<String>,
    #[serde(default, deserialize_with = "non_null")]
    access_token_type: Option<String>,
    #[serde(default, deserialize_with = "non_null")]
    client_id: Option<String>,
    #[serde(default, deserialize_with = "non_null")]
    token_uri: Option<String>,
    #[serde(default, deserialize_with = "non_null")]
    jwks_uri: Option<String>,
}

/// Validates `sink` and `sinkCredential` together. A credential needs a sink.
pub(crate) fn sink_from_body(
    url: Option<String>,
    credential: Option<SinkCredentialBody>,
) -> Result<Option<Sink>, ApiError> {
    let Some(url) = url else {
        return match credential {
            Some(_) => Err(ApiError::invalid_argument(
                "sinkCredential requires a sink.",
            )),
            None => Ok(None),
        };
    };
    if !is_https_url(&url) {
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "INVALID_SINK",
            "sink not valid for the specified protocol",
        ));
    }
    let credential = credential
        .map(SinkCredentialBody::into_domain)
        .transpose()?;
    Ok(Some(Sink { url, credential }))
}

/// True for an `https://` URL with a host, at most 2048 characters long.
fn is_https_url(text: &str) -> bool {
    let Some(rest) = text.strip_prefix("https://") else {
        return false;
    };
    char_len(text) <= MAX_URI_CHARS
        && !rest.starts_with(['/', '\\'])
        && !text.chars().any(|c| c.is_whitespace() || c.is_control())
        && url::Url::parse(text)
            .is_ok_and(|u| u.scheme() == "https" && u.host_str().is_some_and(|h| !h.is_empty()))
}

impl SinkCredentialBody {
    /// Validates the credential for its type.
    pub fn into_domain(self) -> Result<SinkCredential, ApiError> {
        match self.credential_type.as_str() {
            "ACCESSTOKEN" => self.access_token_credential(),
            "PRIVATE_KEY_JWT" => self.private_key_jwt_credential(),
            _ => Err(ApiError::invalid_argument(
                "sinkCredential.credentialType must be ACCESSTOKEN or PRIVATE_KEY_JWT.",
            )),
        }
    }

    fn access_token_credential(self) -> Result<SinkCredential, ApiError> {
        reject_fields(
            "ACCESSTOKEN",
            &[
                ("clientId", self.client_id.is_some()),
                ("tokenUri", self.token_uri.is_some()),
                ("jwksUri", self.jwks_uri.is_some()),
            ],
        )?;
        let access_token = self
            .access_token
            .ok_or_else(|| ApiError::invalid_argument("sinkCredential.accessToken is required."))?;
        if access_token.is_empty() || char_len(&access_token) > MAX_TOKEN_CHARS {
            return Err(ApiError::invalid_argument(
                "sinkCredential.accessToken must be 1 to 4096 characters long.",
            ));
        }
        let expires = self.access_token_expires_utc.ok_or_else(|| {
            ApiError::invalid_argument("sinkCredential.accessTokenExpiresUtc is required.")
        })?;
        let expires_at = (char_len(&expires) <= MAX_DATE_TIME_CHARS)
            .then(|| OffsetDateTime::parse(&expires, &Rfc3339).ok())
            .flatten()
            .ok_or_else(|| {
                ApiError::invalid_argument(
                    "sinkCredential.accessTokenExpiresUtc must be an RFC 3339 date-time with a \
                     time zone.",
                )
            })?;
        let token_type = self.access_token_type.ok_or_else(|| {
            ApiError::invalid_argument("sinkCredential.accessTokenType is required.")
        })?;
        if token_type != "bearer" {
            return Err(ApiError::new(
                StatusCode::BAD_REQUEST,
                "INVALID_TOKEN",
                "Only bearer token is supported",
            ));
        }
        Ok(SinkCredential::AccessToken {
            access_token,
            expires_at,
        })
    }

    fn private_key_jwt_credential(self) -> Result<SinkCredential, ApiError> {
        reject_fields(
            "PRIVATE_KEY_JWT",
            &[
                ("accessToken", self.access_token.is_some()),
                (
                    "accessTokenExpiresUtc",
                    self.access_token_expires_utc.is_some(),
                ),
                ("accessTokenType", self.access_token_type.is_some()),
            ],
        )?;
        if self.jwks_uri.is_some() {
            return Err(ApiError::invalid_argument(
                "sinkCredential.jwksUri is read-only and must not be sent.",
            ));
        }
        if let Some(id) = &self.client_id
            && (id.is_empty() || char_len(id) > MAX_CLIENT_ID_CHARS)
        {
            return Err(ApiError::invalid_argument(
                "sinkCredential.clientId must be 1 to 128 characters long.",
            ));
        }
        if let Some(uri) = &self.token_uri
            && !is_https_url(uri)
        {
            return Err(ApiError::invalid_argument(
                "sinkCredential.tokenUri must be an https URL.",
            ));
        }
        Ok(SinkCredential::PrivateKeyJwt {
            client_id: self.client_id,
            token_uri: self.token_uri,
        })
    }
}

/// Rejects the fields that do not belong to the credential type.
fn reject_fields(credential_type: &str, fields: &[(&str, bool)]) -> Result<(), ApiError> {
    match fields.iter().find(|(_, present)| *present) {
        Some((name, _)) => Err(ApiError::invalid_argument(format!(
            "sinkCredential.{name} is not allowed with credentialType {credential_type}."
        ))),
        None => Ok(()),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use crate::wire::parse_body;

    fn sink(url: Option<&str>, credential: Option<&str>) -> Result<Option<Sink>, ApiError> {
        let credential = credential
            .map(|c| parse_body::<SinkCredentialBody>(c.as_bytes()))
            .transpose()?;
        sink_from_body(url.map(str::to_owned), credential)
    }

    const TOKEN: &str = r#"{"credentialType":"ACCESSTOKEN","accessToken":"secret",
        "accessTokenExpiresUtc":"2030-07-03T12:27:08.312Z","accessTokenType":"bearer"}"#;

    #[test]
    fn valid_sinks() {
        assert_eq!(sink(None, None).unwrap(), None);
        let s = sink(Some("https://endpoint.example.com/sink"), Some(TOKEN))
            .unwrap()
            .unwrap();
        assert_eq!(s.url, "https://endpoint.example.com/sink");
        let Some(SinkCredential::AccessToken {
            access_token,
            expires_at,
        }) = s.credential
        else {
            panic!("{s:?}")
        };
        assert_eq!(access_token, "secret");
        assert_eq!(expires_at.year(), 2030);

        let jwt = r#"{"credentialType":"PRIVATE_KEY_JWT","clientId":"c1",
            "tokenUri":"https://auth.example.com/token"}"#;
        let s = sink(Some("https://h:8443/x"), Some(jwt)).unwrap().unwrap();
        assert_eq!(
            s.credential,
            Some(SinkCredential::PrivateKeyJwt {
                client_id: Some("c1".into()),
                token_uri: Some("https://auth.example.com/token".into()),
            })
        );
        let jwt = r#"{"credentialType":"PRIVATE_KEY_JWT"}"#;
        assert!(sink(Some("https://h"), Some(jwt)).is_ok());
    }

    #[test]
    fn invalid_sinks() {
        let long = format!("https://example.com/{}", "a".repeat(2048));
        let cases = [
            "http://endpoint.example.com/sink",
            "ftp://endpoint.example.com",
            "https://",
            "https:///path",
            "https://\\\\host/path",
            "https://host/a b",
            "endpoint.example.com",
            "HTTPS://example.com",
            "",
            long.as_str(),
        ];
        for url in cases {
            let err = sink(Some(url), None).expect_err(url);
            assert_eq!(err.status.as_u16(), 400, "{url}");
            assert_eq!(err.code, "INVALID_SINK", "{url}");
            assert_eq!(err.message, "sink not valid for the specified protocol");
        }
    }

    #[test]
    fn invalid_credentials() {
        let url = Some("https://endpoint.example.com/sink");
        let token = |extra: &str| {
            format!(
                r#"{{"credentialType":"ACCESSTOKEN","accessToken":"t",
                "accessTokenExpiresUtc":"2030-07-03T12:27:08Z"{extra}}}"#
            )
        };
        let cases = [
            (
                token(r#","accessTokenType":"bearer","clientId":"c""#),
                "INVALID_ARGUMENT",
            ),
            (
                token(r#","accessTokenType":"bearer","foo":1"#),
                "INVALID_ARGUMENT",
            ),
            (token(r#","accessTokenType":null"#), "INVALID_ARGUMENT"),
            (token(""), "INVALID_ARGUMENT"),
            (token(r#","accessTokenType":"mac""#), "INVALID_TOKEN"),
            (token(r#","accessTokenType":"Bearer""#), "INVALID_TOKEN"),
            (
                r#"{"credentialType":"ACCESSTOKEN","accessToken":"t","accessTokenType":"bearer"}"#
                    .into(),
                "INVALID_ARGUMENT",
            ),
            (
                r#"{"credentialType":"ACCESSTOKEN","accessToken":"t","accessTokenType":"bearer",
                "accessTokenExpiresUtc":"2030-07-03T12:27:08"}"#
                    .into(),
                "INVALID_ARGUMENT",
            ),
            (
                r#"{"credentialType":"ACCESSTOKEN","accessTokenType":"bearer",
                "accessTokenExpiresUtc":"2030-07-03T12:27:08Z"}"#
                    .into(),
                "INVALID_ARGUMENT",
            ),
            (
                r#"{"credentialType":"PLAIN","identifier":"a","secret":"b"}"#.into(),
                "INVALID_ARGUMENT",
            ),
            (r#"{"credentialType":"PLAIN"}"#.into(), "INVALID_ARGUMENT"),
            (
                r#"{"credentialType":"REFRESHTOKEN"}"#.into(),
                "INVALID_ARGUMENT",
            ),
            (r#"{"accessToken":"t"}"#.into(), "INVALID_ARGUMENT"),
            (r#"{"credentialType":null}"#.into(), "INVALID_ARGUMENT"),
            (
                r#"{"credentialType":"PRIVATE_KEY_JWT","jwksUri":"https://a.example/jwks"}"#.into(),
                "INVALID_ARGUMENT",
            ),
            (
                r#"{"credentialType":"PRIVATE_KEY_JWT","tokenUri":"http://a.example/t"}"#.into(),
                "INVALID_ARGUMENT",
            ),
            (
                r#"{"credentialType":"PRIVATE_KEY_JWT","accessToken":"t"}"#.into(),
                "INVALID_ARGUMENT",
            ),
            (
                format!(
                    r#"{{"credentialType":"PRIVATE_KEY_JWT","clientId":"{}"}}"#,
                    "c".repeat(129)
                ),
                "INVALID_ARGUMENT",
            ),
        ];
        for (json, code) in &cases {
            let err = sink(url, Some(json)).expect_err(json);
            assert_eq!(err.status.as_u16(), 400, "{json}");
            assert_eq!(err.code, *code, "{json}");
        }
        let long = format!(
            r#"{{"credentialType":"ACCESSTOKEN","accessToken":"{}",
            "accessTokenExpiresUtc":"2030-07-03T12:27:08Z","accessTokenType":"bearer"}}"#,
            "t".repeat(4097)
        );
        assert_eq!(sink(url, Some(&long)).unwrap_err().code, "INVALID_ARGUMENT");
        let err = sink(None, Some(TOKEN)).unwrap_err();
        assert_eq!(err.code, "INVALID_ARGUMENT");
    }
}
