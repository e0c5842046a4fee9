//! A bounded cache of positive validation results, keyed by a SHA-256 hash of the token so that
//! the token itself is never kept.

use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};
use std::time::Instant;

use sha2::{Digest, Sha256};

use crate::Principal;

/// The cache key of a token.
pub(crate) type TokenKey = [u8; 32];

/// The cache key of `token`.
pub(crate) fn key_of(token: &str) -> TokenKey {
    Sha256::digest(token.as_bytes()).into()
}

struct Entry {
    principal: Principal,
    expires: Instant,
}

/// At most `capacity` principals, each until its own expiry.
pub(crate) struct TokenCache {
    capacity: usize,
    entries: Mutex<HashMap<TokenKey, Entry>>,
}

impl TokenCache {
    /// An empty cache of at most `capacity` entries (0 disables it).
    pub(crate) fn new(capacity: usize) -> Self {
        Self {
            capacity,
            entries: Mutex::new(HashMap::new()),
        }
    }

    /// The principal cached for `key`, unless it expired.
    pub(crate) fn get(&self, key: &TokenKey, now: Instant) -> Option<Principal> {
        let mut entries = self.entries.lock().unwrap_or_else(PoisonError::into_inner);
        match entries.get(key) {
            Some(e) if e.expires > now => Some(e.principal.clone()),
            Some(_) => {
                entries.remove(key);
                None
            }
            None => None,
        }
    }

    /// Keeps `principal` until `expires`. When the cache is full, expired entries go first,
    /// then the entry that would expire soonest.
    pub(crate) fn insert(&self, key: TokenKey, principal: Principal, expires: Instant) {
        let now = Instant::now();
        if self.capacity == 0 || expires <= now {
            return;
        }
        let mut entries = self.entries.lock().unwrap_or_else(PoisonError::into_inner);
        if entries.len() >= self.capacity && !entries.contains_key(&key) {
            entries.retain(|_, e| e.expires > now);
            if entries.len() >= self.capacity
                && let Some(soonest) = entries
                    .iter()
                    .min_by_key(|(_, e)| e.expires)
                    .map(|(k, _)| *k)
            {
                entries.remove(&soonest);
            }
        }
        entries.insert(key, Entry { principal, expires });
    }

    /// How many entries are kept (expired ones included until they are swept).
    pub(crate) fn len(&self) -> usize {
        self.entries
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .len()
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    fn principal(client: &str) -> Principal {
        Principal {
            client_id: client.to_owned(),
            scopes: Default::default(),
            subject: None,
        }
    }

    #[test]
    fn hits_until_expiry() {
        let cache = TokenCache::new(10);
        let now = Instant::now();
        let key = key_of("token-a");
        cache.insert(key, principal("a"), now + Duration::from_secs(60));
        assert_eq!(cache.get(&key, now).map(|p| p.client_id), Some("a".into()));
        assert_eq!(cache.get(&key, now + Duration::from_secs(61)), None);
        assert_eq!(cache.len(), 0, "an expired entry is removed when met");
        assert_eq!(cache.get(&key_of("token-b"), now), None);
    }

    #[test]
    fn bounded_in_size() {
        let cache = TokenCache::new(3);
        let now = Instant::now();
        for i in 0..10u64 {
            cache.insert(
                key_of(&format!("t{i}")),
                principal(&format!("c{i}")),
                now + Duration::from_secs(100 + i),
            );
            assert!(cache.len() <= 3);
        }
        // The entries that expire last are kept.
        assert!(cache.get(&key_of("t9"), now).is_some());
        assert!(cache.get(&key_of("t0"), now).is_none());
    }

    #[test]
    fn capacity_zero_and_past_expiry_keep_nothing() {
        let cache = TokenCache::new(0);
        cache.insert(
            key_of("t"),
            principal("c"),
            Instant::now() + Duration::from_secs(60),
        );
        assert_eq!(cache.len(), 0);
        let cache = TokenCache::new(5);
        cache.insert(key_of("t"), principal("c"), Instant::now());
        assert_eq!(cache.len(), 0);
    }

    #[test]
    fn keys_are_hashes() {
        assert_ne!(key_of("a"), key_of("b"));
        assert_eq!(key_of("a"), key_of("a"));
    }
}
