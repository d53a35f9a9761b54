//! Partner reports: the periods an agreement's cadence cuts time into, when each period's report
//! is due, the validation of a report a partner submits (every bad row and field named, never a
//! per-person column), and the reconciliation of its platform counts against the platform's own.

use std::collections::{BTreeMap, BTreeSet};

use crate::{Dimension, Dimensions, RecipientKind, format_day, parse_day};

/// The most rows one submitted report may hold.
pub const MAX_REPORT_ROWS: usize = 50_000;

/// The columns of a report, in order.
pub const REPORT_COLUMNS: [&str; 7] =
    ["date", "interface", "initiation_surface", "variant", "recipient_kind", "sends", "clicks"];

/// Words in column names that identify a person; a column with one of them is refused.
const PERSONAL_WORDS: &[&str] = &[
    "user", "users", "userid", "person", "people", "email", "mail", "phone", "name", "handle", "ip", "device",
    "account", "member", "customer", "profile", "sender", "friend", "address", "cookie", "session", "uid", "login",
];

/// Parts of column names that identify a person wherever they appear.
const PERSONAL_PARTS: &[&str] = &["email", "phone", "userid", "user_id", "recipient_id", "ipaddr"];

/// A reporting period: days `start..=end` (days since 1970-01-01).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Period {
    /// First day.
    pub start: i64,
    /// Last day, inclusive.
    pub end: i64,
}

/// How an agreement cuts time into report periods: `cadence_days` long, from `first_day` on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cadence {
    /// The day the agreement took effect: the first period's first day.
    pub first_day: i64,
    /// Days per period.
    pub cadence_days: i64,
    /// Days after a period's last day by which its report is due (end of that day).
    pub due_after_days: i64,
}

impl Cadence {
    /// The period containing `day`, if the agreement had started by then.
    pub fn period_of(&self, day: i64) -> Option<Period> {
        if day < self.first_day || self.cadence_days < 1 {
            return None;
        }
        let start = self.first_day + (day - self.first_day) / self.cadence_days * self.cadence_days;
        Some(Period { start, end: start + self.cadence_days - 1 })
    }

    /// Whether `start..=end` is exactly one period.
    pub fn is_period(&self, p: Period) -> bool {
        self.period_of(p.start) == Some(p)
    }

    /// The last day a period's report may be handed in on time.
    pub fn due_day(&self, p: Period) -> i64 {
        p.end + self.due_after_days
    }

    /// Every period that has ended by `today`, newest first, at most `limit` of them.
    pub fn ended_periods(&self, today: i64, limit: usize) -> Vec<Period> {
        let mut out = Vec::new();
        let Some(mut p) = self.period_of(today) else { return out };
        while out.len() < limit && p.start > self.first_day {
            p = Period { start: p.start - self.cadence_days, end: p.start - 1 };
            out.push(p);
        }
        out
    }
}

/// Where a period's report stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ObligationStatus {
    /// Handed in; `late` if its first version came after the due day.
    Submitted {
        /// Handed in after the due day.
        late: bool,
    },
    /// Not handed in yet, and not late yet.
    Due,
    /// Not handed in, and the due day has passed by `days`.
    Overdue {
        /// Days past the due day.
        days: i64,
    },
}

/// One period's report obligation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Obligation {
    /// The period.
    pub period: Period,
    /// The last day to hand it in on time.
    pub due_day: i64,
    /// Where it stands.
    pub status: ObligationStatus,
    /// Versions handed in.
    pub versions: u32,
}

/// The obligations of every ended period (newest first, at most `limit`), given for each
/// period start the day its first version came in and how many versions there are.
pub fn obligations(
    cadence: &Cadence,
    today: i64,
    submitted: &BTreeMap<i64, (i64, u32)>,
    limit: usize,
) -> Vec<Obligation> {
    cadence
        .ended_periods(today, limit)
        .into_iter()
        .map(|period| {
            let due_day = cadence.due_day(period);
            let (status, versions) = match submitted.get(&period.start) {
                Some(&(first, versions)) => (ObligationStatus::Submitted { late: first > due_day }, versions),
                None if today > due_day => (ObligationStatus::Overdue { days: today - due_day }, 0),
                None => (ObligationStatus::Due, 0),
            };
            Obligation { period, due_day, status, versions }
        })
        .collect()
}

