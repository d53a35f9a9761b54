//! Partner reports over HTTP. Partners (HTTP Basic with a confidential app's credentials) hand
//! in reports as JSON or CSV, see their obligations and get the platform's counts (suppressed,
//! perhaps noised); operators see obligations and reconciliations.

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use clearline_api_types::reports::{report_from_csv, report_from_json};
use clearline_api_types::{
    BudgetSpent, ObligationBody, ObligationsResponse, PeriodQuery, PlatformReportResponse, Problem, ReconciledRow,
    ReconciliationQuery, ReconciliationResponse, SubmitReportBody, SubmittedReportBody,
};
use clearline_domain::report::{ObligationStatus, Period};
use clearline_domain::{Partner, PartnerId, format_day, parse_day};
use clearline_store::SubmittedReport;

use crate::error::ApiError;
use crate::extract::{ApiQuery, Auth, PartnerClient, path_id};
use crate::routes::recommendations::report_rows;
use crate::state::AppState;

/// The largest report body accepted, in bytes (4 MiB: 50,000 CSV rows of ordinary width; the
/// row limit itself is checked with the report, [`clearline_domain::report::MAX_REPORT_ROWS`]).
pub const REPORT_BODY_LIMIT: usize = 4 * 1024 * 1024;

fn version_body(r: &SubmittedReport) -> SubmittedReportBody {
    SubmittedReportBody {
        from: format_day(r.period.start),
        to: format_day(r.period.end),
        version: r.version,
        submitted_at: r.submitted_at.millis(),
    }
}

fn malformed(what: &str) -> ApiError {
    ApiError::Malformed(what.to_owned())
}

/// POST /partner/v1/reports: hand in the report for one period, as JSON or as CSV
/// (`Content-Type: text/csv`, period in the query). A resubmission is a new version.
#[utoipa::path(post, path = "/partner/v1/reports", tag = "reports", security(("client" = [])),
    params(("from" = Option<String>, Query, description = "CSV only: the period's first day"),
           ("to" = Option<String>, Query, description = "CSV only: the period's last day")),
    request_body(content(
        (SubmitReportBody = "application/json"),
        (String = "text/csv", example = "date,interface,initiation_surface,variant,recipient_kind,sends,clicks\n2026-11-01,tv,post_play,a,platform,120,14\n"))),
    responses((status = 201, body = SubmittedReportBody), (status = 400, body = Problem), (status = 401, body = Problem),
              (status = 409, body = Problem), (status = 422, body = Problem, description = "report_invalid: every bad row and field in `errors`")))]
pub async fn submit(
    State(s): State<AppState>,
    PartnerClient(partner): PartnerClient,
    headers: HeaderMap,
    axum::extract::RawQuery(query): axum::extract::RawQuery,
    body: Bytes,
) -> Result<(StatusCode, Json<SubmittedReportBody>), ApiError> {
    let kind = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("");
    let query = query.unwrap_or_default();
    let params: Vec<(String, String)> =
        serde_urlencoded::from_str(&query).map_err(|_| malformed("the query cannot be read"))?;
    let draft = if kind.starts_with("text/csv") {
        if params.iter().any(|(k, _)| k != "from" && k != "to") {
            return Err(malformed("a CSV report takes only ?from=YYYY-MM-DD&to=YYYY-MM-DD"));
        }
        let period = serde_urlencoded::from_str::<PeriodQuery>(&query)
            .map_err(|_| malformed("a CSV report needs ?from=YYYY-MM-DD&to=YYYY-MM-DD"))?;
        report_from_csv(&body, period.from, period.to).map_err(ApiError::Malformed)?
    } else if kind.starts_with("application/json") {
        if !params.is_empty() {
            return Err(malformed("a JSON report carries its period in its body; it takes no query"));
        }
        report_from_json(&body).map_err(ApiError::Malformed)?
    } else {
        return Err(malformed("send application/json or text/csv"));
    };
    let report = s.app.submit_report(&partner, draft).await?;
    Ok((StatusCode::CREATED, Json(version_body(&report))))
}

async fn obligations_of(s: &AppState, partner: &Partner) -> Result<ObligationsResponse, ApiError> {
    let status = s.app.report_status(partner).await?;
    let items = status
        .obligations
        .iter()
        .map(|o| {
            let (state, days) = match o.status {
                ObligationStatus::Submitted { late: false } => ("submitted", None),
                ObligationStatus::Submitted { late: true } => ("submitted_late", None),
                ObligationStatus::Due => ("due", None),
                ObligationStatus::Overdue { days } => ("overdue", Some(days)),
            };
            ObligationBody {
                from: format_day(o.period.start),
                to: format_day(o.period.end),
                due: format_day(o.due_day),
                status: state.to_owned(),
                days_overdue: days,
                versions: status.versions.iter().filter(|v| v.period == o.period).map(version_body).collect(),
            }
        })
        .collect();
    Ok(ObligationsResponse {
        partner: partner.slug.as_str().to_owned(),
        time_zone: partner.agreement.time_zone.name().to_owned(),
        extended_suspended: status.extended_suspended,
        items,
    })
}

