//! `clearline report`: a partner's daily sends and clicks for a period, as CSV or JSON, read
//! from the data directory like `clearline admin` (owning the data is operator power).

use std::sync::Arc;

use clap::{Args, ValueEnum};
use clearline_core::App;
use clearline_core::partners::Operator;
use clearline_domain::{PartnerSlug, parse_day};
use clearline_server::routes::recommendations::{report_response, report_rows, to_csv};
use clearline_store::DefaultStore;

/// The report's output format.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum Format {
    /// One line per cell, a header first.
    Csv,
    /// The same document as the admin API's.
    Json,
}

/// Which report.
#[derive(Debug, Args)]
pub struct ReportArgs {
    /// The partner's slug.
    #[arg(long)]
    pub partner: String,
    /// First day, YYYY-MM-DD: a day in the time zone of the partner's agreement.
    #[arg(long)]
    pub from: String,
    /// Last day, YYYY-MM-DD in the agreement's time zone, inclusive.
    #[arg(long)]
    pub to: String,
    /// Output format.
    #[arg(long, value_enum, default_value = "csv")]
    pub format: Format,
    /// Withhold counts below this (0 withholds nothing) [default: the configured reports.min_count].
    #[arg(long)]
    pub min_count: Option<u64>,
}

/// Prints the report to standard output.
pub async fn run(app: Arc<App<DefaultStore>>, op: Operator, a: ReportArgs) -> anyhow::Result<()> {
    let partner = app.partner_by_slug(op, PartnerSlug::parse(&a.partner)?).await?;
    let min_count = a.min_count.unwrap_or(app.report_settings().min_count);
    let (from, to) = (parse_day(&a.from)?, parse_day(&a.to)?);
    let rows = report_rows(app.daily_report(op, partner.id, from, to, min_count).await?);
    match a.format {
        Format::Csv => print!("{}", to_csv(&rows)),
        Format::Json => {
            let doc = report_response(&partner, a.from, a.to, min_count, rows);
            println!("{}", serde_json::to_string_pretty(&doc)?);
        }
    }
    Ok(())
}
