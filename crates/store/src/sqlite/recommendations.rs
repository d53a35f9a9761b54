//! [`ReportStore`] on SQLite: recommendations sent as app messages with tracked cards, links
//! and clicks, and the daily counters, all updated in the transaction of the event itself.

use clearline_domain::{
    AccessEventId, AccessOutcome, DenyReason, Dimension, Dimensions, NewAccessEvent, PartnerId, RecipientKind,
    Timestamp,
};
use rusqlite::{Connection, OptionalExtension};

use super::SqliteStore;
use super::access::{deliver_app_send, insert_event, send_context};
use super::rows::{Prep, corrupt};
use crate::StoreError;
use crate::partner::{AppSend, AppSendContext, AppSendOutcome, CountRow, Followed, NewRecommendation, ReportStore};
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
    for kind in [RecipientKind::Platform, RecipientKind::External] {
        let n = rec.links.iter().filter(|(_, k, _)| *k == kind).count() as i64;
        if n > 0 {
            bump(c, rec.partner_id, rec.day, &rec.dimensions, kind, n, 0)?;
        }
    }
    Ok(id)
}

fn dimension(text: String) -> rusqlite::Result<Dimension> {
    Dimension::parse(&text).map_err(|_| corrupt("dimension"))
}

impl ReportStore for SqliteStore {
    async fn recommend(
        &self,
        send: AppSend,
        rec: NewRecommendation,
        mut event: NewAccessEvent,
        check: impl FnOnce(&AppSendContext) -> Result<(), DenyReason> + Send + 'static,
    ) -> StoreResult<(AccessEventId, AppSendOutcome)> {
        self.workers
            .write(move |c, state| {
                if let Err(reason) = check(&send_context(c, &send)?) {
                    event.outcome = AccessOutcome::Denied(reason);
                    return Ok((insert_event(c, &event, None)?, Err(reason)));
                }
                insert_recommendation(c, &send, &rec)?;
                let (messages, deliveries) = deliver_app_send(c, state, send)?;
                event.resources.extend(messages.iter().map(|m| m.id.to_string()));
                event.outcome = AccessOutcome::Allowed;
                Ok((insert_event(c, &event, None)?, Ok((messages, deliveries))))
            })
            .await
    }

    async fn follow_link(
        &self,
        code_hash: [u8; 32],
        now: Timestamp,
        day: i64,
        count: bool,
    ) -> StoreResult<Option<Followed>> {
        self.workers
            .write(move |c, _| {
                let found = c
                    .prep(
                        "SELECT r.title_url, r.interface, r.initiation_surface, r.variant, l.recipient_kind, a.partner_id
                         FROM tracked_links l JOIN recommendations r ON r.id = l.recommendation_id
                           JOIN apps a ON a.id = r.app_id
                         WHERE l.code_hash = $1 AND l.expires_at > $2",
                    )?
                    .query_row(rusqlite::params![code_hash.as_slice(), now.millis()], |r| {
                        Ok((
                            r.get::<_, String>(0)?,
                            Dimensions {
                                interface: dimension(r.get(1)?)?,
                                initiation_surface: dimension(r.get(2)?)?,
                                variant: dimension(r.get(3)?)?,
                            },
                            RecipientKind::from_name(&r.get::<_, String>(4)?).ok_or_else(|| corrupt("kind"))?,
                            PartnerId::from_raw(r.get(5)?),
                        ))
                    })
                    .optional()?;
                let Some((url, dims, kind, partner)) = found else { return Ok(None) };
                let counted = count
                    && c.prep("INSERT INTO link_clicks (code_hash, day) VALUES ($1, $2) ON CONFLICT DO NOTHING")?
                        .execute(rusqlite::params![code_hash.as_slice(), day])?
                        == 1;
                if counted {
                    bump(c, partner, day, &dims, kind, 0, 1)?;
                }
                Ok(Some(Followed { url, counted }))
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
                let rows = stmt.query_map(rusqlite::params![partner.raw(), from, to], |r| {
                    Ok(CountRow {
                        day: r.get(0)?,
                        dimensions: Dimensions {
                            interface: dimension(r.get(1)?)?,
                            initiation_surface: dimension(r.get(2)?)?,
                            variant: dimension(r.get(3)?)?,
                        },
                        recipient_kind: RecipientKind::from_name(&r.get::<_, String>(4)?)
                            .ok_or_else(|| corrupt("kind"))?,
                        sends: u64::try_from(r.get::<_, i64>(5)?).unwrap_or(0),
                        clicks: u64::try_from(r.get::<_, i64>(6)?).unwrap_or(0),
                    })
                })?;
                Ok(rows.collect::<Result<_, _>>()?)
            })
            .await
    }
}
