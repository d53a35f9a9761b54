//! [`ReportStore`] on SQLite: recommendations sent as app messages with tracked cards, links
//! and clicks, and the daily counters, all updated in the transaction of the event itself.

use clearline_domain::report::{CellKey, Period, Submission};
use clearline_domain::{
    AccessEventId, DenyReason, Dimension, Dimensions, NewAccessEvent, PartnerId, RecipientKind, ReportZone, Timestamp,
    UserId,
};
use rusqlite::{Connection, OptionalExtension};

use super::SqliteStore;
use super::access::checked_app_send;
use super::rows::{Prep, corrupt};
use crate::StoreError;
use crate::partner::{
    AppSend, AppSendContext, AppSendOutcome, Cells, CountRow, Followed, NewRecommendation, ReportStore, SubmitRefusal,
    SubmittedReport,
};
use crate::traits::StoreResult;

/// Adds to one report cell.
fn bump(
    c: &Connection,
    partner: PartnerId,
    day: i64,
    d: &Dimensions,
    kind: RecipientKind,
    sends: i64,
    clicks: i64,
) -> Result<(), StoreError> {
    c.prep(
        "INSERT INTO report_counts (partner_id, day, interface, initiation_surface, variant, recipient_kind, sends, clicks)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
         ON CONFLICT (partner_id, day, interface, initiation_surface, variant, recipient_kind)
         DO UPDATE SET sends = sends + excluded.sends, clicks = clicks + excluded.clicks",
    )?
    .execute(rusqlite::params![
        partner.raw(),
        day,
        d.interface.as_str(),
        d.initiation_surface.as_str(),
        d.variant.as_str(),
        kind.as_str(),
        sends,
        clicks
    ])?;
    Ok(())
}

fn insert_recommendation(c: &Connection, send: &AppSend, rec: &NewRecommendation) -> Result<i64, StoreError> {
    let card = &rec.title.card;
    let id: i64 = c
        .prep(
            "INSERT INTO recommendations (app_id, sender_id, title_id, title_name, title_url, image_url, interface,
                                          initiation_surface, variant, created_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id",
        )?
        .query_row(
            rusqlite::params![
                send.app_id.raw(),
                send.sender_id.raw(),
                rec.title.id,
                card.title(),
                card.url(),
                card.image_url(),
                rec.dimensions.interface.as_str(),
                rec.dimensions.initiation_surface.as_str(),
                rec.dimensions.variant.as_str(),
                send.created_at.millis()
            ],
            |r| r.get(0),
        )?;
    let mut link = c.prep(
        "INSERT INTO tracked_links (code_hash, recommendation_id, recipient_kind, recipient_id, expires_at)
         VALUES ($1, $2, $3, $4, $5)",
    )?;
    for (hash, kind, recipient) in &rec.links {
        link.execute(rusqlite::params![
            hash.as_slice(),
            id,
            kind.as_str(),
            recipient.map(|u| u.raw()),
            rec.links_expire_at.millis()
        ])?;
    }
    let mut platform = 0;
    for (_, _, recipient) in &rec.links {
        if let Some(user) = recipient
            && contributes(c, rec.partner_id, rec.day, *user, rec.max_daily_contributions)?
        {
            platform += 1;
        }
    }
    let external = rec.links.iter().filter(|(_, k, _)| *k == RecipientKind::External).count() as i64;
    for (kind, n) in [(RecipientKind::Platform, platform), (RecipientKind::External, external)] {
        if n > 0 {
            bump(c, rec.partner_id, rec.day, &rec.dimensions, kind, n, 0)?;
        }
    }
    Ok(id)
}

/// A live tracked link, as a click needs it.
struct Link {
    url: String,
    dimensions: Dimensions,
    kind: RecipientKind,
    partner: PartnerId,
    recipient: Option<UserId>,
    /// The report day of the click, in the partner's agreed time zone.
    day: i64,
    /// Whether the link's click was already counted on that day.
    clicked_today: bool,
}

