//! The OAuth 2 authorization server (RFC 6749, following the RFC 9700 best current practice):
//! authorization code flow only, PKCE S256 required for every client (RFC 7636), exact
//! redirect URIs, single-use short-lived codes (a reused code revokes its grant), opaque
//! access tokens and rotating refresh tokens (a reused refresh token revokes its grant),
//! revocation (RFC 7009) and introspection (RFC 7662).
//!
//! Consent creates the [`Grant`]; every credential derives from it, so revoking the grant
//! ends them all.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use clearline_domain::{AppId, ClientKind, Grant, Partner, PartnerApp, RedirectUri, Scope, Scopes, Timestamp, UserId};
use clearline_store::{AppRecord, NewGrant, NewToken, Store, StoreError, TokenKind, TokenRecord};
use secrecy::{ExposeSecret, SecretString};
use sha2::{Digest, Sha256};

use crate::token::{AccessToken, AuthCode, ClientSecret, RefreshToken};
use crate::{App, partner_access};

/// How long an authorization code works, in milliseconds (RFC 6749 §4.1.2 recommends at most 10 minutes).
pub const CODE_TTL_MS: i64 = 60_000;
/// How long an access token works, in milliseconds.
pub const ACCESS_TOKEN_TTL_MS: i64 = 3_600_000;

/// An RFC 6749 §5.2 error code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OAuthErrorCode {
    /// A parameter is missing, repeated or malformed.
    InvalidRequest,
    /// Client authentication failed.
    InvalidClient,
    /// The code or refresh token is invalid, expired, revoked, reused or not this client's.
    InvalidGrant,
    /// The client may not use this flow or its agreement is not in force.
    UnauthorizedClient,
    /// Only `authorization_code` and `refresh_token` are supported.
    UnsupportedGrantType,
    /// A requested scope is unknown or not in the partner's agreement.
    InvalidScope,
    /// The person refused.
    AccessDenied,
    /// Only `response_type=code` is supported.
    UnsupportedResponseType,
    /// The server failed.
    ServerError,
}

impl OAuthErrorCode {
    /// The code as RFC 6749 spells it.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::InvalidRequest => "invalid_request",
            Self::InvalidClient => "invalid_client",
            Self::InvalidGrant => "invalid_grant",
            Self::UnauthorizedClient => "unauthorized_client",
            Self::UnsupportedGrantType => "unsupported_grant_type",
            Self::InvalidScope => "invalid_scope",
            Self::AccessDenied => "access_denied",
            Self::UnsupportedResponseType => "unsupported_response_type",
            Self::ServerError => "server_error",
        }
    }
}

/// A refused OAuth request, in RFC 6749's terms.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{}: {description}", code.as_str())]
pub struct OAuthError {
    /// The error code.
    pub code: OAuthErrorCode,
    /// A human-readable description (never internal details).
    pub description: &'static str,
}

impl OAuthError {
    const fn new(code: OAuthErrorCode, description: &'static str) -> Self {
        Self { code, description }
    }
}

impl From<StoreError> for OAuthError {
    fn from(e: StoreError) -> Self {
        tracing::error!(error = %e, "oauth storage failure");
        Self::new(OAuthErrorCode::ServerError, "internal error")
    }
}

impl From<crate::CoreError> for OAuthError {
    fn from(e: crate::CoreError) -> Self {
        tracing::error!(error = %e, "oauth failure");
        Self::new(OAuthErrorCode::ServerError, "internal error")
    }
}

/// The query of `/oauth/authorize`, as received.
#[derive(Debug, Clone, Default)]
pub struct AuthorizeParams {
    /// `client_id`.
    pub client_id: Option<String>,
    /// `redirect_uri`.
    pub redirect_uri: Option<String>,
    /// `response_type`.
    pub response_type: Option<String>,
    /// `scope`.
    pub scope: Option<String>,
    /// `state`.
    pub state: Option<String>,
    /// `code_challenge`.
    pub code_challenge: Option<String>,
    /// `code_challenge_method`.
    pub code_challenge_method: Option<String>,
}

