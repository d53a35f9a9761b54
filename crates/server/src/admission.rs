//! Admission: the server serves at most `max_requests_in_flight` requests at once and answers
//! any beyond that at once with `503` and `Retry-After`, instead of letting a backlog (after a
//! stalled disk, say) pile up connections and memory until it cannot recover. Health,
//! readiness and metrics are always answered, so an overloaded server can still be watched.

use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use tokio::sync::Semaphore;

use crate::error::ApiError;
use crate::state::AppState;

/// Paths served whatever the load.
const ALWAYS: [&str; 2] = ["/healthz", "/readyz"];

/// Room for a number of requests at once.
#[derive(Debug)]
pub struct Admission {
    permits: Semaphore,
    limit: usize,
}

impl Admission {
    /// Room for `limit` requests at once (at least one).
    pub fn new(limit: usize) -> Self {
        let limit = limit.clamp(1, Semaphore::MAX_PERMITS);
        Self { permits: Semaphore::new(limit), limit }
    }

    /// Requests being served now.
    pub fn in_flight(&self) -> usize {
        self.limit - self.permits.available_permits()
    }
}

/// Middleware: serves the request if there is room, else refuses it as overloaded.
pub async fn admit(State(state): State<AppState>, req: Request, next: Next) -> Response {
    if ALWAYS.contains(&req.uri().path()) {
        return next.run(req).await;
    }
    // Held until the answer is ready (or the request is dropped).
    let Ok(_permit) = state.admission.permits.try_acquire() else {
        return ApiError::Overloaded.into_response();
    };
    next.run(req).await
}