/// The unexpired link with this code hash, as followed at `now`.
fn find_link(c: &Connection, code_hash: [u8; 32], now: Timestamp) -> Result<Option<Link>, StoreError> {
    Ok(c.prep(
        "SELECT r.title_url, r.interface, r.initiation_surface, r.variant, l.recipient_kind, a.partner_id,
                l.recipient_id, p.time_zone,
                (SELECT MAX(k.day) FROM link_clicks k WHERE k.code_hash = l.code_hash)
         FROM tracked_links l JOIN recommendations r ON r.id = l.recommendation_id
           JOIN apps a ON a.id = r.app_id JOIN partners p ON p.id = a.partner_id
         WHERE l.code_hash = $1 AND l.expires_at > $2",
    )?
    .query_row(rusqlite::params![code_hash.as_slice(), now.millis()], |r| {
        let zone = ReportZone::parse(&r.get::<_, String>(7)?).map_err(|_| corrupt("time zone"))?;
        let day = zone.day_of(now);
        Ok(Link {
            url: r.get(0)?,
            dimensions: Dimensions {
                interface: dimension(r.get(1)?)?,
                initiation_surface: dimension(r.get(2)?)?,
                variant: dimension(r.get(3)?)?,
            },
            kind: RecipientKind::from_name(&r.get::<_, String>(4)?).ok_or_else(|| corrupt("kind"))?,
            partner: PartnerId::from_raw(r.get(5)?),
            recipient: r.get::<_, Option<i64>>(6)?.map(UserId::from_raw),
            day,
            // Days only move forward; a later one (the zone moved east) counts as today.
            clicked_today: r.get::<_, Option<i64>>(8)?.is_some_and(|last| last >= day),
        })
    })
    .optional()?)
}

/// Counts one more contribution of `user` to the partner's counts on `day`; whether it is
/// within `cap` (and so may be counted).
fn contributes(c: &Connection, partner: PartnerId, day: i64, user: UserId, cap: u32) -> Result<bool, StoreError> {
    let n: i64 = c
        .prep(
            "INSERT INTO daily_contributions (partner_id, day, user_id, n) VALUES ($1, $2, $3, 1)
             ON CONFLICT (partner_id, day, user_id) DO UPDATE SET n = n + 1 RETURNING n",
        )?
        .query_row(rusqlite::params![partner.raw(), day, user.raw()], |r| r.get(0))?;
    Ok(n <= i64::from(cap))
}

fn dimension(text: String) -> rusqlite::Result<Dimension> {
    Dimension::parse(&text).map_err(|_| corrupt("dimension"))
}

/// Reads `day, interface, initiation_surface, variant, recipient_kind, sends, clicks`.
fn count_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<CountRow> {
    Ok(CountRow {
        day: r.get(0)?,
        dimensions: Dimensions {
            interface: dimension(r.get(1)?)?,
            initiation_surface: dimension(r.get(2)?)?,
            variant: dimension(r.get(3)?)?,
        },
        recipient_kind: RecipientKind::from_name(&r.get::<_, String>(4)?).ok_or_else(|| corrupt("kind"))?,
        sends: u64::try_from(r.get::<_, i64>(5)?).map_err(|_| corrupt("count"))?,
        clicks: u64::try_from(r.get::<_, i64>(6)?).map_err(|_| corrupt("count"))?,
    })
}

/// Reads `period_start, period_end, version, submitted_at`.
fn submitted(r: &rusqlite::Row<'_>) -> rusqlite::Result<SubmittedReport> {
    Ok(SubmittedReport {
        period: Period { start: r.get(0)?, end: r.get(1)? },
        version: r.get(2)?,
        submitted_at: Timestamp::from_millis(r.get(3)?),
    })
}

fn to_i64(n: u64) -> Result<i64, StoreError> {
    i64::try_from(n).map_err(|_| StoreError::Corrupt("count out of range".into()))
}

