//! Recommendations: cards with per-recipient tracked links, click counting (once per link per
//! day; HEAD and link previews not counted), plain 404s for unknown links, and the daily report.

use std::sync::Arc;

use clearline_api_types::{AgreementBody, ErrorCode, RecommendationRequest, ReportQuery, ReportRow, TitleBody};
use clearline_client::Client;
use clearline_core::ManualClock;
use clearline_domain::{AccessAction, Timestamp};
use clearline_store::{AccessFilter, AccessStore};
use clearline_testkit::partner::{agreement_body, no_redirects};
use clearline_testkit::{PASSWORD, Person, TestServer};

use crate::assert_problem;

const DAY_MS: i64 = 86_400_000;
/// 2023-11-14T22:13:20Z.
const START_MS: i64 = 1_700_000_000_000;
const TITLE_URL: &str = "https://flix.example/t/night-train";

struct World {
    ts: TestServer,
    clock: Arc<ManualClock>,
    op: Person,
    partner_id: String,
    alice_app: Client,
    bob: Person,
    bob_app: Client,
    friend_ids: Vec<String>,
}

async fn world() -> World {
    let clock = Arc::new(ManualClock::new(Timestamp::from_millis(START_MS)));
    let ts = TestServer::spawn_with_clock(clock.clone()).await;
    let op = ts.operator("root").await;
    let (alice, bob, carol) = (ts.person("alice").await, ts.person("bob").await, ts.person("carol").await);
    ts.befriend(&alice, &bob).await;
    ts.befriend(&alice, &carol).await;
    let flix = ts.partner_app(&op, "flix", "standard", "inbox:send inbox:read friends:read").await;
    let alice_app = ts.client().with_token(&ts.connect(&alice, &flix, "inbox:send friends:read").await.access_token);
    let bob_app = ts.client().with_token(&ts.connect(&bob, &flix, "inbox:read").await.access_token);
    ts.connect(&carol, &flix, "inbox:read").await;
    let mut friends = alice_app.partner_friends().await.unwrap().items;
    friends.sort_by(|a, b| a.display_name.cmp(&b.display_name));
    let friend_ids = friends.into_iter().map(|f| f.id).collect();
    World { ts, clock, op, partner_id: flix.partner_id, alice_app, bob, bob_app, friend_ids }
}

fn recommendation(to: Vec<String>, external: u32) -> RecommendationRequest {
    RecommendationRequest {
        title: TitleBody {
            id: "nt-1".into(),
            name: "Night Train".into(),
            url: TITLE_URL.into(),
            image_url: Some("https://img.flix.example/nt.jpg".into()),
        },
        interface: "tv".into(),
        initiation_surface: "post_play".into(),
        variant: "arm_b".into(),
        to,
        external,
        text: None,
    }
}

/// Follows a tracked link the way a browser (or `agent`) would, without following the redirect.
async fn follow(link: &str, method: reqwest::Method, agent: &str) -> reqwest::Response {
    no_redirects().request(method, link).header("user-agent", agent).send().await.unwrap()
}

const BROWSER: &str = "Mozilla/5.0 (X11; Linux x86_64) Firefox/130.0";

fn all(from: &str, to: &str, min_count: Option<u64>) -> ReportQuery {
    ReportQuery { from: from.into(), to: to.into(), format: None, min_count }
}

fn row(date: &str, kind: &str, sends: Option<u64>, clicks: Option<u64>) -> ReportRow {
    ReportRow {
        date: date.into(),
        interface: "tv".into(),
        initiation_surface: "post_play".into(),
        variant: "arm_b".into(),
        recipient_kind: kind.into(),
        sends,
        clicks,
    }
}

