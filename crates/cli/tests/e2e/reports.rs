//! Partner reports: handing in (JSON and CSV, HTTP Basic), validation naming every bad row and
//! field, versions and closed periods, due and overdue, reconciliation flags, the platform's
//! report with suppression and noise, and extended scopes suspended while reports are overdue.

use std::sync::Arc;

use clearline_api_types::{
    AgreementBody, ErrorCode, ObligationsResponse, PlatformReportResponse, Problem, RecommendationRequest,
    SubmittedReportBody, TitleBody,
};
use clearline_client::Client;
use clearline_core::ManualClock;
use clearline_server::Config;
use clearline_testkit::partner::{TestApp, agreement_body};
use clearline_testkit::{PASSWORD, Person, TestServer};
use serde_json::json;

use crate::assert_problem;

const DAY_MS: i64 = 86_400_000;
/// 2023-11-14T22:13:20Z.
const START_MS: i64 = 1_700_000_000_000;
/// 2023-10-26T00:00:00Z: the agreements' first day, so fortnights run 10-26..11-08, 11-09..11-22.
const EFFECTIVE_MS: i64 = 19_656 * DAY_MS;
const HEADER: &str = "date,interface,initiation_surface,variant,recipient_kind,sends,clicks";

struct World {
    ts: TestServer,
    clock: Arc<ManualClock>,
    op: Person,
    app: TestApp,
    alice: Person,
    http: reqwest::Client,
}

async fn world(tier: &str, scopes: &str, change: impl FnOnce(&mut Config)) -> World {
    let clock = Arc::new(ManualClock::new(clearline_domain::Timestamp::from_millis(START_MS)));
    let ts = TestServer::spawn_configured(clock.clone(), change).await;
    let op = ts.operator("root").await;
    let alice = ts.person("alice").await;
    let app = ts.partner_app(&op, "flix", tier, scopes).await;
    let agreement = AgreementBody { effective_from: EFFECTIVE_MS, ..agreement_body(tier, scopes) };
    op.client.set_agreement(&app.partner_id, &agreement).await.unwrap();
    World { ts, clock, op, app, alice, http: reqwest::Client::new() }
}

impl World {
    fn partner_call(&self, method: reqwest::Method, path: &str) -> reqwest::RequestBuilder {
        let secret = self.app.app.client_secret.clone();
        self.http.request(method, format!("{}{path}", self.ts.url)).basic_auth(&self.app.app.client_id, secret)
    }

    async fn submit_json(&self, body: serde_json::Value) -> reqwest::Response {
        self.partner_call(reqwest::Method::POST, "/partner/v1/reports").json(&body).send().await.unwrap()
    }

    async fn submit_csv(&self, from: &str, to: &str, csv: String) -> reqwest::Response {
        self.partner_call(reqwest::Method::POST, &format!("/partner/v1/reports?from={from}&to={to}"))
            .header("content-type", "text/csv")
            .body(csv)
            .send()
            .await
            .unwrap()
    }

    async fn obligations(&self) -> ObligationsResponse {
        let res = self.partner_call(reqwest::Method::GET, "/partner/v1/reports").send().await.unwrap();
        assert_eq!(res.status(), 200);
        res.json().await.unwrap()
    }
}

fn row(date: &str, kind: &str, sends: u64, clicks: u64) -> serde_json::Value {
    json!({"date": date, "interface": "tv", "initiation_surface": "post_play", "variant": "arm_b",
           "recipient_kind": kind, "sends": sends, "clicks": clicks})
}

async fn problem(res: reqwest::Response) -> (u16, Problem) {
    let status = res.status().as_u16();
    (status, res.json().await.unwrap())
}