/// Why an authorization request failed.
#[derive(Debug)]
pub enum AuthorizeError {
    /// The client or redirect URI is not valid: the person is shown the error and is NOT
    /// redirected (RFC 6749 §4.1.2.1), so a forged request cannot bounce them anywhere.
    NoRedirect(&'static str),
    /// Anything else: sent back to the (verified) redirect URI with `state`.
    Redirect {
        /// Where to send it.
        redirect_uri: RedirectUri,
        /// The request's state, echoed.
        state: Option<String>,
        /// What went wrong.
        error: OAuthError,
    },
}

/// A checked authorization request, ready for the consent page.
#[derive(Debug, Clone)]
pub struct ConsentRequest {
    /// The app asking.
    pub app: PartnerApp,
    /// Its partner.
    pub partner: Partner,
    /// The scopes asked for (all allowed by the agreement).
    pub scopes: Scopes,
    /// The scope that cannot be unticked: the first asked for, in [`Scope::ALL`] order.
    pub required: Scope,
    /// Where to send the code.
    pub redirect_uri: RedirectUri,
    /// The client's state, echoed.
    pub state: Option<String>,
    /// The PKCE S256 challenge.
    pub code_challenge: String,
    /// When a grant made now would lapse.
    pub expires_at: Timestamp,
}

/// Where to send the person after consent.
#[derive(Debug, Clone)]
pub struct ConsentOutcome {
    /// The verified redirect URI.
    pub redirect_uri: RedirectUri,
    /// The code, or the error (access denied).
    pub result: Result<SecretString, OAuthErrorCode>,
    /// The client's state.
    pub state: Option<String>,
}

/// How a client authenticated at the token, revocation or introspection endpoint.
#[derive(Debug, Clone)]
pub struct ClientAuth {
    /// `client_id` (from HTTP Basic or the form).
    pub client_id: String,
    /// The secret from HTTP Basic (`client_secret_basic`), if any.
    pub secret: Option<SecretString>,
}

/// A successful token response (RFC 6749 §5.1).
#[derive(Debug, Clone)]
pub struct Tokens {
    /// The access token.
    pub access_token: SecretString,
    /// Its lifetime in seconds.
    pub expires_in: u64,
    /// The new refresh token.
    pub refresh_token: SecretString,
    /// The granted scopes.
    pub scopes: Scopes,
}

/// An introspection answer (RFC 7662 §2.2).
#[derive(Debug, Clone, Default)]
pub struct Introspection {
    /// Whether the token is live.
    pub active: bool,
    /// Its scopes.
    pub scopes: Option<Scopes>,
    /// The client it was issued to.
    pub client_id: Option<AppId>,
    /// The person, by app-scoped id.
    pub sub: Option<String>,
    /// `access_token` or `refresh_token`.
    pub token_type: Option<&'static str>,
    /// When it expires (seconds since the epoch).
    pub exp: Option<i64>,
}

fn pkce_ok(verifier: &str, challenge: &str) -> bool {
    let shape = (43..=128).contains(&verifier.len())
        && verifier.bytes().all(|b| b.is_ascii_alphanumeric() || b"-._~".contains(&b));
    shape && URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes())) == challenge
}