/// The most days any report is overdue (0 if none).
pub fn days_overdue(obligations: &[Obligation]) -> i64 {
    obligations
        .iter()
        .filter_map(|o| match o.status {
            ObligationStatus::Overdue { days } => Some(days),
            _ => None,
        })
        .max()
        .unwrap_or(0)
}

/// One value of a submitted row as it arrived.
#[derive(Debug, Clone, PartialEq)]
pub enum RawValue {
    /// Text (every CSV field; JSON strings).
    Text(String),
    /// A JSON whole number.
    Int(i64),
    /// A JSON number with a fraction, or anything else that is not text or a whole number.
    Other(String),
}

/// A submitted report before validation: the period and the rows, each a list of named values.
#[derive(Debug, Clone, Default)]
pub struct ReportDraft {
    /// First day, `YYYY-MM-DD`.
    pub from: String,
    /// Last day, `YYYY-MM-DD`.
    pub to: String,
    /// The rows, in order; each value under its column's name.
    pub rows: Vec<Vec<(String, RawValue)>>,
}

/// One thing wrong with a submitted report.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct ReportProblem {
    /// The data row (1 = the first row after any header); `None` for the report as a whole.
    pub row: Option<usize>,
    /// The field or column.
    pub field: String,
    /// What is wrong, in words.
    pub problem: String,
}

/// One cell of a report: a day, dimensions and recipient kind.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct CellKey {
    /// Days since 1970-01-01.
    pub day: i64,
    /// The dimensions.
    pub dimensions: Dimensions,
    /// Platform or external.
    pub recipient_kind: RecipientKind,
}

/// A submitted report that passed validation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Submission {
    /// The period it covers.
    pub period: Period,
    /// Sends and clicks per cell.
    pub cells: BTreeMap<CellKey, (u64, u64)>,
}

fn is_personal(column: &str) -> bool {
    let c = column.to_ascii_lowercase();
    c.split(|ch: char| !ch.is_ascii_alphanumeric()).any(|w| PERSONAL_WORDS.contains(&w))
        || PERSONAL_PARTS.iter().any(|p| c.contains(p))
        || c == "recipient"
}

