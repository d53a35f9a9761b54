//! Starting and stopping the server: open the store (running migrations), build the services
//! and the router, bind, serve until told to stop, then drain in-flight requests.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;

use clearline_core::partners::Operator;
use clearline_core::ratelimit::RateLimits;
use clearline_core::{App, Clock, Settings, SystemClock};
use clearline_store::{SqliteOptions, SqliteStore, StoreError};
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use crate::Config;
use crate::metrics::Metrics;
use crate::state::AppState;

/// Why the server could not start or stopped with an error.
#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    /// The data directory could not be created.
    #[error("cannot create data dir {path}: {source}")]
    DataDir {
        /// The directory.
        path: String,
        /// Why.
        source: std::io::Error,
    },
    /// The store could not be opened or migrated.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The listen address could not be bound.
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        /// The address.
        addr: SocketAddr,
        /// Why.
        source: std::io::Error,
    },
    /// An address in the configuration is not `IP:PORT`.
    #[error("bad listen address {text:?}: expected IP:PORT")]
    BadAddress {
        /// What was given.
        text: String,
    },
    /// The server key could not be read or created.
    #[error("server key {path}: {reason}")]
    Key {
        /// The key file.
        path: String,
        /// Why.
        reason: String,
    },
    /// Serving failed.
    #[error("server failed: {0}")]
    Io(#[from] std::io::Error),
}

/// The name of the SQLite file inside the data directory.
pub const DATABASE_FILE: &str = "clearline.sqlite3";

/// A server running in the background of this process.
pub struct Running {
    /// The address it listens on (the real port when 0 was asked for).
    pub addr: SocketAddr,
    /// The address `/metrics` is served on, if the operations listener is on.
    pub metrics_addr: Option<SocketAddr>,
    /// Its shared state, for tools and tests in the same process.
    pub state: AppState,
    stop: oneshot::Sender<()>,
    metrics: Option<JoinHandle<std::io::Result<()>>>,
    task: JoinHandle<std::io::Result<()>>,
    sequencer: JoinHandle<()>,
}

impl Running {
    /// Stops accepting, lets in-flight requests finish, and waits.
    pub async fn shutdown(self) -> Result<(), ServeError> {
        let _ = self.stop.send(());
        self.task.await.map_err(std::io::Error::other)??;
        if let Some(metrics) = self.metrics {
            metrics.abort();
        }
        // A last integration so events of the final requests are in a checkpoint.
        self.sequencer.abort();
        if let Err(e) = self.state.app.integrate_log(&self.state.log).await {
            tracing::error!(error = %e, "final log integration failed");
        }
        Ok(())
    }
}

/// Builds the shared state from the configuration; `issuer` is the server's public URL.
pub fn build_state(config: &Config, issuer: String, clock: Arc<dyn Clock>) -> Result<(AppState, Operator), ServeError> {
    std::fs::create_dir_all(&config.data_dir)
        .map_err(|source| ServeError::DataDir { path: config.data_dir.display().to_string(), source })?;
    let mut options = SqliteOptions::new(config.data_dir.join(DATABASE_FILE));
    options.synchronous = config.storage.synchronous;
    options.readers = config.storage.readers;
    options.max_batch = config.storage.max_batch;
    options.erase_within = std::time::Duration::from_millis(config.storage.erase_within_ms.max(1));
    let store = SqliteStore::open(options)?;
    let settings = Settings {
        session_ttl_ms: i64::from(config.sessions.ttl_days) * 24 * 3600 * 1000,
        rate_limits: RateLimits {
            per_app_per_minute: config.partner.per_app_per_minute,
            per_person_per_minute: config.partner.per_person_per_minute,
        },
        integrate_before_release: config.transparency.integrate_before_release,
        reports: config.reports.clone(),
        sign_in: config.sign_in,
        allow_private_webhooks: config.webhooks.allow_private_targets,
        client: config.client,
        ..Settings::default()
    };
    let key = crate::keys::load_or_create(&config.data_dir.join(crate::keys::SERVER_KEY_FILE))?;
    let configured = !config.transparency.origin.is_empty();
    let origin = if configured {
        config.transparency.origin.clone()
    } else {
        format!("{}/log", issuer.split_once("://").map_or(issuer.as_str(), |(_, rest)| rest))
    };
    let log =
        crate::keys::load_or_create_log_key(&config.data_dir.join(crate::keys::LOG_KEY_FILE), &origin, configured)?;
    let (app, operator) = App::new(store, clock, settings).with_server_key(key).with_local_operator();
    let state = AppState {
        app: Arc::new(app),
        metrics: Arc::new(Metrics::default()),
        issuer: issuer.into(),
        log: Arc::new(log),
        admission: Arc::new(crate::admission::Admission::new(config.max_requests_in_flight)),
    };
    Ok((state, operator))
}

/// Opens everything, binds and serves in the background.
pub async fn start(config: &Config) -> Result<Running, ServeError> {
    start_with_clock(config, Arc::new(SystemClock)).await
}

