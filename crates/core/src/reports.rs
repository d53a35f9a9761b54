//! Partner reports as a service: partners hand in their report for each period of their
//! agreement's cadence (validated, versioned), the platform knows what is due and overdue
//! (and can suspend extended scopes of a partner too far behind), reconciles the partner's
//! platform counts with its own, and hands partners its own counts suppressed below a minimum
//! and, if configured, with discrete Laplace noise whose privacy budget is recorded per period.

use std::collections::BTreeMap;

use clearline_domain::report::{
    Cadence, CellKey, Obligation, Period, ReconciledCell, ReportDraft, days_overdue, obligations, reconcile,
    validate_submission,
};
use clearline_domain::{ClientKind, Partner, PartnerId, Tier};
use clearline_store::{Cells, CountRow, Store, SubmitRefusal, SubmittedReport};
use serde::{Deserialize, Serialize};

use crate::oauth::ClientAuth;
use crate::partners::Operator;
use crate::recommendations::{DEFAULT_MIN_COUNT, ReportCell, suppress};
use crate::{App, CoreError};

/// The most periods an obligations list goes back.
pub const MAX_OBLIGATIONS: usize = 104;

/// How reports work on this server (config section `[reports]`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ReportSettings {
    /// Days after a period's last day by which the partner's report is due.
    pub due_after_days: u32,
    /// Reconciliation flags a cell whose counts differ by more than this percentage.
    pub tolerance_pct: u32,
    /// Suspend a partner's extended-tier scopes while a report is overdue by more than this
    /// many days. Absent: never.
    pub suspend_extended_after_days: Option<u32>,
    /// Counts below this are withheld from reports handed to partners (0 withholds nothing).
    pub min_count: u64,
    /// Epsilon of the discrete Laplace noise added to each report handed to a partner. Absent: no noise.
    pub epsilon: Option<f64>,
    /// The most sends and clicks one person adds to a partner's counts per day (bounds each
    /// person's contribution, which the noise is calibrated to).
    pub max_daily_contributions: u32,
}

impl Default for ReportSettings {
    fn default() -> Self {
        Self {
            due_after_days: 3,
            tolerance_pct: 5,
            suspend_extended_after_days: None,
            min_count: DEFAULT_MIN_COUNT,
            epsilon: None,
            max_daily_contributions: 10,
        }
    }
}

/// The platform's report for a partner, as handed to it.
#[derive(Debug, Clone)]
pub struct PlatformReport {
    /// The cells, suppressed and perhaps noised.
    pub cells: Vec<ReportCell>,
    /// Epsilon spent on this report (0 without noise).
    pub epsilon: f64,
    /// The noise's scale (sensitivity / epsilon), 0 without noise.
    pub noise_scale: f64,
    /// Epsilon spent so far on the report's period, this report included.
    pub budget: f64,
}

/// Where a partner's reports stand.
#[derive(Debug, Clone)]
pub struct ReportStatus {
    /// Every ended period's obligation, newest first.
    pub obligations: Vec<Obligation>,
    /// Every version handed in, newest period first, then newest version.
    pub versions: Vec<SubmittedReport>,
    /// Whether a report overdue beyond the configured limit suspends the extended scopes.
    pub extended_suspended: bool,
}

/// A reconciliation of one submitted version against the platform's counts.
#[derive(Debug, Clone)]
pub struct Reconciliation {
    /// The version compared.
    pub report: SubmittedReport,
    /// Every platform-recipient cell either side has.
    pub cells: Vec<ReconciledCell>,
}

fn cadence(partner: &Partner, settings: &ReportSettings) -> Cadence {
    Cadence {
        first_day: partner.agreement.time_zone.day_of(partner.agreement.effective_from),
        cadence_days: i64::from(partner.agreement.report_cadence_days),
        due_after_days: i64::from(settings.due_after_days),
    }
}

fn cells_of(rows: Vec<CountRow>) -> Cells {
    rows.into_iter()
        .map(|r| {
            (CellKey { day: r.day, dimensions: r.dimensions, recipient_kind: r.recipient_kind }, (r.sends, r.clicks))
        })
        .collect()
}