impl ReportStore for SqliteStore {
    async fn recommend(
        &self,
        send: AppSend,
        rec: NewRecommendation,
        event: NewAccessEvent,
        check: impl FnOnce(&AppSendContext) -> Result<(), DenyReason> + Send + 'static,
    ) -> StoreResult<(AccessEventId, AppSendOutcome)> {
        self.workers
            .write(move |c, state| {
                checked_app_send(c, state, send, event, check, |c, send| insert_recommendation(c, send, &rec).map(drop))
            })
            .await
    }

    async fn follow_link(
        &self,
        code_hash: [u8; 32],
        now: Timestamp,
        count: bool,
        cap: u32,
    ) -> StoreResult<Option<Followed>> {
        // Most follows change nothing (HEAD, previews, a link already clicked today): a reader
        // answers those, and only a click to count goes to the writer.
        let seen = self.workers.read(move |c| find_link(c, code_hash, now)).await?;
        match seen {
            None => return Ok(None),
            Some(link) if !count || link.clicked_today => {
                return Ok(Some(Followed { url: link.url, counted: false }));
            }
            Some(_) => {}
        }
        self.workers
            .write(move |c, _| {
                let Some(link) = find_link(c, code_hash, now)? else { return Ok(None) };
                let day = link.day;
                let counted = c
                    .prep("INSERT INTO link_clicks (code_hash, day) VALUES ($1, $2) ON CONFLICT DO NOTHING")?
                    .execute(rusqlite::params![code_hash.as_slice(), day])?
                    == 1;
                let within = match link.recipient {
                    Some(user) if counted => contributes(c, link.partner, day, user, cap)?,
                    _ => true,
                };
                if counted && within {
                    bump(c, link.partner, day, &link.dimensions, link.kind, 0, 1)?;
                }
                Ok(Some(Followed { url: link.url, counted }))
            })
            .await
    }

    async fn report_counts(&self, partner: PartnerId, from: i64, to: i64) -> StoreResult<Vec<CountRow>> {
        self.workers
            .read(move |c| {
                let mut stmt = c.prep(
                    "SELECT day, interface, initiation_surface, variant, recipient_kind, sends, clicks
                     FROM report_counts WHERE partner_id = $1 AND day >= $2 AND day <= $3
                     ORDER BY day, interface, initiation_surface, variant, recipient_kind",
                )?;
                let rows = stmt.query_map(rusqlite::params![partner.raw(), from, to], count_row)?;
                Ok(rows.collect::<Result<_, _>>()?)
            })
            .await
    }

    async fn submit_report(
        &self,
        partner: PartnerId,
        submission: Submission,
        now: Timestamp,
        today: i64,
        due_day: i64,
    ) -> StoreResult<Result<SubmittedReport, SubmitRefusal>> {
        self.workers
            .write(move |c, _| {
                let p = submission.period;
                let versions: u32 = c
                    .prep("SELECT count(*) FROM submitted_reports WHERE partner_id = $1 AND period_start = $2")?
                    .query_row(rusqlite::params![partner.raw(), p.start], |r| r.get(0))?;
                if versions > 0 && today > due_day {
                    return Ok(Err(SubmitRefusal::PeriodClosed));
                }
                let report = SubmittedReport { period: p, version: versions + 1, submitted_at: now };
                let id: i64 = c
                    .prep(
                        "INSERT INTO submitted_reports (partner_id, period_start, period_end, version, submitted_at)
                         VALUES ($1, $2, $3, $4, $5) RETURNING id",
                    )?
                    .query_row(rusqlite::params![partner.raw(), p.start, p.end, report.version, now.millis()], |r| {
                        r.get(0)
                    })?;
                let mut cell = c.prep(
                    "INSERT INTO submitted_report_cells
                       (report_id, day, interface, initiation_surface, variant, recipient_kind, sends, clicks)
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
                )?;
                for (k, (sends, clicks)) in &submission.cells {
                    cell.execute(rusqlite::params![
                        id,
                        k.day,
                        k.dimensions.interface.as_str(),
                        k.dimensions.initiation_surface.as_str(),
                        k.dimensions.variant.as_str(),
                        k.recipient_kind.as_str(),
                        to_i64(*sends)?,
                        to_i64(*clicks)?
                    ])?;
                }
                Ok(Ok(report))
            })
            .await
    }

