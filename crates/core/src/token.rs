//! Bearer credentials: session tokens, OAuth authorization codes, access and refresh tokens.
//! Each is `<id>.<secret>`: the typed id selects the stored record, the 256-bit random secret
//! proves possession. Only SHA-256 of the secret is stored, and it is compared in constant
//! time, so neither the database nor timing reveals a usable credential. Client secrets are a
//! bare 256-bit secret, stored and checked the same way.

use std::fmt;
use std::str::FromStr;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use clearline_domain::Id;
use clearline_domain::id::{AccessTokenKind, AuthCodeKind, IdKind, RefreshTokenKind, SessionKind};
use rand::RngCore;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

/// A credential `<id>.<secret>` for a record of kind `K`. Its `Debug` never shows the secret.
pub struct Token<K: IdKind> {
    session: Id<K>,
    secret: [u8; 32],
}

/// A bearer session token (`ses_…`).
pub type SessionToken = Token<SessionKind>;
/// An OAuth authorization code (`oac_…`).
pub type AuthCode = Token<AuthCodeKind>;
/// An OAuth access token (`oat_…`).
pub type AccessToken = Token<AccessTokenKind>;
/// An OAuth refresh token (`ort_…`).
pub type RefreshToken = Token<RefreshTokenKind>;

impl<K: IdKind> Clone for Token<K> {
    fn clone(&self) -> Self {
        Self { session: self.session, secret: self.secret }
    }
}
impl<K: IdKind> PartialEq for Token<K> {
    fn eq(&self, other: &Self) -> bool {
        self.session == other.session && bool::from(self.secret.ct_eq(&other.secret))
    }
}
impl<K: IdKind> Eq for Token<K> {}

impl<K: IdKind> Token<K> {
    /// A fresh random secret; the id is filled in once the record is stored.
    pub fn random_secret() -> [u8; 32] {
        let mut secret = [0u8; 32];
        rand::rngs::OsRng.fill_bytes(&mut secret);
        secret
    }

    /// A token for a stored record.
    pub fn new(id: Id<K>, secret: [u8; 32]) -> Self {
        Self { session: id, secret }
    }

    /// The record this token selects.
    pub fn id(&self) -> Id<K> {
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

impl<K: IdKind> fmt::Debug for Token<K> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Token({}.<redacted>)", self.session)
    }
}

/// The token text was not `<id>.<43 base64url characters>`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MalformedToken;

impl<K: IdKind> FromStr for Token<K> {
    type Err = MalformedToken;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let (id, secret) = s.split_once('.').ok_or(MalformedToken)?;
        let session = id.parse().map_err(|_| MalformedToken)?;
        let bytes = URL_SAFE_NO_PAD.decode(secret).map_err(|_| MalformedToken)?;
        let secret = <[u8; 32]>::try_from(bytes.as_slice()).map_err(|_| MalformedToken)?;
        Ok(Self { session, secret })
    }
}

/// 32 random bytes from the operating system (server keys, salts, message ids).
pub fn random_key() -> [u8; 32] {
    SessionToken::random_secret()
}

/// A confidential client's secret: 256 random bits, shown once as base64url, stored as SHA-256.
pub struct ClientSecret([u8; 32]);

impl ClientSecret {
    /// A fresh random secret.
    pub fn generate() -> Self {
        Self(Token::<SessionKind>::random_secret())
    }

    /// SHA-256 of the secret, the only form stored.
    pub fn hash(&self) -> [u8; 32] {
        Sha256::digest(self.0).into()
    }

    /// The secret as the app is given it.
    pub fn expose(&self) -> String {
        URL_SAFE_NO_PAD.encode(self.0)
    }

    /// Whether `presented` is the secret whose hash is `stored`, compared in constant time.
    pub fn verify(presented: &str, stored: &[u8; 32]) -> bool {
        // A malformed secret is hashed as it is, so it costs the same as a wrong one.
        let bytes = URL_SAFE_NO_PAD.decode(presented).unwrap_or_else(|_| presented.as_bytes().to_vec());
        let hashed: [u8; 32] = Sha256::digest(&bytes).into();
        hashed.ct_eq(stored).into()
    }
}

impl fmt::Debug for ClientSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ClientSecret(<redacted>)")
    }
}

#[cfg(test)]
mod tests {
    use clearline_domain::SessionId;

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
    fn tokens_of_another_kind_are_refused() {
        let token = AccessToken::new(clearline_domain::AccessTokenId::from_raw(3), AccessToken::random_secret());
        assert!(token.expose().parse::<RefreshToken>().is_err());
        assert!(token.expose().parse::<AccessToken>().is_ok());
    }

    #[test]
    fn client_secret_verifies_only_itself() {
        let secret = ClientSecret::generate();
        assert!(ClientSecret::verify(&secret.expose(), &secret.hash()));
        assert!(!ClientSecret::verify(&ClientSecret::generate().expose(), &secret.hash()));
        assert!(!ClientSecret::verify("not base64!", &secret.hash()));
    }

    #[test]
    fn malformed_tokens_are_refused() {
        for bad in ["", "ses_1", "ses_1.", "ses_x.AAAA", "usr_1.AAAA", "ses_1.!!!!"] {
            assert!(bad.parse::<SessionToken>().is_err(), "{bad:?}");
        }
    }
}
