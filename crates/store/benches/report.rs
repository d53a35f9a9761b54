//! The daily report's read: a year of counters holding 10 million sends and clicks for one
//! partner (365 days x 3 interfaces x 3 surfaces x 4 variants x 2 recipient kinds), then a
//! 14-day report read many times. Prints the counter rows, the events they stand for, and the
//! read's latency. Run: `cargo bench -p clearline-store --bench report`.

use std::time::Instant;

use clearline_domain::{
    Agreement, Dimension, Dimensions, OrgName, PartnerSlug, RecipientKind, ReportZone, Scopes, Tier, Timestamp,
};
use clearline_store::{CountRow, NewPartner, PartnerStore, ReportStore, SqliteOptions, SqliteStore};

const DAYS: i64 = 365;
const TARGET_EVENTS: u64 = 10_000_000;
const READS: usize = 500;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let dir = tempfile::tempdir()?;
    let store = SqliteStore::open(SqliteOptions::new(dir.path().join("bench.db")))?;
    let agreement = Agreement {
        tier: Tier::Standard,
        scopes: Scopes::parse("inbox:send")?,
        max_grant_days: 90,
        report_cadence_days: 14,
        time_zone: ReportZone::utc(),
        effective_from: Timestamp::from_millis(0),
        effective_until: None,
        suspended_at: None,
    };
    let partner = store
        .create_partner(NewPartner {
            slug: PartnerSlug::parse("bench")?,
            name: OrgName::parse("Bench")?,
            agreement,
            created_at: Timestamp::from_millis(0),
        })
        .await?;
    let d = |s: &str| Dimension::parse(s);
    let mut cells = Vec::new();
    for i in ["tv", "mobile", "web"] {
        for s in ["post_play", "title_page", "browse_row"] {
            for v in ["control", "arm_b", "arm_c", "arm_d"] {
                for k in [RecipientKind::Platform, RecipientKind::External] {
                    cells.push((Dimensions { interface: d(i)?, initiation_surface: d(s)?, variant: d(v)? }, k));
                }
            }
        }
    }
    // Spread the events evenly: sends and clicks (one click per five sends) per cell per day.
    let per_cell_day = TARGET_EVENTS.div_ceil(DAYS as u64 * cells.len() as u64);
    let clicks = per_cell_day / 6;
    let sends = per_cell_day - clicks;
    let first_day = 20_000;
    let started = Instant::now();
    for day in first_day..first_day + DAYS {
        let rows = cells
            .iter()
            .map(|(dimensions, kind)| CountRow {
                day,
                dimensions: dimensions.clone(),
                recipient_kind: *kind,
                sends,
                clicks,
            })
            .collect();
        store.backfill_counts(partner.id, rows).await?;
    }
    let events = (sends + clicks) * DAYS as u64 * cells.len() as u64;
    println!(
        "counters: {} rows for {events} sends and clicks, written in {:.1} s",
        DAYS as usize * cells.len(),
        started.elapsed().as_secs_f64()
    );
    let mut micros = Vec::with_capacity(READS);
    let mut total = 0;
    for i in 0..READS {
        let from = first_day + (i as i64 * 7) % (DAYS - 14);
        let t = Instant::now();
        let rows = store.report_counts(partner.id, from, from + 13).await?;
        micros.push(t.elapsed().as_micros() as u64);
        total += rows.len();
    }
    micros.sort_unstable();
    let at = |q: f64| micros[((micros.len() - 1) as f64 * q) as usize] as f64 / 1000.0;
    println!(
        "14-day report ({} cells each): p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms over {READS} reads",
        total / READS,
        at(0.5),
        at(0.99),
        at(1.0)
    );
    Ok(())
}