#[tokio::test]
async fn each_recipient_gets_a_tracked_link_and_clicks_count_once_a_day() {
    let w = world().await;
    let done = w.alice_app.partner_recommend(&recommendation(w.friend_ids.clone(), 2)).await.unwrap();

    // Bob and Carol each get a card in their app thread, each with a link of their own.
    assert_eq!(done.items.len(), 2);
    let links: Vec<String> = done.items.iter().map(|m| m.card.as_ref().unwrap().url.clone()).collect();
    let prefix = format!("{}/r/", w.ts.url);
    assert!(links.iter().chain(&done.external_links).all(|l| l.starts_with(&prefix)), "{links:?}");
    let mut distinct = links.clone();
    distinct.extend(done.external_links.iter().cloned());
    distinct.sort();
    distinct.dedup();
    assert_eq!(distinct.len(), 4, "every recipient's link is its own");
    let card = done.items[0].card.as_ref().unwrap();
    assert_eq!(
        (card.title.as_str(), card.image_url.as_deref()),
        ("Night Train", Some("https://img.flix.example/nt.jpg"))
    );
    let inbox = w.bob.client.messages(&done.items[0].thread_id, &Default::default()).await.unwrap();
    assert_eq!(inbox.items[0].card.as_ref().map(|c| c.url.as_str()), Some(links[0].as_str()));
    assert_eq!(done.items[0].text.as_deref(), Some("Recommended: Night Train"));

    // A click redirects to the title; the same recipient again that day is not a second click.
    for _ in 0..2 {
        let res = follow(&links[0], reqwest::Method::GET, BROWSER).await;
        assert_eq!(res.status(), 302);
        assert_eq!(res.headers()["location"], TITLE_URL);
        assert_eq!(res.headers()["cache-control"], "no-store");
    }
    // HEAD requests and link-preview fetchers redirect but are not clicks.
    let res = follow(&links[1], reqwest::Method::HEAD, BROWSER).await;
    assert_eq!(res.status(), 302);
    let res =
        follow(&links[1], reqwest::Method::GET, "Slackbot-LinkExpanding 1.0 (+https://api.slack.com/robots)").await;
    assert_eq!(res.status(), 302);
    assert_eq!(follow(&done.external_links[0], reqwest::Method::GET, BROWSER).await.status(), 302);
    // The next day, the same link counts again.
    w.clock.advance(DAY_MS);
    assert_eq!(follow(&links[0], reqwest::Method::GET, BROWSER).await.status(), 302);

    // The counts, by day and recipient kind, without withholding.
    let report = w.op.client.partner_report(&w.partner_id, &all("2023-11-14", "2023-11-15", Some(0))).await.unwrap();
    assert_eq!(report.partner, "flix");
    assert_eq!(
        report.rows,
        vec![
            row("2023-11-14", "external", Some(2), Some(1)),
            row("2023-11-14", "platform", Some(2), Some(1)),
            row("2023-11-15", "platform", Some(0), Some(1)),
        ]
    );
    // With the default minimum of 10, every non-zero count here is withheld.
    let report = w.op.client.partner_report(&w.partner_id, &all("2023-11-14", "2023-11-15", None)).await.unwrap();
    assert_eq!(report.min_count, 10);
    assert!(report.rows.iter().all(|r| r.clicks.is_none() && r.sends.is_none_or(|s| s == 0)), "{:?}", report.rows);
    // A period without traffic is empty; CSV carries the same cells.
    let empty = w.op.client.partner_report(&w.partner_id, &all("2023-11-01", "2023-11-13", Some(0))).await.unwrap();
    assert!(empty.rows.is_empty());
    let csv = w.op.client.partner_report_csv(&w.partner_id, &all("2023-11-14", "2023-11-15", Some(0))).await.unwrap();
    assert_eq!(
        csv,
        "date,interface,initiation_surface,variant,recipient_kind,sends,clicks\n\
         2023-11-14,tv,post_play,arm_b,external,2,1\n\
         2023-11-14,tv,post_play,arm_b,platform,2,1\n\
         2023-11-15,tv,post_play,arm_b,platform,0,1\n"
    );

    // The same cells as a page with SVG charts.
    let res =
        w.op.client
            .request(reqwest::Method::GET, &format!("/admin/v1/partners/{}/report", w.partner_id))
            .query(&[("from", "2023-11-14"), ("to", "2023-11-15"), ("format", "html"), ("min_count", "0")])
            .send()
            .await
            .unwrap();
    assert!(res.headers()["content-type"].to_str().unwrap().starts_with("text/html"));
    let page = res.text().await.unwrap();
    assert_eq!(page.matches("<svg").count(), 5);
    assert!(page.contains("<td>2023-11-15</td>"), "the table holds the cells");

    // The recommendation is on the access record like any send.
    let events = w.ts.state().app.store().access_events(AccessFilter::All, None, 50).await.unwrap();
    let sent = events.items.iter().find(|e| e.event.action == AccessAction::Send).expect("send recorded");
    assert!(sent.event.resources.iter().any(|r| r == "external:2"), "{:?}", sent.event.resources);
}

