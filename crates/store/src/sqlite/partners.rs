//! [`PartnerStore`] on SQLite: operators, partners with their agreement, and apps.

use clearline_domain::{
    Agreement, AppId, ClientKind, OrgName, Partner, PartnerApp, PartnerId, PartnerSlug, RedirectUri, ReportZone,
    Scopes, Tier, Timestamp, UserId, WebhookUrl,
};
use rusqlite::{Connection, OptionalExtension, Row};

use super::SqliteStore;
use super::rows::{Prep, conflict_as, corrupt};
use crate::StoreError;
use crate::partner::{AppRecord, NewApp, NewPartner, PartnerStore};
use crate::traits::StoreResult;

/// The columns [`partner`] reads, for a `partners` table aliased `p`.
pub(super) const PARTNER_COLS: &str = "p.id, p.slug, p.name, p.created_at, p.tier, p.scopes, p.max_grant_days, \
     p.report_cadence_days, p.effective_from, p.effective_until, p.suspended_at, p.time_zone";

/// The columns [`app`] reads, for an `apps` table aliased `a`.
pub(super) const APP_COLS: &str =
    "a.id, a.partner_id, a.name, a.client_kind, a.redirect_uris, a.webhook_url, a.created_at, a.secret_hash";

/// A partner from [`PARTNER_COLS`] starting at column `i`.
pub(super) fn partner(r: &Row<'_>, i: usize) -> rusqlite::Result<Partner> {
    let text = |k: usize| r.get::<_, String>(i + k);
    let days = |k: usize| r.get::<_, i64>(i + k).map(|d| u32::try_from(d).unwrap_or(0));
    Ok(Partner {
        id: PartnerId::from_raw(r.get(i)?),
        slug: PartnerSlug::parse(&text(1)?).map_err(|_| corrupt("slug"))?,
        name: OrgName::from_stored(text(2)?),
        created_at: Timestamp::from_millis(r.get(i + 3)?),
        agreement: Agreement {
            tier: Tier::from_name(&text(4)?).ok_or_else(|| corrupt("tier"))?,
            scopes: Scopes::parse(&text(5)?).map_err(|_| corrupt("scopes"))?,
            max_grant_days: days(6)?,
            report_cadence_days: days(7)?,
            effective_from: Timestamp::from_millis(r.get(i + 8)?),
            effective_until: r.get::<_, Option<i64>>(i + 9)?.map(Timestamp::from_millis),
            suspended_at: r.get::<_, Option<i64>>(i + 10)?.map(Timestamp::from_millis),
            time_zone: ReportZone::parse(&text(11)?).map_err(|_| corrupt("time zone"))?,
        },
    })
}

/// An app and its secret hash from [`APP_COLS`] starting at column `i`.
pub(super) fn app(r: &Row<'_>, i: usize) -> rusqlite::Result<(PartnerApp, Option<[u8; 32]>)> {
    let uris: String = r.get(i + 4)?;
    let redirect_uris = uris
        .lines()
        .map(|u| RedirectUri::parse(u).map_err(|_| corrupt("redirect uri")))
        .collect::<Result<Vec<_>, _>>()?;
    let webhook_url = match r.get::<_, Option<String>>(i + 5)? {
        Some(u) => Some(WebhookUrl::parse(&u).map_err(|_| corrupt("webhook url"))?),
        None => None,
    };
    let secret: Option<Vec<u8>> = r.get(i + 7)?;
    let secret_hash = match secret {
        Some(s) => Some(<[u8; 32]>::try_from(s.as_slice()).map_err(|_| corrupt("secret hash"))?),
        None => None,
    };
    let app = PartnerApp {
        id: AppId::from_raw(r.get(i)?),
        partner_id: PartnerId::from_raw(r.get(i + 1)?),
        name: OrgName::from_stored(r.get::<_, String>(i + 2)?),
        kind: ClientKind::from_name(&r.get::<_, String>(i + 3)?).ok_or_else(|| corrupt("client kind"))?,
        redirect_uris,
        webhook_url,
        created_at: Timestamp::from_millis(r.get(i + 6)?),
    };
    Ok((app, secret_hash))
}

