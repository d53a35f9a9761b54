//! Offline-verifiable inclusion proofs in the C2SP `tlog-proof@v1` text format: a header line,
//! optional `extra` data, the leaf index, the inclusion proof hashes (standard base64, one per
//! line), an empty line, then the signed checkpoint note the proof is against.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;

use crate::{Error, Hash};

const HEADER: &str = "c2sp.org/tlog-proof@v1";

/// An inclusion proof with its checkpoint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProofFile {
    /// Application data (opaque to the format).
    pub extra: Option<Vec<u8>>,
    /// The leaf's index.
    pub index: u64,
    /// The inclusion proof (RFC 9162 §2.1.3).
    pub proof: Vec<Hash>,
    /// The signed checkpoint note the proof is against.
    pub checkpoint: Vec<u8>,
}

impl ProofFile {
    /// The text form.
    pub fn to_text(&self) -> Vec<u8> {
        let mut out = format!("{HEADER}\n");
        if let Some(extra) = &self.extra {
            out.push_str(&format!("extra {}\n", STANDARD.encode(extra)));
        }
        out.push_str(&format!("index {}\n", self.index));
        for h in &self.proof {
            out.push_str(&STANDARD.encode(h.0));
            out.push('\n');
        }
        out.push('\n');
        let mut bytes = out.into_bytes();
        bytes.extend_from_slice(&self.checkpoint);
        bytes
    }

    /// Parses the text form (the checkpoint is returned as is, to be opened with its verifier).
    pub fn parse(bytes: &[u8]) -> Result<Self, Error> {
        let bad = |why| Error::Checkpoint(why);
        let split =
            bytes.windows(2).position(|w| w == b"\n\n").ok_or(bad("proof: no empty line before the checkpoint"))?;
        let head = std::str::from_utf8(&bytes[..split]).map_err(|_| bad("proof: not UTF-8"))?;
        let checkpoint = bytes[split + 2..].to_vec();
        let mut lines = head.split('\n');
        if lines.next() != Some(HEADER) {
            return Err(bad("proof: not a c2sp.org/tlog-proof@v1 file"));
        }
        let mut line = lines.next().ok_or(bad("proof: no index"))?;
        let mut extra = None;
        if let Some(e) = line.strip_prefix("extra ") {
            extra = Some(STANDARD.decode(e).map_err(|_| bad("proof: bad extra"))?);
            line = lines.next().ok_or(bad("proof: no index"))?;
        }
        let index = line.strip_prefix("index ").and_then(|i| i.parse().ok()).ok_or(bad("proof: bad index line"))?;
        let proof = lines
            .map(|l| {
                let raw = STANDARD.decode(l).map_err(|_| bad("proof: bad hash"))?;
                Ok(Hash(<[u8; 32]>::try_from(raw.as_slice()).map_err(|_| bad("proof: bad hash"))?))
            })
            .collect::<Result<_, Error>>()?;
        Ok(Self { extra, index, proof, checkpoint })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn proof_files_round_trip_and_refuse_other_text() {
        let file = ProofFile {
            extra: Some(b"x".to_vec()),
            index: 7,
            proof: vec![Hash([1; 32]), Hash([2; 32])],
            checkpoint: b"log.example\n8\nAAAA\n\n\xe2\x80\x94 log.example sig\n".to_vec(),
        };
        assert_eq!(ProofFile::parse(&file.to_text()), Ok(file.clone()));
        let without = ProofFile { extra: None, ..file };
        assert_eq!(ProofFile::parse(&without.to_text()), Ok(without));
        assert!(ProofFile::parse(b"c2sp.org/tlog-proof@v2\nindex 1\n\nx").is_err());
        assert!(ProofFile::parse(b"c2sp.org/tlog-proof@v1\nindex one\n\nx").is_err());
    }
}
