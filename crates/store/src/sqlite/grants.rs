//! [`GrantStore`] on SQLite: grants, authorization codes, access and refresh tokens.

use std::sync::LazyLock;

use clearline_domain::{
    AccessTokenId, AppId, AuthCodeId, ConversationId, Grant, GrantId, RefreshTokenId, Scopes, Timestamp, UserId,
};
use rusqlite::{Connection, OptionalExtension, Row};

use super::SqliteStore;
use super::partners::{APP_COLS, PARTNER_COLS, app_record};
use super::rows::{Prep, corrupt};
use super::workers::in_snapshot;
use crate::StoreError;
use crate::partner::{AppRecord, CodeRecord, GrantStore, GrantView, NewGrant, NewToken, TokenKind, TokenRecord};
use crate::traits::StoreResult;

/// The columns [`grant`] reads, for a `grants` table aliased `g`.
const GRANT_COLS: &str =
    "g.id, g.user_id, g.app_id, g.scopes, g.created_at, g.expires_at, g.revoked_at, g.last_used_at";
const GRANT_WIDTH: usize = 8;

fn grant(r: &Row<'_>, i: usize) -> rusqlite::Result<Grant> {
    let ts = |k: usize| r.get::<_, Option<i64>>(i + k).map(|t| t.map(Timestamp::from_millis));
    Ok(Grant {
        id: GrantId::from_raw(r.get(i)?),
        user_id: UserId::from_raw(r.get(i + 1)?),
        app_id: AppId::from_raw(r.get(i + 2)?),
        scopes: Scopes::parse(&r.get::<_, String>(i + 3)?).map_err(|_| corrupt("scopes"))?,
        created_at: Timestamp::from_millis(r.get(i + 4)?),
        expires_at: Timestamp::from_millis(r.get(i + 5)?),
        revoked_at: ts(6)?,
        last_used_at: ts(7)?,
    })
}

fn hash(r: &Row<'_>, i: usize) -> rusqlite::Result<[u8; 32]> {
    let bytes: Vec<u8> = r.get(i)?;
    <[u8; 32]>::try_from(bytes.as_slice()).map_err(|_| corrupt("hash"))
}

fn load_grant(c: &Connection, id: GrantId) -> Result<Option<Grant>, StoreError> {
    let sql = format!("SELECT {GRANT_COLS} FROM grants g WHERE g.id = $1");
    Ok(c.prep(&sql)?.query_row([id.raw()], |r| grant(r, 0)).optional()?)
}

const fn kind_name(kind: TokenKind) -> &'static str {
    match kind {
        TokenKind::Access => "access",
        TokenKind::Refresh => "refresh",
    }
}

fn insert_token(c: &Connection, grant: i64, kind: TokenKind, t: NewToken, now: Timestamp) -> Result<i64, StoreError> {
    Ok(c.prep(
        "INSERT INTO oauth_tokens (grant_id, kind, secret_hash, created_at, expires_at) VALUES ($1, $2, $3, $4, $5)
         RETURNING id",
    )?
    .query_row(
        rusqlite::params![grant, kind_name(kind), t.secret_hash.as_slice(), now.millis(), t.expires_at.millis()],
        |r| r.get(0),
    )?)
}

fn insert_pair(
    c: &Connection,
    grant: i64,
    access: NewToken,
    refresh: NewToken,
    now: Timestamp,
) -> Result<(AccessTokenId, RefreshTokenId), StoreError> {
    let a = insert_token(c, grant, TokenKind::Access, access, now)?;
    let r = insert_token(c, grant, TokenKind::Refresh, refresh, now)?;
    Ok((AccessTokenId::from_raw(a), RefreshTokenId::from_raw(r)))
}

/// Revokes a grant and its tokens; the grant as it was if it was live.
fn revoke(c: &Connection, id: GrantId, owner: Option<UserId>, now: Timestamp) -> Result<Option<Grant>, StoreError> {
    let Some(g) = load_grant(c, id)? else { return Ok(None) };
    if g.revoked_at.is_some() || owner.is_some_and(|o| o != g.user_id) {
        return Ok(None);
    }
    c.prep("UPDATE grants SET revoked_at = $1 WHERE id = $2")?.execute([now.millis(), id.raw()])?;
    c.prep("UPDATE oauth_tokens SET revoked_at = $1 WHERE grant_id = $2 AND revoked_at IS NULL")?
        .execute([now.millis(), id.raw()])?;
    Ok(Some(g))
}

/// Revokes every unrevoked grant of `user` to `app` with its tokens; returns the grants as
/// they were.
pub(super) fn revoke_live(c: &Connection, user: UserId, app: AppId, now: Timestamp) -> Result<Vec<Grant>, StoreError> {
    let ids: Vec<i64> = c
        .prep("SELECT id FROM grants WHERE user_id = $1 AND app_id = $2 AND revoked_at IS NULL")?
        .query_map([user.raw(), app.raw()], |r| r.get(0))?
        .collect::<Result<_, _>>()?;
    let mut revoked = Vec::with_capacity(ids.len());
    for id in ids {
        revoked.extend(revoke(c, GrantId::from_raw(id), None, now)?);
    }
    Ok(revoked)
}

