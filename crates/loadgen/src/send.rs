//! `send`: as many messages as the server accepts, from `concurrency` workers over the pairs'
//! conversations, each with an idempotency key as a real client would send. Each worker has its
//! own keep-alive connection ([`wire::Conn`]).

use std::cell::RefCell;
use std::rc::Rc;
use std::time::{Duration, Instant};

use futures_util::future::join_all;

use crate::proc_stats::{Process, mib};
use crate::wire;
use crate::world::{self, print_latency};

/// Options of `send`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// People (paired into direct conversations of two).
    #[arg(long, default_value_t = 100)]
    users: usize,
    /// Requests in flight.
    #[arg(long, default_value_t = 32)]
    concurrency: usize,
    /// Messages to send in all.
    #[arg(long, default_value_t = 200_000)]
    messages: u64,
    /// Message body size in bytes.
    #[arg(long, default_value_t = 100)]
    body_bytes: usize,
    /// Beside the senders, one more person sends a message and deletes it, again and again,
    /// as fast as the server answers (each deletion must erase the content from disk).
    #[arg(long)]
    deleter: bool,
}

pub async fn run(url: &str, server: Option<Process>, args: Args) -> anyhow::Result<()> {
    let pairs = world::pairs(url, (args.users / 2).max(1)).await?;
    println!("send: {} conversations, {} in flight, {} messages", pairs.len(), args.concurrency, args.messages);
    let body = "x".repeat(args.body_bytes);
    let total = args.messages;
    let next = Rc::new(RefCell::new(0u64));
    let tenths = Rc::new(RefCell::new(Vec::<Instant>::with_capacity(10)));
    let me = Process::current();
    let (cpu0, server_cpu0) = (me.cpu(), server.map(|s| s.cpu()));
    let started = Instant::now();
    let workers = (0..args.concurrency).map(|w| {
        let (pairs, next, tenths, body) = (pairs.clone(), next.clone(), tenths.clone(), body.clone());
        async move {
            let mut conn = wire::Conn::open(url).await?;
            let mut hist = world::histogram()?;
            loop {
                let n = {
                    let mut n = next.borrow_mut();
                    if *n >= total {
                        break;
                    }
                    *n += 1;
                    *n
                };
                let pair = &pairs[(n as usize) % pairs.len()];
                let sender = if n % 2 == 0 { &pair.a } else { &pair.b };
                let t = Instant::now();
                let token = sender.token().unwrap_or_default();
                conn.send_text(token, &pair.conversation, &body, Some(&format!("lg-{w}-{n}"))).await?;
                hist.record(t.elapsed().as_micros() as u64)?;
                if n % (total / 10).max(1) == 0 {
                    tenths.borrow_mut().push(Instant::now());
                }
            }
            anyhow::Ok(hist)
        }
    });
    let done = Rc::new(std::cell::Cell::new(false));
    let deleter = {
        let (pair, done, body) = (pairs[0].clone(), done.clone(), body.clone());
        async move {
            let mut deleted = 0u64;
            if args.deleter {
                let mut conn = wire::Conn::open(url).await?;
                let token = pair.a.token().unwrap_or_default().to_owned();
                while !done.get() {
                    conn.send_and_delete(&token, &pair.conversation, &body).await?;
                    deleted += 1;
                }
            }
            anyhow::Ok(deleted)
        }
    };
    let senders = async {
        let results = join_all(workers).await;
        done.set(true);
        results
    };
    let (results, deleted) = tokio::join!(senders, deleter);
    let mut hist = world::histogram()?;
    for h in results {
        hist.add(h?)?;
    }
    let elapsed = started.elapsed();
    if args.deleter {
        let deleted = deleted?;
        println!("deleter: {deleted} messages sent and deleted, {:.0}/s", deleted as f64 / elapsed.as_secs_f64());
    }
    let client_cpu = me.cpu() - cpu0;
    println!(
        "accepted {} messages in {:.2} s: {:.0} messages/s",
        total,
        elapsed.as_secs_f64(),
        total as f64 / elapsed.as_secs_f64()
    );
    let mut marks = tenths.borrow().clone();
    marks.sort();
    let mut prev = started;
    let per_tenth: Vec<String> = marks
        .iter()
        .map(|m| {
            let rate = (total / 10) as f64 / m.duration_since(prev).as_secs_f64().max(1e-9);
            prev = *m;
            format!("{rate:.0}")
        })
        .collect();
    println!("rate per tenth (messages/s): {}", per_tenth.join(" "));
    print_latency("latency", &hist);
    let per = |d: Duration| d.as_secs_f64() * 1e6 / total as f64;
    println!("client CPU: {:.1} µs per request", per(client_cpu));
    if let (Some(s), Some(c0)) = (server, server_cpu0) {
        println!("server CPU: {:.1} µs per message; server RSS {}", per(s.cpu() - c0), mib(s.rss()));
    }
    Ok(())
}
