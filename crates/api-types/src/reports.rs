//! Partner reports on the wire: reports a partner hands in (`/partner/v1/reports`), their
//! obligations, the platform's own counts as handed to a partner, and the operator's
//! reconciliation. Dates are `YYYY-MM-DD` days in the time zone of the partner's agreement (`UTC`
//! unless agreed otherwise); a period is `from..=to`.

use clearline_domain::report::{RawValue, ReportDraft};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::ReportRow;

/// One row of a report a partner hands in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct SubmittedRow {
    /// A day of the period.
    pub date: String,
    /// The interface.
    pub interface: String,
    /// The initiation surface.
    pub initiation_surface: String,
    /// The variant.
    pub variant: String,
    /// `platform` or `external`.
    pub recipient_kind: String,
    /// Recommendations sent that day in this cell.
    pub sends: u64,
    /// Recipients' clicks that day in this cell.
    pub clicks: u64,
}

/// `POST /partner/v1/reports` as JSON (as CSV: the same columns, with `from` and `to` in the query).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct SubmitReportBody {
    /// The period's first day.
    pub from: String,
    /// The period's last day.
    pub to: String,
    /// The cells, up to 50,000.
    pub rows: Vec<SubmittedRow>,
}

/// The period of a CSV submission, or of a platform report.
#[derive(Debug, Clone, Default, Serialize, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PeriodQuery {
    /// The period's first day.
    pub from: String,
    /// The period's last day.
    pub to: String,
    /// Platform report only: `json` (default) or `html` (a page with SVG charts).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub format: Option<String>,
}

/// A version of a handed-in report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct SubmittedReportBody {
    /// The period's first day.
    pub from: String,
    /// The period's last day.
    pub to: String,
    /// 1, then one more per resubmission.
    pub version: u32,
    /// When it came in (ms).
    pub submitted_at: i64,
}

/// One period's report obligation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ObligationBody {
    /// The period's first day.
    pub from: String,
    /// The period's last day.
    pub to: String,
    /// The last day to hand the report in on time.
    pub due: String,
    /// `submitted`, `submitted_late`, `due` or `overdue`.
    pub status: String,
    /// Days past due, when overdue.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub days_overdue: Option<i64>,
    /// Every version handed in, newest first.
    pub versions: Vec<SubmittedReportBody>,
}

/// `GET /partner/v1/reports` and `GET /admin/v1/partners/{id}/obligations`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ObligationsResponse {
    /// The partner's slug.
    pub partner: String,
    /// The IANA time zone of the agreement: every date here is a day in it.
    pub time_zone: String,
    /// Whether extended-tier scopes are suspended because a report is overdue too long.
    pub extended_suspended: bool,
    /// Every ended period, newest first.
    pub items: Vec<ObligationBody>,
}

/// Privacy budget spent on a period.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct BudgetSpent {
    /// The period's first day.
    pub from: String,
    /// Total epsilon spent on it so far.
    pub epsilon: f64,
}

/// `GET /partner/v1/reports/platform`: the platform's counts for a period, as handed to a partner.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct PlatformReportResponse {
    /// The partner's slug.
    pub partner: String,
    /// The IANA time zone of the agreement: every date here is a day in it.
    pub time_zone: String,
    /// The period's first day.
    pub from: String,
    /// The period's last day.
    pub to: String,
    /// Counts from 1 to this minus one are withheld.
    pub min_count: u64,
    /// Epsilon of the noise in this report (0: none).
    pub epsilon: f64,
    /// Scale of the discrete Laplace noise added to each count (0: none).
    pub noise_scale: f64,
    /// Budget spent on this period so far, this report included.
    pub budget_spent: Vec<BudgetSpent>,
    /// The cells.
    pub rows: Vec<ReportRow>,
}

/// `GET /admin/v1/partners/{id}/reports/{from}/reconciliation` query.
#[derive(Debug, Clone, Default, Serialize, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ReconciliationQuery {
    /// Which version (default: the latest).
    pub version: Option<u32>,
}

