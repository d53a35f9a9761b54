//! Checkpoint bodies (C2SP tlog-checkpoint): the origin line, the tree size in decimal and
//! the root hash in standard base64, each ending in a newline, then optional extension lines.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;

use crate::{Error, Hash};

/// A tree head as a log states it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checkpoint {
    /// The log's origin, e.g. `clearline.example/log`.
    pub origin: String,
    /// The number of leaves.
    pub size: u64,
    /// The root hash of those leaves.
    pub root: Hash,
    /// Extension lines, without their newlines (none in Clearline's own checkpoints).
    pub extensions: Vec<String>,
}

impl Checkpoint {
    /// A checkpoint without extension lines.
    pub fn new(origin: &str, size: u64, root: Hash) -> Self {
        Self { origin: origin.to_owned(), size, root, extensions: Vec::new() }
    }

    /// The body text that gets signed.
    pub fn to_text(&self) -> String {
        let mut text = format!("{}\n{}\n{}\n", self.origin, self.size, STANDARD.encode(self.root.0));
        for ext in &self.extensions {
            text.push_str(ext);
            text.push('\n');
        }
        text
    }

    /// Parses a body, refusing anything the format does not allow.
    pub fn parse(text: &str) -> Result<Self, Error> {
        let body = text.strip_suffix('\n').ok_or(Error::Checkpoint("must end with a newline"))?;
        // A signed note's text has no control characters but newlines (C2SP signed-note), so a
        // checkpoint that has one could never be signed or opened.
        if body.chars().any(|c| c.is_control() && c != '\n') {
            return Err(Error::Checkpoint("control character"));
        }
        let mut lines = body.split('\n');
        let origin = lines.next().filter(|o| !o.is_empty()).ok_or(Error::Checkpoint("empty origin"))?;
        let size = lines.next().ok_or(Error::Checkpoint("missing size"))?;
        let canonical = size == "0" || (!size.starts_with('0') && !size.is_empty());
        if !canonical || !size.bytes().all(|b| b.is_ascii_digit()) {
            return Err(Error::Checkpoint("size must be a decimal number without leading zeros"));
        }
        let size = size.parse().map_err(|_| Error::Checkpoint("size out of range"))?;
        let root = lines.next().ok_or(Error::Checkpoint("missing root hash"))?;
        let root = STANDARD
            .decode(root)
            .ok()
            .and_then(|b| <[u8; 32]>::try_from(b.as_slice()).ok())
            .ok_or(Error::Checkpoint("root hash must be 32 bytes of base64"))?;
        let extensions: Vec<String> = lines.map(str::to_owned).collect();
        if extensions.iter().any(String::is_empty) {
            return Err(Error::Checkpoint("empty extension line"));
        }
        Ok(Self { origin: origin.to_owned(), size, root: Hash(root), extensions })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_control_character_is_refused_as_no_note_could_carry_it() {
        let root = "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=";
        assert!(Checkpoint::parse(&format!("example.com/log\n3\n{root}\next\u{0}ension\n")).is_err());
        assert!(Checkpoint::parse(&format!("example.com/log\n3\n{root}\nx\ry\n")).is_err());
        assert!(Checkpoint::parse(&format!("example.com/log\n3\n{root}\nextension\n")).is_ok());
    }

    #[test]
    fn checkpoint_text_round_trips() {
        let c = Checkpoint::new("example.com/log", 42, crate::leaf_hash(b"x"));
        let text = c.to_text();
        assert!(text.starts_with("example.com/log\n42\n"));
        assert_eq!(Checkpoint::parse(&text), Ok(c));
    }

    #[test]
    fn malformed_checkpoints_are_refused() {
        let root = STANDARD.encode([7u8; 32]);
        for bad in [
            format!("o\n1\n{root}"),
            format!("\n1\n{root}\n"),
            format!("o\n01\n{root}\n"),
            format!("o\n-1\n{root}\n"),
            format!("o\n1\n{}\n", STANDARD.encode([7u8; 31])),
            format!("o\n1\n{root}\n\n"),
            "o\n1\n".to_owned(),
        ] {
            assert!(Checkpoint::parse(&bad).is_err(), "{bad:?}");
        }
    }
}
