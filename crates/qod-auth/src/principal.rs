use std::collections::BTreeSet;

/// Who is calling, as read from a validated access token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    /// The OAuth client (application) the token was issued to.
    pub client_id: String,
    /// The scopes the token grants.
    pub scopes: BTreeSet<String>,
    /// For a 3-legged token: the subject the token identifies, as a string such as
    /// "tel:+34600000000" or "ipport:84.125.93.10:59765" or "ipport:[2001:db8::1]:443".
    /// None for 2-legged.
    pub subject: Option<String>,
}

impl Principal {
    /// Whether the token grants scope `s`.
    pub fn has_scope(&self, s: &str) -> bool {
        self.scopes.contains(s)
    }

    /// Whether the token identifies a subject (a device or its user), not only a client.
    pub fn is_three_legged(&self) -> bool {
        self.subject.is_some()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scope_and_legs_queries() {
        let p = Principal {
            client_id: "c".into(),
            scopes: ["qos-profiles:read".to_owned()].into_iter().collect(),
            subject: Some("tel:+34600000000".into()),
        };
        assert!(p.has_scope("qos-profiles:read"));
        assert!(!p.has_scope("qos-profiles"));
        assert!(p.is_three_legged());
        let two = Principal { subject: None, ..p };
        assert!(!two.is_three_legged());
    }
}
