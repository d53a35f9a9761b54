//! Recommendations: an app-sent card about a title, with the dimensions partner reports are
//! broken down by (`interface`, `initiation_surface`, `variant`), to friends on the platform and
//! to people the partner reaches itself (external recipients). Every recipient gets a tracked
//! link; a click is counted once per link per day. Reports are counts only.

use crate::{Card, ValidationError};

/// A report dimension's value: 1 to 64 characters of a-z, A-Z, 0-9, `_`, `-`, `.`, `:`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Dimension(String);

impl Dimension {
    /// Checks a dimension value.
    pub fn parse(raw: &str) -> Result<Self, ValidationError> {
        let ok =
            (1..=64).contains(&raw.len()) && raw.bytes().all(|b| b.is_ascii_alphanumeric() || b"_-.:".contains(&b));
        if ok { Ok(Self(raw.to_owned())) } else { Err(ValidationError::Dimension) }
    }

    /// The value's text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The dimensions of a recommendation.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Dimensions {
    /// Where the sender was, e.g. `tv`, `mobile`, `web`.
    pub interface: Dimension,
    /// What they were doing, e.g. `title_page`, `post_play`, `browse_row`.
    pub initiation_surface: Dimension,
    /// The implementation variant or experiment arm.
    pub variant: Dimension,
}

/// Who a tracked link was made for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum RecipientKind {
    /// A friend on Clearline, reached through an app thread.
    Platform,
    /// Someone the partner reaches by its own channels.
    External,
}

impl RecipientKind {
    /// The stable name used in storage, on the wire and in reports.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Platform => "platform",
            Self::External => "external",
        }
    }

    /// The inverse of [`RecipientKind::as_str`].
    pub fn from_name(name: &str) -> Option<Self> {
        match name {
            "platform" => Some(Self::Platform),
            "external" => Some(Self::External),
            _ => None,
        }
    }
}

/// A title being recommended: the partner's id for it and its card.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Title {
    /// The partner's id of the title (1 to 128 printable ASCII characters).
    pub id: String,
    /// Name, link and image, as on a card.
    pub card: Card,
}

impl Title {
    /// Checks a title.
    pub fn new(id: &str, name: &str, url: &str, image_url: Option<&str>) -> Result<Self, ValidationError> {
        if !(1..=128).contains(&id.len()) || !id.bytes().all(|b| b.is_ascii_graphic()) {
            return Err(ValidationError::TitleId);
        }
        Ok(Self { id: id.to_owned(), card: Card::new(name, url, image_url)? })
    }
}

/// The most external recipients one recommendation may ask links for.
pub const MAX_EXTERNAL_RECIPIENTS: u32 = 100;

/// Day 0: 1970-01-01.
const EPOCH: jiff::civil::Date = jiff::civil::date(1970, 1, 1);

/// The civil date (proleptic Gregorian, `jiff`) of a day since 1970-01-01, as `YYYY-MM-DD`.
/// Days outside the years -9999..=9999 (never stored) print as `day N`.
pub fn format_day(day: i64) -> String {
    jiff::Span::new()
        .try_days(day)
        .ok()
        .and_then(|span| EPOCH.checked_add(span).ok())
        .map_or_else(|| format!("day {day}"), |date| date.strftime("%Y-%m-%d").to_string())
}

/// Parses `YYYY-MM-DD` (exactly: four-digit year, real dates only) into days since 1970-01-01.
pub fn parse_day(text: &str) -> Result<i64, ValidationError> {
    let shaped = text.len() == 10
        && text.bytes().enumerate().all(|(i, b)| if i == 4 || i == 7 { b == b'-' } else { b.is_ascii_digit() });
    let date: jiff::civil::Date = text.parse().ok().filter(|_| shaped).ok_or(ValidationError::Date)?;
    let span = EPOCH.until(date).map_err(|_| ValidationError::Date)?;
    Ok(i64::from(span.get_days()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dimensions_are_short_tokens() {
        assert!(Dimension::parse("post_play").is_ok());
        assert!(Dimension::parse("arm-B.2").is_ok());
        for bad in ["", "two words", "é", &"a".repeat(65)] {
            assert!(Dimension::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn dates_round_trip_and_impossible_ones_are_refused() {
        assert_eq!(parse_day("1970-01-01"), Ok(0));
        assert_eq!(parse_day("2026-11-01"), Ok(20_758));
        assert_eq!(format_day(20_758), "2026-11-01");
        assert_eq!(format_day(parse_day("2024-02-29").unwrap()), "2024-02-29");
        for bad in ["2026-02-30", "2025-02-29", "2026-13-01", "26-11-01", "2026/11/01", ""] {
            assert!(parse_day(bad).is_err(), "{bad}");
        }
    }
}
