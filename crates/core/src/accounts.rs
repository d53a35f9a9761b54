//! Accounts and sessions: sign-up, sign-in with argon2id, bearer session tokens, listing and
//! revoking sessions, and turning a token into a [`Principal`].

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{PoisonError, RwLock};

use tokio::sync::Semaphore;

use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use clearline_domain::{DisplayName, Handle, Password, SessionId, Timestamp, User, UserId};
use clearline_store::{NewSession, NewUser, SessionRecord, Store, StoreError};

use crate::{App, CoreError, SessionToken};

/// The person a request acts for, after their token was checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Principal {
    /// Who.
    pub user_id: UserId,
    /// Through which session.
    pub session_id: SessionId,
}

/// The result of signing up or in.
#[derive(Debug, Clone)]
pub struct SignedIn {
    /// The person.
    pub user: User,
    /// The new session's token, shown once.
    pub token: SessionToken,
    /// When the session expires.
    pub expires_at: Timestamp,
}

/// A session as its owner sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionView {
    /// Its id.
    pub id: SessionId,
    /// The client that opened it.
    pub user_agent: Option<String>,
    /// When it was opened.
    pub created_at: Timestamp,
    /// When it expires.
    pub expires_at: Timestamp,
    /// Whether it is the session making this request.
    pub current: bool,
}

#[derive(Clone, Copy)]
struct CachedSession {
    user_id: UserId,
    secret_hash: [u8; 32],
    expires_at: Timestamp,
    checked_at: Timestamp,
}

/// Verified sessions kept in memory so each request does not read the store. Bounded; an
/// entry is re-read after `session_cache_ms`, and dropped at once on revocation.
#[derive(Default)]
pub(crate) struct SessionCache(RwLock<HashMap<SessionId, CachedSession>>);

const SESSION_CACHE_MAX: usize = 100_000;

impl SessionCache {
    fn get(&self, id: SessionId) -> Option<CachedSession> {
        self.0.read().unwrap_or_else(PoisonError::into_inner).get(&id).copied()
    }

    fn put(&self, id: SessionId, entry: CachedSession) {
        let mut map = self.0.write().unwrap_or_else(PoisonError::into_inner);
        if map.len() >= SESSION_CACHE_MAX {
            map.clear();
        }
        map.insert(id, entry);
    }

    fn forget(&self, id: SessionId) {
        self.0.write().unwrap_or_else(PoisonError::into_inner).remove(&id);
    }
}

/// A hash verified when the handle does not exist, so a wrong handle costs as much as a wrong
/// password and timing does not reveal which handles exist.
const DUMMY_HASH: &str =
    "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$1r4wDl5BOn+xyHdOaG2ZAgmj3PZpbXqQ55AGk+6MHq0";

/// Argon2id needs 19 MiB per hash; at most this many run at once, so a burst of sign-ups
/// neither starves the runtime nor leaves a heap arena of that size on every blocking thread.
pub(crate) const CONCURRENT_HASHES: usize = 2;

async fn hash_password(gate: &Semaphore, password: Password) -> Result<String, CoreError> {
    let _permit = gate.acquire().await.map_err(|_| CoreError::Hashing)?;
    tokio::task::spawn_blocking(move || {
        let salt = SaltString::generate(&mut rand::rngs::OsRng);
        Argon2::default()
            .hash_password(password.expose().as_bytes(), &salt)
            .map(|h| h.to_string())
            .map_err(|_| CoreError::Hashing)
    })
    .await
    .map_err(|_| CoreError::Hashing)?
}

async fn verify_password(gate: &Semaphore, password: Password, hash: String) -> Result<bool, CoreError> {
    let _permit = gate.acquire().await.map_err(|_| CoreError::Hashing)?;
    tokio::task::spawn_blocking(move || {
        let parsed = PasswordHash::new(&hash).map_err(|_| CoreError::Hashing)?;
        Ok(Argon2::default().verify_password(password.expose().as_bytes(), &parsed).is_ok())
    })
    .await
    .map_err(|_| CoreError::Hashing)?
}

fn user_agent(raw: Option<&str>) -> Option<String> {
    raw.map(|ua| ua.chars().filter(|c| !c.is_control()).take(256).collect())
}

