//! Test harness: a real server on `127.0.0.1:0` with a temporary data directory, and builders
//! for the people, friendships and conversations tests need, all made through the client SDK.
//!
//! # Layout
//! - [`TestServer`]: spawn, stop, restart on the same data.
//! - [`Person`]: a signed-up person with their own client.
//! - [`partner`]: operators, partners, apps and the OAuth consent flow driven by hand.

#![allow(clippy::expect_used)] // A harness that cannot set up its world should stop the test loudly.

pub mod partner;

use clearline_client::Client;
use clearline_server::{Config, Running};
use clearline_store::Synchronous;

/// The password of every test person.
pub const PASSWORD: &str = "correct horse battery";

/// A server running in this process on an ephemeral port with its own data directory.
pub struct TestServer {
    /// `http://127.0.0.1:PORT`.
    pub url: String,
    running: Option<Running>,
    dir: tempfile::TempDir,
    /// The data directory owner's operator proof (the harness is the composition root).
    operator: clearline_core::partners::Operator,
}

/// A signed-up person.
#[derive(Clone)]
pub struct Person {
    /// A client carrying their session token.
    pub client: Client,
    /// `usr_…`.
    pub id: String,
    /// Their handle.
    pub handle: String,
}

fn config(dir: &std::path::Path) -> Config {
    let mut config = Config {
        listen: std::net::SocketAddr::from(([127, 0, 0, 1], 0)),
        data_dir: dir.to_path_buf(),
        ..Config::default()
    };
    // Test webhooks listen on loopback.
    config.webhooks.allow_private_targets = true;
    // Many servers at once: each its own operations port.
    config.metrics_listen = "127.0.0.1:0".to_owned();
    // Tests stop the process, never the machine: skip the per-commit fsync.
    config.storage.synchronous = Synchronous::Normal;
    config
}

impl TestServer {
    /// Starts a server on a fresh temporary data directory.
    pub async fn spawn() -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        let clock = std::sync::Arc::new(clearline_core::SystemClock);
        let (running, operator) =
            clearline_server::start_local(&config(dir.path()), clock).await.expect("server starts");
        Self { url: format!("http://{}", running.addr), running: Some(running), dir, operator }
    }

    /// Starts a server whose time is `clock` (advance it to expire tokens and grants).
    pub async fn spawn_with_clock(clock: std::sync::Arc<clearline_core::ManualClock>) -> Self {
        Self::spawn_configured(clock, |_| {}).await
    }

    /// Starts a server whose time is `clock`, with the test configuration changed by `change`.
    pub async fn spawn_configured(
        clock: std::sync::Arc<clearline_core::ManualClock>,
        change: impl FnOnce(&mut Config),
    ) -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        let mut config = config(dir.path());
        change(&mut config);
        let (running, operator) = clearline_server::start_local(&config, clock).await.expect("server starts");
        Self { url: format!("http://{}", running.addr), running: Some(running), dir, operator }
    }

    /// The running server's services, for setting up what has no API (operators).
    pub fn state(&self) -> &clearline_server::AppState {
        &self.running.as_ref().expect("server is running").state
    }

    /// The operator proof of the data directory's owner, for setting up what has no API.
    pub fn local_operator(&self) -> clearline_core::partners::Operator {
        self.operator
    }

    /// The data directory.
    pub fn data_dir(&self) -> &std::path::Path {
        self.dir.path()
    }

    /// `http://127.0.0.1:PORT/metrics` on the operations listener.
    pub fn metrics_url(&self) -> String {
        let running = self.running.as_ref().expect("server is running");
        format!("http://{}/metrics", running.metrics_addr.expect("metrics listener"))
    }

    /// An anonymous client.
    pub fn client(&self) -> Client {
        Client::new(&self.url)
    }

    /// Stops the server gracefully and starts a new one on the same data (new port).
    pub async fn restart(&mut self) {
        if let Some(r) = self.running.take() {
            r.shutdown().await.expect("clean shutdown");
        }
        let running = clearline_server::start(&config(self.dir.path())).await.expect("server restarts");
        self.url = format!("http://{}", running.addr);
        self.running = Some(running);
    }

    /// Signs up `handle` and returns them signed in.
    pub async fn person(&self, handle: &str) -> Person {
        let created = self.client().sign_up(handle, &format!("{handle} tester"), PASSWORD).await.expect("sign up");
        Person { client: self.client().with_token(&created.token), id: created.user.id, handle: handle.to_owned() }
    }

    /// Makes `a` and `b` friends.
    pub async fn befriend(&self, a: &Person, b: &Person) {
        a.client.send_friend_request(&b.id).await.expect("request");
        b.client.accept_friend_request(&a.id).await.expect("accept");
    }

    /// Two friends and their direct conversation id.
    pub async fn pair(&self, a: &str, b: &str) -> (Person, Person, String) {
        let (a, b) = (self.person(a).await, self.person(b).await);
        self.befriend(&a, &b).await;
        let (conv, _) = a.client.open_direct(&b.id).await.expect("direct conversation");
        (a, b, conv.id)
    }
}
