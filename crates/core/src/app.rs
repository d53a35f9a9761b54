//! [`App`]: what every use case needs, bundled once at start and shared by reference.

use std::sync::Arc;

use clearline_store::{Delivery, Store};

use crate::accounts::SessionCache;
use crate::{Clock, Hub};

/// Tunable rules of the services.
#[derive(Debug, Clone)]
pub struct Settings {
    /// How long a session lasts after sign-in, in milliseconds.
    pub session_ttl_ms: i64,
    /// How long a verified session is trusted from memory before it is re-read, in milliseconds.
    /// Revocation on this node always takes effect at once.
    pub session_cache_ms: i64,
}

impl Default for Settings {
    fn default() -> Self {
        Self { session_ttl_ms: 30 * 24 * 3600 * 1000, session_cache_ms: 10_000 }
    }
}

/// The store, the clock, the realtime hub and the settings.
pub struct App<S: Store> {
    pub(crate) store: S,
    pub(crate) clock: Arc<dyn Clock>,
    pub(crate) hub: Hub,
    pub(crate) settings: Settings,
    pub(crate) sessions: SessionCache,
    pub(crate) hashing: tokio::sync::Semaphore,
}

impl<S: Store> App<S> {
    /// Bundles the parts.
    pub fn new(store: S, clock: Arc<dyn Clock>, settings: Settings) -> Self {
        Self {
            store,
            clock,
            hub: Hub::default(),
            settings,
            sessions: SessionCache::default(),
            hashing: tokio::sync::Semaphore::new(crate::accounts::CONCURRENT_HASHES),
        }
    }

    /// The realtime hub live connections subscribe to.
    pub fn hub(&self) -> &Hub {
        &self.hub
    }

    /// The store, for readiness checks and tools.
    pub fn store(&self) -> &S {
        &self.store
    }

    pub(crate) fn deliver(&self, deliveries: Vec<Delivery>) {
        self.hub.publish(deliveries);
    }
}
