//! `partner-history`: the same history read through the client API and through the partner
//! API (token check, grant check, redaction and an access event per page) on the same app
//! thread, and the ratio of the two. The two APIs take turns over several rounds, so a
//! machine that speeds up or slows down during the run affects both alike. Needs a partner
//! app (e.g. the one `clearline demo` prints) and per-person rate limits raised for the run.

use clearline_api_types::PartnerSendRequest;
use clearline_client::Client;
use clearline_client::oauth::{answer_consent, pkce, query_param};

use crate::history::{read_client_pages, read_pages};
use crate::proc_stats::Process;
use crate::world;

/// Options of `partner-history`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The partner app.
    #[command(flatten)]
    pub app: AppArgs,
    /// How much to write and read (`--pages` per API, split over the rounds).
    #[command(flatten)]
    read: crate::history::ReadArgs,
    /// Turns each API takes.
    #[arg(long, default_value_t = 4)]
    rounds: u64,
    /// Partner API readers in flight (default: `--concurrency`, as for the client API). Each
    /// partner answer waits for its access event's checkpoint to be on disk, so the partner
    /// API needs more calls in flight than the client API to keep the cores busy; its
    /// throughput is its rate once they are.
    #[arg(long)]
    partner_concurrency: Option<usize>,
}

/// The partner app a mode acts through.
#[derive(Debug, clap::Args)]
pub struct AppArgs {
    /// The app's client id.
    #[arg(long)]
    pub client_id: String,
    /// The app's client secret.
    #[arg(long)]
    pub client_secret: String,
    /// A redirect URI registered for the app.
    #[arg(long, default_value = "http://127.0.0.1:8765/callback")]
    pub redirect_uri: String,
}

/// Connects the person holding `session` to the app; returns an access token.
pub async fn connect(url: &str, session: &Client, a: &AppArgs) -> anyhow::Result<String> {
    let (verifier, challenge) = pkce();
    let scope = "inbox:send inbox:read friends:read";
    let authorize = authorize_url(url, a, scope, &challenge)?;
    let token = session.token().ok_or_else(|| anyhow::anyhow!("signed in"))?;
    let location = answer_consent(url, token, &authorize, &scope.split(' ').collect::<Vec<_>>(), true).await?;
    let code = query_param(&location, "code").ok_or_else(|| anyhow::anyhow!("no code in {location}"))?;
    let form = [
        ("grant_type", "authorization_code"),
        ("code", code.as_str()),
        ("redirect_uri", a.redirect_uri.as_str()),
        ("code_verifier", verifier.as_str()),
    ];
    // The app, not the person, calls the token endpoint: no session token on this request.
    let res = Client::new(url)
        .request(clearline_client::Method::POST, "/oauth/token")
        .basic_auth(&a.client_id, Some(&a.client_secret))
        .form(&form)
        .send()
        .await?;
    let body: serde_json::Value = res.json().await?;
    body["access_token"].as_str().map(str::to_owned).ok_or_else(|| anyhow::anyhow!("token exchange failed: {body}"))
}

fn authorize_url(url: &str, a: &AppArgs, scope: &str, challenge: &str) -> anyhow::Result<String> {
    let query = [
        ("response_type", "code"),
        ("client_id", a.client_id.as_str()),
        ("redirect_uri", a.redirect_uri.as_str()),
        ("scope", scope),
        ("code_challenge", challenge),
        ("code_challenge_method", "S256"),
    ];
    Ok(reqwest::Url::parse_with_params(&format!("{url}/oauth/authorize"), &query)?.to_string())
}

pub async fn run(url: &str, server: Option<Process>, args: Args) -> anyhow::Result<()> {
    let pair = world::pairs(url, 1).await?.remove(0);
    let app_a = Client::new(url).with_token(&connect(url, &pair.a, &args.app).await?);
    connect(url, &pair.b, &args.app).await?;
    let b_id = app_a.partner_friends().await?.items.pop().map(|f| f.id).ok_or_else(|| anyhow::anyhow!("no friend"))?;
    let sent = app_a.partner_send(&PartnerSendRequest { to: vec![b_id], text: "start".into(), card: None }).await?;
    let thread = sent.items[0].thread_id.clone();
    world::fill(&[pair.a.clone(), pair.b.clone()], &thread, args.read.fill, "pfill").await;
    let partner_readers = args.partner_concurrency.unwrap_or(args.read.concurrency);
    println!(
        "partner-history: {} messages, {} client API readers, {} partner API readers, {} pages of 100 per API",
        args.read.fill, args.read.concurrency, partner_readers, args.read.pages
    );
    let rounds = args.rounds.max(1);
    let pages = args.read.pages / rounds;
    let (mut client_total, mut partner_total) = (0.0, 0.0);
    for round in 1..=rounds {
        println!("-- round {round}/{rounds}: client API (session token, membership check)");
        let client_rate = read_client_pages(server, url, &pair.a, &thread, args.read.concurrency, pages).await?;
        println!("-- round {round}/{rounds}: partner API (access token, grant, scope, redaction, access event)");
        let (token, path) = (app_a.token().unwrap_or_default(), format!("/partner/v1/threads/{thread}/messages"));
        let partner_rate = read_pages(server, url, token, &path, partner_readers, pages).await?;
        println!("round {round}: partner API at {:.0}% of the client API", 100.0 * partner_rate / client_rate);
        client_total += client_rate;
        partner_total += partner_rate;
    }
    // Rounds are the same size, so the mean rates weigh them alike.
    let (client_rate, partner_rate) = (client_total / rounds as f64, partner_total / rounds as f64);
    println!(
        "client API: {client_rate:.0} messages/s, partner API: {partner_rate:.0} messages/s (means of {rounds} rounds)"
    );
    println!("partner API reads at {:.0}% of the client API's throughput", 100.0 * partner_rate / client_rate);
    Ok(())
}
