//! Session tokens. A token is `<session id>.<secret>`: the id selects the stored session, the
//! 256-bit random secret proves possession. Only SHA-256 of the secret is stored, and it is
//! compared in constant time, so neither the database nor timing reveals a usable token.

use std::fmt;
use std::str::FromStr;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use clearline_domain::SessionId;
use rand::RngCore;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

/// A bearer session token. Its `Debug` never shows the secret.
#[derive(Clone, PartialEq, Eq)]
pub struct SessionToken {
    session: SessionId,
    secret: [u8; 32],
}

impl SessionToken {
    /// A fresh random secret for `session`; the id is filled in after the session is stored.
    pub fn random_secret() -> [u8; 32] {
        let mut secret = [0u8; 32];
        rand::rngs::OsRng.fill_bytes(&mut secret);
        secret
    }

    /// A token for a stored session.
    pub fn new(session: SessionId, secret: [u8; 32]) -> Self {
        Self { session, secret }
    }

    /// The session this token selects.
    pub fn session(&self) -> SessionId {
        self.session
    }

    /// SHA-256 of a secret, the only form stored.
    pub fn hash_secret(secret: &[u8; 32]) -> [u8; 32] {
        Sha256::digest(secret).into()
    }

    /// Whether this token's secret matches `stored_hash`, compared in constant time.
    pub fn matches(&self, stored_hash: &[u8; 32]) -> bool {
        Self::hash_secret(&self.secret).ct_eq(stored_hash).into()
    }

    /// The token as the client sends it.
    pub fn expose(&self) -> String {
        format!("{}.{}", self.session, URL_SAFE_NO_PAD.encode(self.secret))
    }
}

impl fmt::Debug for SessionToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SessionToken({}.<redacted>)", self.session)
    }
}

/// The token text was not `<session id>.<43 base64url characters>`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MalformedToken;

impl FromStr for SessionToken {
    type Err = MalformedToken;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let (id, secret) = s.split_once('.').ok_or(MalformedToken)?;
        let session = id.parse().map_err(|_| MalformedToken)?;
        let bytes = URL_SAFE_NO_PAD.decode(secret).map_err(|_| MalformedToken)?;
        let secret = <[u8; 32]>::try_from(bytes.as_slice()).map_err(|_| MalformedToken)?;
        Ok(Self { session, secret })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn token_round_trips_and_checks_its_secret() {
        let secret = SessionToken::random_secret();
        let token = SessionToken::new(SessionId::from_raw(7), secret);
        let parsed: SessionToken = token.expose().parse().unwrap();
        assert_eq!(parsed, token);
        assert!(parsed.matches(&SessionToken::hash_secret(&secret)));
        let mut other = secret;
        other[0] ^= 1;
        assert!(!parsed.matches(&SessionToken::hash_secret(&other)));
        assert!(!format!("{token:?}").contains(&token.expose()[8..]));
    }

    #[test]
    fn malformed_tokens_are_refused() {
        for bad in ["", "ses_1", "ses_1.", "ses_x.AAAA", "usr_1.AAAA", "ses_1.!!!!"] {
            assert!(bad.parse::<SessionToken>().is_err(), "{bad:?}");
        }
    }
}
