//! `history`: fills one conversation, then reads it backwards in pages of 100 from
//! `concurrency` readers, again and again, and reports messages read per second.

use std::borrow::Cow;
use std::time::Instant;

use clearline_api_types::MessagePageQuery;
use clearline_client::Method;
use futures_util::future::join_all;
use reqwest::RequestBuilder;

use crate::proc_stats::{Process, mib};
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
    read_client_pages(server, &pair.b, &pair.conversation, args.concurrency, args.pages).await?;
    Ok(())
}

/// Reads `conversation` through the client API as `reader` (see [`read_pages`]).
pub async fn read_client_pages(
    server: Option<Process>,
    reader: &clearline_client::Client,
    conversation: &str,
    concurrency: usize,
    pages: u64,
) -> anyhow::Result<f64> {
    let (c, conv) = (reader.clone(), conversation.to_owned());
    read_pages(server, concurrency, pages, move |before| {
        let (c, conv) = (c.clone(), conv.clone());
        async move {
            let q = MessagePageQuery { before, limit: Some(100), ..Default::default() };
            fetch_page(c.request(Method::GET, &format!("/v1/conversations/{conv}/messages")).query(&q)).await
        }
    })
    .await
}

/// What a reader needs of a page: how many messages, and the cursor of the next page. The rest
/// of each message is skipped while parsing, never built, so the load generator stays light.
#[derive(serde::Deserialize)]
struct PageCursor<'a> {
    #[serde(borrow)]
    items: Vec<ItemId<'a>>,
    has_more: bool,
}

#[derive(serde::Deserialize)]
struct ItemId<'a> {
    #[serde(borrow)]
    id: Cow<'a, str>,
}

/// Sends a page request and returns (messages on it, the cursor of the next page).
pub async fn fetch_page(req: RequestBuilder) -> anyhow::Result<(u64, Option<String>)> {
    let body = req.send().await?.error_for_status()?.bytes().await?;
    let page: PageCursor<'_> = serde_json::from_slice(&body)?;
    let next = if page.has_more { page.items.last().map(|m| m.id.clone().into_owned()) } else { None };
    Ok((page.items.len() as u64, next))
}

/// Reads pages from `concurrency` readers, `pages` in all, each reader walking backwards with
/// `fetch(before) -> (items, next before)`; prints and returns messages read per second.
pub async fn read_pages<F, Fut>(
    server: Option<Process>,
    concurrency: usize,
    pages: u64,
    fetch: F,
) -> anyhow::Result<f64>
where
    F: Fn(Option<String>) -> Fut + Clone,
    Fut: std::future::Future<Output = anyhow::Result<(u64, Option<String>)>>,
{
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
    println!("client CPU: {:.1} µs per {request}", (me.cpu() - cpu0).as_secs_f64() * 1e6 / pages);
    if let (Some(s), Some(c0)) = (server, server_cpu0) {
        println!(
            "server CPU: {:.1} µs per {request}; server RSS {}",
            (s.cpu() - c0).as_secs_f64() * 1e6 / pages,
            mib(s.rss())
        );
    }
    Ok(rate)
}
