//! `soak`: mixed traffic for a long time at a steady rate, to show the server stays flat:
//! sends, history reads, live WebSockets, partner calls (me, friends, send, thread reads),
//! people deleting what they sent, and every few seconds a revocation (a connected app
//! revoked and connected again, a session signed in and revoked). Every `--report-secs` it
//! prints that interval's requests, errors, latency percentiles and the server's resident
//! memory; any error fails the run.

use std::cell::RefCell;
use std::rc::Rc;
use std::time::{Duration, Instant};

use clearline_api_types::{MessagePageQuery, PartnerSendRequest};
use clearline_client::Client;

use crate::partner::{AppArgs, connect};
use crate::proc_stats::{Process, mib};
use crate::world::{self, Pair};

/// Options of `soak`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The partner app the people connect.
    #[command(flatten)]
    app: AppArgs,
    /// How long to run, in minutes.
    #[arg(long, default_value_t = 30)]
    minutes: u64,
    /// Pairs of friends (each with a direct conversation, an app thread and a live WebSocket).
    #[arg(long, default_value_t = 20)]
    pairs: usize,
    /// Messages sent per second through the client API.
    #[arg(long, default_value_t = 400)]
    sends_per_sec: u64,
    /// Seconds per printed interval.
    #[arg(long, default_value_t = 60)]
    report_secs: u64,
}

/// One interval's counts and latencies.
struct Interval {
    requests: u64,
    errors: Vec<String>,
    events: u64,
    latency: hdrhistogram::Histogram<u64>,
}

impl Interval {
    fn new() -> anyhow::Result<Self> {
        Ok(Self { requests: 0, errors: Vec::new(), events: 0, latency: world::histogram()? })
    }
}

type Shared = Rc<RefCell<Interval>>;

/// Runs `call`, recording its latency, or its error.
async fn timed<T>(stats: &Shared, what: &str, call: impl Future<Output = clearline_client::Result<T>>) -> Option<T> {
    let t = Instant::now();
    let result = call.await;
    let mut s = stats.borrow_mut();
    s.requests += 1;
    match result {
        Ok(v) => {
            let _ = s.latency.record(t.elapsed().as_micros() as u64);
            Some(v)
        }
        Err(e) => {
            s.errors.push(format!("{what}: {e}"));
            None
        }
    }
}

/// Calls `step(n)` `per_sec` times a second until `end`.
async fn paced<F, Fut>(per_sec: u64, end: Instant, mut step: F)
where
    F: FnMut(u64) -> Fut,
    Fut: Future<Output = ()>,
{
    let mut tick = tokio::time::interval(Duration::from_micros(1_000_000 / per_sec.max(1)));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut n = 0;
    while Instant::now() < end {
        tick.tick().await;
        step(n).await;
        n += 1;
    }
}

