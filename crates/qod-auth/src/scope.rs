//! Scopes of the three CAMARA APIs served by the gateway.

use std::collections::BTreeSet;

use crate::AuthError;

/// Create a Quality-on-Demand session.
pub const SESSIONS_CREATE: &str = "quality-on-demand:sessions:create";
/// Read a Quality-on-Demand session.
pub const SESSIONS_READ: &str = "quality-on-demand:sessions:read";
/// Delete a Quality-on-Demand session.
pub const SESSIONS_DELETE: &str = "quality-on-demand:sessions:delete";
/// Extend the duration of a Quality-on-Demand session.
pub const SESSIONS_UPDATE: &str = "quality-on-demand:sessions:update";
/// List the Quality-on-Demand sessions of a device.
pub const SESSIONS_RETRIEVE_BY_DEVICE: &str = "quality-on-demand:sessions:retrieve-by-device";
/// Read QoS profiles.
pub const QOS_PROFILES_READ: &str = "qos-profiles:read";
/// Create a QoS Provisioning assignment.
pub const ASSIGNMENTS_CREATE: &str = "qos-provisioning:qos-assignments:create";
/// Read a QoS Provisioning assignment.
pub const ASSIGNMENTS_READ: &str = "qos-provisioning:qos-assignments:read";
/// Delete a QoS Provisioning assignment.
pub const ASSIGNMENTS_DELETE: &str = "qos-provisioning:qos-assignments:delete";
/// Read the QoS Provisioning assignment of a device.
pub const ASSIGNMENTS_READ_BY_DEVICE: &str = "qos-provisioning:qos-assignments:read-by-device";

/// Every scope above.
pub const ALL: &[&str] = &[
    SESSIONS_CREATE,
    SESSIONS_READ,
    SESSIONS_DELETE,
    SESSIONS_UPDATE,
    SESSIONS_RETRIEVE_BY_DEVICE,
    QOS_PROFILES_READ,
    ASSIGNMENTS_CREATE,
    ASSIGNMENTS_READ,
    ASSIGNMENTS_DELETE,
    ASSIGNMENTS_READ_BY_DEVICE,
];

/// The purpose string that stands for every scope in the sandbox.
pub const QOD_PURPOSE: &str = "dpv:RequestedServiceProvision#qod";

/// Every scope in [`ALL`], as an owned set.
pub(crate) fn all_scopes() -> BTreeSet<String> {
    ALL.iter().map(|s| (*s).to_owned()).collect()
}

/// Resolves a requested `scope` parameter (space-separated) to the set to grant.
///
/// Absent or blank means every scope; [`QOD_PURPOSE`] expands to every scope; anything not in
/// [`ALL`] is refused.
pub(crate) fn resolve_scope(scope: Option<&str>) -> Result<BTreeSet<String>, AuthError> {
    let Some(scope) = scope.filter(|s| !s.trim().is_empty()) else {
        return Ok(all_scopes());
    };
    let mut granted = BTreeSet::new();
    for item in scope.split_ascii_whitespace() {
        if item == QOD_PURPOSE {
            granted.extend(all_scopes());
        } else if ALL.contains(&item) {
            granted.insert(item.to_owned());
        } else {
            return Err(AuthError::InvalidScope);
        }
    }
    Ok(granted)
}

/// Resolves a CAMARA `purpose` parameter: only [`QOD_PURPOSE`] is known, and it means every
/// scope.
pub(crate) fn resolve_purpose(purpose: &str) -> Result<BTreeSet<String>, AuthError> {
    if purpose.trim() == QOD_PURPOSE {
        Ok(all_scopes())
    } else {
        Err(AuthError::InvalidScope)
    }
}

/// Joins a scope set into the space-separated form used in tokens and responses.
pub(crate) fn join(scopes: &BTreeSet<String>) -> String {
    scopes
        .iter()
        .map(String::as_str)
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn absent_or_blank_scope_means_all() {
        assert_eq!(resolve_scope(None), Ok(all_scopes()));
        assert_eq!(resolve_scope(Some("")), Ok(all_scopes()));
        assert_eq!(resolve_scope(Some("   ")), Ok(all_scopes()));
        assert_eq!(all_scopes().len(), 10);
    }

    #[test]
    fn listed_scopes_are_granted_exactly() {
        let got = resolve_scope(Some("qos-profiles:read  quality-on-demand:sessions:read"));
        let want: BTreeSet<String> = [QOS_PROFILES_READ, SESSIONS_READ]
            .iter()
            .map(|s| (*s).to_owned())
            .collect();
        assert_eq!(got, Ok(want));
    }

    #[test]
    fn purpose_in_scope_expands_to_all() {
        assert_eq!(resolve_scope(Some(QOD_PURPOSE)), Ok(all_scopes()));
        assert_eq!(
            resolve_scope(Some(&format!("{SESSIONS_READ} {QOD_PURPOSE}"))),
            Ok(all_scopes())
        );
    }

    #[test]
    fn unknown_scope_is_refused() {
        assert_eq!(
            resolve_scope(Some("qos-profiles:read openid")),
            Err(AuthError::InvalidScope)
        );
        assert_eq!(
            resolve_scope(Some("QOS-PROFILES:READ")),
            Err(AuthError::InvalidScope)
        );
    }

    #[test]
    fn purpose_must_be_the_qod_purpose() {
        assert_eq!(resolve_purpose(QOD_PURPOSE), Ok(all_scopes()));
        assert_eq!(
            resolve_purpose("dpv:FraudPreventionAndDetection"),
            Err(AuthError::InvalidScope)
        );
    }

    #[test]
    fn join_is_space_separated() {
        let set: BTreeSet<String> = ["b", "a"].iter().map(|s| (*s).to_owned()).collect();
        assert_eq!(join(&set), "a b");
    }
}
