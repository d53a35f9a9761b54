//! `history`: fills one conversation, then reads it backwards in pages of 100 from
//! `concurrency` readers, again and again, and reports messages read per second.

use std::rc::Rc;
use std::time::Instant;

use futures_util::future::join_all;

use crate::proc_stats::{Process, mib};
use crate::wire;
use crate::world::{self, print_latency};

/// Options of `history` (and of the reads of `partner-history`).
#[derive(Debug, clap::Args)]
pub struct ReadArgs {
    /// Messages in the conversation that is read.
    #[arg(long, default_value_t = 20_000)]
    pub fill: u64,
    /// Readers in flight.
    #[arg(long, default_value_t = 16)]
    pub concurrency: usize,
    /// Pages to read in all (through each API, for `partner-history`).
    #[arg(long, default_value_t = 20_000)]
    pub pages: u64,
}

pub async fn run(url: &str, server: Option<Process>, args: ReadArgs) -> anyhow::Result<()> {
    let pair = world::pairs(url, 1).await?.remove(0);
    world::fill(std::slice::from_ref(&pair.a), &pair.conversation, args.fill, "fill").await;
    println!("history: {} messages, {} readers, {} pages of 100", args.fill, args.concurrency, args.pages);
    read_client_pages(server, url, &pair.b, &pair.conversation, args.concurrency, args.pages).await?;
    Ok(())
}

/// Reads `conversation` through the client API as `reader` (see [`read_pages`]).
pub async fn read_client_pages(
    server: Option<Process>,
    url: &str,
    reader: &clearline_client::Client,
    conversation: &str,
    concurrency: usize,
    pages: u64,
) -> anyhow::Result<f64> {
    let token = reader.token().unwrap_or_default();
    read_pages(server, url, token, &format!("/v1/conversations/{conversation}/messages"), concurrency, pages).await
}

/// Reads the pages of 100 messages at `path` as `token` from `concurrency` readers, `pages` in
/// all, each reader walking backwards from the newest over its own keep-alive connection;
/// prints and returns messages read per second.
pub async fn read_pages(
    server: Option<Process>,
    url: &str,
    token: &str,
    path: &str,
    concurrency: usize,
    pages: u64,
) -> anyhow::Result<f64> {
    let pool = Rc::new(wire::Pool::new(url));
    let fetch = move |before: Option<String>| {
        let pool = pool.clone();
        let path = match before {
            Some(b) => format!("{path}?limit=100&before={b}"),
            None => format!("{path}?limit=100"),
        };
        async move { pool.with(async |c| c.page(token, &path).await).await }
    };
    run_requests(server, concurrency, pages, ("messages", "page"), fetch).await
}

/// Makes `requests` calls with `concurrency` in flight; each call's result counts `units`
/// (named by `names`: what is counted, and what one request is). Prints throughput, latency
/// and CPU; returns units per second.
pub async fn run_requests<F, Fut>(
    server: Option<Process>,
    concurrency: usize,
    pages: u64,
    names: (&str, &str),
    fetch: F,
) -> anyhow::Result<f64>
where
    F: Fn(Option<String>) -> Fut + Clone,
    Fut: std::future::Future<Output = anyhow::Result<(u64, Option<String>)>>,
{
    let per_reader = pages / concurrency as u64;
    let me = Process::current();
    let (cpu0, server_cpu0) = (me.cpu(), server.map(|s| s.cpu()));
    let started = Instant::now();
    let readers = (0..concurrency).map(|_| {
        let fetch = fetch.clone();
        async move {
            let mut hist = world::histogram()?;
            let (mut read, mut before) = (0u64, None::<String>);
            for _ in 0..per_reader {
                let t = Instant::now();
                let (n, next) = fetch(before.take()).await?;
                hist.record(t.elapsed().as_micros() as u64)?;
                read += n;
                before = next;
            }
            anyhow::Ok((read, hist))
        }
    });
    let (mut read, mut hist) = (0u64, world::histogram()?);
    for r in join_all(readers).await {
        let (n, h) = r?;
        read += n;
        hist.add(h)?;
    }
    let secs = started.elapsed().as_secs_f64();
    let rate = read as f64 / secs;
    let (unit, request) = names;
    println!("{read} {unit} in {secs:.2} s: {rate:.0} {unit}/s ({:.0} {request}s/s)", hist.len() as f64 / secs);
    print_latency(&format!("{request} latency"), &hist);
    let pages = hist.len() as f64;
    let client_cpu = (me.cpu() - cpu0).as_secs_f64();
    println!("client CPU: {:.1} µs per {request}", client_cpu * 1e6 / pages);
    if let (Some(s), Some(c0)) = (server, server_cpu0) {
        let server_cpu = (s.cpu() - c0).as_secs_f64();
        println!("server CPU: {:.1} µs per {request}; server RSS {}", server_cpu * 1e6 / pages, mib(s.rss()));
        // Below the machine's cores, the rate is held back by waiting rather than by work.
        println!("cores busy (server and load generator): {:.2}", (server_cpu + client_cpu) / secs);
    }
    Ok(rate)
}
