//! `fanout`: every person of the pairs keeps WebSocket connections open while messages are sent
//! at a fixed rate; each connection measures the delay from just before the send to the frame's
//! arrival. `idle`: holds many idle connections and reports the server's memory per connection.

use std::cell::RefCell;
use std::rc::Rc;
use std::time::{Duration, Instant};

use clearline_api_types::EventData;
use futures_util::future::{try_join, try_join_all};
use futures_util::stream::{FuturesUnordered, StreamExt};

use crate::proc_stats::{Process, mib};
use crate::wire;
use crate::world::{self, print_latency};

/// Options of `fanout`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Conversations of two.
    #[arg(long, default_value_t = 50)]
    pairs: usize,
    /// WebSocket connections per person.
    #[arg(long, default_value_t = 1)]
    connections_per_user: usize,
    /// Messages sent per second.
    #[arg(long, default_value_t = 5000)]
    rate: u64,
    /// Seconds to send for.
    #[arg(long, default_value_t = 10)]
    seconds: u64,
}

/// Options of `idle`.
#[derive(Debug, clap::Args)]
pub struct IdleArgs {
    /// Connections to hold.
    #[arg(long, default_value_t = 10_000)]
    connections: usize,
    /// Connections per person.
    #[arg(long, default_value_t = 100)]
    per_user: usize,
    /// Hold plain HTTP/1.1 keep-alive connections instead, each idle after one `GET /healthz`
    /// (what a burst of clients leaves behind).
    #[arg(long)]
    http: bool,
}

pub async fn run(url: &str, server: Option<Process>, args: Args) -> anyhow::Result<()> {
    let pairs = world::pairs(url, args.pairs).await?;
    let total = args.rate * args.seconds;
    let base = Instant::now();
    let hist = Rc::new(RefCell::new(world::histogram()?));
    let mut receivers = Vec::new();
    for (i, pair) in pairs.iter().enumerate() {
        let expected = (0..total).filter(|n| (*n as usize) % pairs.len() == i).count();
        for client in [&pair.a, &pair.b] {
            for _ in 0..args.connections_per_user {
                let mut stream = client.events(None).await?;
                let hist = hist.clone();
                receivers.push(async move {
                    let mut got = 0;
                    while got < expected {
                        let Some(event) = stream.next().await else { anyhow::bail!("connection closed") };
                        if let EventData::MessageCreated { message } = event?.data {
                            let sent: u64 = message.body.as_deref().unwrap_or("0").parse().unwrap_or(0);
                            let now = base.elapsed().as_micros() as u64;
                            hist.borrow_mut().record(now.saturating_sub(sent).max(1))?;
                            got += 1;
                        }
                    }
                    anyhow::Ok(())
                });
            }
        }
    }
    println!(
        "fanout: {} connections, {} messages/s for {} s ({} frames)",
        receivers.len(),
        args.rate,
        args.seconds,
        total as usize * 2 * args.connections_per_user
    );
    let server_cpu0 = server.map(|s| s.cpu());
    let started = Instant::now();
    let pool = wire::Pool::new(url);
    let sender = async {
        let mut in_flight = FuturesUnordered::new();
        let mut most_in_flight = 0;
        let interval = Duration::from_secs_f64(1.0 / args.rate as f64);
        for n in 0..total {
            let due = started + interval.mul_f64(n as f64);
            loop {
                tokio::select! {
                    () = tokio::time::sleep_until(due.into()) => break,
                    Some(r) = in_flight.next(), if !in_flight.is_empty() => { r?; }
                }
            }
            let pair = &pairs[(n as usize) % pairs.len()];
            let stamp = base.elapsed().as_micros().to_string();
            let (pool, token) = (&pool, pair.a.token().unwrap_or_default());
            in_flight.push(async move {
                pool.with(async |c| c.send_text(token, &pair.conversation, &stamp, None).await).await
            });
            most_in_flight = most_in_flight.max(in_flight.len());
        }
        while let Some(r) = in_flight.next().await {
            r?;
        }
        anyhow::Ok((started.elapsed(), most_in_flight))
    };
    // A failed send ends the run at once (its receivers would otherwise wait for it forever).
    let ((sent_in, most_in_flight), _) = try_join(sender, try_join_all(receivers)).await?;
    println!(
        "sent {total} messages in {:.2} s ({:.0}/s), at most {most_in_flight} in flight",
        sent_in.as_secs_f64(),
        total as f64 / sent_in.as_secs_f64()
    );
    print_latency("delivery latency", &hist.borrow());
    if let (Some(s), Some(c0)) = (server, server_cpu0) {
        let cpu = (s.cpu() - c0).as_secs_f64() * 1e6 / total as f64;
        println!("server CPU: {cpu:.1} µs per message (incl. fan-out); server RSS {}", mib(s.rss()));
    }
    Ok(())
}

pub async fn idle(url: &str, server: Option<Process>, args: IdleArgs) -> anyhow::Result<()> {
    if args.http {
        return idle_http(url, server, args.connections).await;
    }
    let users = args.connections.div_ceil(args.per_user.max(1));
    let pairs = world::pairs(url, users.div_ceil(2)).await?;
    let clients: Vec<_> = pairs.iter().flat_map(|p| [p.a.clone(), p.b.clone()]).take(users).collect();
    let before = server.map(|s| s.rss());
    let mut open = Vec::with_capacity(args.connections);
    'outer: for client in &clients {
        for _ in 0..args.per_user {
            if open.len() == args.connections {
                break 'outer;
            }
            open.push(client.events(None).await?);
        }
    }
    // Make sure every connection is fully set up on the server: a ping round trip on each.
    for s in &mut open {
        s.ping().await?;
    }
    println!("idle: {} WebSocket connections open", open.len());
    print_rss_per_connection(server, before, open.len());
    for s in open {
        s.close().await;
    }
    Ok(())
}

/// `idle --http`: `connections` keep-alive connections, each idle after one answered request.
async fn idle_http(url: &str, server: Option<Process>, connections: usize) -> anyhow::Result<()> {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let addr = wire::host(url)?;
    let before = server.map(|s| s.rss());
    let request = format!("GET /healthz HTTP/1.1\r\nHost: {addr}\r\n\r\n");
    let mut answer = [0u8; 512];
    let mut open = Vec::with_capacity(connections);
    for _ in 0..connections {
        let mut conn = tokio::net::TcpStream::connect(&addr).await?;
        conn.write_all(request.as_bytes()).await?;
        let n = conn.read(&mut answer).await?;
        anyhow::ensure!(answer[..n].starts_with(b"HTTP/1.1 200"), "healthz did not answer 200");
        open.push(conn);
    }
    println!("idle --http: {} keep-alive connections open, each after one request", open.len());
    print_rss_per_connection(server, before, open.len());
    Ok(())
}

/// The server's memory now against `before`, per connection of `count`.
fn print_rss_per_connection(server: Option<Process>, before: Option<u64>, count: usize) {
    if let (Some(s), Some(b)) = (server, before) {
        let after = s.rss();
        println!(
            "server RSS {} before, {} with the connections: {:.1} KiB per connection",
            mib(b),
            mib(after),
            after.saturating_sub(b) as f64 / 1024.0 / count.max(1) as f64
        );
    }
}