#[tokio::test]
async fn reports_are_validated_versioned_and_closed_after_the_due_day() {
    let w = world("standard", "inbox:send friends:read", |_| {}).await;
    // 2023-11-23: the fortnight 11-09..11-22 is due by 11-25; 10-26..11-08 was due 11-11.
    w.clock.advance(9 * DAY_MS - 22 * 3_600_000);
    let o = w.obligations().await;
    let got: Vec<(&str, &str, &str, Option<i64>)> =
        o.items.iter().map(|i| (i.from.as_str(), i.due.as_str(), i.status.as_str(), i.days_overdue)).collect();
    assert_eq!(got, vec![("2023-11-09", "2023-11-25", "due", None), ("2023-10-26", "2023-11-11", "overdue", Some(12))]);

    // A good report as JSON is version 1; the same period again is version 2, history kept.
    let body = json!({"from": "2023-11-09", "to": "2023-11-22",
                      "rows": [row("2023-11-09", "platform", 12, 3), row("2023-11-10", "external", 40, 9)]});
    let res = w.submit_json(body.clone()).await;
    assert_eq!(res.status(), 201);
    let v1: SubmittedReportBody = res.json().await.unwrap();
    assert_eq!((v1.from.as_str(), v1.to.as_str(), v1.version), ("2023-11-09", "2023-11-22", 1));
    let csv = format!("{HEADER}\n2023-11-09,tv,post_play,arm_b,platform,13,3\n");
    let res = w.submit_csv("2023-11-09", "2023-11-22", csv).await;
    assert_eq!(res.status(), 201);
    let v2: SubmittedReportBody = res.json().await.unwrap();
    assert_eq!(v2.version, 2);
    // The overdue period can still be handed in, once: it is marked late.
    let late = json!({"from": "2023-10-26", "to": "2023-11-08", "rows": [row("2023-10-27", "platform", 5, 1)]});
    assert_eq!(w.submit_json(late).await.status(), 201);
    let o = w.obligations().await;
    assert_eq!(o.items[0].status, "submitted");
    assert_eq!(o.items[0].versions.iter().map(|v| v.version).collect::<Vec<_>>(), vec![2, 1]);
    assert_eq!(o.items[1].status, "submitted_late");
    let admin = w.op.client.report_obligations(&w.app.partner_id).await.unwrap();
    assert_eq!(admin.items[0].versions.len(), 2, "operators see the same history");

    // After the due day a handed-in period is closed.
    w.clock.advance(3 * DAY_MS);
    let (status, p) = problem(w.submit_json(body).await).await;
    assert_eq!((status, p.code), (409, ErrorCode::Conflict));
    assert_eq!(w.obligations().await.items[0].versions.len(), 2, "nothing was added");
}

