//! [`JwtValidator`]: signature and claim checks of JWT access tokens.

use jsonwebtoken::errors::ErrorKind;
use jsonwebtoken::jwk::JwkSet;
use jsonwebtoken::{Algorithm, TokenData, Validation, decode, decode_header};
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

use super::keys::{ALLOWED_ALGORITHMS, VerificationKey, usable_keys};
use crate::{AuthError, ClaimMapping, Principal, TokenValidator};

/// Longest token accepted; anything longer is refused before it is parsed.
pub(crate) const MAX_TOKEN_LEN: usize = 16 * 1024;

/// Validates JWT access tokens against a JSON Web Key Set.
///
/// Checks: algorithm in the allow-list (EdDSA, ES256, RS256, or the subset given to
/// [`Self::with_algorithms`]) and matching the key, signature,
/// `exp` (required), `nbf` (when present), `iss` and `aud` (required, equal to the configured
/// values), all with a small clock leeway. The key is picked by the token's `kid`; a token
/// without `kid` is accepted only when the set has exactly one usable key.
#[derive(Debug, Clone)]
pub struct JwtValidator {
    keys: Vec<VerificationKey>,
    issuer: String,
    audience: String,
    leeway_secs: u64,
    mapping: ClaimMapping,
    algorithms: Vec<Algorithm>,
}

impl JwtValidator {
    /// Clock leeway applied to `exp` and `nbf` unless [`Self::with_leeway`] says otherwise.
    pub const DEFAULT_LEEWAY_SECS: u64 = 30;
    /// Largest leeway [`Self::with_leeway`] accepts; larger values are capped.
    pub const MAX_LEEWAY_SECS: u64 = 300;

    /// A validator for tokens of `issuer` meant for `audience`, verified with `keys`.
    ///
    /// Keys that cannot verify an allowed algorithm are skipped. Fails with
    /// [`AuthError::Key`] when no usable key remains or `issuer`/`audience` is empty.
    pub fn new(keys: JwkSet, issuer: String, audience: String) -> Result<Self, AuthError> {
        if issuer.is_empty() || audience.is_empty() {
            return Err(AuthError::Key(
                "issuer and audience must not be empty".to_owned(),
            ));
        }
        let keys = usable_keys(&keys);
        if keys.is_empty() {
            return Err(AuthError::Key(
                "the key set has no usable signature verification key".to_owned(),
            ));
        }
        Ok(Self {
            keys,
            issuer,
            audience,
            leeway_secs: Self::DEFAULT_LEEWAY_SECS,
            mapping: ClaimMapping::default(),
            algorithms: ALLOWED_ALGORITHMS.to_vec(),
        })
    }

    /// Accepts only `algorithms`, a non-empty subset of EdDSA, ES256 and RS256; anything else
    /// (`none`, the HMAC family, other RSA or EC variants) is [`AuthError::Config`].
    pub fn with_algorithms(mut self, algorithms: &[Algorithm]) -> Result<Self, AuthError> {
        if algorithms.is_empty() || algorithms.iter().any(|a| !ALLOWED_ALGORITHMS.contains(a)) {
            return Err(AuthError::Config(
                "algorithms must be a non-empty subset of RS256, ES256 and EdDSA".to_owned(),
            ));
        }
        self.algorithms = algorithms.to_vec();
        Ok(self)
    }

    /// Sets the clock leeway in seconds (capped at [`Self::MAX_LEEWAY_SECS`]).
    #[must_use]
    pub fn with_leeway(mut self, secs: u64) -> Self {
        self.leeway_secs = secs.min(Self::MAX_LEEWAY_SECS);
        self
    }

    /// Sets the claim names the principal is read from.
    #[must_use]
    pub fn with_claim_mapping(mut self, mapping: ClaimMapping) -> Self {
        self.mapping = mapping;
        self
    }

    /// The issuer tokens must name.
    pub fn issuer(&self) -> &str {
        &self.issuer
    }

    /// The audience tokens must name.
    pub fn audience(&self) -> &str {
        &self.audience
    }

    /// The clock leeway in seconds.
    pub fn leeway_secs(&self) -> u64 {
        self.leeway_secs
    }

    /// The claim names the principal is read from.
    pub fn claim_mapping(&self) -> &ClaimMapping {
        &self.mapping
    }

    /// Validates `token` and reads its principal, without waiting on anything.
    pub fn validate_now(&self, token: &str) -> Result<Principal, AuthError> {
        let data = self.verify::<Map<String, Value>>(token)?;
        self.mapping.principal(&data.claims)
    }

    /// Verifies the signature and the registered claims of `token` and returns its header and
    /// claims. Every failure is [`AuthError::InvalidToken`].
    pub(crate) fn verify<T: DeserializeOwned>(
        &self,
        token: &str,
    ) -> Result<TokenData<T>, AuthError> {
        if token.is_empty() || token.len() > MAX_TOKEN_LEN {
            return Err(AuthError::InvalidToken);
        }
        let header = decode_header(token).map_err(|_| AuthError::InvalidToken)?;
        if !self.algorithms.contains(&header.alg) || header.crit.is_some() {
            return Err(AuthError::InvalidToken);
        }
        let key = self.key_for(header.kid.as_deref())?;
        if key.alg != header.alg {
            return Err(AuthError::InvalidToken);
        }

        let mut validation = Validation::new(key.alg);
        validation.leeway = self.leeway_secs;
        validation.validate_exp = true;
        validation.validate_nbf = true;
        validation.validate_aud = true;
        validation.set_required_spec_claims(&["exp", "iss", "aud"]);
        validation.set_issuer(&[self.issuer.as_str()]);
        validation.set_audience(&[self.audience.as_str()]);

        decode::<T>(token, &key.key, &validation).map_err(|e| {
            tracing::debug!(reason = rejection_reason(e.kind()), "token rejected");
            AuthError::InvalidToken
        })
    }

    /// How many usable keys the set has.
    pub(crate) fn key_count(&self) -> usize {
        self.keys.len()
    }

    /// Whether the set has the key a token with this `kid` header needs.
    pub(crate) fn has_key_for(&self, kid: Option<&str>) -> bool {
        self.key_for(kid).is_ok()
    }

    /// Whether the validator accepts tokens signed with `alg` at all.
    pub(crate) fn accepts_algorithm(&self, alg: Algorithm) -> bool {
        self.algorithms.contains(&alg)
    }

    fn key_for(&self, kid: Option<&str>) -> Result<&VerificationKey, AuthError> {
        match kid {
            Some(kid) => self
                .keys
                .iter()
                .find(|k| k.kid.as_deref() == Some(kid))
                .ok_or(AuthError::InvalidToken),
            None => match self.keys.as_slice() {
                [only] => Ok(only),
                _ => Err(AuthError::InvalidToken),
            },
        }
    }
}

/// A short category for logs; never the token nor its claim values.
fn rejection_reason(kind: &ErrorKind) -> &'static str {
    match kind {
        ErrorKind::ExpiredSignature => "expired",
        ErrorKind::ImmatureSignature => "not yet valid",
        ErrorKind::InvalidSignature => "bad signature",
        ErrorKind::InvalidIssuer => "wrong issuer",
        ErrorKind::InvalidAudience => "wrong audience",
        ErrorKind::MissingRequiredClaim(_) => "missing claim",
        _ => "malformed",
    }
}

#[async_trait::async_trait]
impl TokenValidator for JwtValidator {
    async fn validate(&self, bearer_token: &str) -> Result<Principal, AuthError> {
        self.validate_now(bearer_token)
    }
}