/// GET /partner/v1/reports: each ended period's report: due, overdue or handed in (with versions).
#[utoipa::path(get, path = "/partner/v1/reports", tag = "reports", security(("client" = [])),
    responses((status = 200, body = ObligationsResponse), (status = 401, body = Problem)))]
pub async fn partner_obligations(
    State(s): State<AppState>,
    PartnerClient(partner): PartnerClient,
) -> Result<Json<ObligationsResponse>, ApiError> {
    Ok(Json(obligations_of(&s, &partner).await?))
}

/// GET /admin/v1/partners/{id}/obligations: the same, for operators.
#[utoipa::path(get, path = "/admin/v1/partners/{id}/obligations", tag = "admin", security(("session" = [])),
    params(("id" = String, Path)),
    responses((status = 200, body = ObligationsResponse), (status = 403, body = Problem), (status = 404, body = Problem)))]
pub async fn admin_obligations(
    State(s): State<AppState>,
    Auth(me): Auth,
    Path(id): Path<String>,
) -> Result<Json<ObligationsResponse>, ApiError> {
    let op = s.app.operator(me).await?;
    let partner = s.app.partner(op, path_id::<PartnerId>(&id, "partner")?).await?;
    Ok(Json(obligations_of(&s, &partner).await?))
}

/// GET /partner/v1/reports/platform: the platform's own counts for one period, as handed to
/// partners: counts below the minimum withheld, noise added if configured (budget recorded).
#[utoipa::path(get, path = "/partner/v1/reports/platform", tag = "reports", security(("client" = [])),
    params(PeriodQuery),
    responses((status = 200, body = PlatformReportResponse), (status = 401, body = Problem), (status = 422, body = Problem)))]
pub async fn platform(
    State(s): State<AppState>,
    PartnerClient(partner): PartnerClient,
    ApiQuery(q): ApiQuery<PeriodQuery>,
) -> Result<axum::response::Response, ApiError> {
    use axum::response::IntoResponse;
    let html = match q.format.as_deref() {
        None | Some("json") => false,
        Some("html") => true,
        Some(_) => return Err(malformed("format is json or html")),
    };
    let period = Period { start: parse_day(&q.from)?, end: parse_day(&q.to)? };
    let r = s.app.platform_report(&partner, period).await?;
    let min_count = s.app.report_settings().min_count;
    let rows = report_rows(r.cells);
    if html {
        let zone = partner.agreement.time_zone.name();
        let page = crate::report_page::render(partner.slug.as_str(), zone, period, min_count, &rows);
        return Ok(axum::response::Html(page.into_string()).into_response());
    }
    Ok(Json(PlatformReportResponse {
        partner: partner.slug.as_str().to_owned(),
        time_zone: partner.agreement.time_zone.name().to_owned(),
        from: q.from,
        to: q.to,
        min_count,
        epsilon: r.epsilon,
        noise_scale: r.noise_scale,
        budget_spent: if r.budget > 0.0 {
            vec![BudgetSpent { from: format_day(period.start), epsilon: r.budget }]
        } else {
            vec![]
        },
        rows,
    })
    .into_response())
}

/// GET /admin/v1/partners/{id}/reports/{from}/reconciliation: the partner's platform-recipient
/// counts for the period starting `from` against the platform's, cell by cell, flagged
/// beyond the tolerance.
#[utoipa::path(get, path = "/admin/v1/partners/{id}/reports/{from}/reconciliation", tag = "admin",
    security(("session" = [])), params(("id" = String, Path), ("from" = String, Path), ReconciliationQuery),
    responses((status = 200, body = ReconciliationResponse), (status = 403, body = Problem), (status = 404, body = Problem)))]
pub async fn reconciliation(
    State(s): State<AppState>,
    Auth(me): Auth,
    Path((id, from)): Path<(String, String)>,
    ApiQuery(q): ApiQuery<ReconciliationQuery>,
) -> Result<Json<ReconciliationResponse>, ApiError> {
    let op = s.app.operator(me).await?;
    let partner = s.app.partner(op, path_id::<PartnerId>(&id, "partner")?).await?;
    let r = s.app.reconcile(op, partner.id, parse_day(&from)?, q.version).await?;
    let cells: Vec<ReconciledRow> = r
        .cells
        .into_iter()
        .map(|c| ReconciledRow {
            date: format_day(c.key.day),
            interface: c.key.dimensions.interface.as_str().to_owned(),
            initiation_surface: c.key.dimensions.initiation_surface.as_str().to_owned(),
            variant: c.key.dimensions.variant.as_str().to_owned(),
            ours_sends: c.ours.0,
            ours_clicks: c.ours.1,
            theirs_sends: c.theirs.0,
            theirs_clicks: c.theirs.1,
            flagged: c.flagged,
        })
        .collect();
    Ok(Json(ReconciliationResponse {
        partner: partner.slug.as_str().to_owned(),
        report: version_body(&r.report),
        tolerance_pct: s.app.report_settings().tolerance_pct,
        flagged: cells.iter().filter(|c| c.flagged).count(),
        cells,
    }))
}
