//! The sandbox authorization server: client authentication, scopes, CIBA and the static token.

mod common;

use common::*;
use qod_auth::testing::{ED25519_PEM, pem_der};
use qod_auth::{
    AuthError, MOCK_SANDBOX_ACCESS_TOKEN, SandboxIssuer, SandboxValidator, TokenValidator, scope,
};
use serde_json::json;

#[test]
fn client_secret_is_checked() -> TestResult {
    let issuer = fresh_issuer()?;
    assert_eq!(issuer.authenticate_client("app-1", SECRET), Ok(()));
    assert_eq!(issuer.authenticate_client("any-other-app", SECRET), Ok(()));
    for wrong in [
        "",
        "wrong",
        "sandbox-client-secre",
        "sandbox-client-secret ",
        "SANDBOX-CLIENT-SECRET",
    ] {
        assert_eq!(
            issuer.authenticate_client("app-1", wrong),
            Err(AuthError::InvalidClient)
        );
    }
    for bad_id in ["", "tel:+34600000000", "ipport:1.2.3.4:80", "tab\there"] {
        assert_eq!(
            issuer.authenticate_client(bad_id, SECRET),
            Err(AuthError::InvalidClient)
        );
    }
    assert_eq!(
        AuthError::InvalidClient.oauth_error_code(),
        "invalid_client"
    );
    Ok(())
}

#[test]
fn client_credentials_scopes() -> TestResult {
    let issuer = fresh_issuer()?;
    let validator = issuer.validator();

    let some = issuer.issue_client_credentials(
        "app-1",
        Some("qos-profiles:read quality-on-demand:sessions:create"),
    )?;
    assert_eq!(
        some.scope,
        "qos-profiles:read quality-on-demand:sessions:create"
    );
    let principal = validator.validate_now(&some.access_token)?;
    assert_eq!(principal.scopes.len(), 2);
    assert!(principal.has_scope(scope::SESSIONS_CREATE));
    assert!(!principal.has_scope(scope::SESSIONS_DELETE));

    let purpose = issuer.issue_client_credentials("app-1", Some(scope::QOD_PURPOSE))?;
    assert_eq!(
        validator.validate_now(&purpose.access_token)?.scopes.len(),
        scope::ALL.len()
    );
    let empty = issuer.issue_client_credentials("app-1", Some(""))?;
    assert_eq!(empty.scope.split(' ').count(), scope::ALL.len());

    assert_eq!(
        issuer
            .issue_client_credentials("app-1", Some("qos-profiles:read admin"))
            .map(|t| t.scope),
        Err(AuthError::InvalidScope)
    );
    assert_eq!(AuthError::InvalidScope.oauth_error_code(), "invalid_scope");
    Ok(())
}

#[test]
fn ciba_scope_and_purpose() -> TestResult {
    let issuer = fresh_issuer()?;
    let hint = "tel:+34600000000";

    let subset = issuer.bc_authorize("app-1", hint, Some(scope::SESSIONS_READ), None)?;
    assert_eq!(subset.expires_in, SandboxIssuer::AUTH_REQ_TTL_SECS);
    assert!(subset.interval > 0);
    let token = issuer.issue_ciba("app-1", &subset.auth_req_id)?;
    assert_eq!(token.scope, scope::SESSIONS_READ);

    let all = issuer.bc_authorize("app-1", hint, None, Some(scope::QOD_PURPOSE))?;
    let token = issuer.issue_ciba("app-1", &all.auth_req_id)?;
    assert_eq!(token.scope.split(' ').count(), scope::ALL.len());

    let neither = issuer.bc_authorize("app-1", hint, None, None)?;
    let token = issuer.issue_ciba("app-1", &neither.auth_req_id)?;
    assert_eq!(token.scope.split(' ').count(), scope::ALL.len());

    assert_eq!(
        issuer
            .bc_authorize("app-1", hint, None, Some("dpv:Marketing"))
            .map(|a| a.expires_in),
        Err(AuthError::InvalidScope)
    );
    assert_eq!(
        issuer
            .bc_authorize("app-1", hint, Some("not:a:scope"), None)
            .map(|a| a.expires_in),
        Err(AuthError::InvalidScope)
    );
    assert!(matches!(
        issuer.bc_authorize(
            "app-1",
            hint,
            Some(scope::SESSIONS_READ),
            Some(scope::QOD_PURPOSE)
        ),
        Err(AuthError::InvalidRequest(_))
    ));
    Ok(())
}

#[test]
fn login_hint_validation() -> TestResult {
    let issuer = fresh_issuer()?;
    for good in [
        "tel:+34600000000",
        "tel:+123456789012345",
        "ipport:84.125.93.10:59765",
        "ipport:[2001:db8::1]:443",
    ] {
        assert!(
            issuer.bc_authorize("app-1", good, None, None).is_ok(),
            "{good}"
        );
    }
    for bad in [
        "",
        "34600000000",
        "+34600000000",
        "tel:+034600000000",
        "tel:+1234567890123456",
        "tel:+34-600-000-000",
        "ipport:84.125.93.10",
        "ipport:84.125.93.10:0",
        "ipport:84.125.93.10:70000",
        "ipport:[2001:db8::1]",
        "ipport:999.1.1.1:80",
        "email:someone@example.com",
    ] {
        match issuer.bc_authorize("app-1", bad, None, None) {
            Err(AuthError::InvalidRequest(message)) => {
                assert!(
                    bad.is_empty() || !message.contains(bad),
                    "hint echoed: {message}"
                );
                assert_eq!(
                    AuthError::InvalidRequest(message).oauth_error_code(),
                    "invalid_request"
                );
            }
            other => panic!("{bad:?} gave {other:?}"),
        }
    }
    Ok(())
}

