//! `history`: fills one conversation, then reads it backwards in pages of 100 from
//! `concurrency` readers, again and again, and reports messages read per second.

use std::time::Instant;

use clearline_api_types::MessagePageQuery;
use futures_util::future::join_all;
use futures_util::stream::{self, StreamExt};

use crate::proc_stats::{Process, mib};
use crate::world::{self, print_latency};

/// Options of `history`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Messages in the conversation that is read.
    #[arg(long, default_value_t = 20_000)]
    fill: u64,
    /// Readers in flight.
    #[arg(long, default_value_t = 16)]
    concurrency: usize,
    /// Pages to read in all.
    #[arg(long, default_value_t = 20_000)]
    pages: u64,
}

pub async fn run(url: &str, server: Option<Process>, args: Args) -> anyhow::Result<()> {
    let pair = world::pairs(url, 1).await?.remove(0);
    let body = "y".repeat(100);
    stream::iter(0..args.fill)
        .map(|i| {
            let (c, conv, body) = (pair.a.clone(), pair.conversation.clone(), body.clone());
            async move { c.send_text(&conv, &body, Some(&format!("fill-{i}"))).await }
        })
        .buffer_unordered(32)
        .for_each(|r| async move {
            if let Err(e) = r {
                eprintln!("fill failed: {e}");
            }
        })
        .await;
    println!("history: {} messages, {} readers, {} pages of 100", args.fill, args.concurrency, args.pages);
    let per_reader = args.pages / args.concurrency as u64;
    let me = Process::current();
    let (cpu0, server_cpu0) = (me.cpu(), server.map(|s| s.cpu()));
    let started = Instant::now();
    let readers = (0..args.concurrency).map(|_| {
        let (c, conv) = (pair.b.clone(), pair.conversation.clone());
        async move {
            let mut hist = world::histogram()?;
            let (mut read, mut before) = (0u64, None::<String>);
            for _ in 0..per_reader {
                let t = Instant::now();
                let q = MessagePageQuery { before: before.clone(), limit: Some(100), ..Default::default() };
                let page = c.messages(&conv, &q).await?;
                hist.record(t.elapsed().as_micros() as u64)?;
                read += page.items.len() as u64;
                before = if page.has_more { page.items.last().map(|m| m.id.clone()) } else { None };
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
    println!(
        "read {read} messages in {secs:.2} s: {:.0} messages/s ({:.0} pages/s)",
        read as f64 / secs,
        hist.len() as f64 / secs
    );
    print_latency("page latency", &hist);
    let pages = hist.len() as f64;
    println!("client CPU: {:.1} µs per page", (me.cpu() - cpu0).as_secs_f64() * 1e6 / pages);
    if let (Some(s), Some(c0)) = (server, server_cpu0) {
        println!(
            "server CPU: {:.1} µs per page; server RSS {}",
            (s.cpu() - c0).as_secs_f64() * 1e6 / pages,
            mib(s.rss())
        );
    }
    Ok(())
}
