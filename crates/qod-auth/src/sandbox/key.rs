//! The sandbox issuer's Ed25519 signing key and its public JWK.

use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use ed25519_dalek::SigningKey;
use ed25519_dalek::pkcs8::{DecodePrivateKey, EncodePrivateKey};
use jsonwebtoken::EncodingKey;
use jsonwebtoken::jwk::{
    AlgorithmParameters, CommonParameters, EllipticCurve, Jwk, KeyAlgorithm,
    OctetKeyPairParameters, OctetKeyPairType, PublicKeyUse, ThumbprintHash,
};
use rand_core::OsRng;

use crate::AuthError;

/// A private signing key ready for `jsonwebtoken`, with its public JWK and key id.
#[derive(Clone)]
pub(crate) struct SigningMaterial {
    pub(crate) encoding: EncodingKey,
    pub(crate) jwk: Jwk,
    pub(crate) kid: String,
}

impl SigningMaterial {
    /// A fresh key from the operating system's random source.
    pub(crate) fn generate() -> Result<Self, AuthError> {
        Self::from_signing_key(&SigningKey::generate(&mut OsRng))
    }

    /// A fresh key from the operating system's random source, as a PKCS#8 DER document, for
    /// callers that keep the key (so that issued tokens outlive a restart).
    pub(crate) fn generate_pkcs8_der() -> Result<Vec<u8>, AuthError> {
        SigningKey::generate(&mut OsRng)
            .to_pkcs8_der()
            .map(|der| der.as_bytes().to_vec())
            .map_err(|_| AuthError::Key("cannot encode the signing key".to_owned()))
    }

    /// A key from an unencrypted PKCS#8 DER document.
    pub(crate) fn from_pkcs8_der(der: &[u8]) -> Result<Self, AuthError> {
        let key = SigningKey::from_pkcs8_der(der)
            .map_err(|_| AuthError::Key("not an Ed25519 PKCS#8 private key".to_owned()))?;
        Self::from_signing_key(&key)
    }

    /// A key from an unencrypted PKCS#8 PEM document (`-----BEGIN PRIVATE KEY-----`).
    pub(crate) fn from_pkcs8_pem(pem: &str) -> Result<Self, AuthError> {
        let mut der = pem_to_der(pem)?;
        let material = Self::from_pkcs8_der(&der);
        der.fill(0);
        std::hint::black_box(&der);
        material
    }

    fn from_signing_key(key: &SigningKey) -> Result<Self, AuthError> {
        let der = key
            .to_pkcs8_der()
            .map_err(|_| AuthError::Key("cannot encode the signing key".to_owned()))?;
        let encoding = EncodingKey::from_ed_der(der.as_bytes());
        let mut jwk = Jwk {
            common: CommonParameters {
                public_key_use: Some(PublicKeyUse::Signature),
                key_algorithm: Some(KeyAlgorithm::EdDSA),
                ..CommonParameters::default()
            },
            algorithm: AlgorithmParameters::OctetKeyPair(OctetKeyPairParameters {
                key_type: OctetKeyPairType::OctetKeyPair,
                curve: EllipticCurve::Ed25519,
                x: URL_SAFE_NO_PAD.encode(key.verifying_key().as_bytes()),
            }),
        };
        // RFC 7638 thumbprint: unpredictable for a fresh key, stable for a configured one.
        let kid = jwk
            .thumbprint(ThumbprintHash::SHA256)
            .map_err(|_| AuthError::Key("cannot compute the key id".to_owned()))?;
        jwk.common.key_id = Some(kid.clone());
        Ok(Self { encoding, jwk, kid })
    }
}

/// The DER bytes of a PEM document labelled `PRIVATE KEY`.
fn pem_to_der(pem: &str) -> Result<Vec<u8>, AuthError> {
    const BEGIN: &str = "-----BEGIN PRIVATE KEY-----";
    const END: &str = "-----END PRIVATE KEY-----";
    let wrong_form = || AuthError::Key("expected an unencrypted PKCS#8 PEM private key".to_owned());
    let start = pem.find(BEGIN).ok_or_else(wrong_form)? + BEGIN.len();
    let len = pem
        .get(start..)
        .and_then(|rest| rest.find(END))
        .ok_or_else(wrong_form)?;
    let body: String = pem
        .get(start..start + len)
        .ok_or_else(wrong_form)?
        .chars()
        .filter(|c| !c.is_ascii_whitespace())
        .collect();
    STANDARD.decode(body).map_err(|_| wrong_form())
}

#[cfg(test)]
mod tests {
    use super::*;

    const PEM: &str = "-----BEGIN PRIVATE KEY-----\n\
        MC4CAQAwBQYDK2VwBCIEIA7X6WOozH0m0qM+sewij+VW4cOFZKTxY9v4DphJjIcf\n\
        -----END PRIVATE KEY-----\n";

    #[test]
    fn loaded_key_has_a_stable_kid() {
        let a = SigningMaterial::from_pkcs8_pem(PEM).map(|m| m.kid);
        let b = SigningMaterial::from_pkcs8_pem(PEM).map(|m| m.kid);
        assert!(a.is_ok());
        assert_eq!(a, b);
    }

    #[test]
    fn generated_keys_differ() {
        let a = SigningMaterial::generate().map(|m| m.kid);
        let b = SigningMaterial::generate().map(|m| m.kid);
        assert!(a.is_ok());
        assert_ne!(a, b);
    }

    #[test]
    fn jwk_is_public_okp() {
        let m = SigningMaterial::from_pkcs8_pem(PEM);
        let json = m.map(|m| serde_json::to_value(&m.jwk).ok()).ok().flatten();
        let json = json.unwrap_or_default();
        assert_eq!(json["kty"], "OKP");
        assert_eq!(json["crv"], "Ed25519");
        assert_eq!(json["alg"], "EdDSA");
        assert_eq!(json["use"], "sig");
        assert!(json["kid"].is_string());
        assert!(json.get("d").is_none());
    }

    #[test]
    fn bad_pem_is_a_key_error() {
        assert!(matches!(
            SigningMaterial::from_pkcs8_pem(
                "-----BEGIN RSA PRIVATE KEY-----\nAAAA\n-----END RSA PRIVATE KEY-----"
            ),
            Err(AuthError::Key(_))
        ));
        assert!(matches!(
            SigningMaterial::from_pkcs8_pem(
                "-----BEGIN PRIVATE KEY-----\n!!!\n-----END PRIVATE KEY-----"
            ),
            Err(AuthError::Key(_))
        ));
        assert!(matches!(
            SigningMaterial::from_pkcs8_der(&[1, 2, 3]),
            Err(AuthError::Key(_))
        ));
    }
}