impl<S: Store> App<S> {
    /// Creates an account and signs it in; `from` is the client's address (see [`crate::throttle`]).
    pub async fn sign_up(
        &self,
        handle: Handle,
        display_name: DisplayName,
        password: Password,
        client: Option<&str>,
        from: IpAddr,
    ) -> Result<SignedIn, CoreError> {
        let attempt =
            self.passwords.admit(from, None).map_err(|retry_after_secs| CoreError::RateLimited { retry_after_secs })?;
        let password_hash = hash_password(&self.hashing, password).await?;
        drop(attempt);
        let new = NewUser { handle, display_name, password_hash, created_at: self.clock.now() };
        let user = self.store.create_user(new).await.map_err(|e| match e {
            StoreError::Conflict { .. } => CoreError::HandleTaken,
            other => CoreError::from(other),
        })?;
        self.open_session(user, client).await
    }

    /// Checks a handle and password and opens a session; `from` is the client's address. Too
    /// many failures for this account from this address, or too many attempts from it, are
    /// refused before any hashing (`RateLimited`; see [`crate::throttle`]).
    pub async fn sign_in(
        &self,
        handle: Handle,
        password: Password,
        client: Option<&str>,
        from: IpAddr,
    ) -> Result<SignedIn, CoreError> {
        let account = handle.as_str().to_owned();
        let attempt = self
            .passwords
            .admit(from, Some(&account))
            .map_err(|retry_after_secs| CoreError::RateLimited { retry_after_secs })?;
        let creds = self.store.credentials(handle).await?;
        let (hash, user) = match creds {
            Some(c) => (c.password_hash, Some(c.user)),
            None => (DUMMY_HASH.to_owned(), None),
        };
        let verified = verify_password(&self.hashing, password, hash).await?;
        match user {
            Some(user) if verified => {
                self.passwords.succeeded(&attempt, &account);
                drop(attempt);
                self.open_session(user, client).await
            }
            _ => {
                self.passwords.failed(&attempt, &account);
                Err(CoreError::InvalidCredentials)
            }
        }
    }

    async fn open_session(&self, user: User, client: Option<&str>) -> Result<SignedIn, CoreError> {
        let secret = SessionToken::random_secret();
        let now = self.clock.now();
        let expires_at = now.plus_millis(self.settings.session_ttl_ms);
        let id = self
            .store
            .create_session(NewSession {
                user_id: user.id,
                secret_hash: SessionToken::hash_secret(&secret),
                user_agent: user_agent(client),
                created_at: now,
                expires_at,
            })
            .await?;
        Ok(SignedIn { user, token: SessionToken::new(id, secret), expires_at })
    }

    /// Turns a bearer token into the person it acts for.
    pub async fn authenticate(&self, token: &SessionToken) -> Result<Principal, CoreError> {
        let now = self.clock.now();
        let id = token.id();
        let cached = match self.sessions.get(id) {
            Some(c) if now.millis() - c.checked_at.millis() < self.settings.session_cache_ms => c,
            _ => {
                let Some(rec) = self.store.session(id).await? else {
                    self.sessions.forget(id);
                    return Err(CoreError::Unauthenticated);
                };
                let entry = CachedSession {
                    user_id: rec.user_id,
                    secret_hash: rec.secret_hash,
                    expires_at: rec.expires_at,
                    checked_at: now,
                };
                self.sessions.put(id, entry);
                entry
            }
        };
        if !token.matches(&cached.secret_hash) || cached.expires_at <= now {
            return Err(CoreError::Unauthenticated);
        }
        Ok(Principal { user_id: cached.user_id, session_id: id })
    }

    /// Takes one request of the signed-in person's allowance (see
    /// [`crate::throttle::ClientLimits`]); `RateLimited` past it.
    pub fn admit(&self, me: Principal) -> Result<(), CoreError> {
        self.people.check(me.user_id).map_err(|retry_after_secs| CoreError::RateLimited { retry_after_secs })
    }

    /// Whether the session behind a live connection still holds (neither revoked nor expired),
    /// read from the store at most every `session_cache_ms`.
    pub async fn session_alive(&self, token: &SessionToken) -> Result<bool, CoreError> {
        match self.authenticate(token).await {
            Ok(_) => Ok(true),
            Err(CoreError::Unauthenticated) => Ok(false),
            Err(e) => Err(e),
        }
    }

