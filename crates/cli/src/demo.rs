//! The demo world of `clearline demo`: a handful of people, friendships, a pending request,
//! direct conversations and a group with history, all created through the services so every
//! rule applies, and the Streamflix partner (extended agreement) with its app, connected by Alice and Bob.

use secrecy::ExposeSecret;
use std::path::Path;

use clearline_core::oauth::{AuthorizeParams, ClientAuth};
use clearline_core::partners::{AppRegistration, Operator};
use clearline_core::{App, Principal};
use clearline_domain::{
    Agreement, Card, ClientKind, ContentType, ConversationId, DisplayName, GroupTitle, Handle, MessageContent, OrgName,
    PartnerSlug, Password, RedirectUri, ReportZone, Scopes, Tier, UserId,
};
use clearline_store::Store;

/// The address the demo's own sign-ups and sign-ins come from.
const LOCAL: std::net::IpAddr = std::net::IpAddr::V4(std::net::Ipv4Addr::LOCALHOST);
/// The password of every demo account.
pub const DEMO_PASSWORD: &str = "demo-password";

/// Handle and display name of each demo person.
pub const PEOPLE: &[(&str, &str)] = &[
    ("alice", "Alice Martin"),
    ("bob", "Bob Chen"),
    ("carol", "Carol Diaz"),
    ("dave", "Dave Okafor"),
    ("erin", "Erin Walsh"),
    ("operator", "Clearline Operator"),
];

/// Empties (or creates) the demo data directory so every demo starts fresh.
pub fn prepare_dir(dir: &Path) -> anyhow::Result<()> {
    if dir.exists() {
        let db = dir.join(clearline_server::DATABASE_FILE);
        let is_demo = db.exists() || dir.read_dir()?.next().is_none();
        anyhow::ensure!(is_demo, "{} is not empty and holds no Clearline data; pick another --data-dir", dir.display());
        std::fs::remove_dir_all(dir)?;
    }
    std::fs::create_dir_all(dir)?;
    Ok(())
}

fn text(s: &str) -> anyhow::Result<MessageContent> {
    Ok(MessageContent::new(ContentType::text_plain(), s.as_bytes().to_vec())?)
}

async fn befriend<S: Store>(app: &App<S>, a: Principal, b: Principal) -> anyhow::Result<()> {
    app.send_friend_request(a, b.user_id).await?;
    app.accept_friend_request(b, a.user_id).await?;
    Ok(())
}

async fn chat<S: Store>(app: &App<S>, conv: ConversationId, lines: &[(Principal, &str)]) -> anyhow::Result<()> {
    for (who, line) in lines {
        app.send_message(*who, conv, text(line)?, None).await?;
    }
    Ok(())
}

/// Creates the demo world; returns each person's handle and id.
pub async fn seed<S: Store>(app: &App<S>, op: Operator) -> anyhow::Result<Vec<(String, UserId)>> {
    let mut p = Vec::new();
    for (handle, name) in PEOPLE {
        let signed = app
            .sign_up(
                Handle::parse(handle)?,
                DisplayName::parse(name)?,
                Password::parse(DEMO_PASSWORD.to_owned())?,
                Some("demo"),
                LOCAL,
            )
            .await?;
        p.push(Principal { user_id: signed.user.id, session_id: signed.token.id() });
    }
    let [alice, bob, carol, dave, erin, operator] = [p[0], p[1], p[2], p[3], p[4], p[5]];
    app.grant_operator(op, operator.user_id).await?;
    befriend(app, alice, bob).await?;
    befriend(app, alice, carol).await?;
    befriend(app, bob, carol).await?;
    befriend(app, carol, dave).await?;
    befriend(app, alice, dave).await?;
    app.send_friend_request(erin, alice.user_id).await?;

    let ab = app.open_direct(alice, bob.user_id).await?.value.id;
    chat(
        app,
        ab,
        &[
            (alice, "Have you started the new season of Night Harbour?"),
            (bob, "Two episodes in. The lighthouse scene!"),
            (alice, "No spoilers, I'm on episode one"),
            (bob, "My lips are sealed"),
            (alice, "Watching the rest tonight"),
            (bob, "Tell me when you get to episode four"),
        ],
    )
    .await?;
    let ac = app.open_direct(alice, carol.user_id).await?.value.id;
    chat(app, ac, &[(carol, "Lunch on Thursday?"), (alice, "Yes! The usual place at noon"), (carol, "See you there")])
        .await?;
    let cd = app.open_direct(carol, dave.user_id).await?.value.id;
    chat(app, cd, &[(dave, "Did you get the tickets?"), (carol, "Two, row F")]).await?;

    let group = app.create_group(alice, GroupTitle::parse("Movie night")?, vec![bob.user_id, carol.user_id]).await?.id;
    chat(
        app,
        group,
        &[
            (alice, "Friday movie night at mine?"),
            (carol, "I'm in. I'll bring snacks"),
            (bob, "Count me in. Comedy or thriller?"),
            (alice, "Thriller, we did comedy last time"),
        ],
    )
    .await?;
    // Bob has read the group; Alice has not read Bob's latest direct messages.
    if let Some(last) =
        app.messages(bob, group, clearline_domain::PageRequest::new(None, None, Some(1))?).await?.items.first()
    {
        app.mark_read(bob, group, last.id).await?;
    }
    Ok(PEOPLE.iter().map(|(h, _)| (*h).to_owned()).zip(p.iter().map(|x| x.user_id)).collect())
}