fn challenge_ok(challenge: &str) -> bool {
    challenge.len() == 43 && challenge.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

fn new_token(ttl_end: Timestamp) -> ([u8; 32], NewToken) {
    let secret = AccessToken::random_secret();
    (secret, NewToken { secret_hash: AccessToken::hash_secret(&secret), expires_at: ttl_end })
}

impl<S: Store> App<S> {
    /// Checks an authorization request (RFC 6749 §4.1.1 with PKCE): client and exact redirect
    /// URI first (errors not redirected), then response type, PKCE and scopes.
    pub async fn authorize_request(&self, p: AuthorizeParams) -> Result<ConsentRequest, AuthorizeError> {
        use AuthorizeError::NoRedirect;
        let app_id: AppId =
            p.client_id.as_deref().and_then(|c| c.parse().ok()).ok_or(NoRedirect("unknown client_id"))?;
        let record = match self.store.app(app_id).await {
            Ok(Some(r)) => r,
            Ok(None) => return Err(NoRedirect("unknown client_id")),
            Err(e) => {
                tracing::error!(error = %e, "authorize lookup failed");
                return Err(NoRedirect("the server failed; try again"));
            }
        };
        let redirect_uri = record
            .app
            .redirect_uris
            .iter()
            .find(|u| Some(u.as_str()) == p.redirect_uri.as_deref())
            .cloned()
            .ok_or(NoRedirect("redirect_uri is not registered for this app (exact match required)"))?;
        let fail = |code, description| AuthorizeError::Redirect {
            redirect_uri: redirect_uri.clone(),
            state: p.state.clone(),
            error: OAuthError::new(code, description),
        };
        if p.response_type.as_deref() != Some("code") {
            return Err(fail(OAuthErrorCode::UnsupportedResponseType, "only response_type=code is supported"));
        }
        let challenge = match (p.code_challenge.as_deref(), p.code_challenge_method.as_deref()) {
            (Some(c), Some("S256")) if challenge_ok(c) => c.to_owned(),
            _ => return Err(fail(OAuthErrorCode::InvalidRequest, "PKCE with code_challenge_method=S256 is required")),
        };
        let agreement = &record.partner.agreement;
        if !agreement.in_force(self.clock.now()) {
            return Err(fail(OAuthErrorCode::UnauthorizedClient, "this partner's agreement is not in force"));
        }
        let scopes = Scopes::parse(p.scope.as_deref().unwrap_or(""))
            .map_err(|_| fail(OAuthErrorCode::InvalidScope, "unknown scope"))?;
        let Some(required) = scopes.iter().next() else {
            return Err(fail(OAuthErrorCode::InvalidScope, "scope is required"));
        };
        if scopes.iter().any(|s| !agreement.allows(s)) {
            return Err(fail(OAuthErrorCode::InvalidScope, "a requested scope is not in this partner's agreement"));
        }
        let days = i64::from(agreement.max_grant_days);
        Ok(ConsentRequest {
            expires_at: self.clock.now().plus_days(days),
            app: record.app,
            partner: record.partner,
            scopes,
            required,
            redirect_uri,
            state: p.state,
            code_challenge: challenge,
        })
    }

    /// Records the person's answer: with `allow`, a grant of the ticked scopes (always
    /// including the required one) and a code; otherwise `access_denied`.
    pub async fn consent(
        &self,
        user: UserId,
        req: ConsentRequest,
        allow: bool,
        ticked: Scopes,
    ) -> Result<ConsentOutcome, OAuthError> {
        let outcome =
            |result| ConsentOutcome { redirect_uri: req.redirect_uri.clone(), result, state: req.state.clone() };
        if !allow {
            return Ok(outcome(Err(OAuthErrorCode::AccessDenied)));
        }
        let scopes = ticked.intersect(req.scopes).with(req.required);
        let now = self.clock.now();
        let secret = AuthCode::random_secret();
        let created = self
            .store
            .create_grant(NewGrant {
                user_id: user,
                app_id: req.app.id,
                scopes,
                created_at: now,
                expires_at: req.expires_at,
                code_hash: AuthCode::hash_secret(&secret),
                code_challenge: req.code_challenge.clone(),
                redirect_uri: req.redirect_uri.clone(),
                code_expires_at: Timestamp::from_millis(now.millis() + CODE_TTL_MS),
            })
            .await;
        match created {
            Ok((_, code_id)) => Ok(outcome(Ok(AuthCode::new(code_id, secret).expose().into()))),
            // The person blocked the app: no grant while the block stands.
            Err(StoreError::Conflict { .. }) => Ok(outcome(Err(OAuthErrorCode::AccessDenied))),
            Err(e) => Err(e.into()),
        }
    }

    /// Authenticates a client: confidential clients by their secret (HTTP Basic), public
    /// clients by having none.
    pub async fn authenticate_client(&self, auth: &ClientAuth) -> Result<AppRecord, OAuthError> {
        let bad = || OAuthError::new(OAuthErrorCode::InvalidClient, "client authentication failed");
        let id: AppId = auth.client_id.parse().map_err(|_| bad())?;
        let record = self.store.app(id).await?.ok_or_else(bad)?;
        let ok = match (record.app.kind, &auth.secret, &record.secret_hash) {
            (ClientKind::Confidential, Some(secret), Some(hash)) => ClientSecret::verify(secret.expose_secret(), hash),
            (ClientKind::Public, None, _) => true,
            _ => false,
        };
        if ok { Ok(record) } else { Err(bad()) }
    }

    async fn issue(&self, grant: &Grant) -> Result<Tokens, OAuthError> {
        let now = self.clock.now();
        let access_end = Timestamp::from_millis((now.millis() + ACCESS_TOKEN_TTL_MS).min(grant.expires_at.millis()));
        let (a_secret, access) = new_token(access_end);
        let (r_secret, refresh) = new_token(grant.expires_at);
        let (a, r) = self.store.issue_tokens(grant.id, access, refresh, now).await?;
        Ok(self.tokens(grant, (a, a_secret), (r, r_secret), access_end))
    }

    fn tokens(
        &self,
        grant: &Grant,
        access: (clearline_domain::AccessTokenId, [u8; 32]),
        refresh: (clearline_domain::RefreshTokenId, [u8; 32]),
        access_end: Timestamp,
    ) -> Tokens {
        let secs = (access_end.millis() - self.clock.now().millis()).max(0) / 1000;
        Tokens {
            access_token: AccessToken::new(access.0, access.1).expose().into(),
            expires_in: u64::try_from(secs).unwrap_or(0),
            refresh_token: RefreshToken::new(refresh.0, refresh.1).expose().into(),
            scopes: grant.scopes,
        }
    }

    /// `grant_type=authorization_code` (RFC 6749 §4.1.3, RFC 7636 §4.6).
    pub async fn exchange_code(
        &self,
        client: &ClientAuth,
        code: &str,
        redirect_uri: &str,
        verifier: &str,
    ) -> Result<Tokens, OAuthError> {
        let record = self.authenticate_client(client).await?;
        let invalid = |d| OAuthError::new(OAuthErrorCode::InvalidGrant, d);
        let code: AuthCode = code.parse().map_err(|_| invalid("unknown authorization code"))?;
        let now = self.clock.now();
        let stored = match self.store.redeem_code(code.id(), now).await? {
            Some(s) if code.matches(&s.secret_hash) && s.grant.app_id == record.app.id => s,
            _ => return Err(invalid("unknown authorization code")),
        };
        if stored.used_at.is_some() {
            // RFC 6749 §4.1.2: a reused code revokes what it issued.
            self.revoke_grant_everywhere(stored.grant.id).await?;
            return Err(invalid("authorization code already used; its grant is revoked"));
        }
        if now >= stored.expires_at {
            return Err(invalid("authorization code expired"));
        }
        if stored.redirect_uri != redirect_uri {
            return Err(invalid("redirect_uri does not match the authorization request"));
        }
        if !pkce_ok(verifier, &stored.code_challenge) {
            return Err(invalid("code_verifier does not match the code_challenge"));
        }
        if !stored.grant.is_live(now) {
            return Err(invalid("the grant was revoked"));
        }
        self.issue(&stored.grant).await
    }

    /// `grant_type=refresh_token` (RFC 6749 §6) with rotation: the old refresh token stops
    /// working; presenting it again revokes the whole grant (RFC 9700 §4.14.2).
    pub async fn refresh(&self, client: &ClientAuth, refresh_token: &str) -> Result<Tokens, OAuthError> {
        let record = self.authenticate_client(client).await?;
        let invalid = |d| OAuthError::new(OAuthErrorCode::InvalidGrant, d);
        let token: RefreshToken = refresh_token.parse().map_err(|_| invalid("unknown refresh token"))?;
        let stored = match self.store.token(TokenKind::Refresh, token.id().raw()).await? {
            Some(s) if token.matches(&s.secret_hash) && s.grant.app_id == record.app.id => s,
            _ => return Err(invalid("unknown refresh token")),
        };
        let now = self.clock.now();
        if stored.replaced_at.is_some() {
            self.revoke_grant_everywhere(stored.grant.id).await?;
            return Err(invalid("refresh token reused; its grant is revoked"));
        }
        if stored.revoked_at.is_some() || !stored.grant.is_live(now) || now >= stored.expires_at {
            return Err(invalid("the grant was revoked or has expired"));
        }
        if !stored.app.partner.agreement.in_force(now) {
            return Err(OAuthError::new(
                OAuthErrorCode::UnauthorizedClient,
                "this partner's agreement is not in force",
            ));
        }
        let access_end =
            Timestamp::from_millis((now.millis() + ACCESS_TOKEN_TTL_MS).min(stored.grant.expires_at.millis()));
        let (a_secret, access) = new_token(access_end);
        let (r_secret, refresh) = new_token(stored.grant.expires_at);
        match self.store.rotate_refresh(token.id(), access, refresh, now).await? {
            Some((a, r)) => Ok(self.tokens(&stored.grant, (a, a_secret), (r, r_secret), access_end)),
            None => {
                // Rotated by a concurrent request a moment ago: the same reuse.
                self.revoke_grant_everywhere(stored.grant.id).await?;
                Err(invalid("refresh token reused; its grant is revoked"))
            }
        }
    }

    /// A presented access or refresh token of `client`, if it is one (whatever its state).
    async fn presented(&self, client: &AppRecord, token: &str) -> Result<Option<(TokenKind, TokenRecord)>, OAuthError> {
        let (kind, found) = if let Ok(t) = token.parse::<AccessToken>() {
            let found = self.store.token(TokenKind::Access, t.id().raw()).await?;
            (TokenKind::Access, found.filter(|s| t.matches(&s.secret_hash)))
        } else if let Ok(t) = token.parse::<RefreshToken>() {
            let found = self.store.token(TokenKind::Refresh, t.id().raw()).await?;
            (TokenKind::Refresh, found.filter(|s| t.matches(&s.secret_hash)))
        } else {
            return Ok(None);
        };
        Ok(found.filter(|s| s.grant.app_id == client.app.id).map(|s| (kind, s)))
    }

    /// RFC 7009: revokes an access token, or a refresh token together with its grant. Unknown
    /// tokens and other clients' tokens are ignored (the answer is the same).
    pub async fn revoke_token(&self, client: &ClientAuth, token: &str) -> Result<(), OAuthError> {
        let record = self.authenticate_client(client).await?;
        match self.presented(&record, token).await? {
            Some((TokenKind::Access, s)) => {
                self.store.revoke_token(TokenKind::Access, s.id, self.clock.now()).await?;
            }
            Some((TokenKind::Refresh, s)) => self.revoke_grant_everywhere(s.grant.id).await?,
            None => {}
        }
        Ok(())
    }

    /// RFC 7662: whether a token of this client is live, with its details.
    pub async fn introspect(&self, client: &ClientAuth, token: &str) -> Result<Introspection, OAuthError> {
        let record = self.authenticate_client(client).await?;
        let Some((kind, stored)) = self.presented(&record, token).await? else { return Ok(Introspection::default()) };
        let live = stored.replaced_at.is_none()
            && partner_access::decide(&stored, partner_access::Need::Grant, false, self.clock.now()).is_ok();
        if !live {
            return Ok(Introspection::default());
        }
        let sub = self.scoped_ids().await?.derive(stored.app.partner.id, stored.grant.user_id);
        Ok(Introspection {
            active: true,
            scopes: Some(stored.grant.scopes),
            client_id: Some(stored.grant.app_id),
            sub: Some(sub.to_string()),
            token_type: Some(if kind == TokenKind::Access { "access_token" } else { "refresh_token" }),
            exp: Some(stored.expires_at.millis() / 1000),
        })
    }

    /// Revokes a grant and its tokens (whoever asks); the app is told through its webhook.
    pub(crate) async fn revoke_grant_everywhere(&self, id: clearline_domain::GrantId) -> Result<(), StoreError> {
        if let Some(grant) = self.store.revoke_grant(id, None, self.clock.now()).await? {
            self.notify_revoked(&grant).await;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pkce_s256_matches_the_rfc_7636_example() {
        // RFC 7636 Appendix B.
        let verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
        let challenge = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";
        assert!(challenge_ok(challenge));
        assert!(pkce_ok(verifier, challenge));
        assert!(!pkce_ok("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXj", challenge));
        assert!(!pkce_ok("short", challenge));
    }

    #[test]
    fn credentials_and_tokens_never_show_in_debug() {
        const SECRET: &str = "oat_1.s3cr3t-VALUE-9f8e7d";
        let auth = ClientAuth { client_id: "app_1".into(), secret: Some(SECRET.into()) };
        let tokens = Tokens {
            access_token: SECRET.into(),
            expires_in: 3600,
            refresh_token: SECRET.into(),
            scopes: Scopes::empty(),
        };
        let redirect_uri = RedirectUri::parse("https://app.example/cb").unwrap();
        let outcome = ConsentOutcome { redirect_uri, result: Ok(SECRET.into()), state: None };
        for text in [format!("{auth:?}"), format!("{tokens:?}"), format!("{outcome:?}")] {
            assert!(!text.contains("s3cr3t"), "{text}");
        }
    }
}