#[tokio::test]
async fn unknown_expired_and_malformed_links_are_plain_404s_never_redirects() {
    let w = world().await;
    let done = w.alice_app.partner_recommend(&recommendation(vec![], 1)).await.unwrap();
    let link = &done.external_links[0];
    let code = link.rsplit('/').next().unwrap();
    let mut other = code.as_bytes().to_vec();
    other[0] = if other[0] == b'A' { b'B' } else { b'A' };
    let unknown = format!("{}/r/{}", w.ts.url, String::from_utf8(other).unwrap());
    let malformed = format!("{}/r/https:%2F%2Fevil.example", w.ts.url);
    for bad in [unknown.as_str(), malformed.as_str()] {
        let res = follow(bad, reqwest::Method::GET, BROWSER).await;
        assert_eq!(res.status(), 404, "{bad}");
        assert!(res.headers().get("location").is_none());
        assert!(res.headers()["content-type"].to_str().unwrap().starts_with("text/html"));
    }
    // Links expire after 90 days.
    w.clock.advance(91 * DAY_MS);
    assert_eq!(follow(link, reqwest::Method::GET, BROWSER).await.status(), 404);
    let session = w.ts.client().sign_in(&w.op.handle, PASSWORD).await.unwrap().token;
    let op = w.ts.client().with_token(&session);
    let report = op.partner_report(&w.partner_id, &all("2023-11-14", "2024-03-01", Some(0))).await.unwrap();
    assert_eq!(report.rows, vec![row("2023-11-14", "external", Some(1), Some(0))], "no click counted");
}

#[tokio::test]
async fn bad_recommendations_and_report_queries_are_refused_and_write_nothing() {
    let w = world().await;
    let mut bad_dimension = recommendation(w.friend_ids.clone(), 0);
    bad_dimension.variant = "arm b; drop".into();
    let mut bad_url = recommendation(w.friend_ids.clone(), 0);
    bad_url.title.url = "javascript:alert(1)".into();
    let mut bad_id = recommendation(w.friend_ids.clone(), 0);
    bad_id.title.id = String::new();
    for req in [recommendation(vec![], 0), recommendation(vec![], 101), bad_dimension, bad_url, bad_id] {
        assert_problem(w.alice_app.partner_recommend(&req).await, 422, ErrorCode::ValidationFailed);
    }
    // A stranger is not a friend: refused, and neither the friend nor the links are counted.
    let stranger = format!("pu_{}", "B".repeat(22));
    let res = w.alice_app.partner_recommend(&recommendation(vec![w.friend_ids[0].clone(), stranger], 3)).await;
    assert_problem(res, 403, ErrorCode::NotFriends);
    let report = w.op.client.partner_report(&w.partner_id, &all("2023-11-14", "2023-11-14", Some(0))).await.unwrap();
    assert!(report.rows.is_empty(), "{:?}", report.rows);
    // Without inbox:send there is nothing to recommend with.
    let res = w.bob_app.partner_recommend(&recommendation(vec![], 1)).await;
    assert_problem(res, 403, ErrorCode::InsufficientScope);

    // Reports: operators only, real dates in order, at most a year, json or csv.
    let q = all("2023-11-14", "2023-11-14", None);
    assert_problem(w.bob.client.partner_report(&w.partner_id, &q).await, 403, ErrorCode::NotOperator);
    for (from, to) in [("2023-11-15", "2023-11-14"), ("2023-02-30", "2023-03-01"), ("2022-01-01", "2023-11-14")] {
        let res = w.op.client.partner_report(&w.partner_id, &all(from, to, None)).await;
        assert!(matches!(res.as_ref().map_err(|e| e.status()), Err(Some(422))), "{from}..{to}: {res:?}");
    }
    let res =
        w.op.client
            .request(reqwest::Method::GET, &format!("/admin/v1/partners/{}/report", w.partner_id))
            .query(&[("from", "2023-11-14"), ("to", "2023-11-14"), ("format", "xml")])
            .send()
            .await
            .unwrap();
    assert_eq!(res.status(), 400);
}