pub async fn run(url: &str, server: Option<Process>, args: Args) -> anyhow::Result<()> {
    let pairs = world::pairs(url, args.pairs.max(2)).await?;
    let mut apps = Vec::new();
    for p in &pairs {
        apps.push(Client::new(url).with_token(&connect(url, &p.a, &args.app).await?));
        connect(url, &p.b, &args.app).await?;
    }
    let friend_ids = {
        let mut ids = Vec::new();
        for app in &apps {
            let friends = app.partner_friends().await?;
            ids.push(friends.items.first().map(|f| f.id.clone()).ok_or_else(|| anyhow::anyhow!("no app friend"))?);
        }
        ids
    };
    println!(
        "soak: {} pairs, {} sends/s, {} min, reports every {} s",
        pairs.len(),
        args.sends_per_sec,
        args.minutes,
        args.report_secs
    );
    let stats: Shared = Rc::new(RefCell::new(Interval::new()?));
    let end = Instant::now() + Duration::from_secs(args.minutes * 60);
    let pair = |n: u64| -> &Pair { &pairs[(n as usize) % pairs.len()] };

    let senders = paced(args.sends_per_sec, end, |n| {
        let (p, stats) = (pair(n).clone(), stats.clone());
        async move {
            let from = if n % 2 == 0 { &p.a } else { &p.b };
            timed(&stats, "send", from.send_text(&p.conversation, "soak message", None)).await;
        }
    });
    let readers = paced(50, end, |n| {
        let (p, stats) = (pair(n).clone(), stats.clone());
        async move {
            let q = MessagePageQuery { limit: Some(50), ..Default::default() };
            timed(&stats, "history", p.b.messages(&p.conversation, &q)).await;
        }
    });
    // The first pair's grant is the one revoked and connected again; the others' apps call on.
    let partner = paced(20, end, |n| {
        let i = 1 + (n as usize) % (apps.len() - 1);
        let (app, friend, stats) = (apps[i].clone(), friend_ids[i].clone(), stats.clone());
        async move {
            match n % 4 {
                0 => drop(timed(&stats, "partner me", app.partner_me()).await),
                1 => drop(timed(&stats, "partner friends", app.partner_friends()).await),
                _ => {
                    let req = PartnerSendRequest { to: vec![friend], text: "soak via app".into(), card: None };
                    if let Some(sent) = timed(&stats, "partner send", app.partner_send(&req)).await
                        && let Some(m) = sent.items.first()
                    {
                        timed(&stats, "partner thread", app.partner_messages(&m.thread_id)).await;
                    }
                }
            }
        }
    });
    let deleters = paced(5, end, |n| {
        let (p, stats) = (pair(n).clone(), stats.clone());
        async move {
            if let Some(m) = timed(&stats, "send to delete", p.a.send_text(&p.conversation, "soon gone", None)).await {
                timed(&stats, "delete", p.a.delete_message(&p.conversation, &m.id)).await;
            }
        }
    });
    let revokers = paced(1, end, |n| {
        let (p, first, stats, app_args) = (pair(n).clone(), pairs[0].clone(), stats.clone(), &args.app);
        async move {
            if n % 2 == 0 {
                // The first pair's app is revoked, then connected again.
                if let Some(grants) = timed(&stats, "connected apps", first.a.connected_apps()).await
                    && let Some(g) = grants.items.first()
                {
                    timed(&stats, "revoke app", first.a.revoke_connected_app(&g.grant_id)).await;
                    if let Err(e) = connect(url, &first.a, app_args).await {
                        stats.borrow_mut().errors.push(format!("reconnect app: {e}"));
                    }
                }
            } else if let Some(phone) =
                timed(&stats, "sign in", Client::new(url).sign_in(&p.a_handle, "load-generator-pw")).await
            {
                // A second device signs in, listens, and is revoked: its feed must close at once.
                let device = Client::new(url).with_token(&phone.token);
                if let Some(mut feed) = timed(&stats, "device websocket", device.events(None)).await {
                    timed(&stats, "revoke session", p.a.revoke_session(&phone.session_id)).await;
                    let closed = tokio::time::timeout(Duration::from_secs(5), async {
                        while let Some(Ok(_)) = feed.next().await {}
                        feed.close_code()
                    });
                    match closed.await {
                        Ok(Some(clearline_api_types::CLOSE_SESSION_ENDED)) => {}
                        other => stats.borrow_mut().errors.push(format!("revoked device's feed: {other:?}")),
                    }
                }
            }
        }
    });
    let sockets = async {
        let mut streams = Vec::new();
        for p in &pairs {
            streams.push(p.b.events(None).await?);
        }
        let consume = streams.into_iter().map(|mut s| {
            let stats = stats.clone();
            async move {
                while Instant::now() < end {
                    match tokio::time::timeout(Duration::from_secs(1), s.next()).await {
                        Ok(Some(Ok(_))) => stats.borrow_mut().events += 1,
                        Ok(Some(Err(e))) => stats.borrow_mut().errors.push(format!("websocket: {e}")),
                        Ok(None) => {
                            stats.borrow_mut().errors.push(format!("websocket closed ({:?})", s.close_code()));
                            return;
                        }
                        Err(_) => {}
                    }
                }
            }
        });
        futures_util::future::join_all(consume).await;
        anyhow::Ok(())
    };
    let reporter = async {
        let started = Instant::now();
        let mut errors = 0;
        let every = Duration::from_secs(args.report_secs.max(1));
        let mut next = started + every;
        loop {
            // The last interval ends with the run, a moment after the traffic stops.
            let last = next >= end;
            tokio::time::sleep_until(tokio::time::Instant::from_std(
                next.min(end) + Duration::from_millis(200 * u64::from(last)),
            ))
            .await;
            next += every;
            let s = std::mem::replace(&mut *stats.borrow_mut(), Interval::new()?);
            let ms = |q: f64| s.latency.value_at_quantile(q) as f64 / 1000.0;
            let rss = server.map(|p| mib(p.rss())).unwrap_or_default();
            println!(
                "{:>5} s: {} requests, {} errors, {} events, p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms, server RSS {rss}",
                started.elapsed().as_secs(),
                s.requests,
                s.errors.len(),
                s.events,
                ms(0.5),
                ms(0.99),
                s.latency.max() as f64 / 1000.0
            );
            for e in s.errors.iter().take(5) {
                println!("  error: {e}");
            }
            errors += s.errors.len();
            if last {
                break;
            }
        }
        anyhow::Ok(errors)
    };
    let (errors, sockets, ..) = tokio::join!(reporter, sockets, senders, readers, partner, deleters, revokers);
    sockets?;
    let errors = errors?;
    anyhow::ensure!(errors == 0, "{errors} errors during the soak");
    println!("soak: no error");
    Ok(())
}
