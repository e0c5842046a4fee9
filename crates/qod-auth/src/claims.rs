//! Mapping of validated claims (of a JWT, or of an introspection response) to a [`Principal`].

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{Map, Value};

use crate::{AuthError, Principal, scope};

/// The registered subject claim. When no client claim is present and the subject is not a
/// device, it names the client (RFC 9068: the subject of a client-credentials token is the
/// client).
const SUB: &str = "sub";

/// Which claims a [`Principal`] is read from, so that an authorization server with other claim
/// names can be configured without code changes.
///
/// - The client is the first present claim of `client_id_claims`; without one, the `sub` of a
///   token that names no device.
/// - The device (3-legged tokens) is the first claim of `subject_claims` that holds a device:
///   a value starting with one of `three_legged_prefixes` (`tel:+34600000000`,
///   `ipport:84.125.93.10:59765`), or a bare E.164 number (`+34600000000`, as in OpenID
///   Connect's `phone_number`), which is read as `tel:+34600000000`. A `sub` that is not a
///   device is skipped (it names the client or an account); any other listed claim that is
///   present but holds no device makes the token invalid, so a 3-legged token is never
///   mistaken for a 2-legged one.
/// - Scopes are the items of `scope_claim` (a space-separated string or an array); an item
///   that is a key of `purposes` stands for that purpose's scopes. `purpose_claim`, when set,
///   names a claim whose purposes are expanded the same way.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClaimMapping {
    /// Claims naming the client, tried in order (default `client_id`, then `azp`).
    pub client_id_claims: Vec<String>,
    /// The granted scopes (default `scope`).
    pub scope_claim: String,
    /// Claims that may name the device, tried in order (default `sub`).
    pub subject_claims: Vec<String>,
    /// Prefixes of device subjects (default `tel:` and `ipport:`).
    pub three_legged_prefixes: Vec<String>,
    /// Purposes and the scopes each stands for (default: `dpv:RequestedServiceProvision#qod`
    /// stands for every scope of the three APIs).
    pub purposes: BTreeMap<String, BTreeSet<String>>,
    /// A claim carrying purposes (none by default).
    pub purpose_claim: Option<String>,
}

impl Default for ClaimMapping {
    fn default() -> Self {
        Self {
            client_id_claims: vec!["client_id".to_owned(), "azp".to_owned()],
            scope_claim: "scope".to_owned(),
            subject_claims: vec![SUB.to_owned()],
            three_legged_prefixes: vec!["tel:".to_owned(), "ipport:".to_owned()],
            purposes: default_purposes(),
            purpose_claim: None,
        }
    }
}

/// The sandbox's purpose mapping: the Quality-on-Demand purpose stands for every scope.
pub(crate) fn default_purposes() -> BTreeMap<String, BTreeSet<String>> {
    BTreeMap::from([(scope::QOD_PURPOSE.to_owned(), scope::all_scopes())])
}

impl ClaimMapping {
    /// Whether `subject` names a device or its user (3-legged) rather than a client.
    pub fn is_three_legged_subject(&self, subject: &str) -> bool {
        self.device_subject(subject).is_some()
    }

    /// The device a claim value names, in the `tel:` / `ipport:` form, or `None`.
    pub fn device_subject(&self, value: &str) -> Option<String> {
        if self
            .three_legged_prefixes
            .iter()
            .any(|p| !p.is_empty() && value.starts_with(p.as_str()))
        {
            return Some(value.to_owned());
        }
        is_e164(value).then(|| format!("tel:{value}"))
    }