/// The width of [`APP_COLS`].
pub(super) const APP_WIDTH: usize = 8;

/// An app with its partner, from `APP_COLS, PARTNER_COLS` starting at column `i`.
pub(super) fn app_record(r: &Row<'_>, i: usize) -> rusqlite::Result<AppRecord> {
    let (app, secret_hash) = app(r, i)?;
    Ok(AppRecord { app, partner: partner(r, i + APP_WIDTH)?, secret_hash })
}

fn load_partner(c: &Connection, id: PartnerId) -> Result<Option<Partner>, StoreError> {
    let sql = format!("SELECT {PARTNER_COLS} FROM partners p WHERE p.id = $1");
    Ok(c.prep(&sql)?.query_row([id.raw()], |r| partner(r, 0)).optional()?)
}

/// One app with its partner.
pub(super) fn load_app(c: &Connection, id: AppId) -> Result<Option<AppRecord>, StoreError> {
    let sql =
        format!("SELECT {APP_COLS}, {PARTNER_COLS} FROM apps a JOIN partners p ON p.id = a.partner_id WHERE a.id = $1");
    Ok(c.prep(&sql)?.query_row([id.raw()], |r| app_record(r, 0)).optional()?)
}

/// The columns an agreement is written to, in the order of [`agreement_params`].
type AgreementParams = (String, String, i64, i64, i64, Option<i64>, Option<i64>, String);

fn agreement_params(a: &Agreement) -> AgreementParams {
    (
        a.tier.as_str().to_owned(),
        a.scopes.to_string(),
        i64::from(a.max_grant_days),
        i64::from(a.report_cadence_days),
        a.effective_from.millis(),
        a.effective_until.map(Timestamp::millis),
        a.suspended_at.map(Timestamp::millis),
        a.time_zone.name().to_owned(),
    )
}

impl PartnerStore for SqliteStore {
    async fn set_operator(&self, user: UserId, on: bool) -> StoreResult<bool> {
        self.workers
            .write(move |c, _| {
                let n =
                    c.prep("UPDATE users SET is_operator = $1 WHERE id = $2")?.execute([i64::from(on), user.raw()])?;
                Ok(n == 1)
            })
            .await
    }

    async fn is_operator(&self, user: UserId) -> StoreResult<bool> {
        self.workers
            .read(move |c| {
                let on: Option<i64> = c
                    .prep("SELECT is_operator FROM users WHERE id = $1")?
                    .query_row([user.raw()], |r| r.get(0))
                    .optional()?;
                Ok(on == Some(1))
            })
            .await
    }