/// A token with its grant, app and partner.
pub(super) fn load_token(c: &Connection, kind: TokenKind, id: i64) -> Result<Option<TokenRecord>, StoreError> {
    // Every partner call runs this: the text is built once.
    static SQL: LazyLock<String> = LazyLock::new(|| {
        format!(
            "SELECT t.secret_hash, t.expires_at, t.replaced_at, t.revoked_at, {GRANT_COLS}, {APP_COLS}, {PARTNER_COLS}
             FROM oauth_tokens t JOIN grants g ON g.id = t.grant_id
               JOIN apps a ON a.id = g.app_id JOIN partners p ON p.id = a.partner_id
             WHERE t.id = $1 AND t.kind = $2"
        )
    });
    Ok(c.prep(&SQL)?
        .query_row(rusqlite::params![id, kind_name(kind)], |r| {
            Ok(TokenRecord {
                id,
                secret_hash: hash(r, 0)?,
                expires_at: Timestamp::from_millis(r.get(1)?),
                replaced_at: r.get::<_, Option<i64>>(2)?.map(Timestamp::from_millis),
                revoked_at: r.get::<_, Option<i64>>(3)?.map(Timestamp::from_millis),
                grant: grant(r, 4)?,
                app: app_record(r, 4 + GRANT_WIDTH)?,
            })
        })
        .optional()?)
}

impl GrantStore for SqliteStore {
    async fn create_grant(&self, new: NewGrant) -> StoreResult<(Grant, AuthCodeId)> {
        self.workers
            .write(move |c, _| {
                let now = new.created_at;
                // Checked here, in the transaction that would create the grant, so a block
                // made while the consent page was open still holds.
                let blocked = c
                    .prep("SELECT 1 FROM app_blocks WHERE user_id = $1 AND app_id = $2")?
                    .exists([new.user_id.raw(), new.app_id.raw()])?;
                if blocked {
                    return Err(StoreError::Conflict { what: "a block of this app" });
                }
                revoke_live(c, new.user_id, new.app_id, now)?;
                let id: i64 = c
                    .prep(
                        "INSERT INTO grants (user_id, app_id, scopes, created_at, expires_at) VALUES ($1, $2, $3, $4, $5)
                         RETURNING id",
                    )?
                    .query_row(
                        rusqlite::params![
                            new.user_id.raw(),
                            new.app_id.raw(),
                            new.scopes.to_string(),
                            now.millis(),
                            new.expires_at.millis()
                        ],
                        |r| r.get(0),
                    )?;
                let code: i64 = c
                    .prep(
                        "INSERT INTO oauth_codes (grant_id, secret_hash, code_challenge, redirect_uri, created_at, expires_at)
                         VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
                    )?
                    .query_row(
                        rusqlite::params![
                            id,
                            new.code_hash.as_slice(),
                            new.code_challenge,
                            new.redirect_uri.as_str(),
                            now.millis(),
                            new.code_expires_at.millis()
                        ],
                        |r| r.get(0),
                    )?;
                let g = load_grant(c, GrantId::from_raw(id))?.ok_or(StoreError::NotFound { what: "grant" })?;
                Ok((g, AuthCodeId::from_raw(code)))
            })
            .await
    }

    async fn grant(&self, id: GrantId) -> StoreResult<Option<Grant>> {
        self.workers.read(move |c| load_grant(c, id)).await
    }

    async fn redeem_code(&self, id: AuthCodeId, now: Timestamp) -> StoreResult<Option<CodeRecord>> {
        self.workers
            .write(move |c, _| {
                let sql = format!(
                    "SELECT o.secret_hash, o.code_challenge, o.redirect_uri, o.expires_at, o.used_at, {GRANT_COLS}
                     FROM oauth_codes o JOIN grants g ON g.id = o.grant_id WHERE o.id = $1"
                );
                let found = c
                    .prep(&sql)?
                    .query_row([id.raw()], |r| {
                        Ok(CodeRecord {
                            secret_hash: hash(r, 0)?,
                            code_challenge: r.get(1)?,
                            redirect_uri: r.get(2)?,
                            expires_at: Timestamp::from_millis(r.get(3)?),
                            used_at: r.get::<_, Option<i64>>(4)?.map(Timestamp::from_millis),
                            grant: grant(r, 5)?,
                        })
                    })
                    .optional()?;
                if found.as_ref().is_some_and(|f| f.used_at.is_none()) {
                    c.prep("UPDATE oauth_codes SET used_at = $1 WHERE id = $2")?.execute([now.millis(), id.raw()])?;
                }
                Ok(found)
            })
            .await
    }