    /// Builds the principal from already verified claims. Claims of the wrong type, a missing
    /// client and a listed subject claim that holds no device are
    /// [`AuthError::InvalidToken`].
    pub(crate) fn principal(&self, claims: &Map<String, Value>) -> Result<Principal, AuthError> {
        let mut subject = None;
        for name in &self.subject_claims {
            let Some(value) = optional_string(claims, name)? else {
                continue;
            };
            match self.device_subject(value) {
                Some(device) => {
                    subject = Some(device);
                    break;
                }
                None if name == SUB => {}
                None => return Err(AuthError::InvalidToken),
            }
        }

        let mut client_id = None;
        for name in &self.client_id_claims {
            if let Some(id) = optional_string(claims, name)? {
                client_id = Some(id);
                break;
            }
        }
        let client_id = match (client_id, &subject) {
            (Some(id), _) => id,
            (None, None) => match optional_string(claims, SUB)? {
                Some(sub) if !self.is_three_legged_subject(sub) => sub,
                _ => return Err(AuthError::InvalidToken),
            },
            (None, Some(_)) => return Err(AuthError::InvalidToken),
        };
        if client_id.is_empty() {
            return Err(AuthError::InvalidToken);
        }

        Ok(Principal {
            client_id: client_id.to_owned(),
            scopes: self.scopes(claims)?,
            subject,
        })
    }

    fn scopes(&self, claims: &Map<String, Value>) -> Result<BTreeSet<String>, AuthError> {
        let mut granted = BTreeSet::new();
        for item in string_items(claims, &self.scope_claim)? {
            match self.purposes.get(item) {
                Some(scopes) => granted.extend(scopes.iter().cloned()),
                None => {
                    granted.insert(item.to_owned());
                }
            }
        }
        if let Some(name) = &self.purpose_claim {
            for purpose in string_items(claims, name)? {
                if let Some(scopes) = self.purposes.get(purpose) {
                    granted.extend(scopes.iter().cloned());
                }
            }
        }
        Ok(granted)
    }
}

/// `+` followed by 5 to 15 digits, the first one not zero.
pub(crate) fn is_e164(number: &str) -> bool {
    let Some(digits) = number.strip_prefix('+') else {
        return false;
    };
    (5..=15).contains(&digits.len())
        && digits.bytes().all(|b| b.is_ascii_digit())
        && !digits.starts_with('0')
}

/// A string claim, `None` when absent; any other type makes the token invalid.
fn optional_string<'a>(
    claims: &'a Map<String, Value>,
    name: &str,
) -> Result<Option<&'a str>, AuthError> {
    match claims.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.as_str())),
        Some(_) => Err(AuthError::InvalidToken),
    }
}

