//! Access-token validation: round trips through the sandbox issuer and hostile tokens.

mod common;

use std::collections::BTreeSet;

use common::*;
use ed25519_dalek::SigningKey;
use ed25519_dalek::pkcs8::EncodePrivateKey;
use jsonwebtoken::jwk::{Jwk, JwkSet};
use jsonwebtoken::{Algorithm, EncodingKey, Header, encode};
use qod_auth::testing::{EC_P256_PEM, RSA_PEM, pem_der};
use qod_auth::{AuthError, JwtValidator, TokenValidator, scope};
use rand_core::OsRng;
use serde_json::json;

fn all_scopes() -> BTreeSet<String> {
    scope::ALL.iter().map(|s| (*s).to_owned()).collect()
}

#[tokio::test]
async fn two_legged_round_trip() -> TestResult {
    let issuer = fresh_issuer()?;
    let token = issuer.issue_client_credentials("app-1", None)?;
    let principal = issuer.validator().validate(&token.access_token).await?;
    assert_eq!(principal.client_id, "app-1");
    assert_eq!(principal.subject, None);
    assert!(!principal.is_three_legged());
    assert_eq!(principal.scopes, all_scopes());
    assert_eq!(token.scope.split(' ').count(), scope::ALL.len());
    assert_eq!(token.expires_in, 300);
    Ok(())
}

#[tokio::test]
async fn three_legged_round_trip() -> TestResult {
    let issuer = fresh_issuer()?;
    for (hint, subject) in [
        ("tel:+34600000000", "tel:+34600000000"),
        ("ipport:84.125.93.10:59765", "ipport:84.125.93.10:59765"),
        ("ipport:[2001:db8:0::1]:443", "ipport:[2001:db8::1]:443"),
    ] {
        let auth = issuer.bc_authorize("app-1", hint, None, Some(scope::QOD_PURPOSE))?;
        let token = issuer.issue_ciba("app-1", &auth.auth_req_id)?;
        let principal = issuer.validator().validate(&token.access_token).await?;
        assert_eq!(principal.client_id, "app-1");
        assert_eq!(principal.subject.as_deref(), Some(subject));
        assert!(principal.is_three_legged());
        assert_eq!(principal.scopes, all_scopes());
    }
    Ok(())
}

#[test]
fn crafted_token_with_known_key_is_accepted() -> TestResult {
    // Control for the hostile cases below: the crafting path itself yields valid tokens.
    let issuer = known_issuer()?;
    let token = sign_ed(&access_claims(300), Some(issuer.kid()), "JWT")?;
    let principal = issuer.validator().validate_now(&token)?;
    assert_eq!(principal.client_id, "app-1");
    assert!(principal.has_scope(scope::QOS_PROFILES_READ));
    Ok(())
}

#[test]
fn expired_token_is_rejected() -> TestResult {
    let issuer = known_issuer()?;
    let strict = issuer.validator().with_leeway(0);
    let just_expired = sign_ed(&access_claims(-2), Some(issuer.kid()), "JWT")?;
    assert_eq!(
        strict.validate_now(&just_expired),
        Err(AuthError::InvalidToken)
    );
    // Within the default leeway of 30 s the same token still passes ...
    assert!(issuer.validator().validate_now(&just_expired).is_ok());
    // ... but not long after.
    let long_expired = sign_ed(&access_claims(-120), Some(issuer.kid()), "JWT")?;
    assert_eq!(
        issuer.validator().validate_now(&long_expired),
        Err(AuthError::InvalidToken)
    );
    Ok(())
}

#[test]
fn leeway_is_capped() -> TestResult {
    let issuer = known_issuer()?;
    let lax = issuer.validator().with_leeway(u64::MAX);
    assert_eq!(lax.leeway_secs(), JwtValidator::MAX_LEEWAY_SECS);
    let old = sign_ed(&access_claims(-3600), Some(issuer.kid()), "JWT")?;
    assert_eq!(lax.validate_now(&old), Err(AuthError::InvalidToken));
    Ok(())
}

#[test]
fn missing_or_future_time_claims_are_rejected() -> TestResult {
    let issuer = known_issuer()?;
    let mut no_exp = access_claims(300);
    no_exp.as_object_mut().map(|m| m.remove("exp"));
    let token = sign_ed(&no_exp, Some(issuer.kid()), "JWT")?;
    assert_eq!(
        issuer.validator().validate_now(&token),
        Err(AuthError::InvalidToken)
    );

    let mut not_yet = access_claims(3600);
    not_yet["nbf"] = json!(now() + 600);
    let token = sign_ed(&not_yet, Some(issuer.kid()), "JWT")?;
    assert_eq!(
        issuer.validator().validate_now(&token),
        Err(AuthError::InvalidToken)
    );
    Ok(())
}