#[tokio::test]
async fn report_days_are_days_in_the_agreements_time_zone() {
    let w = world().await;
    let mut agreement = AgreementBody {
        time_zone: "Asia/Tokyo".into(),
        // 2023-10-31T20:00Z: already November 1 in Tokyo (UTC+9).
        effective_from: 1_698_782_400_000,
        ..agreement_body("standard", "inbox:send inbox:read friends:read")
    };
    let set = w.op.client.set_agreement(&w.partner_id, &agreement).await.unwrap();
    assert_eq!(set.agreement.time_zone, "Asia/Tokyo");
    // A zone that is not an IANA name is refused, and the agreement stays as it was.
    for bad in ["Mars/Olympus_Mons", "", "+05:00"] {
        agreement.time_zone = bad.into();
        let res = w.op.client.set_agreement(&w.partner_id, &agreement).await;
        assert_problem(res, 422, ErrorCode::ValidationFailed);
    }

    // 2023-11-14T22:13Z is 07:13 on the 15th in Tokyo.
    let done = w.alice_app.partner_recommend(&recommendation(vec![w.friend_ids[0].clone()], 0)).await.unwrap();
    let link = done.items[0].card.as_ref().unwrap().url.clone();
    assert_eq!(follow(&link, reqwest::Method::GET, BROWSER).await.status(), 302);
    // 00:13Z is a new UTC day but still the 15th in Tokyo: not a second click.
    w.clock.advance(2 * 3_600_000);
    assert_eq!(follow(&link, reqwest::Method::GET, BROWSER).await.status(), 302);
    // 15:13Z is the same UTC day, but 00:13 on the 16th in Tokyo: a new report day, counted.
    w.clock.advance(15 * 3_600_000);
    assert_eq!(follow(&link, reqwest::Method::GET, BROWSER).await.status(), 302);

    let report = w.op.client.partner_report(&w.partner_id, &all("2023-11-14", "2023-11-16", Some(0))).await.unwrap();
    assert_eq!(report.time_zone, "Asia/Tokyo");
    assert_eq!(
        report.rows,
        vec![row("2023-11-15", "platform", Some(1), Some(1)), row("2023-11-16", "platform", Some(0), Some(1))]
    );
    // Periods start on the local day of the effective date: November 1, not October 31.
    let obligations = w.op.client.report_obligations(&w.partner_id).await.unwrap();
    assert_eq!(obligations.time_zone, "Asia/Tokyo");
    let first = obligations.items.last().unwrap();
    assert_eq!(
        (first.from.as_str(), first.to.as_str(), first.due.as_str()),
        ("2023-11-01", "2023-11-14", "2023-11-17")
    );
}