/// The items of a space-separated string claim or of an array of strings; none when absent.
fn string_items<'a>(claims: &'a Map<String, Value>, name: &str) -> Result<Vec<&'a str>, AuthError> {
    match claims.get(name) {
        None | Some(Value::Null) => Ok(Vec::new()),
        Some(Value::String(s)) => Ok(s.split_ascii_whitespace().collect()),
        Some(Value::Array(items)) => items
            .iter()
            .map(|v| v.as_str().ok_or(AuthError::InvalidToken))
            .collect(),
        Some(_) => Err(AuthError::InvalidToken),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn map(v: Value) -> Map<String, Value> {
        match v {
            Value::Object(m) => m,
            _ => Map::new(),
        }
    }

    #[test]
    fn two_legged_uses_client_id_and_no_subject() {
        let p = ClaimMapping::default().principal(&map(
            json!({"sub": "app-1", "client_id": "app-1", "scope": "a b"}),
        ));
        let p = p.ok();
        assert_eq!(p.as_ref().map(|p| p.client_id.as_str()), Some("app-1"));
        assert_eq!(p.as_ref().map(|p| p.subject.clone()), Some(None));
        assert_eq!(p.map(|p| p.scopes.len()), Some(2));
    }

    #[test]
    fn client_falls_back_to_azp_then_sub() {
        let m = ClaimMapping::default();
        let azp = m.principal(&map(json!({"sub": "x", "azp": "from-azp"})));
        assert_eq!(azp.map(|p| p.client_id), Ok("from-azp".to_owned()));
        let sub = m.principal(&map(json!({"sub": "from-sub"})));
        assert_eq!(sub.map(|p| p.client_id), Ok("from-sub".to_owned()));
    }

    #[test]
    fn three_legged_needs_a_client_claim() {
        let m = ClaimMapping::default();
        let ok = m.principal(&map(json!({"sub": "tel:+34600000000", "client_id": "c"})));
        assert_eq!(
            ok.map(|p| p.subject),
            Ok(Some("tel:+34600000000".to_owned()))
        );
        let no_client = m.principal(&map(json!({"sub": "ipport:1.2.3.4:80"})));
        assert_eq!(no_client, Err(AuthError::InvalidToken));
    }

    #[test]
    fn bare_phone_numbers_are_devices() {
        let m = ClaimMapping::default();
        let p = m.principal(&map(json!({"sub": "+34600000000", "client_id": "c"})));
        assert_eq!(
            p.map(|p| p.subject),
            Ok(Some("tel:+34600000000".to_owned()))
        );
        assert!(m.is_three_legged_subject("+34600000000"));
        assert!(!m.is_three_legged_subject("+0123"));
        assert!(!m.is_three_legged_subject("app-1"));
    }

    #[test]
    fn phone_number_claim_names_the_device() {
        let m = ClaimMapping {
            subject_claims: vec!["phone_number".into(), "sub".into()],
            ..ClaimMapping::default()
        };
        let three = m.principal(&map(json!({
            "sub": "248289761001", "client_id": "app", "phone_number": "+34600000001"
        })));
        assert_eq!(
            three.map(|p| p.subject),
            Ok(Some("tel:+34600000001".to_owned()))
        );
        // No phone number and an account `sub`: a 2-legged token of the client.
        let two = m.principal(&map(json!({"sub": "248289761001", "client_id": "app"})));
        assert_eq!(two.map(|p| p.subject), Ok(None));
        // A phone number that is not E.164 is refused rather than read as 2-legged.
        let bad = m.principal(&map(json!({
            "sub": "x", "client_id": "app", "phone_number": "+1 (425) 555-1212"
        })));
        assert_eq!(bad, Err(AuthError::InvalidToken));
    }

    #[test]
    fn scope_array_and_bad_types() {
        let m = ClaimMapping::default();
        let arr = m.principal(&map(json!({"sub": "c", "scope": ["a", "b"]})));
        assert_eq!(arr.map(|p| p.scopes.len()), Ok(2));
        let bad = m.principal(&map(json!({"sub": "c", "scope": 7})));
        assert_eq!(bad, Err(AuthError::InvalidToken));
        let bad_sub = m.principal(&map(json!({"sub": 7})));
        assert_eq!(bad_sub, Err(AuthError::InvalidToken));
        let empty = m.principal(&map(json!({"sub": ""})));
        assert_eq!(empty, Err(AuthError::InvalidToken));
    }

    #[test]
    fn purposes_expand_to_their_scopes() {
        let m = ClaimMapping::default();
        let p = m.principal(&map(json!({"sub": "c", "scope": scope::QOD_PURPOSE})));
        assert_eq!(p.map(|p| p.scopes), Ok(scope::all_scopes()));

        let custom = ClaimMapping {
            purposes: BTreeMap::from([(
                "dpv:Custom".to_owned(),
                BTreeSet::from([scope::SESSIONS_READ.to_owned()]),
            )]),
            purpose_claim: Some("purpose".into()),
            ..ClaimMapping::default()
        };
        let p = custom.principal(&map(json!({"sub": "c", "purpose": "dpv:Custom"})));
        assert_eq!(
            p.map(|p| p.scopes),
            Ok(BTreeSet::from([scope::SESSIONS_READ.to_owned()]))
        );
        // Without the default mapping, the QoD purpose is an ordinary (useless) scope.
        let p = custom.principal(&map(json!({"sub": "c", "scope": scope::QOD_PURPOSE})));
        assert_eq!(p.map(|p| p.has_scope(scope::SESSIONS_READ)), Ok(false));
    }

    #[test]
    fn custom_claim_names() {
        let m = ClaimMapping {
            client_id_claims: vec!["cid".into()],
            scope_claim: "scp".into(),
            ..ClaimMapping::default()
        };
        let p = m.principal(&map(json!({"sub": "u", "cid": "other", "scp": "x"})));
        assert_eq!(p.as_ref().map(|p| p.client_id.as_str()), Ok("other"));
        assert_eq!(p.map(|p| p.has_scope("x")), Ok(true));
    }
}
