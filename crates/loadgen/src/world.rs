//! Setting up a world to load: people signed up in parallel, paired into friends, each pair
//! with its direct conversation.

use clearline_client::Client;
use futures_util::stream::{self, StreamExt, TryStreamExt};

/// Two friends and their conversation.
#[derive(Clone)]
pub struct Pair {
    /// The first friend's client.
    pub a: Client,
    /// The first friend's handle (password `load-generator-pw`).
    pub a_handle: String,
    /// The second friend's client.
    pub b: Client,
    /// Their direct conversation.
    pub conversation: String,
}

/// Signs up `2 * pairs` people with a run-unique prefix and makes `pairs` conversations.
pub async fn pairs(url: &str, pairs: usize) -> anyhow::Result<Vec<Pair>> {
    let run = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH)?.as_millis() % 1_000_000_000;
    let base = Client::new(url);
    stream::iter(0..pairs)
        .map(|i| {
            let base = base.clone();
            async move {
                let a_handle = format!("lg{run}a{i}");
                let a = base.sign_up(&a_handle, "Load A", "load-generator-pw").await?;
                let b = base.sign_up(&format!("lg{run}b{i}"), "Load B", "load-generator-pw").await?;
                let (ca, cb) = (base.with_token(&a.token), base.with_token(&b.token));
                ca.send_friend_request(&b.user.id).await?;
                cb.accept_friend_request(&a.user.id).await?;
                let (conv, _) = ca.open_direct(&b.user.id).await?;
                anyhow::Ok(Pair { a: ca, a_handle, b: cb, conversation: conv.id })
            }
        })
        .buffer_unordered(16)
        .try_collect()
        .await
}

/// Prints a latency histogram's percentiles, in milliseconds.
pub fn print_latency(label: &str, h: &hdrhistogram::Histogram<u64>) {
    let ms = |q: f64| h.value_at_quantile(q) as f64 / 1000.0;
    println!(
        "{label}: p50 {:.2} ms, p99 {:.2} ms, p999 {:.2} ms, max {:.2} ms ({} samples)",
        ms(0.5),
        ms(0.99),
        ms(0.999),
        h.max() as f64 / 1000.0,
        h.len()
    );
}

/// A histogram of microseconds up to 60 s.
pub fn histogram() -> anyhow::Result<hdrhistogram::Histogram<u64>> {
    Ok(hdrhistogram::Histogram::new_with_bounds(1, 60_000_000, 3)?)
}

/// Sends `n` messages of 100 bytes to `conversation`, taking turns between `senders`, 32 in
/// flight, each with its own idempotency key.
pub async fn fill(senders: &[Client], conversation: &str, n: u64, key_prefix: &str) {
    let body = "y".repeat(100);
    stream::iter(0..n)
        .map(|i| {
            let c = senders[i as usize % senders.len()].clone();
            let (conv, body) = (conversation.to_owned(), body.clone());
            let key = format!("{key_prefix}-{i}");
            async move { c.send_text(&conv, &body, Some(&key)).await }
        })
        .buffer_unordered(32)
        .for_each(|r| async move {
            if let Err(e) = r {
                eprintln!("fill failed: {e}");
            }
        })
        .await;
}
