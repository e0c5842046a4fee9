//! CIBA (backchannel authentication) for the sandbox: the user consents at once, and the
//! `auth_req_id` is a signed, short-lived JWT, so no state is kept between the two calls.

use std::collections::BTreeSet;
use std::fmt;

use serde::{Deserialize, Serialize};

use super::issuer::{SandboxIssuer, check_client_id};
use super::login_hint::normalise_login_hint;
use super::token::{IssuedToken, now_secs};
use crate::{AuthError, ClaimMapping, scope};

/// `typ` header of an `auth_req_id`, so it is never mistaken for an access token.
const AUTH_REQ_TYP: &str = "ciba-req+jwt";

/// The answer to a backchannel authentication request.
#[derive(Clone, PartialEq, Eq)]
pub struct BcAuthorization {
    /// The id the client presents to the token endpoint.
    pub auth_req_id: String,
    /// Seconds until `auth_req_id` expires.
    pub expires_in: u64,
    /// Seconds the client should wait between token requests.
    pub interval: u64,
}

impl fmt::Debug for BcAuthorization {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BcAuthorization")
            .field("auth_req_id", &"[redacted]")
            .field("expires_in", &self.expires_in)
            .field("interval", &self.interval)
            .finish()
    }
}

/// Claims of an `auth_req_id`.
#[derive(Serialize, Deserialize)]
struct AuthReqClaims {
    iss: String,
    aud: String,
    client_id: String,
    sub: String,
    scope: String,
    iat: u64,
    exp: u64,
    jti: String,
}

impl SandboxIssuer {
    /// Lifetime of an `auth_req_id`, in seconds.
    pub const AUTH_REQ_TTL_SECS: u64 = 120;
    /// Polling interval announced to CIBA clients, in seconds.
    pub const POLL_INTERVAL_SECS: u64 = 5;

    /// Starts a CIBA flow for `login_hint` (`tel:+<E.164>`, `ipport:<IPv4>:<port>` or
    /// `ipport:[<IPv6>]:<port>`; anything else is [`AuthError::InvalidRequest`]).
    ///
    /// The scopes come from `scope` (as in [`Self::issue_client_credentials`]) or from
    /// `purpose`, where only [`scope::QOD_PURPOSE`] is known (it means every scope, another
    /// purpose is [`AuthError::InvalidScope`]); giving both is an
    /// [`AuthError::InvalidRequest`], giving neither grants every scope. The sandbox
    /// consents at once. The returned id can be redeemed more than once until it expires,
    /// since nothing is stored.
    pub fn bc_authorize(
        &self,
        client_id: &str,
        login_hint: &str,
        scope: Option<&str>,
        purpose: Option<&str>,
    ) -> Result<BcAuthorization, AuthError> {
        check_client_id(client_id)?;
        let subject = normalise_login_hint(login_hint)?;
        let scope = scope.filter(|s| !s.trim().is_empty());
        let purpose = purpose.filter(|p| !p.trim().is_empty());
        let scopes = match (scope, purpose) {
            (Some(_), Some(_)) => {
                return Err(AuthError::InvalidRequest(
                    "give either scope or purpose, not both".to_owned(),
                ));
            }
            (None, Some(purpose)) => scope::resolve_purpose(purpose)?,
            (scope, None) => scope::resolve_scope(scope)?,
        };

        let now = now_secs();
        let claims = AuthReqClaims {
            iss: self.issuer.clone(),
            aud: self.ciba_validator.audience().to_owned(),
            client_id: client_id.to_owned(),
            sub: subject,
            scope: scope::join(&scopes),
            iat: now,
            exp: now.saturating_add(Self::AUTH_REQ_TTL_SECS),
            jti: uuid::Uuid::new_v4().to_string(),
        };
        Ok(BcAuthorization {
            auth_req_id: self.sign(AUTH_REQ_TYP, &claims)?,
            expires_in: Self::AUTH_REQ_TTL_SECS,
            interval: Self::POLL_INTERVAL_SECS,
        })
    }

    /// Redeems an `auth_req_id` (CIBA grant) for a 3-legged access token whose `sub` is the
    /// subject of the request. An id that is badly signed, expired, or was issued to another
    /// client is [`AuthError::InvalidGrant`].
    pub fn issue_ciba(&self, client_id: &str, auth_req_id: &str) -> Result<IssuedToken, AuthError> {
        check_client_id(client_id)?;
        let data = self
            .ciba_validator
            .verify::<AuthReqClaims>(auth_req_id)
            .map_err(|_| AuthError::InvalidGrant)?;
        let claims = data.claims;
        if data.header.typ.as_deref() != Some(AUTH_REQ_TYP)
            || claims.client_id != client_id
            || !ClaimMapping::default().is_three_legged_subject(&claims.sub)
        {
            return Err(AuthError::InvalidGrant);
        }
        let scopes: BTreeSet<String> = claims
            .scope
            .split_ascii_whitespace()
            .map(str::to_owned)
            .collect();
        self.issue_access(client_id, &claims.sub, &scopes)
    }
}
