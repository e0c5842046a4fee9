//! A catalogue that can be replaced while the server runs.

use std::sync::{Arc, PoisonError, RwLock};

use super::{ProfileCatalogue, QosProfile, StaticCatalogue};

/// A catalogue whose contents can be swapped at once for a new version (a reload).
///
/// Each read sees one whole version, never a mix. Sessions created before a swap keep what they
/// took from their profile at creation (its maximum duration and QoS reference).
#[derive(Debug, Default)]
pub struct SwappableCatalogue {
    current: RwLock<Arc<StaticCatalogue>>,
}

impl SwappableCatalogue {
    /// A catalogue starting with these contents.
    pub fn new(initial: StaticCatalogue) -> Self {
        Self {
            current: RwLock::new(Arc::new(initial)),
        }
    }

    /// The contents now in force.
    pub fn snapshot(&self) -> Arc<StaticCatalogue> {
        self.current
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// Puts `next` in force and returns the contents it replaced.
    pub fn replace(&self, next: StaticCatalogue) -> Arc<StaticCatalogue> {
        let mut current = self.current.write().unwrap_or_else(PoisonError::into_inner);
        std::mem::replace(&mut *current, Arc::new(next))
    }
}

impl ProfileCatalogue for SwappableCatalogue {
    fn profile(&self, name: &str) -> Option<Arc<QosProfile>> {
        self.snapshot().profile(name)
    }

    fn profiles(&self) -> Vec<Arc<QosProfile>> {
        self.snapshot().profiles()
    }
}