/// [`start`] with an injected clock (tests move time with a `ManualClock`).
pub async fn start_with_clock(config: &Config, clock: Arc<dyn Clock>) -> Result<Running, ServeError> {
    Ok(start_local(config, clock).await?.0)
}

/// [`start_with_clock`] for the composition root that also acts as the local administrator
/// (the demo's seeding, the test harness): the operator proof of the data directory's owner.
pub async fn start_local(config: &Config, clock: Arc<dyn Clock>) -> Result<(Running, Operator), ServeError> {
    let listener = listen(config.listen).map_err(|source| ServeError::Bind { addr: config.listen, source })?;
    let addr = listener.local_addr()?;
    let metrics_listener = match config.metrics_listen.trim() {
        "" => None,
        text => {
            let at: SocketAddr = text.parse().map_err(|_| ServeError::BadAddress { text: text.to_owned() })?;
            Some(listen(at).map_err(|source| ServeError::Bind { addr: at, source })?)
        }
    };
    let issuer = match config.public_url.trim_end_matches('/') {
        "" => format!("http://{addr}"),
        url => url.to_owned(),
    };
    let (state, operator) = build_state(config, issuer, clock)?;
    state.app.start_log(&state.log).await.map_err(|e| match e {
        clearline_core::CoreError::Store(e) => ServeError::Store(e),
        other => ServeError::Store(StoreError::Open(format!("cannot start the log: {other}"))),
    })?;
    let interval = std::time::Duration::from_millis(config.transparency.interval_ms.max(1));
    let sequencer = tokio::spawn(sequence(state.clone(), interval));
    if let Some(feed) = state.app.take_revocation_feed() {
        let allow_private = config.webhooks.allow_private_targets;
        tokio::spawn(crate::webhooks::deliver(feed, state.app.server_key().cloned(), allow_private));
    }
    let router = crate::routes::router(state.clone());
    let (stop, stopped) = oneshot::channel::<()>();
    // Small writes (a WebSocket event, a short answer) go out at once: without TCP_NODELAY,
    // Nagle's algorithm holds one back until the peer's delayed ACK, tens of milliseconds.
    let listener = axum::serve::ListenerExt::tap_io(listener, |tcp: &mut tokio::net::TcpStream| {
        if let Err(e) = tcp.set_nodelay(true) {
            tracing::debug!("cannot set TCP_NODELAY: {e}");
        }
    });
    // Every connection shares the one router. (Serving a `Router` itself rebuilds all of its
    // routes for each new connection: about 60 KiB per connection, idle ones included.)
    let task = tokio::spawn(async move {
        axum::serve(listener, router.into_make_service_with_connect_info::<SocketAddr>())
            .with_graceful_shutdown(async move {
                let _ = stopped.await;
            })
            .await
    });
    let (metrics_addr, metrics) = match metrics_listener {
        Some(l) => {
            let at = l.local_addr()?;
            let ops = crate::routes::operations_router(state.clone());
            tracing::info!(addr = %at, "serving metrics");
            (Some(at), Some(tokio::spawn(async move { axum::serve(l, ops.into_make_service()).await })))
        }
        None => (None, None),
    };
    tracing::info!(%addr, "listening");
    Ok((Running { addr, metrics_addr, state, stop, metrics, task, sequencer }, operator))
}

/// How many connections the kernel may hold for the server before it accepts them (it caps
/// this at `net.core.somaxconn`, 4,096 on current Linux). A connection that finds the queue
/// full has its SYN dropped, and the client sends it again only after a second: with tokio's
/// default of 1,024, a burst of new connections after a stall waited that second.
const LISTEN_BACKLOG: u32 = 4096;

/// Binds `addr` (reusing a port in TIME_WAIT, like `TcpListener::bind`) with [`LISTEN_BACKLOG`].
fn listen(addr: SocketAddr) -> std::io::Result<tokio::net::TcpListener> {
    let socket = if addr.is_ipv4() { tokio::net::TcpSocket::new_v4()? } else { tokio::net::TcpSocket::new_v6()? };
    socket.set_reuseaddr(true)?;
    socket.bind(addr)?;
    socket.listen(LISTEN_BACKLOG)
}

/// The log sequencer: integrates pending access events at least every `interval`, and at once
/// when a response waits for its event (those arriving meanwhile share the next checkpoint).
/// A failed integration writes nothing (it is one transaction) and is retried.
async fn sequence(state: AppState, interval: std::time::Duration) {
    let mut tick = tokio::time::interval(interval);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = tick.tick() => {}
            () = state.app.log_wanted() => {}
        }
        if let Err(e) = state.app.integrate_log(&state.log).await {
            tracing::error!(error = %e, "log integration failed");
        }
    }
}

/// Serves until `until` completes (e.g. SIGTERM), then shuts down gracefully.
pub async fn serve_until(running: Running, until: impl Future<Output = ()>) -> Result<(), ServeError> {
    until.await;
    tracing::info!("shutting down");
    running.shutdown().await
}