    async fn create_partner(&self, new: NewPartner) -> StoreResult<Partner> {
        self.workers
            .write(move |c, _| {
                let a = agreement_params(&new.agreement);
                let id: i64 = c
                    .prep(
                        "INSERT INTO partners (slug, name, created_at, tier, scopes, max_grant_days, report_cadence_days,
                                               effective_from, effective_until, suspended_at, time_zone)
                         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING id",
                    )?
                    .query_row(
                        rusqlite::params![new.slug.as_str(), new.name.as_str(), new.created_at.millis(), a.0, a.1, a.2, a.3, a.4, a.5, a.6, a.7],
                        |r| r.get(0),
                    )
                    .map_err(conflict_as("partner"))?;
                load_partner(c, PartnerId::from_raw(id))?.ok_or(StoreError::NotFound { what: "partner" })
            })
            .await
    }

    async fn partner(&self, id: PartnerId) -> StoreResult<Option<Partner>> {
        self.workers.read(move |c| load_partner(c, id)).await
    }

    async fn partner_by_slug(&self, slug: PartnerSlug) -> StoreResult<Option<Partner>> {
        self.workers
            .read(move |c| {
                let sql = format!("SELECT {PARTNER_COLS} FROM partners p WHERE p.slug = $1");
                Ok(c.prep(&sql)?.query_row([slug.as_str()], |r| partner(r, 0)).optional()?)
            })
            .await
    }

    async fn partners(&self) -> StoreResult<Vec<Partner>> {
        self.workers
            .read(move |c| {
                let sql = format!("SELECT {PARTNER_COLS} FROM partners p ORDER BY p.id");
                let mut stmt = c.prep(&sql)?;
                let rows = stmt.query_map([], |r| partner(r, 0))?;
                Ok(rows.collect::<Result<_, _>>()?)
            })
            .await
    }

    async fn set_agreement(&self, id: PartnerId, agreement: Agreement) -> StoreResult<Partner> {
        self.workers
            .write(move |c, _| {
                let a = agreement_params(&agreement);
                let n = c
                    .prep(
                        "UPDATE partners SET tier = $1, scopes = $2, max_grant_days = $3, report_cadence_days = $4,
                           effective_from = $5, effective_until = $6, suspended_at = $7, time_zone = $8
                         WHERE id = $9",
                    )?
                    .execute(rusqlite::params![a.0, a.1, a.2, a.3, a.4, a.5, a.6, a.7, id.raw()])?;
                if n == 0 {
                    return Err(StoreError::NotFound { what: "partner" });
                }
                load_partner(c, id)?.ok_or(StoreError::NotFound { what: "partner" })
            })
            .await
    }

    async fn create_app(&self, new: NewApp) -> StoreResult<PartnerApp> {
        self.workers
            .write(move |c, _| {
                if load_partner(c, new.partner_id)?.is_none() {
                    return Err(StoreError::NotFound { what: "partner" });
                }
                let uris = new.redirect_uris.iter().map(RedirectUri::as_str).collect::<Vec<_>>().join("\n");
                let id: i64 = c
                    .prep(
                        "INSERT INTO apps (partner_id, name, client_kind, redirect_uris, secret_hash, webhook_url, created_at)
                         VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
                    )?
                    .query_row(
                        rusqlite::params![
                            new.partner_id.raw(),
                            new.name.as_str(),
                            new.kind.as_str(),
                            uris,
                            new.secret_hash.as_ref().map(|h| h.as_slice()),
                            new.webhook_url.as_ref().map(WebhookUrl::as_str),
                            new.created_at.millis()
                        ],
                        |r| r.get(0),
                    )?;
                Ok(load_app(c, AppId::from_raw(id))?.ok_or(StoreError::NotFound { what: "app" })?.app)
            })
            .await
    }

    async fn app(&self, id: AppId) -> StoreResult<Option<AppRecord>> {
        self.workers.read(move |c| load_app(c, id)).await
    }

    async fn apps_of(&self, partner: PartnerId) -> StoreResult<Vec<PartnerApp>> {
        self.workers
            .read(move |c| {
                let sql = format!("SELECT {APP_COLS} FROM apps a WHERE a.partner_id = $1 ORDER BY a.id");
                let mut stmt = c.prep(&sql)?;
                let rows = stmt.query_map([partner.raw()], |r| app(r, 0).map(|(a, _)| a))?;
                Ok(rows.collect::<Result<_, _>>()?)
            })
            .await
    }

    async fn set_client_secret(&self, id: AppId, secret_hash: [u8; 32]) -> StoreResult<()> {
        self.workers
            .write(move |c, _| {
                let n = c
                    .prep("UPDATE apps SET secret_hash = $1 WHERE id = $2")?
                    .execute(rusqlite::params![secret_hash.as_slice(), id.raw()])?;
                if n == 0 { Err(StoreError::NotFound { what: "app" }) } else { Ok(()) }
            })
            .await
    }
}