/// Checks a submitted report against the agreement's `cadence`; every problem is named.
pub fn validate_submission(draft: &ReportDraft, cadence: &Cadence) -> Result<Submission, Vec<ReportProblem>> {
    let mut problems = BTreeSet::new();
    let mut whole = |field: &str, problem: String| {
        problems.insert(ReportProblem { row: None, field: field.to_owned(), problem });
    };
    let from = parse_day(&draft.from).map_err(|_| "must be a date, YYYY-MM-DD".to_owned());
    let to = parse_day(&draft.to).map_err(|_| "must be a date, YYYY-MM-DD".to_owned());
    let mut period = None;
    match (from, to) {
        (Ok(start), Ok(end)) => {
            let p = Period { start, end };
            if cadence.is_period(p) {
                period = Some(p);
            } else {
                let near = cadence.period_of(start).or(cadence.period_of(cadence.first_day));
                let hint = near.map_or(String::new(), |q| {
                    format!(" (the period around it is {} to {})", format_day(q.start), format_day(q.end))
                });
                whole(
                    "from",
                    format!("the period is not one of the agreement's {}-day periods{hint}", cadence.cadence_days),
                );
            }
        }
        (from, to) => {
            if let Err(e) = from {
                whole("from", e);
            }
            if let Err(e) = to {
                whole("to", e);
            }
        }
    }
    if draft.rows.len() > MAX_REPORT_ROWS {
        whole("rows", format!("at most {MAX_REPORT_ROWS} rows"));
    }
    let mut columns = BTreeSet::new();
    for row in &draft.rows {
        columns.extend(row.iter().map(|(name, _)| name.as_str()));
    }
    for c in &columns {
        if is_personal(c) {
            whole(c, "per-person data is never accepted: a report holds aggregate counts only".to_owned());
        } else if !REPORT_COLUMNS.contains(c) {
            whole(c, format!("unknown dimension; the columns are {}", REPORT_COLUMNS.join(", ")));
        }
    }
    let mut cells = BTreeMap::new();
    for (i, row) in draft.rows.iter().enumerate() {
        let n = i + 1;
        let mut bad = |field: &str, problem: &str| {
            problems.insert(ReportProblem { row: Some(n), field: field.to_owned(), problem: problem.to_owned() });
        };
        let get = |name: &str| row.iter().find(|(c, _)| c == name).map(|(_, v)| v);
        let text = |name: &str| match get(name) {
            Some(RawValue::Text(t)) => Ok(t.as_str()),
            Some(_) => Err("must be text"),
            None => Err("is missing"),
        };
        let day = match text("date").map(|t| (t, parse_day(t))) {
            Ok((_, Ok(day))) => match period {
                Some(p) if day < p.start || day > p.end => {
                    bad("date", "is outside the report's period");
                    None
                }
                _ => Some(day),
            },
            Ok((_, Err(_))) => {
                bad("date", "must be a date, YYYY-MM-DD");
                None
            }
            Err(e) => {
                bad("date", e);
                None
            }
        };
        let mut dimension = |name: &str| match text(name).map(Dimension::parse) {
            Ok(Ok(d)) => Some(d),
            Ok(Err(_)) => {
                bad(name, "must be 1 to 64 of a-z, A-Z, 0-9, _ - . :");
                None
            }
            Err(e) => {
                bad(name, e);
                None
            }
        };
        let (interface, surface, variant) =
            (dimension("interface"), dimension("initiation_surface"), dimension("variant"));
        let kind = match text("recipient_kind") {
            Ok(t) => RecipientKind::from_name(t).or_else(|| {
                bad("recipient_kind", "must be platform or external");
                None
            }),
            Err(e) => {
                bad("recipient_kind", e);
                None
            }
        };
        let mut count = |name: &str| match get(name) {
            Some(RawValue::Int(v)) if *v >= 0 => Some(v.unsigned_abs()),
            Some(RawValue::Int(_)) => {
                bad(name, "must not be negative");
                None
            }
            Some(RawValue::Text(t)) if !t.is_empty() && t.bytes().all(|b| b.is_ascii_digit()) => {
                t.parse().ok().or_else(|| {
                    bad(name, "is too large");
                    None
                })
            }
            Some(RawValue::Text(t)) if t.starts_with('-') => {
                bad(name, "must not be negative");
                None
            }
            Some(_) => {
                bad(name, "must be a whole number");
                None
            }
            None => {
                bad(name, "is missing");
                None
            }
        };
        let (sends, clicks) = (count("sends"), count("clicks"));
        if let (Some(day), Some(interface), Some(initiation_surface), Some(variant), Some(recipient_kind)) =
            (day, interface, surface, variant, kind)
        {
            let key =
                CellKey { day, dimensions: Dimensions { interface, initiation_surface, variant }, recipient_kind };
            if cells.insert(key, (sends.unwrap_or(0), clicks.unwrap_or(0))).is_some() {
                bad("date", "repeats a row with the same date, dimensions and recipient kind");
            }
        }
    }
    match period {
        Some(period) if problems.is_empty() => Ok(Submission { period, cells }),
        _ => Err(problems.into_iter().collect()),
    }
}

/// One cell compared: the platform's count and the partner's.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReconciledCell {
    /// The cell (platform recipients only: those are the ones the platform sees).
    pub key: CellKey,
    /// (sends, clicks) as counted by the platform.
    pub ours: (u64, u64),
    /// (sends, clicks) as reported by the partner.
    pub theirs: (u64, u64),
    /// Whether either count differs by more than the tolerance.
    pub flagged: bool,
}

/// Whether two counts differ by more than `tolerance_pct` percent of the larger (and by more
/// than one, so single stragglers around midnight are not flagged).
pub fn differs(a: u64, b: u64, tolerance_pct: u32) -> bool {
    let diff = a.abs_diff(b);
    diff > 1 && diff.saturating_mul(100) > a.max(b).saturating_mul(u64::from(tolerance_pct))
}

