//! Signing checkpoints as C2SP signed notes with Ed25519 (signature type 0x01), and opening
//! them with a verifier key in the note `vkey` format (`<name>+<key id>+<base64 key>`).
//! The note format itself comes from the `signed_note` crate, a port of Go's reference
//! `golang.org/x/mod/sumdb/note`.

use std::fmt;

use signed_note::{Note, StandardSigner, StandardVerifier, VerifierList};

use crate::{Checkpoint, Error};

/// Signs checkpoints for one origin. Its `Debug` never shows the key.
pub struct LogSigner {
    signer: StandardSigner,
    vkey: String,
    origin: String,
}

impl fmt::Debug for LogSigner {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "LogSigner({}, <redacted>)", self.vkey)
    }
}

impl LogSigner {
    /// A new random key for `origin`; returns the signer and its secret in note `skey` format
    /// (`PRIVATE+KEY+<name>+<id>+<key>`) for the caller to keep safe.
    pub fn generate(origin: &str) -> Result<(Self, String), Error> {
        if !signed_note::is_key_name_valid(origin) {
            return Err(Error::Key(format!("invalid origin {origin:?}")));
        }
        let (skey, _) = signed_note::generate_key(&mut rand_core::OsRng, origin);
        Ok((Self::from_skey(&skey)?, skey))
    }

    /// A signer from a secret key in note `skey` format.
    pub fn from_skey(skey: &str) -> Result<Self, Error> {
        let signer = StandardSigner::new(skey).map_err(|e| Error::Key(format!("{e:?}")))?;
        // PRIVATE+KEY+<name>+<id>+<base64 key>: the key itself may hold '+'.
        let secret = skey.splitn(5, '+').nth(4).ok_or(Error::Key("format".into()))?;
        let bytes = base64::Engine::decode(&base64::engine::general_purpose::STANDARD, secret)
            .map_err(|_| Error::Key("base64".into()))?;
        let key = bytes
            .get(1..)
            .and_then(|k| ed25519_dalek::SigningKey::try_from(k).ok())
            .ok_or(Error::Key("not an Ed25519 key".into()))?;
        let origin = signed_note::Signer::name(&signer).to_owned();
        let vkey = signed_note::new_ed25519_verifier_key(&origin, &key.verifying_key());
        Ok(Self { signer, vkey, origin })
    }

    /// The verifier key anyone can check this log's checkpoints with.
    pub fn verifier_key(&self) -> &str {
        &self.vkey
    }

    /// The origin this signer signs for.
    pub fn origin(&self) -> &str {
        &self.origin
    }

    /// The signed note of `checkpoint`, whose origin must be this signer's.
    pub fn sign(&self, checkpoint: &Checkpoint) -> Result<Vec<u8>, Error> {
        if checkpoint.origin != self.origin {
            return Err(Error::Checkpoint("origin differs from the signing key's name"));
        }
        let mut note = Note::new(checkpoint.to_text().as_bytes(), &[]).map_err(|e| Error::Note(format!("{e:?}")))?;
        note.add_sigs(&[&self.signer]).map_err(|e| Error::Note(format!("{e:?}")))?;
        Ok(note.to_bytes())
    }
}

/// Opens checkpoints signed by one log key.
pub struct LogVerifier {
    vkey: String,
}

impl LogVerifier {
    /// A verifier from a key in note `vkey` format.
    pub fn new(vkey: &str) -> Result<Self, Error> {
        StandardVerifier::new(vkey).map_err(|e| Error::Key(format!("{e:?}")))?;
        Ok(Self { vkey: vkey.to_owned() })
    }

    /// Checks the note's signature by this key and that the checkpoint's origin is the key's
    /// name, and returns the checkpoint.
    pub fn open(&self, note: &[u8]) -> Result<Checkpoint, Error> {
        let verifier = StandardVerifier::new(&self.vkey).map_err(|e| Error::Key(format!("{e:?}")))?;
        let name = signed_note::Verifier::name(&verifier).to_owned();
        let note = Note::from_bytes(note).map_err(|e| Error::Note(format!("{e:?}")))?;
        note.verify(&VerifierList::new(vec![Box::new(verifier)])).map_err(|e| Error::Note(format!("{e:?}")))?;
        let text = std::str::from_utf8(note.text()).map_err(|_| Error::Checkpoint("not UTF-8"))?;
        let checkpoint = Checkpoint::parse(text)?;
        if checkpoint.origin != name {
            return Err(Error::Checkpoint("origin differs from the verifier key's name"));
        }
        Ok(checkpoint)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::leaf_hash;

    #[test]
    fn a_signed_checkpoint_opens_with_the_key_and_only_with_it() {
        let (signer, skey) = LogSigner::generate("log.example/clearline").unwrap();
        assert!(!format!("{signer:?}").contains(skey.splitn(5, '+').nth(4).unwrap()));
        let c = Checkpoint::new("log.example/clearline", 10, leaf_hash(b"head"));
        let note = signer.sign(&c).unwrap();
        let verifier = LogVerifier::new(signer.verifier_key()).unwrap();
        assert_eq!(verifier.open(&note), Ok(c.clone()));
        // The same key reloaded signs identically.
        let again = LogSigner::from_skey(&skey).unwrap();
        assert_eq!(again.verifier_key(), signer.verifier_key());
        // Another key of the same name does not open it.
        let (other, _) = LogSigner::generate("log.example/clearline").unwrap();
        assert!(LogVerifier::new(other.verifier_key()).unwrap().open(&note).is_err());
        // Any change to the body breaks the signature.
        let text = String::from_utf8(note.clone()).unwrap();
        let tampered = text.replacen("\n10\n", "\n11\n", 1);
        assert!(verifier.open(tampered.as_bytes()).is_err());
        // A checkpoint for another origin is refused by the signer.
        assert!(signer.sign(&Checkpoint::new("elsewhere", 1, leaf_hash(b"h"))).is_err());
    }
}
