//! [`SandboxIssuer`]: key, client authentication and client-credentials tokens.

use std::collections::BTreeSet;
use std::fmt;
use std::time::Duration;

use jsonwebtoken::jwk::JwkSet;
use jsonwebtoken::{Algorithm, Header, encode};
use serde::Serialize;

use super::key::SigningMaterial;
use super::token::{ACCESS_TOKEN_TYP, AccessClaims, IssuedToken, now_secs};
use crate::ct::secrets_equal;
use crate::{AuthError, ClaimMapping, JwtValidator, scope};

/// Longest client id accepted.
const MAX_CLIENT_ID_LEN: usize = 128;

/// The sandbox's built-in authorization server logic, without HTTP.
///
/// It signs with one Ed25519 key, publishes the public half as a JWK set, and hands out a
/// [`JwtValidator`] over that set, so sandbox tokens go through the same validation path as
/// tokens of a production authorization server. Any client id is accepted together with the
/// one configured client secret.
#[derive(Clone)]
pub struct SandboxIssuer {
    pub(super) issuer: String,
    pub(super) audience: String,
    client_secret: String,
    token_ttl_secs: u64,
    pub(super) key: SigningMaterial,
    access_validator: JwtValidator,
    pub(super) ciba_validator: JwtValidator,
}

impl SandboxIssuer {
    /// An issuer with a freshly generated Ed25519 key (from the operating system's random
    /// source). Tokens it issued become invalid when the process restarts.
    ///
    /// `token_ttl` is the lifetime of the access tokens, in whole seconds.
    pub fn generate(
        issuer: String,
        audience: String,
        client_secret: String,
        token_ttl: Duration,
    ) -> Result<Self, AuthError> {
        Self::with_key(
            SigningMaterial::generate()?,
            issuer,
            audience,
            client_secret,
            token_ttl,
        )
    }

    /// An issuer with a configured Ed25519 key, given as an unencrypted PKCS#8 PEM document
    /// (`-----BEGIN PRIVATE KEY-----`, as written by `openssl genpkey -algorithm ed25519`).
    /// The key id is the key's RFC 7638 thumbprint, so it stays the same across restarts.
    pub fn from_pkcs8_pem(
        pem: &str,
        issuer: String,
        audience: String,
        client_secret: String,
        token_ttl: Duration,
    ) -> Result<Self, AuthError> {
        Self::with_key(
            SigningMaterial::from_pkcs8_pem(pem)?,
            issuer,
            audience,
            client_secret,
            token_ttl,
        )
    }

    /// A new Ed25519 signing key as an unencrypted PKCS#8 DER document, to be kept by the caller
    /// and loaded with [`Self::from_pkcs8_der`].
    pub fn generate_pkcs8_der() -> Result<Vec<u8>, AuthError> {
        SigningMaterial::generate_pkcs8_der()
    }

    /// Like [`Self::from_pkcs8_pem`], for the DER form of the same document.
    pub fn from_pkcs8_der(
        der: &[u8],
        issuer: String,
        audience: String,
        client_secret: String,
        token_ttl: Duration,
    ) -> Result<Self, AuthError> {
        Self::with_key(
            SigningMaterial::from_pkcs8_der(der)?,
            issuer,
            audience,
            client_secret,
            token_ttl,
        )
    }

    fn with_key(
        key: SigningMaterial,
        issuer: String,
        audience: String,
        client_secret: String,
        token_ttl: Duration,
    ) -> Result<Self, AuthError> {
        if client_secret.is_empty() {
            return Err(AuthError::Key(
                "the client secret must not be empty".to_owned(),
            ));
        }
        let jwks = JwkSet {
            keys: vec![key.jwk.clone()],
        };
        let access_validator = JwtValidator::new(jwks.clone(), issuer.clone(), audience.clone())?;
        let ciba_validator = JwtValidator::new(jwks, issuer.clone(), ciba_audience(&issuer))?;
        Ok(Self {
            issuer,
            audience,
            client_secret,
            token_ttl_secs: token_ttl.as_secs(),
            key,
            access_validator,
            ciba_validator,
        })
    }

    /// The public key set (one OKP/Ed25519 key with `kid`, `alg` EdDSA and `use` sig), as
    /// served on the JWKS endpoint.
    pub fn jwks(&self) -> JwkSet {
        JwkSet {
            keys: vec![self.key.jwk.clone()],
        }
    }

    /// The key id of the signing key.
    pub fn kid(&self) -> &str {
        &self.key.kid
    }

    /// The issuer named in every token.
    pub fn issuer(&self) -> &str {
        &self.issuer
    }

    /// The audience named in every access token.
    pub fn audience(&self) -> &str {
        &self.audience
    }

    /// A validator over [`Self::jwks`] with the same issuer and audience.
    pub fn validator(&self) -> JwtValidator {
        self.access_validator.clone()
    }

    /// Authenticates a client: any well-formed client id (1 to 128 printable ASCII characters,
    /// not looking like a device subject) with the configured secret, compared in constant
    /// time. Anything else is [`AuthError::InvalidClient`].
    pub fn authenticate_client(
        &self,
        client_id: &str,
        client_secret: &str,
    ) -> Result<(), AuthError> {
        check_client_id(client_id)?;
        if secrets_equal(client_secret, &self.client_secret) {
            Ok(())
        } else {
            Err(AuthError::InvalidClient)
        }
    }

