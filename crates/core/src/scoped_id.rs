//! App-scoped person ids: HMAC-SHA256 under a server key of (partner, person), truncated to
//! 128 bits. The same person has unrelated ids at two partners, so partners cannot join their
//! data on ids, and nobody without the server key can map an id back to a person. The mapping
//! back is done by deriving the ids of the people an app may address (a person's friends).

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use clearline_domain::{AppScopedId, PartnerId, UserId};
use hmac::{Hmac, Mac};
use sha2::Sha256;

/// The server key the ids are derived under.
#[derive(Clone)]
pub struct ScopedIdKey([u8; 32]);

impl ScopedIdKey {
    /// Wraps the stored key.
    pub fn new(key: [u8; 32]) -> Self {
        Self(key)
    }

    /// The id `partner` sees `user` by.
    pub fn derive(&self, partner: PartnerId, user: UserId) -> AppScopedId {
        // HMAC accepts keys of any length, so this cannot fail for a 32-byte key.
        let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(&self.0) else { unreachable!("HMAC takes any key length") };
        mac.update(b"clearline app-scoped id v1");
        mac.update(&partner.raw().to_be_bytes());
        mac.update(&user.raw().to_be_bytes());
        let tag = mac.finalize().into_bytes();
        AppScopedId::from_derived(URL_SAFE_NO_PAD.encode(&tag[..16]))
    }
}

impl std::fmt::Debug for ScopedIdKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ScopedIdKey(<redacted>)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_differ_between_partners_and_people_and_are_stable() {
        let key = ScopedIdKey::new([7; 32]);
        let (p1, p2) = (PartnerId::from_raw(1), PartnerId::from_raw(2));
        let (u1, u2) = (UserId::from_raw(1), UserId::from_raw(2));
        let a = key.derive(p1, u1);
        assert_eq!(a, key.derive(p1, u1));
        assert_ne!(a, key.derive(p2, u1));
        assert_ne!(a, key.derive(p1, u2));
        assert_ne!(a, ScopedIdKey::new([8; 32]).derive(p1, u1));
        assert!(AppScopedId::parse(a.as_str()).is_ok());
    }
}
