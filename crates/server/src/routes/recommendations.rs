//! Recommendations: `POST /partner/v1/recommendations`, the tracked links `/r/{code}`, and the
//! operator's daily report `GET /admin/v1/partners/{id}/report` (JSON or CSV).

use axum::Json;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use clearline_api_types::{
    Problem, RecommendationRequest, RecommendationResponse, ReportQuery, ReportResponse, ReportRow,
};
use clearline_core::recommendations::{RecommendRequest, ReportCell};
use clearline_domain::report::Period;
use clearline_domain::{Partner, PartnerId, format_day, parse_day};

use crate::error::ApiError;
use crate::extract::{ApiJson, ApiQuery, Auth, PartnerBearer, path_id};
use crate::routes::partner::message;
use crate::state::AppState;

/// POST /partner/v1/recommendations: recommend a title to friends (each gets a card with a
/// tracked link in the app thread) and get tracked links for external recipients (`inbox:send`).
#[utoipa::path(post, path = "/partner/v1/recommendations", tag = "partner", security(("oauth" = ["inbox:send"])),
    request_body = RecommendationRequest,
    responses((status = 201, body = RecommendationResponse), (status = 401, body = Problem), (status = 403, body = Problem),
              (status = 422, body = Problem)))]
pub async fn recommend(
    State(s): State<AppState>,
    PartnerBearer(t): PartnerBearer,
    ApiJson(req): ApiJson<RecommendationRequest>,
) -> Result<(StatusCode, Json<RecommendationResponse>), ApiError> {
    let (title, dimensions, to) = req.parts()?;
    let r = RecommendRequest { title, dimensions, to, external: req.external, text: req.text };
    let done = s.app.partner_recommend(t.as_deref(), r, &s.issuer).await?;
    let body = RecommendationResponse {
        items: done.messages.into_iter().map(message).collect(),
        external_links: done.external_links,
    };
    Ok((StatusCode::CREATED, Json(body)))
}

/// User agents of link-preview fetchers: they open links nobody clicked.
const PREVIEW_AGENTS: &[&str] = &[
    "facebookexternalhit",
    "slackbot",
    "twitterbot",
    "whatsapp",
    "telegrambot",
    "discordbot",
    "linkedinbot",
    "skypeuripreview",
    "applebot",
    "googlebot",
    "bingbot",
    "embedly",
    "iframely",
    "pinterestbot",
    "redditbot",
    "mastodon",
];

fn is_preview(headers: &HeaderMap) -> bool {
    let agent = headers.get(header::USER_AGENT).and_then(|v| v.to_str().ok()).unwrap_or("").to_ascii_lowercase();
    PREVIEW_AGENTS.iter().any(|p| agent.contains(p))
}

/// GET|HEAD /r/{code}: a tracked link. Counts the click (not for HEAD or link previews) and
/// redirects to the title; unknown or expired codes get a plain 404 page, never a redirect.
#[utoipa::path(get, path = "/r/{code}", tag = "recommendations",
    params(("code" = String, Path, description = "the tracked link's code")),
    responses((status = 302, description = "to the title's URL; counted once per link per report day (not for HEAD or link previews)"),
              (status = 404, description = "unknown or expired link (HTML)", content_type = "text/html"),
              (status = 500, body = Problem, content_type = "application/problem+json"),
              (status = 503, body = Problem, content_type = "application/problem+json")))]
pub async fn follow(
    State(s): State<AppState>,
    method: Method,
    headers: HeaderMap,
    Path(code): Path<String>,
) -> Response {
    let count = method == Method::GET && !is_preview(&headers);
    match s.app.follow_link(&code, count).await {
        Ok(Some(url)) => {
            let mut res = Redirect::to(&url).into_response();
            *res.status_mut() = StatusCode::FOUND;
            res.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
            res.headers_mut().insert("referrer-policy", HeaderValue::from_static("no-referrer"));
            res
        }
        Ok(None) => (
            StatusCode::NOT_FOUND,
            Html("<!doctype html><title>Not found</title><p>This link does not exist or has expired.</p>"),
        )
            .into_response(),
        Err(e) => ApiError::from(e).into_response(),
    }
}

/// Report cells in their wire form.
pub fn report_rows(cells: Vec<ReportCell>) -> Vec<ReportRow> {
    cells
        .into_iter()
        .map(|c| ReportRow {
            date: format_day(c.day),
            interface: c.dimensions.interface.as_str().to_owned(),
            initiation_surface: c.dimensions.initiation_surface.as_str().to_owned(),
            variant: c.dimensions.variant.as_str().to_owned(),
            recipient_kind: c.recipient_kind.as_str().to_owned(),
            sends: c.sends,
            clicks: c.clicks,
        })
        .collect()
}

/// The operator's report of a partner's days `from` to `to` (as asked), in its wire form.
pub fn report_response(
    partner: &Partner,
    from: String,
    to: String,
    min_count: u64,
    rows: Vec<ReportRow>,
) -> ReportResponse {
    ReportResponse {
        partner: partner.slug.as_str().to_owned(),
        time_zone: partner.agreement.time_zone.name().to_owned(),
        from,
        to,
        min_count,
        rows,
    }
}

/// The report as CSV: a header line, then one line per cell; withheld counts are empty.
/// Every field is a date, a dimension token or a number, so nothing needs quoting.
pub fn to_csv(rows: &[ReportRow]) -> String {
    let mut out = String::from("date,interface,initiation_surface,variant,recipient_kind,sends,clicks\n");
    let n = |v: Option<u64>| v.map(|x| x.to_string()).unwrap_or_default();
    for r in rows {
        out.push_str(&format!(
            "{},{},{},{},{},{},{}\n",
            r.date,
            r.interface,
            r.initiation_surface,
            r.variant,
            r.recipient_kind,
            n(r.sends),
            n(r.clicks)
        ));
    }
    out
}

/// GET /admin/v1/partners/{id}/report: daily sends and clicks by dimension for a period.
#[utoipa::path(get, path = "/admin/v1/partners/{id}/report", tag = "admin", security(("session" = [])),
    params(("id" = String, Path), ReportQuery),
    responses((status = 200, body = ReportResponse), (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn report(
    State(s): State<AppState>,
    Auth(me): Auth,
    Path(id): Path<String>,
    ApiQuery(q): ApiQuery<ReportQuery>,
) -> Result<Response, ApiError> {
    enum Format {
        Json,
        Csv,
        Html,
    }
    let format = match q.format.as_deref() {
        Some("json") | None => Format::Json,
        Some("csv") => Format::Csv,
        Some("html") => Format::Html,
        Some(_) => return Err(ApiError::Malformed("format is json, csv or html".to_owned())),
    };
    let op = s.app.operator(me).await?;
    let id: PartnerId = path_id(&id, "partner")?;
    let partner = s.app.partner(op, id).await?;
    let (from, to) = (parse_day(&q.from)?, parse_day(&q.to)?);
    let min_count = q.min_count.unwrap_or(s.app.report_settings().min_count);
    let rows = report_rows(s.app.daily_report(op, id, from, to, min_count).await?);
    Ok(match format {
        Format::Csv => {
            let mut res = to_csv(&rows).into_response();
            res.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("text/csv; charset=utf-8"));
            res
        }
        Format::Html => {
            let period = Period { start: from, end: to };
            let zone = partner.agreement.time_zone.name();
            Html(crate::report_page::render(partner.slug.as_str(), zone, period, min_count, &rows).into_string())
                .into_response()
        }
        Format::Json => Json(report_response(&partner, q.from, q.to, min_count, rows)).into_response(),
    })
}