    async fn submitted_reports(&self, partner: PartnerId) -> StoreResult<Vec<SubmittedReport>> {
        self.workers
            .read(move |c| {
                let mut stmt = c.prep(
                    "SELECT period_start, period_end, version, submitted_at FROM submitted_reports
                     WHERE partner_id = $1 ORDER BY period_start DESC, version DESC",
                )?;
                let rows = stmt.query_map([partner.raw()], submitted)?;
                Ok(rows.collect::<Result<_, _>>()?)
            })
            .await
    }

    async fn submitted_cells(
        &self,
        partner: PartnerId,
        period_start: i64,
        version: Option<u32>,
    ) -> StoreResult<Option<(SubmittedReport, Cells)>> {
        self.workers
            .read(move |c| {
                let found = c
                    .prep(
                        "SELECT period_start, period_end, version, submitted_at, id FROM submitted_reports
                         WHERE partner_id = $1 AND period_start = $2 AND ($3 IS NULL OR version = $3)
                         ORDER BY version DESC LIMIT 1",
                    )?
                    .query_row(rusqlite::params![partner.raw(), period_start, version], |r| {
                        Ok((submitted(r)?, r.get::<_, i64>(4)?))
                    })
                    .optional()?;
                let Some((report, id)) = found else { return Ok(None) };
                let mut stmt = c.prep(
                    "SELECT day, interface, initiation_surface, variant, recipient_kind, sends, clicks
                     FROM submitted_report_cells WHERE report_id = $1",
                )?;
                let mut cells = Cells::new();
                for row in stmt.query_map([id], count_row)? {
                    let row = row?;
                    let key = CellKey { day: row.day, dimensions: row.dimensions, recipient_kind: row.recipient_kind };
                    cells.insert(key, (row.sends, row.clicks));
                }
                Ok(Some((report, cells)))
            })
            .await
    }

    async fn backfill_counts(&self, partner: PartnerId, rows: Vec<CountRow>) -> StoreResult<()> {
        self.workers
            .write(move |c, _| {
                for r in &rows {
                    let (sends, clicks) = (to_i64(r.sends)?, to_i64(r.clicks)?);
                    bump(c, partner, r.day, &r.dimensions, r.recipient_kind, sends, clicks)?;
                }
                Ok(())
            })
            .await
    }

    async fn record_release(
        &self,
        partner: PartnerId,
        period_start: i64,
        epsilon_micros: u64,
        now: Timestamp,
    ) -> StoreResult<u64> {
        self.workers
            .write(move |c, _| {
                c.prep(
                    "INSERT INTO report_releases (partner_id, period_start, epsilon_micros, released_at)
                     VALUES ($1, $2, $3, $4)",
                )?
                .execute(rusqlite::params![
                    partner.raw(),
                    period_start,
                    to_i64(epsilon_micros)?,
                    now.millis()
                ])?;
                spent(c, partner, period_start)
            })
            .await
    }

    async fn budget_spent(&self, partner: PartnerId, period_start: i64) -> StoreResult<u64> {
        self.workers.read(move |c| spent(c, partner, period_start)).await
    }
}

/// Epsilon (in millionths) spent on one period's releases.
fn spent(c: &Connection, partner: PartnerId, period_start: i64) -> Result<u64, StoreError> {
    let total: i64 = c
        .prep(
            "SELECT coalesce(sum(epsilon_micros), 0) FROM report_releases WHERE partner_id = $1 AND period_start = $2",
        )?
        .query_row(rusqlite::params![partner.raw(), period_start], |r| r.get(0))?;
    u64::try_from(total).map_err(|_| StoreError::Corrupt("negative budget".into()))
}
