//! `/log/`: the transparency log published as C2SP tlog-tiles — the latest signed checkpoint,
//! the verifier key, hash tiles and entry bundles — so that any tlog-tiles client can fetch and
//! check it. Full tiles never change and are cached for a long time.

use axum::extract::{Path, State};
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use clearline_tlog::tiles::{TILE_WIDTH, TileRef};

use crate::error::ApiError;
use crate::state::AppState;

fn bytes(body: Vec<u8>, content_type: &'static str, cache: &'static str) -> Response {
    let mut res = body.into_response();
    res.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    res.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
    res
}

/// GET /log/checkpoint: the latest signed checkpoint (C2SP tlog-checkpoint in a signed note).
#[utoipa::path(get, path = "/log/checkpoint", tag = "log",
    responses((status = 200, description = "signed checkpoint note (size 0 from the log's creation)", content_type = "text/plain"),
              (status = 503, body = clearline_api_types::Problem, content_type = "application/problem+json")))]
pub async fn checkpoint(State(s): State<AppState>) -> Result<Response, ApiError> {
    // The server signs the empty tree's checkpoint before it serves, so there always is one.
    let note = s.app.log_checkpoint().await?.ok_or(clearline_core::CoreError::LogUnavailable)?;
    Ok(bytes(note, "text/plain; charset=utf-8", "no-cache, max-age=1"))
}

/// GET /log/key: the log's verifier key in note `vkey` format.
#[utoipa::path(get, path = "/log/key", tag = "log",
    responses((status = 200, description = "verifier key (vkey)", content_type = "text/plain")))]
pub async fn key(State(s): State<AppState>) -> Response {
    bytes(format!("{}\n", s.log.verifier_key()).into_bytes(), "text/plain; charset=utf-8", "max-age=86400")
}

/// GET /log/tile/{path}: a hash tile or entry bundle (C2SP tlog-tiles paths).
#[utoipa::path(get, path = "/log/tile/{path}", tag = "log",
    params(("path" = String, Path, description = "<L>/<N>[.p/<W>] or entries/<N>[.p/<W>]; N in x-prefixed 3-digit groups")),
    responses((status = 200, description = "tile or entry bundle", content_type = "application/octet-stream"),
              (status = 404, description = "no such tile", body = clearline_api_types::Problem, content_type = "application/problem+json")))]
pub async fn tile(State(s): State<AppState>, Path(path): Path<String>) -> Result<Response, ApiError> {
    let Ok(t) = TileRef::parse(&format!("tile/{path}")) else { return Err(ApiError::not_found("tile")) };
    let data = match t.level {
        Some(level) => s.app.log_tile(level, t.index, t.width).await?,
        None => s.app.log_bundle(t.index, t.width).await?,
    };
    let cache = if t.width == TILE_WIDTH { "public, max-age=31536000, immutable" } else { "public, max-age=60" };
    data.map(|d| bytes(d, "application/octet-stream", cache)).ok_or(ApiError::not_found("tile"))
}