/// One cell compared.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ReconciledRow {
    /// The day.
    pub date: String,
    /// The interface.
    pub interface: String,
    /// The initiation surface.
    pub initiation_surface: String,
    /// The variant.
    pub variant: String,
    /// Sends counted by the platform.
    pub ours_sends: u64,
    /// Clicks counted by the platform.
    pub ours_clicks: u64,
    /// Sends reported by the partner.
    pub theirs_sends: u64,
    /// Clicks reported by the partner.
    pub theirs_clicks: u64,
    /// Whether they differ by more than the tolerance.
    pub flagged: bool,
}

/// The partner's platform-recipient counts against the platform's, cell by cell.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ReconciliationResponse {
    /// The partner's slug.
    pub partner: String,
    /// The version compared.
    pub report: SubmittedReportBody,
    /// Cells differing by more than this percentage are flagged.
    pub tolerance_pct: u32,
    /// How many cells are flagged.
    pub flagged: usize,
    /// Every platform-recipient cell either side has.
    pub cells: Vec<ReconciledRow>,
}

/// A report handed in as JSON (`{"from", "to", "rows": [{…}]}`), every value kept as it came
/// for the domain to check and name; a body that is not that shape is refused with why.
pub fn report_from_json(body: &[u8]) -> Result<ReportDraft, String> {
    let doc: serde_json::Value = serde_json::from_slice(body).map_err(|e| format!("not JSON: {e}"))?;
    let text = |k: &str| doc.get(k).and_then(serde_json::Value::as_str).map(str::to_owned);
    let (Some(from), Some(to), Some(rows)) =
        (text("from"), text("to"), doc.get("rows").and_then(serde_json::Value::as_array))
    else {
        return Err("a report is {\"from\": \"YYYY-MM-DD\", \"to\": \"YYYY-MM-DD\", \"rows\": [...]}".to_owned());
    };
    let rows = rows
        .iter()
        .map(|row| {
            let fields = row.as_object().ok_or_else(|| "each row is an object".to_owned())?;
            Ok(fields
                .iter()
                .map(|(k, v)| {
                    let v = match v {
                        serde_json::Value::String(s) => RawValue::Text(s.clone()),
                        serde_json::Value::Number(n) => {
                            n.as_i64().map_or_else(|| RawValue::Other(n.to_string()), RawValue::Int)
                        }
                        other => RawValue::Other(other.to_string()),
                    };
                    (k.clone(), v)
                })
                .collect())
        })
        .collect::<Result<_, String>>()?;
    Ok(ReportDraft { from, to, rows })
}

/// The columns a CSV report's header names, as told in errors.
const REPORT_COLUMNS_TEXT: &str = "date,interface,initiation_surface,variant,recipient_kind,sends,clicks";

/// A report handed in as CSV (a header line naming the columns, then rows) for the period
/// `from..=to` (given apart, in the query), every value kept as text.
pub fn report_from_csv(body: &[u8], from: String, to: String) -> Result<ReportDraft, String> {
    let mut reader = csv::ReaderBuilder::new().flexible(true).trim(csv::Trim::All).from_reader(body);
    let header: Vec<String> =
        reader.headers().map_err(|e| format!("bad CSV header: {e}"))?.iter().map(str::to_owned).collect();
    // A header that names none of the columns is not a report (an empty report still has its
    // header); one that misses some is, and the domain names each missing field.
    if !header.iter().any(|h| clearline_domain::report::REPORT_COLUMNS.contains(&h.as_str())) {
        return Err(format!("not a report: the CSV header names none of the columns {REPORT_COLUMNS_TEXT}"));
    }
    let mut rows = Vec::new();
    for record in reader.records() {
        let record = record.map_err(|e| format!("bad CSV: {e}"))?;
        let row = record
            .iter()
            .enumerate()
            .map(|(i, v)| {
                let name = header.get(i).cloned().unwrap_or_else(|| format!("column {}", i + 1));
                (name, RawValue::Text(v.to_owned()))
            })
            .collect();
        rows.push(row);
    }
    Ok(ReportDraft { from, to, rows })
}