#[test]
fn wrong_issuer_or_audience_is_rejected() -> TestResult {
    let issuer = known_issuer()?;
    let validator = issuer.validator();
    for (claim, value) in [
        ("iss", json!("http://127.0.0.1:9999")),
        ("aud", json!("another-api")),
        ("aud", json!(["another-api", "yet-another"])),
    ] {
        let mut claims = access_claims(300);
        claims[claim] = value;
        let token = sign_ed(&claims, Some(issuer.kid()), "JWT")?;
        assert_eq!(
            validator.validate_now(&token),
            Err(AuthError::InvalidToken),
            "{claim}"
        );
    }
    for claim in ["iss", "aud"] {
        let mut claims = access_claims(300);
        claims.as_object_mut().map(|m| m.remove(claim));
        let token = sign_ed(&claims, Some(issuer.kid()), "JWT")?;
        assert_eq!(
            validator.validate_now(&token),
            Err(AuthError::InvalidToken),
            "no {claim}"
        );
    }

    // A genuine token checked by a validator expecting another audience or issuer.
    let token = issuer.issue_client_credentials("app-1", None)?.access_token;
    let other_aud = JwtValidator::new(issuer.jwks(), ISSUER.into(), "another-api".into())?;
    assert_eq!(other_aud.validate_now(&token), Err(AuthError::InvalidToken));
    let other_iss = JwtValidator::new(issuer.jwks(), "http://other".into(), AUDIENCE.into())?;
    assert_eq!(other_iss.validate_now(&token), Err(AuthError::InvalidToken));
    Ok(())
}

#[test]
fn token_of_another_issuer_key_is_rejected() -> TestResult {
    let ours = known_issuer()?;
    let theirs = fresh_issuer()?;
    let token = theirs.issue_client_credentials("app-1", None)?.access_token;
    assert_eq!(
        ours.validator().validate_now(&token),
        Err(AuthError::InvalidToken)
    );

    // A foreign key claiming our kid fails on the signature.
    let foreign = SigningKey::generate(&mut OsRng).to_pkcs8_der()?;
    let mut header = Header::new(Algorithm::EdDSA);
    header.kid = Some(ours.kid().to_owned());
    let forged = encode(
        &header,
        &access_claims(300),
        &EncodingKey::from_ed_der(foreign.as_bytes()),
    )?;
    assert_eq!(
        ours.validator().validate_now(&forged),
        Err(AuthError::InvalidToken)
    );
    Ok(())
}

#[test]
fn tampered_token_is_rejected() -> TestResult {
    let issuer = known_issuer()?;
    let token = sign_ed(&access_claims(300), Some(issuer.kid()), "JWT")?;
    let parts: Vec<&str> = token.split('.').collect();
    let mut claims = access_claims(300);
    claims["scope"] = json!(scope::ALL.join(" "));
    let forged_payload = base64::Engine::encode(
        &base64::engine::general_purpose::URL_SAFE_NO_PAD,
        claims.to_string(),
    );
    let forged = format!("{}.{}.{}", parts[0], forged_payload, parts[2]);
    assert_eq!(
        issuer.validator().validate_now(&forged),
        Err(AuthError::InvalidToken)
    );
    for garbage in ["", "abc", "a.b.c", "..", &"x".repeat(20_000)] {
        assert_eq!(
            issuer.validator().validate_now(garbage),
            Err(AuthError::InvalidToken)
        );
    }
    Ok(())
}

#[test]
fn alg_none_is_rejected() -> TestResult {
    let issuer = known_issuer()?;
    let token = unsigned_token(&access_claims(300), issuer.kid());
    assert_eq!(
        issuer.validator().validate_now(&token),
        Err(AuthError::InvalidToken)
    );
    Ok(())
}