/// Epsilon in millionths, as stored.
fn micros(epsilon: f64) -> u64 {
    // Positive and finite (checked by `laplace`); rounded up, the spend is never under-recorded.
    (epsilon * 1e6).ceil().clamp(1.0, 1e15) as u64
}

/// Adds discrete Laplace noise of `scale` to a count (clamped at 0, which is post-processing).
fn noised(count: u64, noise: &prio::dp::distributions::DiscreteLaplace) -> u64 {
    use rand_dp::distr::Distribution;
    let n = noise.sample(&mut rand_dp::rng());
    let n = i64::try_from(n).unwrap_or(0);
    u64::try_from(i64::try_from(count).unwrap_or(i64::MAX).saturating_add(n)).unwrap_or(0)
}

/// The discrete Laplace distribution of scale `sensitivity / epsilon`.
pub fn laplace(sensitivity: u64, epsilon: f64) -> Result<prio::dp::distributions::DiscreteLaplace, CoreError> {
    use prio::dp::{DifferentialPrivacyStrategy, PureDpBudget, Rational};
    let bad = |_| CoreError::Unprocessable { reason: "the configured epsilon is not usable" };
    if !(epsilon.is_finite() && epsilon > 0.0) {
        return Err(CoreError::Unprocessable { reason: "the configured epsilon is not usable" });
    }
    let eps = Rational::from_unsigned(micros(epsilon), 1_000_000).map_err(bad)?;
    let strategy = prio::dp::distributions::PureDpDiscreteLaplace::from_budget(PureDpBudget::new(eps).map_err(bad)?);
    strategy.create_distribution(Rational::from_unsigned(sensitivity, 1).map_err(bad)?).map_err(bad)
}

impl<S: Store> App<S> {
    /// The partner a confidential app's credentials (HTTP Basic) belong to.
    pub async fn partner_by_client(&self, auth: &ClientAuth) -> Result<Partner, CoreError> {
        match self.authenticate_client(auth).await {
            Ok(record) if record.app.kind == ClientKind::Confidential => Ok(record.partner),
            Ok(_) | Err(_) => Err(CoreError::InvalidClient),
        }
    }

    /// Validates and stores a partner's report as a new version for its period. A period
    /// whose due day has passed and which has a version is closed.
    pub async fn submit_report(&self, partner: &Partner, draft: ReportDraft) -> Result<SubmittedReport, CoreError> {
        let c = cadence(partner, &self.settings.reports);
        let submission = validate_submission(&draft, &c).map_err(CoreError::ReportInvalid)?;
        let now = self.clock.now();
        let due = c.due_day(submission.period);
        let today = partner.agreement.time_zone.day_of(now);
        match self.store.submit_report(partner.id, submission, now, today, due).await? {
            Ok(report) => Ok(report),
            Err(SubmitRefusal::PeriodClosed) => {
                Err(CoreError::Conflict { reason: "this period's report is past due and already handed in" })
            }
        }
    }

    /// One version (the latest if `None`) of the partner's report for the period starting `start`.
    pub async fn submitted_report(
        &self,
        partner: PartnerId,
        start: i64,
        version: Option<u32>,
    ) -> Result<(SubmittedReport, Cells), CoreError> {
        self.store.submitted_cells(partner, start, version).await?.ok_or(CoreError::NotFound { what: "report" })
    }

    /// Where the partner's reports stand: every ended period's obligation, every version
    /// handed in, and whether overdue reports suspend its extended scopes (one store read).
    pub async fn report_status(&self, partner: &Partner) -> Result<ReportStatus, CoreError> {
        let versions = self.store.submitted_reports(partner.id).await?;
        let zone = &partner.agreement.time_zone;
        let mut submitted: BTreeMap<i64, (i64, u32)> = BTreeMap::new();
        for r in &versions {
            let e = submitted.entry(r.period.start).or_insert((i64::MAX, 0));
            e.0 = e.0.min(zone.day_of(r.submitted_at));
            e.1 = e.1.max(r.version);
        }
        let today = zone.day_of(self.clock.now());
        let settings = &self.settings.reports;
        let obligations = obligations(&cadence(partner, settings), today, &submitted, MAX_OBLIGATIONS);
        let extended_suspended = settings.suspend_extended_after_days.is_some_and(|limit| {
            partner.agreement.tier == Tier::Extended && days_overdue(&obligations) > i64::from(limit)
        });
        Ok(ReportStatus { obligations, versions, extended_suspended })
    }

