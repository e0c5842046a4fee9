//! Selection of usable verification keys from a JSON Web Key Set.

use jsonwebtoken::jwk::{
    AlgorithmParameters, EllipticCurve, Jwk, JwkSet, KeyAlgorithm, KeyOperations, PublicKeyUse,
};
use jsonwebtoken::{Algorithm, DecodingKey};

/// The only signature algorithms accepted. `none` and the HMAC family are never accepted:
/// a shared-secret token could be forged by anyone who knows the public key set.
pub(crate) const ALLOWED_ALGORITHMS: &[Algorithm] =
    &[Algorithm::EdDSA, Algorithm::ES256, Algorithm::RS256];

/// One key of the set, with the single algorithm it may verify.
#[derive(Debug, Clone)]
pub(crate) struct VerificationKey {
    pub(crate) kid: Option<String>,
    pub(crate) alg: Algorithm,
    pub(crate) key: DecodingKey,
}

/// The keys of `set` that can verify one of [`ALLOWED_ALGORITHMS`]; other keys (encryption
/// keys, HMAC secrets, unknown types) are skipped.
pub(crate) fn usable_keys(set: &JwkSet) -> Vec<VerificationKey> {
    set.keys
        .iter()
        .filter_map(|jwk| {
            let usable = verification_key(jwk);
            if usable.is_none() {
                tracing::debug!(kid = ?jwk.common.key_id, "skipping a key that cannot verify an allowed algorithm");
            }
            usable
        })
        .collect()
}

fn verification_key(jwk: &Jwk) -> Option<VerificationKey> {
    let alg = algorithm_for(&jwk.algorithm)?;
    if let Some(declared) = jwk.common.key_algorithm
        && declared != KeyAlgorithm::from(alg)
    {
        return None;
    }
    if matches!(jwk.common.public_key_use, Some(ref u) if *u != PublicKeyUse::Signature) {
        return None;
    }
    if let Some(ops) = &jwk.common.key_operations
        && !ops.contains(&KeyOperations::Verify)
    {
        return None;
    }
    let key = DecodingKey::from_jwk(jwk).ok()?;
    Some(VerificationKey {
        kid: jwk.common.key_id.clone(),
        alg,
        key,
    })
}

/// The allowed algorithm a key of this type and curve verifies.
fn algorithm_for(params: &AlgorithmParameters) -> Option<Algorithm> {
    match params {
        AlgorithmParameters::OctetKeyPair(p) if p.curve == EllipticCurve::Ed25519 => {
            Some(Algorithm::EdDSA)
        }
        AlgorithmParameters::EllipticCurve(p) if p.curve == EllipticCurve::P256 => {
            Some(Algorithm::ES256)
        }
        AlgorithmParameters::RSA(_) => Some(Algorithm::RS256),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use jsonwebtoken::jwk::{CommonParameters, OctetKeyPairParameters, OctetKeyParameters};

    use super::*;

    fn okp(common: CommonParameters) -> Jwk {
        Jwk {
            common,
            algorithm: AlgorithmParameters::OctetKeyPair(OctetKeyPairParameters {
                curve: EllipticCurve::Ed25519,
                x: "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo".to_owned(),
                ..Default::default()
            }),
        }
    }

    #[test]
    fn hmac_and_encryption_keys_are_skipped() {
        let hmac = Jwk {
            common: CommonParameters::default(),
            algorithm: AlgorithmParameters::OctetKey(OctetKeyParameters {
                value: "c2VjcmV0".to_owned(),
                ..Default::default()
            }),
        };
        let enc = okp(CommonParameters {
            public_key_use: Some(PublicKeyUse::Encryption),
            ..Default::default()
        });
        let wrong_alg = okp(CommonParameters {
            key_algorithm: Some(KeyAlgorithm::RS256),
            ..Default::default()
        });
        let good = okp(CommonParameters {
            key_id: Some("k".into()),
            ..Default::default()
        });
        let set = JwkSet {
            keys: vec![hmac, enc, wrong_alg, good],
        };
        let keys = usable_keys(&set);
        assert_eq!(keys.len(), 1);
        assert_eq!(keys.first().map(|k| k.alg), Some(Algorithm::EdDSA));
        assert_eq!(keys.first().and_then(|k| k.kid.as_deref()), Some("k"));
    }
}