#[test]
fn hs256_is_rejected() -> TestResult {
    let issuer = known_issuer()?;
    let mut header = Header::new(Algorithm::HS256);
    header.kid = Some(issuer.kid().to_owned());
    // Both an arbitrary secret and the classic confusion attack (public key as HMAC secret).
    let public_jwks = serde_json::to_vec(&issuer.jwks())?;
    for secret in [b"some shared secret".as_slice(), public_jwks.as_slice()] {
        let token = encode(
            &header,
            &access_claims(300),
            &EncodingKey::from_secret(secret),
        )?;
        assert_eq!(
            issuer.validator().validate_now(&token),
            Err(AuthError::InvalidToken)
        );
    }
    Ok(())
}

#[test]
fn kid_selection() -> TestResult {
    let known = known_issuer()?;
    let other = fresh_issuer()?;
    let claims = access_claims(300);

    // One key: a token without kid is fine; an unknown kid is not.
    let no_kid = sign_ed(&claims, None, "JWT")?;
    assert!(known.validator().validate_now(&no_kid).is_ok());
    let unknown_kid = sign_ed(&claims, Some("not-a-key"), "JWT")?;
    assert_eq!(
        known.validator().validate_now(&unknown_kid),
        Err(AuthError::InvalidToken)
    );

    // Two keys: the kid is required and picks the key.
    let mut keys = known.jwks().keys;
    keys.extend(other.jwks().keys);
    let two = JwtValidator::new(JwkSet { keys }, ISSUER.into(), AUDIENCE.into())?;
    assert_eq!(two.validate_now(&no_kid), Err(AuthError::InvalidToken));
    let with_kid = sign_ed(&claims, Some(known.kid()), "JWT")?;
    assert!(two.validate_now(&with_kid).is_ok());
    let from_other = other.issue_client_credentials("app-2", None)?.access_token;
    assert_eq!(
        two.validate_now(&from_other).map(|p| p.client_id),
        Ok("app-2".to_owned())
    );
    Ok(())
}

/// A one-key set holding `key`'s public half under `kid`.
fn single_key_set(
    key: &EncodingKey,
    alg: Algorithm,
    kid: &str,
) -> Result<JwkSet, jsonwebtoken::errors::Error> {
    let mut jwk = Jwk::from_encoding_key(key, alg)?;
    jwk.common.key_id = Some(kid.to_owned());
    Ok(JwkSet { keys: vec![jwk] })
}

#[test]
fn es256_and_rs256_keys_are_supported() -> TestResult {
    let ec = EncodingKey::from_ec_der(&pem_der(EC_P256_PEM)?);
    let rsa = EncodingKey::from_rsa_der(&pem_der(RSA_PEM)?);
    for (key, alg) in [(ec, Algorithm::ES256), (rsa, Algorithm::RS256)] {
        let validator = JwtValidator::new(
            single_key_set(&key, alg, "k1")?,
            ISSUER.into(),
            AUDIENCE.into(),
        )?;
        let mut header = Header::new(alg);
        header.kid = Some("k1".to_owned());
        let token = encode(&header, &access_claims(300), &key)?;
        let principal = validator.validate_now(&token)?;
        assert_eq!(principal.client_id, "app-1", "{alg:?}");
    }
    Ok(())
}

#[test]
fn algorithms_outside_the_allow_list_are_rejected_even_with_matching_keys() -> TestResult {
    // PS256 and ES384-style variants of allowed key types are not accepted.
    let rsa = EncodingKey::from_rsa_der(&pem_der(RSA_PEM)?);
    let set = single_key_set(&rsa, Algorithm::RS256, "k1")?;
    let validator = JwtValidator::new(set, ISSUER.into(), AUDIENCE.into())?;
    for alg in [Algorithm::PS256, Algorithm::RS512] {
        let mut header = Header::new(alg);
        header.kid = Some("k1".to_owned());
        let token = encode(&header, &access_claims(300), &rsa)?;
        assert_eq!(
            validator.validate_now(&token),
            Err(AuthError::InvalidToken),
            "{alg:?}"
        );
    }
    Ok(())
}

#[test]
fn key_set_without_usable_keys_is_refused() {
    let empty = JwtValidator::new(JwkSet { keys: vec![] }, ISSUER.into(), AUDIENCE.into());
    assert!(matches!(empty, Err(AuthError::Key(_))));
}

#[test]
fn auth_req_id_is_not_an_access_token() -> TestResult {
    let issuer = fresh_issuer()?;
    let auth = issuer.bc_authorize("app-1", "tel:+34600000000", None, None)?;
    assert_eq!(
        issuer.validator().validate_now(&auth.auth_req_id),
        Err(AuthError::InvalidToken)
    );
    Ok(())
}