    async fn issue_tokens(
        &self,
        grant: GrantId,
        access: NewToken,
        refresh: NewToken,
        now: Timestamp,
    ) -> StoreResult<(AccessTokenId, RefreshTokenId)> {
        self.workers.write(move |c, _| insert_pair(c, grant.raw(), access, refresh, now)).await
    }

    async fn rotate_refresh(
        &self,
        old: RefreshTokenId,
        access: NewToken,
        refresh: NewToken,
        now: Timestamp,
    ) -> StoreResult<Option<(AccessTokenId, RefreshTokenId)>> {
        self.workers
            .write(move |c, _| {
                let grant: Option<i64> = c
                    .prep(
                        "UPDATE oauth_tokens SET replaced_at = $1
                         WHERE id = $2 AND kind = 'refresh' AND replaced_at IS NULL AND revoked_at IS NULL
                         RETURNING grant_id",
                    )?
                    .query_row([now.millis(), old.raw()], |r| r.get(0))
                    .optional()?;
                grant.map(|g| insert_pair(c, g, access, refresh, now)).transpose()
            })
            .await
    }

    async fn token(&self, kind: TokenKind, id: i64) -> StoreResult<Option<TokenRecord>> {
        if kind == TokenKind::Refresh {
            return self.workers.read(move |c| load_token(c, kind, id)).await;
        }
        let tokens = self.tokens.clone();
        self.workers.read(move |c| in_snapshot(c, |c| tokens.access(c, id))).await
    }

    async fn revoke_token(&self, kind: TokenKind, id: i64, now: Timestamp) -> StoreResult<bool> {
        self.workers
            .write(move |c, _| {
                let n = c
                    .prep("UPDATE oauth_tokens SET revoked_at = $1 WHERE id = $2 AND kind = $3 AND revoked_at IS NULL")?
                    .execute(rusqlite::params![now.millis(), id, kind_name(kind)])?;
                Ok(n == 1)
            })
            .await
    }

    async fn revoke_grant(&self, id: GrantId, owner: Option<UserId>, now: Timestamp) -> StoreResult<Option<Grant>> {
        self.workers.write(move |c, _| revoke(c, id, owner, now)).await
    }

    async fn grants_of(&self, user: UserId, now: Timestamp) -> StoreResult<Vec<GrantView>> {
        self.workers
            .read(move |c| {
                let sql = format!(
                    "SELECT {GRANT_COLS}, {APP_COLS}, {PARTNER_COLS}
                     FROM grants g JOIN apps a ON a.id = g.app_id JOIN partners p ON p.id = a.partner_id
                     WHERE g.user_id = $1 AND g.revoked_at IS NULL AND g.expires_at > $2 ORDER BY g.id DESC"
                );
                let mut stmt = c.prep(&sql)?;
                let rows = stmt.query_map([user.raw(), now.millis()], |r| {
                    let rec = app_record(r, GRANT_WIDTH)?;
                    Ok(GrantView { grant: grant(r, 0)?, app: rec.app, partner_name: rec.partner.name })
                })?;
                Ok(rows.collect::<Result<_, _>>()?)
            })
            .await
    }

    async fn app_users(&self, app: AppId, users: Vec<UserId>, now: Timestamp) -> StoreResult<Vec<UserId>> {
        self.workers
            .read(move |c| {
                let mut stmt = c.prep(
                    "SELECT EXISTS (SELECT 1 FROM grants
                       WHERE user_id = $1 AND app_id = $2 AND revoked_at IS NULL AND expires_at > $3)",
                )?;
                let mut out = Vec::new();
                for u in users {
                    if stmt.query_row([u.raw(), app.raw(), now.millis()], |r| r.get::<_, bool>(0))? {
                        out.push(u);
                    }
                }
                Ok(out)
            })
            .await
    }

    async fn member_grants(
        &self,
        conversation: ConversationId,
        now: Timestamp,
    ) -> StoreResult<Vec<(Grant, AppRecord)>> {
        self.workers
            .read(move |c| {
                let sql = format!(
                    "SELECT {GRANT_COLS}, {APP_COLS}, {PARTNER_COLS}
                     FROM members mb JOIN grants g ON g.user_id = mb.user_id
                       JOIN apps a ON a.id = g.app_id JOIN partners p ON p.id = a.partner_id
                     WHERE mb.conversation_id = $1 AND g.revoked_at IS NULL AND g.expires_at > $2
                     ORDER BY g.id"
                );
                let mut stmt = c.prep(&sql)?;
                let rows = stmt.query_map([conversation.raw(), now.millis()], |r| {
                    Ok((grant(r, 0)?, app_record(r, GRANT_WIDTH)?))
                })?;
                Ok(rows.collect::<Result<_, _>>()?)
            })
            .await
    }
}
