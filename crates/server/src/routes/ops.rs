//! Operations endpoints: liveness, readiness, metrics, the OpenAPI document, and the
//! problem response for unknown routes.

use std::sync::Arc;

use axum::extract::State;
use axum::http::{StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use clearline_api_types::ErrorCode;

use crate::error::{problem_response, status_error};
use crate::state::AppState;

/// GET /healthz: the process is up.
#[utoipa::path(get, path = "/healthz", tag = "ops", responses((status = 200, description = "alive")))]
pub async fn healthz() -> &'static str {
    "ok"
}

/// GET /readyz: the store is open and its workers run.
#[utoipa::path(get, path = "/readyz", tag = "ops", responses((status = 200, description = "ready"), (status = 503)))]
pub async fn readyz(State(s): State<AppState>) -> Response {
    if s.app.store().is_ready() {
        "ready".into_response()
    } else {
        problem_response(StatusCode::SERVICE_UNAVAILABLE, ErrorCode::Unavailable, "store is not running".to_owned())
    }
}

/// GET /metrics: Prometheus text format.
pub async fn metrics(State(s): State<AppState>) -> Response {
    (
        [(header::CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8")],
        s.metrics.render(s.app.store().write_stats(), s.admission.in_flight()),
    )
        .into_response()
}

/// GET /openapi.json: this API's OpenAPI 3.1 document, generated from the routes.
pub async fn openapi(doc: Arc<str>) -> Response {
    ([(header::CONTENT_TYPE, "application/json")], doc.to_string()).into_response()
}

/// Any unknown route.
pub async fn not_found(uri: Uri) -> Response {
    status_error(uri.path().starts_with("/oauth/"), StatusCode::NOT_FOUND)
}

/// A known route asked with a method it does not take (axum adds `Allow`).
pub async fn method_not_allowed(uri: Uri) -> Response {
    status_error(uri.path().starts_with("/oauth/"), StatusCode::METHOD_NOT_ALLOWED)
}