/// Compares the platform's counts with a submission, cell by cell, for platform recipients:
/// every cell either side has, flagged where they differ by more than the tolerance.
pub fn reconcile(
    ours: &BTreeMap<CellKey, (u64, u64)>,
    theirs: &BTreeMap<CellKey, (u64, u64)>,
    tolerance_pct: u32,
) -> Vec<ReconciledCell> {
    let keys: BTreeSet<&CellKey> =
        ours.keys().chain(theirs.keys()).filter(|k| k.recipient_kind == RecipientKind::Platform).collect();
    keys.into_iter()
        .map(|key| {
            let o = ours.get(key).copied().unwrap_or_default();
            let t = theirs.get(key).copied().unwrap_or_default();
            let flagged = differs(o.0, t.0, tolerance_pct) || differs(o.1, t.1, tolerance_pct);
            ReconciledCell { key: key.clone(), ours: o, theirs: t, flagged }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Fortnights from 2026-11-01 (day 20393), due three days after.
    fn cadence() -> Cadence {
        Cadence { first_day: parse_day("2026-11-01").unwrap(), cadence_days: 14, due_after_days: 3 }
    }

    fn text(s: &str) -> RawValue {
        RawValue::Text(s.to_owned())
    }

    fn good_row(date: &str) -> Vec<(String, RawValue)> {
        [
            ("date", text(date)),
            ("interface", text("tv")),
            ("initiation_surface", text("post_play")),
            ("variant", text("a")),
            ("recipient_kind", text("platform")),
            ("sends", RawValue::Int(12)),
            ("clicks", text("3")),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v))
        .collect()
    }

    fn draft(rows: Vec<Vec<(String, RawValue)>>) -> ReportDraft {
        ReportDraft { from: "2026-11-15".into(), to: "2026-11-28".into(), rows }
    }

    fn with(mut row: Vec<(String, RawValue)>, field: &str, value: Option<RawValue>) -> Vec<(String, RawValue)> {
        row.retain(|(k, _)| k != field);
        if let Some(v) = value {
            row.push((field.to_owned(), v));
        }
        row
    }

    fn problems(d: &ReportDraft) -> Vec<(Option<usize>, String)> {
        validate_submission(d, &cadence()).unwrap_err().into_iter().map(|p| (p.row, p.field)).collect()
    }

    #[test]
    fn periods_follow_the_cadence_from_the_agreement_start() {
        let c = cadence();
        let d = |s: &str| parse_day(s).unwrap();
        assert_eq!(c.period_of(d("2026-10-31")), None);
        assert_eq!(c.period_of(d("2026-11-20")), Some(Period { start: d("2026-11-15"), end: d("2026-11-28") }));
        assert!(c.is_period(Period { start: d("2026-11-15"), end: d("2026-11-28") }));
        assert!(!c.is_period(Period { start: d("2026-11-16"), end: d("2026-11-29") }), "misaligned");
        assert!(!c.is_period(Period { start: d("2026-11-15"), end: d("2026-11-27") }), "too short");
        let ended = c.ended_periods(d("2026-12-01"), 10);
        assert_eq!(ended.iter().map(|p| format_day(p.start)).collect::<Vec<_>>(), vec!["2026-11-15", "2026-11-01"]);
    }

    #[test]
    fn obligations_are_due_then_overdue_unless_submitted() {
        let c = cadence();
        let d = |s: &str| parse_day(s).unwrap();
        // On 2026-12-01 the first fortnight (due 11-17) is overdue by 14 days, the second due until 12-01.
        let none = obligations(&c, d("2026-12-01"), &BTreeMap::new(), 10);
        let statuses: Vec<_> = none.iter().map(|o| o.status).collect();
        assert_eq!(statuses, vec![ObligationStatus::Due, ObligationStatus::Overdue { days: 14 }]);
        assert_eq!(days_overdue(&none), 14);
        assert_eq!(none[0].due_day, d("2026-12-01"));
        let next_day = obligations(&c, d("2026-12-02"), &BTreeMap::new(), 10);
        assert_eq!(next_day[0].status, ObligationStatus::Overdue { days: 1 });
        // Handed in: on time, or late.
        let submitted =
            BTreeMap::from([(d("2026-11-01"), (d("2026-11-20"), 2)), (d("2026-11-15"), (d("2026-11-30"), 1))]);
        let got = obligations(&c, d("2026-12-02"), &submitted, 10);
        assert_eq!(got[0].status, ObligationStatus::Submitted { late: false });
        assert_eq!((got[1].status, got[1].versions), (ObligationStatus::Submitted { late: true }, 2));
        assert_eq!(days_overdue(&got), 0);
    }

    #[test]
    fn a_good_report_passes_with_its_cells() {
        let s = validate_submission(&draft(vec![good_row("2026-11-15"), good_row("2026-11-28")]), &cadence()).unwrap();
        assert_eq!(s.cells.len(), 2);
        assert!(s.cells.values().all(|&v| v == (12, 3)));
    }

    #[test]
    fn every_bad_row_and_field_is_named() {
        let rows = vec![
            good_row("2026-11-15"),
            good_row("2026-11-29"), // 2: outside the period
            with(good_row("2026-11-16"), "sends", Some(RawValue::Int(-1))), // 3: negative
            with(good_row("2026-11-17"), "clicks", Some(text("2.5"))), // 4: not whole
            with(good_row("2026-11-18"), "clicks", Some(RawValue::Other("2.5".into()))), // 5: not whole
            with(good_row("2026-11-19"), "interface", Some(text("smart tv"))), // 6: bad dimension value
            with(good_row("2026-11-20"), "recipient_kind", Some(text("friend"))), // 7
            with(good_row("2026-11-21"), "variant", None), // 8: missing
            good_row("2026-11-15"), // 9: repeated cell
            with(good_row("2026-02-30"), "sends", Some(text("-4"))), // 10: not a date, negative
        ];
        let got = problems(&draft(rows));
        let want: Vec<(Option<usize>, String)> = [
            (2, "date"),
            (3, "sends"),
            (4, "clicks"),
            (5, "clicks"),
            (6, "interface"),
            (7, "recipient_kind"),
            (8, "variant"),
            (9, "date"),
            (10, "date"),
            (10, "sends"),
        ]
        .into_iter()
        .map(|(r, f)| (Some(r), f.to_owned()))
        .collect();
        assert_eq!(got, want);
    }

    #[test]
    fn misaligned_periods_unknown_dimensions_and_personal_columns_are_refused() {
        let mut d = draft(vec![good_row("2026-11-16")]);
        d.from = "2026-11-16".into();
        d.to = "2026-11-29".into();
        assert_eq!(problems(&d), vec![(None, "from".to_owned())]);
        d.from = "someday".into();
        assert_eq!(problems(&d), vec![(None, "from".to_owned())]);
        let extra = |name: &str, date: &str| with(good_row(date), name, Some(text("x")));
        let rows = vec![
            extra("country", "2026-11-16"),
            extra("recipient_email", "2026-11-17"),
            extra("user_id", "2026-11-18"),
            extra("IP", "2026-11-19"),
        ];
        let got = problems(&draft(rows));
        assert_eq!(
            got,
            ["IP", "country", "recipient_email", "user_id"].iter().map(|f| (None, (*f).to_owned())).collect::<Vec<_>>()
        );
        let all = validate_submission(&draft(vec![extra("user_id", "2026-11-16")]), &cadence()).unwrap_err();
        assert!(all[0].problem.contains("per-person"), "{all:?}");
        let unknown = validate_submission(&draft(vec![extra("description", "2026-11-16")]), &cadence()).unwrap_err();
        assert!(unknown[0].problem.contains("unknown dimension"), "{unknown:?}");
    }

    #[test]
    fn reconciliation_flags_cells_beyond_the_tolerance() {
        let d = |s: &str| Dimension::parse(s).unwrap();
        let key = |day: i64, kind: RecipientKind| CellKey {
            day,
            dimensions: Dimensions { interface: d("tv"), initiation_surface: d("post_play"), variant: d("a") },
            recipient_kind: kind,
        };
        let ours = BTreeMap::from([
            (key(1, RecipientKind::Platform), (100, 10)),
            (key(2, RecipientKind::Platform), (100, 10)),
            (key(3, RecipientKind::Platform), (5, 0)),
        ]);
        let theirs = BTreeMap::from([
            (key(1, RecipientKind::Platform), (104, 10)), // within 5 %
            (key(2, RecipientKind::Platform), (120, 10)), // 20 off
            (key(4, RecipientKind::Platform), (30, 0)),   // only theirs
            (key(4, RecipientKind::External), (500, 0)),  // not the platform's to check
        ]);
        let got: Vec<(i64, bool)> = reconcile(&ours, &theirs, 5).iter().map(|c| (c.key.day, c.flagged)).collect();
        assert_eq!(got, vec![(1, false), (2, true), (3, true), (4, true)]);
        assert!(!differs(1, 2, 0), "a difference of one is never flagged");
        assert!(differs(0, 2, 50));
    }
}
