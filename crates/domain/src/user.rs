//! People: handle, display name and password rules, and the [`User`] record.
//!
//! Handle rules (documented in the README): 3 to 32 characters, lower-case ASCII letters,
//! digits and `_`, starting with a letter. Handles are case-insensitive: input is folded to
//! lower case before it is checked, so `Alice` and `alice` are the same person.

use std::fmt;

use crate::{Timestamp, UserId, ValidationError};

/// The shortest handle allowed.
pub const MIN_HANDLE_LEN: usize = 3;
/// The longest handle allowed.
pub const MAX_HANDLE_LEN: usize = 32;

fn is_handle_char(b: u8) -> bool {
    b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_'
}

/// A person's unique, public name, e.g. `alice`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
#[serde(transparent)]
pub struct Handle(String);

impl Handle {
    /// Folds `raw` to lower case and checks the handle rules.
    pub fn parse(raw: &str) -> Result<Self, ValidationError> {
        let folded = raw.to_ascii_lowercase();
        let bytes = folded.as_bytes();
        let ok = (MIN_HANDLE_LEN..=MAX_HANDLE_LEN).contains(&bytes.len())
            && bytes[0].is_ascii_lowercase()
            && bytes.iter().all(|&b| is_handle_char(b));
        if ok { Ok(Self(folded)) } else { Err(ValidationError::Handle) }
    }

    /// The handle's text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Handle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The start of a handle, for people search.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HandlePrefix(String);

impl HandlePrefix {
    /// Folds `raw` to lower case; 1 to 32 handle characters.
    pub fn parse(raw: &str) -> Result<Self, ValidationError> {
        let folded = raw.to_ascii_lowercase();
        let ok = (1..=MAX_HANDLE_LEN).contains(&folded.len()) && folded.bytes().all(is_handle_char);
        if ok { Ok(Self(folded)) } else { Err(ValidationError::HandlePrefix) }
    }

    /// The prefix's text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The name people see, e.g. `Alice Martin`.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(transparent)]
pub struct DisplayName(String);

impl DisplayName {
    /// Visible text of 1 to 64 characters (see [`crate::text`]), normalised to NFC.
    pub fn parse(raw: &str) -> Result<Self, ValidationError> {
        crate::text::visible_text(raw, 64).map(Self).ok_or(ValidationError::DisplayName)
    }

    /// A name as stored: checked when it was written, under the rules of that day.
    pub fn from_stored(stored: String) -> Self {
        Self(stored)
    }

    /// The name's text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A password as typed. Its `Debug` never shows it.
#[derive(Clone)]
pub struct Password(String);

impl Password {
    /// 8 to 256 bytes; anything else in it is allowed.
    pub fn parse(raw: String) -> Result<Self, ValidationError> {
        if (8..=256).contains(&raw.len()) { Ok(Self(raw)) } else { Err(ValidationError::Password) }
    }

    /// The secret itself, for hashing only.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Password {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Password(<redacted>)")
    }
}

/// A person as others may see them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    /// The person's id.
    pub id: UserId,
    /// Their unique handle.
    pub handle: Handle,
    /// Their display name.
    pub display_name: DisplayName,
    /// When they signed up.
    pub created_at: Timestamp,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn handle_is_folded_to_lower_case() {
        assert_eq!(Handle::parse("Alice_1").map(|h| h.0), Ok("alice_1".to_owned()));
    }

    #[test]
    fn bad_handles_are_refused() {
        for bad in ["", "ab", "1abc", "_abc", "al ice", "alïce", "a-b-c", &"a".repeat(33)] {
            assert_eq!(Handle::parse(bad), Err(ValidationError::Handle), "{bad:?}");
        }
    }

    #[test]
    fn display_name_is_trimmed_and_bounded() {
        assert_eq!(DisplayName::parse("  Bo  ").map(|d| d.0), Ok("Bo".to_owned()));
        assert!(DisplayName::parse("   ").is_err());
        assert!(DisplayName::parse("a\u{7}b").is_err());
        assert!(DisplayName::parse(&"é".repeat(64)).is_ok());
        assert!(DisplayName::parse(&"é".repeat(65)).is_err());
    }

    #[test]
    fn password_debug_is_redacted() {
        let p = Password::parse("correct horse".to_owned()).ok();
        assert!(!format!("{p:?}").contains("horse"));
        assert!(Password::parse("short".to_owned()).is_err());
    }
}