/// Prints where the demo runs and how to sign in.
pub fn print_welcome(url: &str, dir: &Path, people: &[(String, UserId)]) {
    println!("Clearline demo at {url} (data in {})", dir.display());
    println!("Sign in with any of these handles and the password {DEMO_PASSWORD:?}:");
    for (handle, id) in people {
        println!("  {handle:<6} {id}");
    }
    println!(
        "Try: curl -s {url}/v1/sessions -H 'content-type: application/json' -d '{{\"handle\":\"alice\",\"password\":\"{DEMO_PASSWORD}\"}}'"
    );
}

/// The redirect URI of the demo Streamflix app (nothing needs to listen there: the partner
/// guide reads the code from the redirect's `Location`).
pub const STREAMFLIX_REDIRECT: &str = "http://127.0.0.1:8765/callback";

/// The demo Streamflix partner: its app's client id and secret.
pub struct Streamflix {
    /// `app_…`.
    pub client_id: String,
    /// Shown once.
    pub client_secret: String,
}

/// Connects `who` to the app the way its users would: an authorization request with PKCE,
/// consent, and the code exchanged by the app with its secret. Returns the access token.
async fn connect<S: Store>(
    app: &App<S>,
    who: Principal,
    client_id: &str,
    secret: &str,
    scope: &str,
) -> anyhow::Result<String> {
    use base64::Engine;
    use sha2::Digest;
    let verifier = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(rand::random::<[u8; 32]>());
    let challenge = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(sha2::Sha256::digest(verifier.as_bytes()));
    let params = AuthorizeParams {
        client_id: Some(client_id.to_owned()),
        redirect_uri: Some(STREAMFLIX_REDIRECT.to_owned()),
        response_type: Some("code".to_owned()),
        scope: Some(scope.to_owned()),
        state: None,
        code_challenge: Some(challenge),
        code_challenge_method: Some("S256".to_owned()),
    };
    let req = app.authorize_request(params).await.map_err(|e| anyhow::anyhow!("authorize: {e:?}"))?;
    let scopes = req.scopes;
    let outcome = app.consent(who.user_id, req, true, scopes).await?;
    let code = outcome.result.map_err(|e| anyhow::anyhow!("consent: {}", e.as_str()))?;
    let client = ClientAuth { client_id: client_id.to_owned(), secret: Some(secret.into()) };
    let tokens = app.exchange_code(&client, code.expose_secret(), STREAMFLIX_REDIRECT, &verifier).await?;
    Ok(tokens.access_token.expose_secret().to_owned())
}

/// Creates the operator, the Streamflix partner (extended agreement) and its app; Alice and Bob
/// connect it, and Alice recommends a title to Bob from it.
pub async fn seed_streamflix<S: Store>(
    app: &App<S>,
    op: Operator,
    people: &[(String, UserId)],
) -> anyhow::Result<Streamflix> {
    let scopes = Scopes::parse("inbox:send inbox:read inbox:read_all inbox:delete friends:read friends:read_all")?;
    // Streamflix counts its days in California, so its report days are Pacific days.
    let time_zone = ReportZone::parse("America/Los_Angeles")?;
    let agreement = Agreement {
        tier: Tier::Extended,
        scopes,
        max_grant_days: 90,
        report_cadence_days: 14,
        effective_from: time_zone.start_of_day(time_zone.day_of(app.now()) - HISTORY_DAYS),
        time_zone,
        effective_until: None,
        suspended_at: None,
    };
    let partner =
        app.create_partner(op, PartnerSlug::parse("streamflix")?, OrgName::parse("Streamflix")?, agreement).await?;
    seed_report_history(app, op, &partner).await?;
    let reg = AppRegistration {
        name: OrgName::parse("Streamflix")?,
        kind: ClientKind::Confidential,
        redirect_uris: vec![RedirectUri::parse(STREAMFLIX_REDIRECT)?],
        webhook_url: None,
    };
    let (sf, secret) = app.register_app(op, partner.id, reg).await?;
    let secret = secret.ok_or_else(|| anyhow::anyhow!("a confidential app has a secret"))?.expose();
    let client_id = sf.id.to_string();
    let person = |h: &str| people.iter().find(|(x, _)| x == h).map(|(_, id)| *id);
    let (Some(alice), Some(bob)) = (person("alice"), person("bob")) else { anyhow::bail!("demo people missing") };
    let sign_in = |h: &'static str| async move {
        let s = app.sign_in(Handle::parse(h)?, Password::parse(DEMO_PASSWORD.to_owned())?, Some("demo"), LOCAL).await?;
        Ok::<_, anyhow::Error>(Principal { user_id: s.user.id, session_id: s.token.id() })
    };
    let (a, b) = (sign_in("alice").await?, sign_in("bob").await?);
    debug_assert_eq!((a.user_id, b.user_id), (alice, bob));
    let standard = "inbox:send inbox:read inbox:delete friends:read";
    let alice_token = connect(app, a, &client_id, &secret, standard).await?;
    connect(app, b, &client_id, &secret, standard).await?;
    let friends = app.partner_friends(Some(&alice_token)).await?;
    let to: Vec<_> = friends.into_iter().filter(|f| f.display_name == "Bob Chen").map(|f| f.id).collect();
    let card = Card::new("Night Harbour — Season 2", "https://streamflix.example/title/night-harbour", None)?;
    let sent =
        app.partner_send(Some(&alice_token), to, text("You have to see the lighthouse episode!")?, Some(card)).await?;
    if let Some(m) = sent.first() {
        app.send_message(b, m.conversation_id, text("Adding it to my list tonight")?, None).await?;
    }
    Ok(Streamflix { client_id, client_secret: secret })
}