    /// Issues a 2-legged access token (client credentials grant) for an authenticated client.
    ///
    /// `scope` is space-separated; absent or empty grants every scope in [`scope::ALL`], and
    /// [`scope::QOD_PURPOSE`] stands for all of them. Unknown scopes are
    /// [`AuthError::InvalidScope`].
    pub fn issue_client_credentials(
        &self,
        client_id: &str,
        scope: Option<&str>,
    ) -> Result<IssuedToken, AuthError> {
        check_client_id(client_id)?;
        let scopes = scope::resolve_scope(scope)?;
        self.issue_access(client_id, client_id, &scopes)
    }

    /// Signs an access token for `client_id` about `sub`.
    pub(super) fn issue_access(
        &self,
        client_id: &str,
        sub: &str,
        scopes: &BTreeSet<String>,
    ) -> Result<IssuedToken, AuthError> {
        let scope = scope::join(scopes);
        let now = now_secs();
        let claims = AccessClaims {
            iss: &self.issuer,
            aud: &self.audience,
            sub,
            client_id,
            scope: &scope,
            iat: now,
            nbf: now,
            exp: now.saturating_add(self.token_ttl_secs),
            jti: uuid::Uuid::new_v4().to_string(),
        };
        let access_token = self.sign(ACCESS_TOKEN_TYP, &claims)?;
        Ok(IssuedToken {
            access_token,
            expires_in: self.token_ttl_secs,
            scope,
        })
    }

    /// Signs `claims` with the issuer's key, naming the key and `typ` in the header.
    pub(super) fn sign<T: Serialize>(&self, typ: &str, claims: &T) -> Result<String, AuthError> {
        let mut header = Header::new(Algorithm::EdDSA);
        header.typ = Some(typ.to_owned());
        header.kid = Some(self.key.kid.clone());
        encode(&header, claims, &self.key.encoding)
            .map_err(|_| AuthError::Key("cannot sign a token".to_owned()))
    }
}

impl fmt::Debug for SandboxIssuer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SandboxIssuer")
            .field("issuer", &self.issuer)
            .field("audience", &self.audience)
            .field("kid", &self.key.kid)
            .field("token_ttl_secs", &self.token_ttl_secs)
            .finish_non_exhaustive()
    }
}

/// The audience of the issuer's CIBA `auth_req_id` tokens, distinct from any access token's.
pub(super) fn ciba_audience(issuer: &str) -> String {
    format!("{issuer}#ciba")
}

/// A client id must be 1 to 128 printable ASCII characters and must not look like a device
/// subject, or its 2-legged tokens would read as 3-legged ones.
pub(super) fn check_client_id(client_id: &str) -> Result<(), AuthError> {
    let well_formed = !client_id.is_empty()
        && client_id.len() <= MAX_CLIENT_ID_LEN
        && client_id.bytes().all(|b| (0x20..=0x7e).contains(&b));
    if well_formed && !ClaimMapping::default().is_three_legged_subject(client_id) {
        Ok(())
    } else {
        Err(AuthError::InvalidClient)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn issuer() -> Result<SandboxIssuer, AuthError> {
        SandboxIssuer::generate(
            "http://127.0.0.1:9000".into(),
            "qod-gateway".into(),
            "s3cret".into(),
            Duration::from_secs(60),
        )
    }

    #[test]
    fn client_ids() {
        assert_eq!(check_client_id("app-1"), Ok(()));
        assert_eq!(check_client_id(&"a".repeat(128)), Ok(()));
        assert_eq!(check_client_id(""), Err(AuthError::InvalidClient));
        assert_eq!(
            check_client_id(&"a".repeat(129)),
            Err(AuthError::InvalidClient)
        );
        assert_eq!(check_client_id("caf\u{e9}"), Err(AuthError::InvalidClient));
        assert_eq!(check_client_id("a\nb"), Err(AuthError::InvalidClient));
        assert_eq!(
            check_client_id("tel:+34600000000"),
            Err(AuthError::InvalidClient)
        );
    }

    #[test]
    fn empty_secret_is_refused() {
        let got = SandboxIssuer::generate("i".into(), "a".into(), String::new(), Duration::ZERO);
        assert!(matches!(got, Err(AuthError::Key(_))));
    }

    #[test]
    fn debug_hides_the_secret() {
        let shown = issuer().map(|i| format!("{i:?}")).unwrap_or_default();
        assert!(shown.contains("qod-gateway"));
        assert!(!shown.contains("s3cret"));
    }

    #[test]
    fn access_token_header_names_key_and_type() {
        let token = issuer().and_then(|i| {
            let t = i.issue_client_credentials("app", None)?;
            Ok((i.kid().to_owned(), t))
        });
        let Ok((kid, token)) = token else {
            panic!("issuing failed: {token:?}");
        };
        let header = jsonwebtoken::decode_header(&token.access_token).ok();
        assert_eq!(header.as_ref().and_then(|h| h.kid.clone()), Some(kid));
        assert_eq!(header.as_ref().map(|h| h.alg), Some(Algorithm::EdDSA));
        assert_eq!(header.and_then(|h| h.typ), Some("at+jwt".to_owned()));
        assert_eq!(token.expires_in, 60);
    }
}
