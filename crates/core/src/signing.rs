//! The server's Ed25519 key: it signs consent receipts (as JWS, RFC 7515 with EdDSA, RFC 8037)
//! and webhook payloads. The key itself is loaded (or created) by the server from its data
//! directory; this module only signs.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use ed25519_dalek::{Signer, SigningKey};

/// The server's signing key. Its `Debug` never shows the secret.
#[derive(Clone)]
pub struct ServerKey(SigningKey);

impl ServerKey {
    /// Wraps a 32-byte Ed25519 seed.
    pub fn from_seed(seed: [u8; 32]) -> Self {
        Self(SigningKey::from_bytes(&seed))
    }

    /// A fresh random key's seed.
    pub fn generate_seed() -> [u8; 32] {
        crate::token::random_key()
    }

    /// The public key, base64url (the `x` of an OKP JWK).
    pub fn public_key(&self) -> String {
        URL_SAFE_NO_PAD.encode(self.0.verifying_key().as_bytes())
    }

    /// A short id of the key: the first 8 bytes of the public key, hex.
    pub fn key_id(&self) -> String {
        self.0.verifying_key().as_bytes()[..8].iter().map(|b| format!("{b:02x}")).collect()
    }

    /// An Ed25519 signature of `bytes`, base64url.
    pub fn sign(&self, bytes: &[u8]) -> String {
        URL_SAFE_NO_PAD.encode(self.sign_raw(bytes))
    }

    /// An Ed25519 signature of `bytes`, as its 64 bytes.
    pub fn sign_raw(&self, bytes: &[u8]) -> [u8; 64] {
        self.0.sign(bytes).to_bytes()
    }

    /// The public key's 32 bytes.
    pub fn public_key_bytes(&self) -> [u8; 32] {
        self.0.verifying_key().to_bytes()
    }

    /// `payload` as a compact JWS signed with EdDSA.
    pub fn jws(&self, payload: &[u8]) -> String {
        let header = format!(r#"{{"alg":"EdDSA","typ":"JWT","kid":"{}"}}"#, self.key_id());
        let input = format!("{}.{}", URL_SAFE_NO_PAD.encode(header), URL_SAFE_NO_PAD.encode(payload));
        let signature = self.sign(input.as_bytes());
        format!("{input}.{signature}")
    }
}

impl std::fmt::Debug for ServerKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "ServerKey({})", self.key_id())
    }
}

#[cfg(test)]
mod tests {
    use ed25519_dalek::{Signature, Verifier, VerifyingKey};

    use super::*;

    #[test]
    fn jws_verifies_with_the_public_key_and_fails_when_tampered() {
        let key = ServerKey::from_seed([9; 32]);
        let jws = key.jws(br#"{"a":1}"#);
        let parts: Vec<&str> = jws.split('.').collect();
        assert_eq!(parts.len(), 3);
        let public: [u8; 32] = URL_SAFE_NO_PAD.decode(key.public_key()).unwrap().try_into().unwrap();
        let vk = VerifyingKey::from_bytes(&public).unwrap();
        let sig: [u8; 64] = URL_SAFE_NO_PAD.decode(parts[2]).unwrap().try_into().unwrap();
        let input = format!("{}.{}", parts[0], parts[1]);
        assert!(vk.verify(input.as_bytes(), &Signature::from_bytes(&sig)).is_ok());
        let tampered = format!("{}.{}", parts[0], URL_SAFE_NO_PAD.encode(br#"{"a":2}"#));
        assert!(vk.verify(tampered.as_bytes(), &Signature::from_bytes(&sig)).is_err());
        assert!(!format!("{key:?}").contains(&URL_SAFE_NO_PAD.encode([9u8; 32])));
    }
}
