//! Prometheus metrics, served at `/metrics`, and the middleware that records every request.
//! Labels carry the matched route template, never the raw path or query (which may hold ids
//! or tokens).

use std::time::Instant;

use axum::extract::{MatchedPath, Request, State};
use axum::middleware::Next;
use axum::response::Response;
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;

use crate::state::AppState;

/// Labels of a request.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct RequestLabels {
    /// HTTP method.
    pub method: String,
    /// The route template, e.g. `/v1/conversations/{id}/messages`.
    pub route: String,
    /// The response status.
    pub status: u16,
}

/// Labels of a latency observation.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct RouteLabels {
    /// HTTP method.
    pub method: String,
    /// The route template.
    pub route: String,
}

type LatencyFamily = Family<RouteLabels, Histogram, fn() -> Histogram>;

fn latency_histogram() -> Histogram {
    Histogram::new(exponential_buckets(0.000_05, 2.0, 18))
}

/// The server's metrics.
pub struct Metrics {
    registry: Registry,
    requests: Family<RequestLabels, Counter>,
    latency: LatencyFamily,
    /// Open realtime WebSocket connections.
    pub websockets: Gauge,
    requests_in_flight: Gauge,
    store_writes: Counter,
    store_batches: Counter,
    store_commit_seconds: Counter<f64, std::sync::atomic::AtomicU64>,
    store_syncs: Counter,
    store_sync_seconds: Counter<f64, std::sync::atomic::AtomicU64>,
    store_slow_syncs: Counter,
    store_slowest_sync_seconds: Gauge<f64, std::sync::atomic::AtomicU64>,
    store_wal_restarts: Counter,
    store_wal_restart_seconds: Counter<f64, std::sync::atomic::AtomicU64>,
    store_slowest_wal_restart_seconds: Gauge<f64, std::sync::atomic::AtomicU64>,
}

impl Default for Metrics {
    fn default() -> Self {
        let mut registry = Registry::with_prefix("clearline");
        let requests = Family::<RequestLabels, Counter>::default();
        let latency: LatencyFamily = Family::new_with_constructor(latency_histogram);
        let websockets = Gauge::default();
        let requests_in_flight = Gauge::default();
        let store_writes = Counter::default();
        let store_batches = Counter::default();
        let store_commit_seconds = Counter::<f64, std::sync::atomic::AtomicU64>::default();
        registry.register("store_writes", "Writes run by the store's writer", store_writes.clone());
        registry.register(
            "store_write_batches",
            "Transactions committed by the writer (group commit)",
            store_batches.clone(),
        );
        registry.register(
            "store_commit_seconds",
            "Time spent committing (writing the WAL; its fsync is counted apart)",
            store_commit_seconds.clone(),
        );
        let store_syncs = Counter::default();
        let store_sync_seconds = Counter::<f64, std::sync::atomic::AtomicU64>::default();
        registry.register("store_syncs", "fdatasyncs of the WAL (durable mode)", store_syncs.clone());
        registry.register("store_sync_seconds", "Time spent in fdatasync of the WAL", store_sync_seconds.clone());
        let store_slow_syncs = Counter::default();
        let store_slowest_sync_seconds = Gauge::<f64, std::sync::atomic::AtomicU64>::default();
        registry.register(
            "store_slow_syncs",
            "fdatasyncs of the WAL that took over 10 ms (a stalled disk holds every durable answer)",
            store_slow_syncs.clone(),
        );
        registry.register(
            "store_slowest_sync_seconds",
            "The longest fdatasync of the WAL since the server started",
            store_slowest_sync_seconds.clone(),
        );
        let store_wal_restarts = Counter::default();
        let store_wal_restart_seconds = Counter::<f64, std::sync::atomic::AtomicU64>::default();
        let store_slowest_wal_restart_seconds = Gauge::<f64, std::sync::atomic::AtomicU64>::default();
        registry.register(
            "store_wal_restarts",
            "RESTART checkpoints, which start a WAL over; no write commits while one runs",
            store_wal_restarts.clone(),
        );
        registry.register(
            "store_wal_restart_seconds",
            "Time spent in RESTART checkpoints (copying the last frames, syncing the database file)",
            store_wal_restart_seconds.clone(),
        );
        registry.register(
            "store_slowest_wal_restart_seconds",
            "The longest RESTART checkpoint since the server started: the longest writes were held by one",
            store_slowest_wal_restart_seconds.clone(),
        );
        registry.register("http_requests", "HTTP requests by method, route and status", requests.clone());
        registry.register("http_request_duration_seconds", "HTTP request latency", latency.clone());
        registry.register("websocket_connections", "Open realtime WebSocket connections", websockets.clone());
        registry.register(
            "http_requests_in_flight",
            "Requests being served (health, readiness and metrics not counted)",
            requests_in_flight.clone(),
        );
        Self {
            registry,
            requests,
            latency,
            websockets,
            requests_in_flight,
            store_writes,
            store_batches,
            store_commit_seconds,
            store_syncs,
            store_sync_seconds,
            store_slow_syncs,
            store_slowest_sync_seconds,
            store_wal_restarts,
            store_wal_restart_seconds,
            store_slowest_wal_restart_seconds,
        }
    }
}

impl Metrics {
    /// The Prometheus text exposition of every metric, with the store's totals and the requests
    /// in flight brought up to date.
    pub fn render(&self, store: clearline_store::WriteStats, requests_in_flight: usize) -> String {
        self.requests_in_flight.set(i64::try_from(requests_in_flight).unwrap_or(i64::MAX));
        // The store keeps its own totals; catch the counters up to them.
        let catch_up = |c: &Counter, total: u64| c.inc_by(total.saturating_sub(c.get()));
        catch_up(&self.store_writes, store.writes);
        catch_up(&self.store_batches, store.batches);
        catch_up(&self.store_syncs, store.syncs);
        catch_up(&self.store_slow_syncs, store.slow_syncs);
        self.store_slowest_sync_seconds.set(store.slowest_sync_micros as f64 / 1e6);
        catch_up(&self.store_wal_restarts, store.restarts);
        self.store_slowest_wal_restart_seconds.set(store.slowest_restart_micros as f64 / 1e6);
        let catch_up_secs = |c: &Counter<f64, std::sync::atomic::AtomicU64>, micros: u64| {
            c.inc_by((micros as f64 / 1e6 - c.get()).max(0.0));
        };
        catch_up_secs(&self.store_commit_seconds, store.commit_micros);
        catch_up_secs(&self.store_sync_seconds, store.sync_micros);
        catch_up_secs(&self.store_wal_restart_seconds, store.restart_micros);
        let mut out = String::new();
        if prometheus_client::encoding::text::encode(&mut out, &self.registry).is_err() {
            out.clear();
        }
        out
    }
}

/// Middleware: counts and times each request and logs it (method, route, status, latency).
pub async fn track(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let started = Instant::now();
    let method = req.method().as_str().to_owned();
    let route = req.extensions().get::<MatchedPath>().map_or_else(|| "unmatched".to_owned(), |p| p.as_str().to_owned());
    let res = next.run(req).await;
    let elapsed = started.elapsed();
    let status = res.status().as_u16();
    tracing::debug!(%method, %route, status, micros = elapsed.as_micros() as u64, "request");
    state
        .metrics
        .latency
        .get_or_create(&RouteLabels { method: method.clone(), route: route.clone() })
        .observe(elapsed.as_secs_f64());
    state.metrics.requests.get_or_create(&RequestLabels { method, route, status }).inc();
    res
}
