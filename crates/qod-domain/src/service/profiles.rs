//! The QoS Profiles use cases: which profiles of the catalogue a caller may see.

use std::sync::Arc;

use qod_network::NetworkPolicy;

use crate::{Caller, Device, DomainError, ProfileCatalogue, ProfileStatus, QosProfile};

/// The most profiles one retrieve answer lists (CAMARA's `maxItems`).
pub const MAX_LISTED_PROFILES: usize = 100;

/// The filters of retrieve-qos-profiles, already well formed. Every filter is optional.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ProfileQuery {
    /// The device to list profiles for (2-legged callers only).
    pub device: Option<Device>,
    /// Only the profile with exactly this name.
    pub name: Option<String>,
    /// Only profiles in this status.
    pub status: Option<ProfileStatus>,
}

/// The QoS Profiles use cases, over the operator's catalogue and the network.
#[derive(Clone)]
pub struct ProfileService {
    network: Arc<dyn NetworkPolicy>,
    catalogue: Arc<dyn ProfileCatalogue>,
}

impl ProfileService {
    /// A service over this network and catalogue.
    pub fn new(network: Arc<dyn NetworkPolicy>, catalogue: Arc<dyn ProfileCatalogue>) -> Self {
        Self { network, catalogue }
    }

    /// The profiles matching `query`, in catalogue order, at most [`MAX_LISTED_PROFILES`].
    ///
    /// With a device (the token's for a 3-legged caller, else the one in the query) the network
    /// must know it (`IdentifierNotFound`) and offer it the service (`ServiceNotApplicable`);
    /// only profiles available to it are listed. Without one, profiles restricted to particular
    /// devices are left out. A 3-legged caller that names a device gets `UnnecessaryIdentifier`.
    pub async fn retrieve(
        &self,
        caller: &Caller,
        query: &ProfileQuery,
    ) -> Result<Vec<Arc<QosProfile>>, DomainError> {
        let ue = match (&caller.subject, &query.device) {
            (Some(_), Some(_)) => return Err(DomainError::UnnecessaryIdentifier),
            (Some(subject), None) => Some(subject.clone()),
            (None, Some(device)) => Some(device.choose()?.0),
            (None, None) => None,
        };
        if let Some(ue) = &ue {
            self.network.check_subscriber(ue).await?;
        }
        let device_key = ue.map(|ue| ue.to_string());
        Ok(self
            .catalogue
            .profiles()
            .into_iter()
            .filter(|p| match &device_key {
                Some(key) => p.available_to(key),
                None => !p.is_restricted(),
            })
            .filter(|p| query.name.as_ref().is_none_or(|n| p.name == *n))
            .filter(|p| query.status.is_none_or(|s| p.status == s))
            .take(MAX_LISTED_PROFILES)
            .collect())
    }

    /// The profile called `name`: `NotFound` when the catalogue has none, or when a 3-legged
    /// caller's device may not use it.
    pub fn get(&self, caller: &Caller, name: &str) -> Result<Arc<QosProfile>, DomainError> {
        let profile = self.catalogue.profile(name).ok_or(DomainError::NotFound)?;
        if let Some(subject) = &caller.subject
            && !profile.available_to(&subject.to_string())
        {
            return Err(DomainError::NotFound);
        }
        Ok(profile)
    }
}
