//! Clearline's HTTP server: the axum routers of the client API, realtime WebSocket, operations
//! endpoints and OpenAPI document, the one mapping of errors to RFC 9457 problems, metrics, and
//! starting and stopping. Handlers only extract, call the services in `clearline-core`, convert.
//!
//! # Layout
//! - [`config`]: [`Config`], everything `serve` can be told, with defaults.
//! - [`serve`]: [`start`] a server in the background, [`serve_until`] a signal.
//! - [`routes`]: the URL map (one file per URL family) and the OpenAPI document built from it.
//! - [`error`]: [`error::ApiError`], the single mapping to problem responses.
//! - [`extract`]: bearer authentication and body/query/header extractors.
//! - [`keys`]: the server's Ed25519 key file in the data directory.
//! - [`webhooks`]: signed revocation notices to apps.
//! - [`metrics`]: Prometheus metrics and the request-tracking middleware.
//! - [`state`]: [`AppState`], what handlers share.

pub mod admission;
pub mod config;
pub mod error;
pub mod extract;
pub mod keys;
pub mod metrics;
pub mod report_page;
pub mod routes;
pub mod serve;
pub mod state;
pub mod webhooks;

pub use config::Config;
pub use routes::router;
pub use serve::{DATABASE_FILE, Running, ServeError, build_state, serve_until, start, start_local, start_with_clock};
pub use state::AppState;
