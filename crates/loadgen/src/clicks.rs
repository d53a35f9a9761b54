//! `clicks`: tracked-link redirects. A person recommends a title to external recipients
//! through the app until there are `--links` links, then GET /r/{code} is hit round-robin over
//! them (each link counts once a day; every request is looked up and redirected).

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use clearline_api_types::{RecommendationRequest, TitleBody};
use clearline_client::Client;

use crate::history::run_requests;
use crate::partner::{AppArgs, connect};
use crate::proc_stats::Process;
use crate::world;

/// Options of `clicks`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The partner app.
    #[command(flatten)]
    app: AppArgs,
    /// Distinct tracked links to spread the requests over.
    #[arg(long, default_value_t = 2_000)]
    links: usize,
    /// Redirect requests in all.
    #[arg(long, default_value_t = 200_000)]
    requests: u64,
    /// Requests in flight.
    #[arg(long, default_value_t = 32)]
    concurrency: usize,
}

pub async fn run(url: &str, server: Option<Process>, args: Args) -> anyhow::Result<()> {
    let pair = world::pairs(url, 1).await?.remove(0);
    let app = Client::new(url).with_token(&connect(url, &pair.a, &args.app).await?);
    let mut links = Vec::with_capacity(args.links);
    while links.len() < args.links {
        let req = RecommendationRequest {
            title: TitleBody {
                id: "bench".into(),
                name: "Benchmark Title".into(),
                url: "https://partner.example/title/bench".into(),
                image_url: None,
            },
            interface: "tv".into(),
            initiation_surface: "post_play".into(),
            variant: "bench".into(),
            to: vec![],
            external: 100.min(u32::try_from(args.links - links.len())?),
            text: None,
        };
        links.extend(app.partner_recommend(&req).await?.external_links);
    }
    println!("clicks: {} links, {} requests, {} in flight", links.len(), args.requests, args.concurrency);
    let http = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build()?;
    let (links, next) = (Arc::new(links), Arc::new(AtomicUsize::new(0)));
    run_requests(server, args.concurrency, args.requests, ("redirects", "request"), move |_| {
        let (http, links, next) = (http.clone(), links.clone(), next.clone());
        async move {
            let link = &links[next.fetch_add(1, Ordering::Relaxed) % links.len()];
            let res = http.get(link).send().await?;
            anyhow::ensure!(res.status() == reqwest::StatusCode::FOUND, "{link}: {}", res.status());
            Ok((1, None))
        }
    })
    .await?;
    Ok(())
}
