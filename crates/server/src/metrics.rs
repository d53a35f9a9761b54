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

type FloatCounter = Counter<f64, std::sync::atomic::AtomicU64>;
type FloatGauge = Gauge<f64, std::sync::atomic::AtomicU64>;

/// Something the store times: how often it ran (`store_<stem>s`), its total time
/// (`store_<stem>_seconds`) and its longest (`store_slowest_<stem>_seconds`).
struct Timed {
    count: Counter,
    seconds: FloatCounter,
    slowest: FloatGauge,
}

impl Timed {
    /// Registers the three under `stem`, with the help texts for count, total and longest.
    fn register(registry: &mut Registry, stem: &str, help: [&str; 3]) -> Self {
        let timed =
            Self { count: Counter::default(), seconds: FloatCounter::default(), slowest: FloatGauge::default() };
        registry.register(format!("store_{stem}s"), help[0], timed.count.clone());
        registry.register(format!("store_{stem}_seconds"), help[1], timed.seconds.clone());
        registry.register(format!("store_slowest_{stem}_seconds"), help[2], timed.slowest.clone());
        timed
    }

    /// Catches up with the store's totals (count, microseconds, longest in microseconds).
    fn catch_up(&self, (count, micros, slowest_micros): (u64, u64, u64)) {
        catch_up(&self.count, count);
        catch_up_seconds(&self.seconds, micros);
        self.slowest.set(slowest_micros as f64 / 1e6);
    }
}

/// The store keeps its own totals; these bring a counter up to one of them.
fn catch_up(counter: &Counter, total: u64) {
    counter.inc_by(total.saturating_sub(counter.get()));
}

/// [`catch_up`] for a total kept in microseconds and exposed in seconds.
fn catch_up_seconds(counter: &FloatCounter, micros: u64) {
    counter.inc_by((micros as f64 / 1e6 - counter.get()).max(0.0));
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
    store_commit_seconds: FloatCounter,
    store_syncs: Timed,
    store_slow_syncs: Counter,
    store_wal_restarts: Timed,
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
        let store_commit_seconds = FloatCounter::default();
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
        let store_syncs = Timed::register(
            &mut registry,
            "sync",
            [
                "fdatasyncs of the WAL (durable mode)",
                "Time spent in fdatasync of the WAL",
                "The longest fdatasync of the WAL since the server started",
            ],
        );
        let store_slow_syncs = Counter::default();
        registry.register(
            "store_slow_syncs",
            "fdatasyncs of the WAL that took over 10 ms (a stalled disk holds every durable answer)",
            store_slow_syncs.clone(),
        );
        let store_wal_restarts = Timed::register(
            &mut registry,
            "wal_restart",
            [
                "RESTART checkpoints, which start a WAL over; no write commits while one runs",
                "Time spent in RESTART checkpoints (copying the last frames, syncing the database file)",
                "The longest RESTART checkpoint since the server started: the longest writes were held by one",
            ],
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
            store_slow_syncs,
            store_wal_restarts,
        }
    }
}

impl Metrics {
    /// The Prometheus text exposition of every metric, with the store's totals and the requests
    /// in flight brought up to date.
    pub fn render(&self, store: clearline_store::WriteStats, requests_in_flight: usize) -> String {
        self.requests_in_flight.set(i64::try_from(requests_in_flight).unwrap_or(i64::MAX));
        catch_up(&self.store_writes, store.writes);
        catch_up(&self.store_batches, store.batches);
        catch_up(&self.store_slow_syncs, store.slow_syncs);
        catch_up_seconds(&self.store_commit_seconds, store.commit_micros);
        self.store_syncs.catch_up((store.syncs, store.sync_micros, store.slowest_sync_micros));
        self.store_wal_restarts.catch_up((store.restarts, store.restart_micros, store.slowest_restart_micros));
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

/// The span every request is handled in (tower-http's trace layer): its method and route
/// template, never its path values, query string or body, so ids and tokens stay out of logs.
/// Errors logged while handling it (a 5xx's cause) carry these fields.
pub fn request_span(req: &Request) -> tracing::Span {
    let route = req.extensions().get::<MatchedPath>().map_or("unmatched", MatchedPath::as_str);
    tracing::info_span!("request", method = %req.method(), route)
}