    /// Adds daily counts recorded elsewhere (an operator importing history; the demo).
    pub async fn backfill_report_counts(
        &self,
        _: Operator,
        partner: PartnerId,
        rows: Vec<CountRow>,
    ) -> Result<(), CoreError> {
        Ok(self.store.backfill_counts(partner, rows).await?)
    }

    /// How reports work on this server.
    pub fn report_settings(&self) -> &ReportSettings {
        &self.settings.reports
    }

    /// Whether the partner's extended-tier scopes are suspended for overdue reports (no store
    /// read unless the option is on and the partner is on the extended tier).
    pub(crate) async fn extended_suspended(&self, partner: &Partner) -> Result<bool, CoreError> {
        if self.settings.reports.suspend_extended_after_days.is_none() || partner.agreement.tier != Tier::Extended {
            return Ok(false);
        }
        Ok(self.report_status(partner).await?.extended_suspended)
    }

    /// Compares the latest (or given) version of the partner's report for the period starting
    /// `start` with the platform's own counts of platform recipients.
    pub async fn reconcile(
        &self,
        _: Operator,
        partner: PartnerId,
        start: i64,
        version: Option<u32>,
    ) -> Result<Reconciliation, CoreError> {
        let (report, theirs) = self.submitted_report(partner, start, version).await?;
        let ours = cells_of(self.store.report_counts(partner, report.period.start, report.period.end).await?);
        Ok(Reconciliation { cells: reconcile(&ours, &theirs, self.settings.reports.tolerance_pct), report })
    }

    /// The platform's counts for one of the partner's periods, as handed to the partner:
    /// small counts withheld, and with noise if configured (its budget recorded).
    pub async fn platform_report(&self, partner: &Partner, period: Period) -> Result<PlatformReport, CoreError> {
        let c = cadence(partner, &self.settings.reports);
        if !c.is_period(period) {
            return Err(CoreError::Unprocessable { reason: "from and to must be one of the agreement's periods" });
        }
        let mut rows = self.store.report_counts(partner.id, period.start, period.end).await?;
        let settings = &self.settings.reports;
        let (mut epsilon, mut noise_scale) = (0.0, 0.0);
        let spent = if let Some(eps) = settings.epsilon {
            // One person moves at most max_daily_contributions counts on each day of the period.
            let days = u64::try_from(period.end - period.start + 1).unwrap_or(1);
            let sensitivity = days * u64::from(settings.max_daily_contributions.max(1));
            let noise = laplace(sensitivity, eps)?;
            for r in &mut rows {
                r.sends = noised(r.sends, &noise);
                r.clicks = noised(r.clicks, &noise);
            }
            (epsilon, noise_scale) = (eps, sensitivity as f64 / eps);
            self.store.record_release(partner.id, period.start, micros(eps), self.clock.now()).await?
        } else {
            self.store.budget_spent(partner.id, period.start).await?
        };
        let budget = spent as f64 / 1e6;
        Ok(PlatformReport { cells: suppress(rows, settings.min_count), epsilon, noise_scale, budget })
    }
}

#[cfg(test)]
mod tests {
    use rand_dp::distr::Distribution;

    use super::*;

    #[test]
    fn noise_has_the_documented_scale() {
        // Discrete Laplace with scale b: mean |X| is about b for large b; check it lands near.
        let noise = laplace(20, 2.0).unwrap();
        let n = 20_000;
        let total: i64 = (0..n).map(|_| i64::try_from(noise.sample(&mut rand_dp::rng())).unwrap().abs()).sum();
        let mean = total as f64 / f64::from(n);
        assert!((8.0..12.0).contains(&mean), "mean |noise| {mean} for scale 10");
        assert!(laplace(1, 0.0).is_err(), "epsilon 0 is refused");
    }
}
