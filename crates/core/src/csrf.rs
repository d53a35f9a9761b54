//! CSRF tokens for server-rendered forms, compared in constant time:
//! - a signed-in session's forms carry HMAC-SHA256 of the session id under a server key, so a
//!   form can only be posted by a page that session loaded;
//! - sign-in forms (before any session) use a signed double-submit pair (OWASP's CSRF
//!   cheat sheet): a random nonce in a cookie and HMAC of that nonce in the form, so another
//!   site can neither read nor forge the pair and sign a victim into the attacker's account.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use clearline_store::Store;
use hmac::{Hmac, Mac};
use sha2::Sha256;

use crate::{App, CoreError, Principal};

const CSRF_KEY: &str = "csrf";

impl<S: Store> App<S> {
    async fn csrf_mac(&self, me: Principal) -> Result<Hmac<Sha256>, CoreError> {
        let key = self.store.server_secret(CSRF_KEY, crate::token::random_key()).await?;
        let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(&key) else { unreachable!("HMAC takes any key length") };
        mac.update(b"clearline csrf v1");
        mac.update(&me.session_id.raw().to_be_bytes());
        Ok(mac)
    }

    /// The CSRF token of forms shown to this session.
    pub async fn csrf_token(&self, me: Principal) -> Result<String, CoreError> {
        Ok(URL_SAFE_NO_PAD.encode(self.csrf_mac(me).await?.finalize().into_bytes()))
    }

    async fn login_mac(&self, nonce: &str) -> Result<Hmac<Sha256>, CoreError> {
        let key = self.store.server_secret(CSRF_KEY, crate::token::random_key()).await?;
        let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(&key) else { unreachable!("HMAC takes any key length") };
        mac.update(b"clearline login csrf v1");
        mac.update(nonce.as_bytes());
        Ok(mac)
    }

    /// A fresh sign-in CSRF pair: (nonce for the cookie, token for the form).
    pub async fn login_csrf(&self) -> Result<(String, String), CoreError> {
        let nonce = URL_SAFE_NO_PAD.encode(crate::token::random_key());
        let token = URL_SAFE_NO_PAD.encode(self.login_mac(&nonce).await?.finalize().into_bytes());
        Ok((nonce, token))
    }

    /// Whether a sign-in form's token belongs to the nonce in the browser's cookie.
    pub async fn check_login_csrf(&self, nonce: Option<&str>, token: &str) -> Result<bool, CoreError> {
        let (Some(nonce), Ok(bytes)) = (nonce, URL_SAFE_NO_PAD.decode(token)) else { return Ok(false) };
        Ok(self.login_mac(nonce).await?.verify_slice(&bytes).is_ok())
    }

    /// Whether `token` is this session's CSRF token.
    pub async fn check_csrf(&self, me: Principal, token: &str) -> Result<bool, CoreError> {
        let Ok(bytes) = URL_SAFE_NO_PAD.decode(token) else { return Ok(false) };
        Ok(self.csrf_mac(me).await?.verify_slice(&bytes).is_ok())
    }
}
