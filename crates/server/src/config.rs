//! The server's configuration: one struct, every field documented, with defaults. The CLI
//! layers a TOML file, `CLEARLINE_*` environment variables and flags over these defaults.

use std::net::SocketAddr;
use std::path::PathBuf;

use clearline_store::Synchronous;
use serde::{Deserialize, Serialize};

/// Everything `clearline serve` can be told.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    /// Address to listen on; port 0 picks a free port. Env `CLEARLINE_LISTEN`.
    pub listen: SocketAddr,
    /// Address of the operations listener serving `/metrics` (Prometheus), apart from the API
    /// so the public never sees it; loopback by default, empty for none. Env
    /// `CLEARLINE_METRICS_LISTEN`.
    pub metrics_listen: String,
    /// Directory for the SQLite database and other state. Env `CLEARLINE_DATA_DIR`.
    pub data_dir: PathBuf,
    /// The URL people and apps reach this server at (e.g. `https://chat.example`): the OAuth
    /// issuer and the base of links. Empty: `http://` and the listening address. Env `CLEARLINE_PUBLIC_URL`.
    pub public_url: String,
    /// Logging.
    pub log: LogConfig,
    /// Storage.
    pub storage: StorageConfig,
    /// Sessions.
    pub sessions: SessionConfig,
    /// The partner API.
    pub partner: PartnerConfig,
    /// The transparency log of partner access.
    pub transparency: TransparencyConfig,
    /// Partner reports: due days, reconciliation tolerance, suppression, noise.
    pub reports: clearline_core::reports::ReportSettings,
    /// Password attempts: failed sign-ins per account and address, attempts per address.
    pub sign_in: clearline_core::throttle::SignInLimits,
    /// Webhooks to apps.
    pub webhooks: WebhookConfig,
    /// What one signed-in person may use of the client API: requests, WebSockets.
    pub client: clearline_core::throttle::ClientLimits,
    /// Requests served at once; the server answers any more at once with `503` and
    /// `Retry-After: 1` (health, readiness and metrics are always served).
    /// Env `CLEARLINE_MAX_REQUESTS_IN_FLIGHT`.
    pub max_requests_in_flight: usize,
    /// Threads that serve HTTP and WebSockets; 0 picks one fewer than the machine's cores (at
    /// least one), since the store's writer thread keeps a core busy under load. Env
    /// `CLEARLINE_HTTP_WORKERS`.
    pub http_workers: usize,
}

impl Config {
    /// [`Self::http_workers`], with 0 resolved for this machine. On 2 cores shared with a load
    /// generator, one HTTP worker accepted 19,000–21,000 sends/s at 32 in flight where two
    /// accepted 15,000–16,000, with up to a quarter more CPU per message (BENCHMARKS.md).
    pub fn http_worker_threads(&self) -> usize {
        match self.http_workers {
            0 => std::thread::available_parallelism().map_or(1, |n| n.get().saturating_sub(1).max(1)),
            n => n,
        }
    }
}

/// Webhook settings.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct WebhookConfig {
    /// Whether apps' webhooks may point at loopback, private or link-local addresses (one
    /// private network, development). Off: such URLs are refused at registration and never
    /// sent to, whatever a name resolves to (server-side request forgery).
    pub allow_private_targets: bool,
}

/// Transparency log settings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct TransparencyConfig {
    /// The log's origin (checkpoint first line and key name). Empty: the public URL without
    /// its scheme, plus `/log`, fixed when the log key is created on first start.
    pub origin: String,
    /// Longest time between two integrations of pending access events, in milliseconds.
    pub interval_ms: u64,
    /// Whether a partner response that reveals data waits until its access event is in a
    /// signed checkpoint (no merge delay).
    pub integrate_before_release: bool,
}

impl Default for TransparencyConfig {
    fn default() -> Self {
        Self { origin: String::new(), interval_ms: 250, integrate_before_release: true }
    }
}

/// Partner API settings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct PartnerConfig {
    /// Calls per minute allowed to each app over all its people (429 with Retry-After beyond).
    pub per_app_per_minute: u32,
    /// Calls per minute allowed to each app for one person.
    pub per_person_per_minute: u32,
}

impl Default for PartnerConfig {
    fn default() -> Self {
        let d = clearline_core::ratelimit::RateLimits::default();
        Self { per_app_per_minute: d.per_app_per_minute, per_person_per_minute: d.per_person_per_minute }
    }
}

/// Logging settings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct LogConfig {
    /// A `tracing` filter such as `info` or `clearline=debug,info`. Env `CLEARLINE_LOG__FILTER`.
    pub filter: String,
    /// `text` or `json`. Env `CLEARLINE_LOG__FORMAT`.
    pub format: LogFormat,
}

/// How log lines are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LogFormat {
    /// Human-readable lines.
    Text,
    /// One JSON object per line.
    Json,
}

/// Storage settings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct StorageConfig {
    /// `full` (fsync every commit; survives power loss) or `normal` (survives a process crash).
    pub synchronous: Synchronous,
    /// Reader threads, each with its own SQLite connection.
    pub readers: usize,
    /// Most writes committed together in one transaction.
    pub max_batch: usize,
    /// The longest, in milliseconds, a deleted message's content stays in the database's WAL
    /// (it leaves the database file itself at once): the WAL is emptied at most this often,
    /// for every deletion since, which briefly holds writes.
    pub erase_within_ms: u64,
}

/// Session settings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SessionConfig {
    /// Days a session lasts after sign-in.
    pub ttl_days: u32,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            listen: SocketAddr::from(([127, 0, 0, 1], 8080)),
            metrics_listen: "127.0.0.1:9464".to_owned(),
            data_dir: PathBuf::from("./clearline-data"),
            public_url: String::new(),
            log: LogConfig::default(),
            storage: StorageConfig::default(),
            sessions: SessionConfig::default(),
            partner: PartnerConfig::default(),
            transparency: TransparencyConfig::default(),
            reports: clearline_core::reports::ReportSettings::default(),
            sign_in: clearline_core::throttle::SignInLimits::default(),
            webhooks: WebhookConfig::default(),
            client: clearline_core::throttle::ClientLimits::default(),
            max_requests_in_flight: 1024,
            http_workers: 0,
        }
    }
}

impl Default for LogConfig {
    fn default() -> Self {
        Self { filter: "info".to_owned(), format: LogFormat::Text }
    }
}

impl Default for StorageConfig {
    fn default() -> Self {
        Self { synchronous: Synchronous::Full, readers: 4, max_batch: 512, erase_within_ms: 1000 }
    }
}

impl Default for SessionConfig {
    fn default() -> Self {
        Self { ttl_days: 30 }
    }
}
