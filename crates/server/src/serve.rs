//! Starting and stopping the server: open the store (running migrations), build the services
//! and the router, bind, serve until told to stop, then drain in-flight requests.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;

use clearline_core::{App, Settings, SystemClock};
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
    /// Its shared state, for tools and tests in the same process.
    pub state: AppState,
    stop: oneshot::Sender<()>,
    task: JoinHandle<std::io::Result<()>>,
}

impl Running {
    /// Stops accepting, lets in-flight requests finish, and waits.
    pub async fn shutdown(self) -> Result<(), ServeError> {
        let _ = self.stop.send(());
        self.task.await.map_err(std::io::Error::other)??;
        Ok(())
    }
}

/// Builds the shared state from the configuration.
pub fn build_state(config: &Config) -> Result<AppState, ServeError> {
    std::fs::create_dir_all(&config.data_dir)
        .map_err(|source| ServeError::DataDir { path: config.data_dir.display().to_string(), source })?;
    let mut options = SqliteOptions::new(config.data_dir.join(DATABASE_FILE));
    options.synchronous = config.storage.synchronous;
    options.readers = config.storage.readers;
    options.max_batch = config.storage.max_batch;
    let store = SqliteStore::open(options)?;
    let settings =
        Settings { session_ttl_ms: i64::from(config.sessions.ttl_days) * 24 * 3600 * 1000, ..Settings::default() };
    let app = App::new(store, Arc::new(SystemClock), settings);
    Ok(AppState { app: Arc::new(app), metrics: Arc::new(Metrics::default()) })
}

/// Opens everything, binds and serves in the background.
pub async fn start(config: &Config) -> Result<Running, ServeError> {
    let state = build_state(config)?;
    let listener = tokio::net::TcpListener::bind(config.listen)
        .await
        .map_err(|source| ServeError::Bind { addr: config.listen, source })?;
    let addr = listener.local_addr()?;
    let router = crate::routes::router(state.clone());
    let (stop, stopped) = oneshot::channel::<()>();
    let task = tokio::spawn(async move {
        axum::serve(listener, router)
            .with_graceful_shutdown(async move {
                let _ = stopped.await;
            })
            .await
    });
    tracing::info!(%addr, "listening");
    Ok(Running { addr, state, stop, task })
}

/// Serves until `until` completes (e.g. SIGTERM), then shuts down gracefully.
pub async fn serve_until(running: Running, until: impl Future<Output = ()>) -> Result<(), ServeError> {
    until.await;
    tracing::info!("shutting down");
    running.shutdown().await
}
