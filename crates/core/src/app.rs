//! [`App`]: what every use case needs, bundled once at start and shared by reference.

use std::sync::{Arc, Mutex, PoisonError};

use clearline_store::{Delivery, Store};
use tokio::sync::mpsc;

use crate::accounts::SessionCache;
use crate::disclosure::RevocationNotice;
use crate::ratelimit::{Limiter, RateLimits};
use crate::scoped_id::ScopedIdKey;
use crate::signing::ServerKey;
use crate::{Clock, Hub};

/// Tunable rules of the services.
#[derive(Debug, Clone)]
pub struct Settings {
    /// How long a session lasts after sign-in, in milliseconds.
    pub session_ttl_ms: i64,
    /// How long a verified session is trusted from memory before it is re-read, in milliseconds.
    /// Revocation on this node always takes effect at once.
    pub session_cache_ms: i64,
    /// Partner API rate limits.
    pub rate_limits: RateLimits,
    /// Whether a partner response that reveals data waits until its access event is in a
    /// signed checkpoint of the transparency log.
    pub integrate_before_release: bool,
    /// Partner reports: due days, reconciliation, suppression, noise.
    pub reports: crate::reports::ReportSettings,
    /// Password attempts: failures per account and address, attempts per address.
    pub sign_in: crate::throttle::SignInLimits,
    /// Whether apps' webhooks may point at loopback, private or link-local addresses (a
    /// development or single-network setup); otherwise such targets are refused.
    pub allow_private_webhooks: bool,
    /// What one signed-in person may use of the client API.
    pub client: crate::throttle::ClientLimits,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            session_ttl_ms: 30 * 24 * 3600 * 1000,
            session_cache_ms: 10_000,
            rate_limits: RateLimits::default(),
            integrate_before_release: true,
            reports: crate::reports::ReportSettings::default(),
            sign_in: crate::throttle::SignInLimits::default(),
            allow_private_webhooks: false,
            client: crate::throttle::ClientLimits::default(),
        }
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
    pub(crate) passwords: crate::throttle::PasswordGate,
    pub(crate) people: crate::throttle::PersonLimiter,
    pub(crate) scoped_key: tokio::sync::OnceCell<ScopedIdKey>,
    pub(crate) limits: Limiter,
    pub(crate) revocations: mpsc::UnboundedSender<RevocationNotice>,
    revocation_feed: Mutex<Option<mpsc::UnboundedReceiver<RevocationNotice>>>,
    pub(crate) server_key: Option<ServerKey>,
    /// The highest access event id in a signed checkpoint (as far as this process saw).
    pub(crate) log_integrated: tokio::sync::watch::Sender<i64>,
    /// Wakes the sequencer when a response waits for its event.
    pub(crate) log_wake: tokio::sync::Notify,
    /// Events the sequencer records with its next integration.
    pub(crate) log_queue: Mutex<Vec<crate::transparency::Queued>>,
}

impl<S: Store> App<S> {
    /// Bundles the parts.
    pub fn new(store: S, clock: Arc<dyn Clock>, settings: Settings) -> Self {
        let (tx, rx) = mpsc::unbounded_channel();
        Self {
            store,
            limits: Limiter::new(settings.rate_limits, clock.clone()),
            passwords: crate::throttle::PasswordGate::new(settings.sign_in, clock.clone()),
            people: crate::throttle::PersonLimiter::new(settings.client, clock.clone()),
            clock,
            hub: Hub::new(settings.client.websockets_per_person),
            settings,
            sessions: SessionCache::default(),
            hashing: tokio::sync::Semaphore::new(crate::accounts::CONCURRENT_HASHES),
            scoped_key: tokio::sync::OnceCell::new(),
            revocations: tx,
            revocation_feed: Mutex::new(Some(rx)),
            server_key: None,
            log_integrated: tokio::sync::watch::Sender::new(0),
            log_wake: tokio::sync::Notify::new(),
            log_queue: Mutex::new(Vec::new()),
        }
    }

    /// Gives the services the server's signing key (receipts, webhooks).
    pub fn with_server_key(mut self, key: ServerKey) -> Self {
        self.server_key = Some(key);
        self
    }

    /// The server's signing key, if it has one.
    pub fn server_key(&self) -> Option<&ServerKey> {
        self.server_key.as_ref()
    }

    /// The realtime hub live connections subscribe to.
    pub fn hub(&self) -> &Hub {
        &self.hub
    }

    /// The store, for readiness checks and tools.
    pub fn store(&self) -> &S {
        &self.store
    }

    /// The feed of revoked grants whose apps registered a webhook; the first caller gets it.
    pub fn take_revocation_feed(&self) -> Option<mpsc::UnboundedReceiver<RevocationNotice>> {
        self.revocation_feed.lock().unwrap_or_else(PoisonError::into_inner).take()
    }

    /// Resolves when a response is waiting for the log: the sequencer integrates at once
    /// instead of at its next tick.
    pub async fn log_wanted(&self) {
        self.log_wake.notified().await;
    }

    /// The clock.
    pub fn now(&self) -> clearline_domain::Timestamp {
        self.clock.now()
    }

    pub(crate) fn deliver(&self, deliveries: Vec<Delivery>) {
        self.hub.publish(deliveries);
    }
}