    /// Whether the session still holds, read from the store itself (not the cache): a live
    /// connection checks this once it is registered with the hub, so a revocation that came
    /// between its handshake and its registration is not missed.
    pub async fn session_alive_now(&self, token: &SessionToken) -> Result<bool, CoreError> {
        self.sessions.forget(token.id());
        self.session_alive(token).await
    }

    /// How often a long-lived connection should re-check its session, in milliseconds.
    pub fn session_recheck_ms(&self) -> i64 {
        self.settings.session_cache_ms.max(1_000)
    }

    /// The person's live sessions, newest first.
    pub async fn sessions(&self, me: Principal) -> Result<Vec<SessionView>, CoreError> {
        let records: Vec<SessionRecord> = self.store.sessions_of(me.user_id, self.clock.now()).await?;
        Ok(records
            .into_iter()
            .map(|r| SessionView {
                id: r.id,
                user_agent: r.user_agent,
                created_at: r.created_at,
                expires_at: r.expires_at,
                current: r.id == me.session_id,
            })
            .collect())
    }

    /// Revokes one of the person's sessions (signing out when it is the current one): its
    /// token fails from the next request, and its open WebSockets on this node close at once.
    /// (Other nodes and processes notice within `session_cache_ms`: every connection
    /// re-checks its session on that period, see [`Self::session_alive`].)
    pub async fn revoke_session(&self, me: Principal, id: SessionId) -> Result<(), CoreError> {
        let revoked = self.store.revoke_session(me.user_id, id, self.clock.now()).await?;
        self.sessions.forget(id);
        if revoked {
            self.hub.end_session(me.user_id, id);
        }
        CoreError::found(revoked, "session")
    }

    /// One person, or `NotFound`.
    pub async fn user(&self, id: UserId) -> Result<User, CoreError> {
        self.store.users(vec![id]).await?.pop().ok_or(CoreError::NotFound { what: "user" })
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use clearline_store::{SqliteOptions, SqliteStore};

    use super::*;
    use crate::{ManualClock, Settings};

    fn app(dir: &tempfile::TempDir, clock: Arc<ManualClock>) -> App<SqliteStore> {
        let store = SqliteStore::open(SqliteOptions::new(dir.path().join("db"))).unwrap();
        App::new(store, clock, Settings { session_ttl_ms: 60_000, session_cache_ms: 10_000, ..Settings::default() })
    }

    async fn signed_up(app: &App<SqliteStore>) -> SignedIn {
        let (h, n) = (Handle::parse("tess").unwrap(), DisplayName::parse("Tess").unwrap());
        app.sign_up(h, n, Password::parse("long enough".into()).unwrap(), None, IpAddr::from([192, 0, 2, 1]))
            .await
            .unwrap()
    }

    #[tokio::test]
    async fn an_expired_session_is_refused_even_from_the_cache() {
        let dir = tempfile::tempdir().unwrap();
        let clock = Arc::new(ManualClock::new(Timestamp::from_millis(1_000_000)));
        let app = app(&dir, clock.clone());
        let s = signed_up(&app).await;
        assert!(app.authenticate(&s.token).await.is_ok());
        clock.advance(59_999);
        assert!(app.authenticate(&s.token).await.is_ok());
        clock.advance(1);
        assert!(matches!(app.authenticate(&s.token).await, Err(CoreError::Unauthenticated)));
    }

    #[tokio::test]
    async fn revoking_drops_the_cached_session_at_once() {
        let dir = tempfile::tempdir().unwrap();
        let clock = Arc::new(ManualClock::new(Timestamp::from_millis(1_000_000)));
        let app = app(&dir, clock);
        let s = signed_up(&app).await;
        let me = app.authenticate(&s.token).await.unwrap();
        app.revoke_session(me, s.token.id()).await.unwrap();
        assert!(matches!(app.authenticate(&s.token).await, Err(CoreError::Unauthenticated)));
    }

    #[test]
    fn dummy_hash_is_a_valid_argon2id_hash() {
        let parsed = PasswordHash::new(DUMMY_HASH);
        assert!(parsed.is_ok());
        assert_eq!(parsed.map(|p| p.algorithm.as_str().to_owned()).ok().as_deref(), Some("argon2id"));
    }
}