#[test]
fn auth_req_id_of_another_client_is_rejected() -> TestResult {
    let issuer = fresh_issuer()?;
    let auth = issuer.bc_authorize("app-1", "tel:+34600000000", None, None)?;
    assert_eq!(
        issuer
            .issue_ciba("app-2", &auth.auth_req_id)
            .map(|t| t.scope),
        Err(AuthError::InvalidGrant)
    );
    // The rightful client can still redeem it.
    assert!(issuer.issue_ciba("app-1", &auth.auth_req_id).is_ok());
    assert_eq!(AuthError::InvalidGrant.oauth_error_code(), "invalid_grant");
    Ok(())
}

#[test]
fn foreign_forged_or_expired_auth_req_id_is_rejected() -> TestResult {
    let issuer = known_issuer()?;
    let other = fresh_issuer()?;
    let foreign = other.bc_authorize("app-1", "tel:+34600000000", None, None)?;
    assert_eq!(
        issuer
            .issue_ciba("app-1", &foreign.auth_req_id)
            .map(|t| t.scope),
        Err(AuthError::InvalidGrant)
    );

    // An access token is no auth_req_id.
    let access = issuer.issue_client_credentials("app-1", None)?.access_token;
    assert_eq!(
        issuer.issue_ciba("app-1", &access).map(|t| t.scope),
        Err(AuthError::InvalidGrant)
    );
    assert_eq!(
        issuer.issue_ciba("app-1", "garbage").map(|t| t.scope),
        Err(AuthError::InvalidGrant)
    );

    let request = |exp: u64| {
        json!({
            "iss": ISSUER,
            "aud": format!("{ISSUER}#ciba"),
            "client_id": "app-1",
            "sub": "tel:+34600000000",
            "scope": scope::QOS_PROFILES_READ,
            "iat": now() - 600,
            "exp": exp,
            "jti": "j",
        })
    };
    // Control: a crafted, unexpired request with the right type is redeemable ...
    let fresh = sign_ed(&request(now() + 60), Some(issuer.kid()), "ciba-req+jwt")?;
    let token = issuer.issue_ciba("app-1", &fresh)?;
    assert_eq!(token.scope, scope::QOS_PROFILES_READ);
    // ... but not once expired, nor with another type.
    let expired = sign_ed(&request(now() - 300), Some(issuer.kid()), "ciba-req+jwt")?;
    assert_eq!(
        issuer.issue_ciba("app-1", &expired).map(|t| t.scope),
        Err(AuthError::InvalidGrant)
    );
    let wrong_typ = sign_ed(&request(now() + 60), Some(issuer.kid()), "JWT")?;
    assert_eq!(
        issuer.issue_ciba("app-1", &wrong_typ).map(|t| t.scope),
        Err(AuthError::InvalidGrant)
    );
    Ok(())
}

#[tokio::test]
async fn static_token_only_when_configured() -> TestResult {
    let issuer = fresh_issuer()?;
    let with = SandboxValidator::new(
        issuer.validator(),
        Some(MOCK_SANDBOX_ACCESS_TOKEN.to_owned()),
    );
    let principal = with.validate(MOCK_SANDBOX_ACCESS_TOKEN).await?;
    assert_eq!(principal.client_id, "sandbox");
    assert_eq!(principal.subject, None);
    assert_eq!(principal.scopes.len(), scope::ALL.len());
    assert_eq!(
        with.validate("mock_sandbox_access_tokeN").await,
        Err(AuthError::InvalidToken)
    );

    let without = SandboxValidator::new(issuer.validator(), None);
    assert_eq!(
        without.validate(MOCK_SANDBOX_ACCESS_TOKEN).await,
        Err(AuthError::InvalidToken)
    );
    let empty = SandboxValidator::new(issuer.validator(), Some(String::new()));
    assert_eq!(empty.validate("").await, Err(AuthError::InvalidToken));

    // Issued tokens keep working either way.
    let token = issuer.issue_client_credentials("app-1", None)?.access_token;
    assert_eq!(
        with.validate(&token).await.map(|p| p.client_id),
        Ok("app-1".to_owned())
    );
    assert_eq!(
        without.validate(&token).await.map(|p| p.client_id),
        Ok("app-1".to_owned())
    );
    assert!(!format!("{with:?}").contains(MOCK_SANDBOX_ACCESS_TOKEN));
    Ok(())
}

#[test]
fn jwks_publishes_only_the_public_key() -> TestResult {
    let issuer = known_issuer()?;
    let jwks = serde_json::to_value(issuer.jwks())?;
    let key = &jwks["keys"][0];
    assert_eq!(jwks["keys"].as_array().map(Vec::len), Some(1));
    assert_eq!(key["kty"], "OKP");
    assert_eq!(key["crv"], "Ed25519");
    assert_eq!(key["alg"], "EdDSA");
    assert_eq!(key["use"], "sig");
    assert_eq!(key["kid"], issuer.kid());
    assert!(key.get("d").is_none());
    // The same configured key gives the same kid after a restart.
    assert_eq!(known_issuer()?.kid(), issuer.kid());
    let der = pem_der(ED25519_PEM)?;
    let from_der = SandboxIssuer::from_pkcs8_der(
        &der,
        ISSUER.into(),
        AUDIENCE.into(),
        SECRET.into(),
        std::time::Duration::from_secs(1),
    )?;
    assert_eq!(from_der.kid(), issuer.kid());
    Ok(())
}
