//! The state every handler shares.

use std::sync::Arc;

use clearline_core::App;
use clearline_store::DefaultStore;

use crate::metrics::Metrics;

/// Shared by every handler; cheap to clone.
#[derive(Clone)]
pub struct AppState {
    /// The services.
    pub app: Arc<App<DefaultStore>>,
    /// Prometheus metrics.
    pub metrics: Arc<Metrics>,
    /// The server's public URL without a trailing slash: the OAuth issuer.
    pub issuer: Arc<str>,
    /// The transparency log's checkpoint signer.
    pub log: Arc<clearline_tlog::note::LogSigner>,
    /// Room for the requests served at once (see [`crate::admission`]).
    pub admission: Arc<crate::admission::Admission>,
}
