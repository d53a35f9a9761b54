//! The Clearline load generator. It drives a running server over HTTP/1.1 keep-alive on a
//! single-threaded runtime (so it takes at most one core from the server) and prints
//! throughput, latency percentiles, and the CPU and memory of both processes. Sends and page
//! reads go over bare hyper connections ([`wire`]); setting up the world through the client SDK.
//!
//! Modes: `send` (accepted messages/s, overall and per tenth of the run), `history` (messages
//! read per second, pages of 100 backwards), `fanout` (WebSocket delivery latency at a fixed
//! send rate), `partner-history` (the same read through the client and the partner API) and
//! `idle` (server memory per idle WebSocket connection, or per idle HTTP keep-alive connection
//! with `--http`).

mod clicks;
mod fanout;
mod history;
mod partner;
mod proc_stats;
mod send;
mod soak;
mod wire;
mod world;

use clap::{Parser, Subcommand};

/// Load generator for a running Clearline server.
#[derive(Debug, Parser)]
#[command(name = "clearline-loadgen")]
struct Cli {
    /// The server's base URL.
    #[arg(long, global = true, default_value = "http://127.0.0.1:8080")]
    url: String,
    /// The server's process id, to report its CPU time and resident memory.
    #[arg(long, global = true)]
    server_pid: Option<u32>,
    #[command(subcommand)]
    mode: Mode,
}

#[derive(Debug, Subcommand)]
enum Mode {
    /// Send messages as fast as the server accepts them.
    Send(send::Args),
    /// Read history backwards in pages of 100.
    History(history::ReadArgs),
    /// Read one thread through the client API, then through the partner API, and compare.
    PartnerHistory(partner::Args),
    /// Follow tracked links (/r/{code}) as fast as the server redirects.
    Clicks(clicks::Args),
    /// Measure realtime delivery latency at a fixed send rate.
    Fanout(fanout::Args),
    /// Hold idle WebSocket (or HTTP keep-alive) connections and report the server's memory.
    Idle(fanout::IdleArgs),
    /// Mixed traffic for a long time (sends, reads, WebSockets, partner calls, deletions,
    /// revocations), reporting each interval's latency and the server's memory.
    Soak(soak::Args),
}

/// mimalloc returns freed memory to the system far better than glibc malloc does after bursts
/// of large allocations (argon2id uses 19 MiB per hash), which keeps resident memory low.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
    let server = cli.server_pid.map(proc_stats::Process::new);
    rt.block_on(async move {
        match cli.mode {
            Mode::Send(a) => send::run(&cli.url, server, a).await,
            Mode::History(a) => history::run(&cli.url, server, a).await,
            Mode::PartnerHistory(a) => partner::run(&cli.url, server, a).await,
            Mode::Clicks(a) => clicks::run(&cli.url, server, a).await,
            Mode::Fanout(a) => fanout::run(&cli.url, server, a).await,
            Mode::Idle(a) => fanout::idle(&cli.url, server, a).await,
            Mode::Soak(a) => soak::run(&cli.url, server, a).await,
        }
    })
}