#[tokio::test]
async fn every_bad_row_and_field_is_named_and_nothing_is_stored() {
    let w = world("standard", "inbox:send", |_| {}).await;
    // Query parameters a submission does not take are refused, not ignored.
    let body = json!({"from": "2023-10-26", "to": "2023-11-08", "rows": []});
    let res = w.partner_call(reqwest::Method::POST, "/partner/v1/reports?x=1").json(&body).send().await.unwrap();
    assert_eq!(problem(res).await.0, 400);
    let res = w.submit_csv("2023-10-26", "2023-11-08&extra=1", format!("{HEADER}\n")).await;
    assert_eq!(problem(res).await.0, 400);
    // A CSV whose header names no report column is not an empty report.
    let res = w.submit_csv("2023-10-26", "2023-11-08", "[[], [null, true]]\n".to_owned()).await;
    assert_eq!(problem(res).await.0, 400);
    let csv = format!(
        "{HEADER}\n\
         2023-10-26,tv,post_play,arm_b,platform,12,3\n\
         2023-11-09,tv,post_play,arm_b,platform,12,3\n\
         2023-10-27,tv,post_play,arm_b,platform,-2,3\n\
         2023-10-28,tv,post_play,arm_b,platform,2.5,3\n\
         2023-10-29,smart tv,post_play,arm_b,somebody,1,1\n\
         2023-10-30,tv,post_play,arm_b,platform,1\n"
    );
    let (status, p) = problem(w.submit_csv("2023-10-26", "2023-11-08", csv).await).await;
    assert_eq!((status, p.code), (422, ErrorCode::ReportInvalid));
    let named: Vec<(Option<usize>, &str)> = p.errors.iter().map(|e| (e.row, e.field.as_str())).collect();
    assert_eq!(
        named,
        vec![
            (Some(2), "date"),
            (Some(3), "sends"),
            (Some(4), "sends"),
            (Some(5), "interface"),
            (Some(5), "recipient_kind"),
            (Some(6), "clicks")
        ]
    );
    // Misaligned periods, unknown dimensions and per-person columns.
    let (_, p) = problem(w.submit_csv("2023-10-27", "2023-11-09", format!("{HEADER}\n")).await).await;
    assert_eq!(p.errors.iter().map(|e| e.field.as_str()).collect::<Vec<_>>(), vec!["from"]);
    let personal = "date,interface,initiation_surface,variant,recipient_kind,sends,clicks,recipient_email,country\n\
                    2023-10-26,tv,post_play,arm_b,platform,12,3,a@b.example,NL\n";
    let (_, p) = problem(w.submit_csv("2023-10-26", "2023-11-08", personal.to_owned()).await).await;
    let fields: Vec<(&str, bool)> =
        p.errors.iter().map(|e| (e.field.as_str(), e.problem.contains("per-person"))).collect();
    assert_eq!(fields, vec![("country", false), ("recipient_email", true)]);
    // JSON: a count that is text, negative or fractional is named too.
    let body = json!({"from": "2023-10-26", "to": "2023-11-08", "rows": [
        {"date": "2023-10-26", "interface": "tv", "initiation_surface": "post_play", "variant": "arm_b",
         "recipient_kind": "platform", "sends": 1.5, "clicks": -1}]});
    let (status, p) = problem(w.submit_json(body).await).await;
    assert_eq!(status, 422);
    assert_eq!(p.errors.iter().map(|e| e.field.as_str()).collect::<Vec<_>>(), vec!["clicks", "sends"]);
    // Not JSON at all, or no period for CSV: 400.
    let res = w
        .partner_call(reqwest::Method::POST, "/partner/v1/reports")
        .header("content-type", "application/json")
        .body("{\"from\":")
        .send()
        .await
        .unwrap();
    assert_eq!(problem(res).await.1.code, ErrorCode::MalformedRequest);
    let res = w
        .partner_call(reqwest::Method::POST, "/partner/v1/reports")
        .header("content-type", "text/csv")
        .body(format!("{HEADER}\n"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 400);
    // Nothing was stored by any of these.
    assert!(w.obligations().await.items.iter().all(|o| o.versions.is_empty()));

    // Partner calls need the app's credentials: none, a wrong secret, or a person's session fail.
    let url = format!("{}/partner/v1/reports", w.ts.url);
    let res = w.http.get(&url).send().await.unwrap();
    assert_eq!(res.status(), 401);
    assert!(res.headers()["www-authenticate"].to_str().unwrap().starts_with("Basic"));
    let res = w.http.get(&url).basic_auth(&w.app.app.client_id, Some("wrong")).send().await.unwrap();
    assert_eq!(problem(res).await.1.code, ErrorCode::InvalidCredentials);
    let res = w.http.get(&url).bearer_auth(w.alice.client.token().unwrap()).send().await.unwrap();
    assert_eq!(res.status(), 401);
    // Operators only for the operator's views.
    let res = w.alice.client.partner_report(&w.app.partner_id, &Default::default()).await;
    assert!(res.is_err());
    assert_problem(w.alice.client.report_obligations(&w.app.partner_id).await, 403, ErrorCode::NotOperator);
}

/// Alice recommends to Bob and Carol through the app: two platform sends on 2023-11-14.
async fn recommend_to_two_friends(w: &World) {
    let (bob, carol) = (w.ts.person("bob").await, w.ts.person("carol").await);
    w.ts.befriend(&w.alice, &bob).await;
    w.ts.befriend(&w.alice, &carol).await;
    let alice_app =
        w.ts.client().with_token(&w.ts.connect(&w.alice, &w.app, "inbox:send friends:read").await.access_token);
    w.ts.connect(&bob, &w.app, "inbox:send").await;
    w.ts.connect(&carol, &w.app, "inbox:send").await;
    let to = alice_app.partner_friends().await.unwrap().items.into_iter().map(|f| f.id).collect();
    let req = RecommendationRequest {
        title: TitleBody {
            id: "nt".into(),
            name: "Night Train".into(),
            url: "https://flix.example/nt".into(),
            image_url: None,
        },
        interface: "tv".into(),
        initiation_surface: "post_play".into(),
        variant: "arm_b".into(),
        to,
        external: 0,
        text: None,
    };
    alice_app.partner_recommend(&req).await.unwrap();
}

#[tokio::test]
async fn reconciliation_flags_cells_beyond_the_tolerance() {
    let w = world("standard", "inbox:send friends:read", |_| {}).await;
    recommend_to_two_friends(&w).await;
    let body = json!({"from": "2023-11-09", "to": "2023-11-22", "rows": [
        row("2023-11-14", "platform", 2, 0),    // matches the platform's count
        row("2023-11-15", "platform", 30, 4),   // the platform saw nothing that day
        row("2023-11-14", "external", 500, 50), // external recipients are the partner's own
    ]});
    assert_eq!(w.submit_json(body).await.status(), 201);
    let r = w.op.client.reconciliation(&w.app.partner_id, "2023-11-09").await.unwrap();
    let cells: Vec<(&str, u64, u64, bool)> =
        r.cells.iter().map(|c| (c.date.as_str(), c.ours_sends, c.theirs_sends, c.flagged)).collect();
    assert_eq!(cells, vec![("2023-11-14", 2, 2, false), ("2023-11-15", 0, 30, true)]);
    assert_eq!((r.flagged, r.tolerance_pct, r.report.version), (1, 5, 1));
    // No such report: 404.
    assert_problem(w.op.client.reconciliation(&w.app.partner_id, "2023-10-26").await, 404, ErrorCode::NotFound);
}

async fn platform_report(w: &World, from: &str, to: &str) -> PlatformReportResponse {
    let res = w.partner_call(reqwest::Method::GET, &format!("/partner/v1/reports/platform?from={from}&to={to}"));
    let res = res.send().await.unwrap();
    assert_eq!(res.status(), 200);
    res.json().await.unwrap()
}

#[tokio::test]
async fn the_platform_report_withholds_small_counts() {
    let w = world("standard", "inbox:send friends:read", |_| {}).await;
    recommend_to_two_friends(&w).await;
    let r = platform_report(&w, "2023-11-09", "2023-11-22").await;
    assert_eq!((r.min_count, r.epsilon, r.noise_scale), (10, 0.0, 0.0));
    assert_eq!(r.rows.len(), 1);
    assert_eq!((r.rows[0].sends, r.rows[0].clicks), (None, Some(0)), "2 sends are withheld, 0 clicks are not");
    assert!(r.budget_spent.is_empty(), "no noise, no budget spent");
    // Only whole periods.
    let res = w.partner_call(reqwest::Method::GET, "/partner/v1/reports/platform?from=2023-11-10&to=2023-11-23");
    assert_eq!(res.send().await.unwrap().status(), 422);
}

#[tokio::test]
async fn noise_stays_within_its_documented_bounds_and_spends_budget() {
    let w = world("standard", "inbox:send friends:read", |c| {
        c.reports.epsilon = Some(2.0);
        c.reports.min_count = 0;
        c.reports.max_daily_contributions = 1;
    })
    .await;
    recommend_to_two_friends(&w).await;
    // 14 days x 1 contribution a day / epsilon 2: scale 7. With probability 1 - 1e-9 a draw is
    // within scale x ln(1e9) (about 145) of the truth.
    let bound = 7.0 * 1e9_f64.ln();
    let mut changed = false;
    for i in 1..=20 {
        let r = platform_report(&w, "2023-11-09", "2023-11-22").await;
        assert_eq!((r.epsilon, r.noise_scale), (2.0, 7.0));
        assert_eq!(r.budget_spent.len(), 1);
        assert!((r.budget_spent[0].epsilon - 2.0 * f64::from(i)).abs() < 1e-9, "{:?}", r.budget_spent);
        let sends = r.rows[0].sends.unwrap() as f64;
        assert!((sends - 2.0).abs() <= bound, "noised sends {sends}");
        changed |= r.rows[0].sends != Some(2) || r.rows[0].clicks != Some(0);
    }
    // P(all 40 noised counts are exact) = (tanh(1/14))^40, about 1e-46.
    assert!(changed, "noise changed at least one count");
}

#[tokio::test]
async fn overdue_reports_suspend_extended_scopes_until_handed_in() {
    let scopes = "inbox:read inbox:read_all friends:read friends:read_all";
    let w = world("extended", scopes, |c| c.reports.suspend_extended_after_days = Some(7)).await;
    let bob = w.ts.person("bob").await;
    w.ts.befriend(&w.alice, &bob).await;
    let (direct, _) = w.alice.client.open_direct(&bob.id).await.unwrap();
    let token = w.ts.connect(&w.alice, &w.app, "inbox:read_all").await.access_token;
    let alice_app: Client = w.ts.client().with_token(&token);
    // On 11-14 the first fortnight's report (due 11-11) is 3 days late: not yet suspended.
    alice_app.partner_conversations().await.unwrap();
    assert!(!w.obligations().await.extended_suspended);
    let readers = |c: clearline_api_types::ConversationResponse| c.readable_by.len();
    assert_eq!(readers(bob.client.conversation(&direct.id).await.unwrap()), 1, "bob is told the app can read it");
    // Five days later it is 8 days late: extended scopes are refused, and the refusal recorded.
    w.clock.advance(5 * DAY_MS);
    let token = w.ts.connect(&w.alice, &w.app, "inbox:read_all").await.access_token;
    let alice_app: Client = w.ts.client().with_token(&token);
    assert_problem(alice_app.partner_conversations().await, 403, ErrorCode::ReportsOverdue);
    assert!(w.obligations().await.extended_suspended);
    let alice = w.ts.client().with_token(&w.ts.client().sign_in("alice", PASSWORD).await.unwrap().token);
    let log = alice.access_log().await.unwrap();
    assert_eq!(log.items[0].outcome, "denied");
    assert_eq!(log.items[0].reason.as_deref(), Some("reports_overdue"));
    // What people are told follows the same decision: the app cannot read it now.
    assert_eq!(readers(bob.client.conversation(&direct.id).await.unwrap()), 0, "readable_by agrees with the API");
    // Listing every friend is refused for the same reason, and recorded as that reason.
    let friends_token = w.ts.connect(&w.alice, &w.app, "friends:read_all").await.access_token;
    let friends_app: Client = w.ts.client().with_token(&friends_token);
    assert_problem(friends_app.partner_friends().await, 403, ErrorCode::ReportsOverdue);
    let log = alice.access_log().await.unwrap();
    assert_eq!(log.items[0].reason.as_deref(), Some("reports_overdue"));
    // (That consent replaced the earlier grant: connect again for whole-inbox reading.)
    let token = w.ts.connect(&w.alice, &w.app, "inbox:read_all").await.access_token;
    let alice_app: Client = w.ts.client().with_token(&token);
    // Handing the report in lifts it on the next call.
    let body = json!({"from": "2023-10-26", "to": "2023-11-08", "rows": []});
    assert_eq!(w.submit_json(body).await.status(), 201);
    alice_app.partner_conversations().await.unwrap();
}