/// Days of recommendation history the demo seeds: three fortnights of the agreement.
const HISTORY_DAYS: i64 = 42;

/// A small deterministic generator, so every demo shows the same shapes.
struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> f64 {
        self.0 = self.0.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
        (self.0 >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// Six weeks of daily sends and clicks for Streamflix (weekly rhythm, slow growth, click rates
/// by surface and arm), and the partner's own reports for the two fortnights that have ended:
/// close to the platform's counts, with one cell off so reconciliation has something to flag.
async fn seed_report_history<S: Store>(
    app: &App<S>,
    op: Operator,
    partner: &clearline_domain::Partner,
) -> anyhow::Result<()> {
    use clearline_domain::report::RawValue;
    use clearline_domain::{Dimension, Dimensions, RecipientKind, format_day};
    let today = partner.agreement.time_zone.day_of(app.now());
    let first = today - HISTORY_DAYS;
    let mut rng = Lcg(7);
    let mut rows = Vec::new();
    for day in first..today {
        let weekday = (day + 4).rem_euclid(7); // 0 = Sunday
        let weekend = if weekday == 0 || weekday == 6 { 1.6 } else { 1.0 };
        let growth = 1.0 + (day - first) as f64 / 60.0;
        for (interface, share) in [("tv", 0.5), ("mobile", 0.35), ("web", 0.15)] {
            for (surface, s_share, ctr) in
                [("post_play", 0.5, 0.22), ("title_page", 0.3, 0.15), ("browse_row", 0.2, 0.08)]
            {
                for (variant, lift) in [("control", 1.0), ("arm_b", 1.25)] {
                    for (kind, k_share) in [(RecipientKind::Platform, 0.7), (RecipientKind::External, 0.3)] {
                        let base = 400.0 * share * s_share * k_share * weekend * growth * lift;
                        let sends = (base * (0.85 + 0.3 * rng.next())).round() as u64;
                        let clicks = (sends as f64 * ctr * lift * (0.8 + 0.4 * rng.next())).round() as u64;
                        let dimensions = Dimensions {
                            interface: Dimension::parse(interface)?,
                            initiation_surface: Dimension::parse(surface)?,
                            variant: Dimension::parse(variant)?,
                        };
                        rows.push(clearline_store::CountRow { day, dimensions, recipient_kind: kind, sends, clicks });
                    }
                }
            }
        }
    }
    // The partner's reports for the ended fortnights: its counts drift a little from ours.
    for (i, start) in [first, first + 14].into_iter().enumerate() {
        let mut draft = clearline_domain::report::ReportDraft {
            from: format_day(start),
            to: format_day(start + 13),
            rows: Vec::new(),
        };
        for (j, r) in rows.iter().filter(|r| (start..start + 14).contains(&r.day)).enumerate() {
            let off = if j == 18 + i * 40 { 1.3 } else { 0.99 + 0.02 * rng.next() };
            let text = |v: &str| RawValue::Text(v.to_owned());
            draft.rows.push(vec![
                ("date".to_owned(), text(&format_day(r.day))),
                ("interface".to_owned(), text(r.dimensions.interface.as_str())),
                ("initiation_surface".to_owned(), text(r.dimensions.initiation_surface.as_str())),
                ("variant".to_owned(), text(r.dimensions.variant.as_str())),
                ("recipient_kind".to_owned(), text(r.recipient_kind.as_str())),
                ("sends".to_owned(), RawValue::Int((r.sends as f64 * off).round() as i64)),
                ("clicks".to_owned(), RawValue::Int(r.clicks as i64)),
            ]);
        }
        app.submit_report(partner, draft).await?;
    }
    app.backfill_report_counts(op, partner.id, rows).await?;
    Ok(())
}

/// Prints the Streamflix app's credentials.
pub fn print_streamflix(sf: &Streamflix) {
    println!(
        "Partner Streamflix (extended agreement; its report days are America/Los_Angeles days), app client_id {} and client_secret {}",
        sf.client_id, sf.client_secret
    );
    println!("  redirect URI {STREAMFLIX_REDIRECT}");
    println!("  walk-through in docs/partner-guide.md");
    println!("  operator account: handle \"operator\", same password");
}
