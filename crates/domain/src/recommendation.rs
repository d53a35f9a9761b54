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

/// The civil date (proleptic Gregorian) of a day since 1970-01-01, as `YYYY-MM-DD`.
pub fn format_day(day: i64) -> String {
    // H. Hinnant's civil_from_days.
    let z = day + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!("{y:04}-{m:02}-{d:02}")
}

/// Parses `YYYY-MM-DD` into days since 1970-01-01.
pub fn parse_day(text: &str) -> Result<i64, ValidationError> {
    let bad = ValidationError::Date;
    let parts: Vec<&str> = text.split('-').collect();
    let [y, m, d] = parts.as_slice() else { return Err(bad) };
    if y.len() != 4 || m.len() != 2 || d.len() != 2 {
        return Err(bad);
    }
    let (y, m, d): (i64, i64, i64) =
        (y.parse().map_err(|_| bad.clone())?, m.parse().map_err(|_| bad.clone())?, d.parse().map_err(|_| bad.clone())?);
    if !(1..=12).contains(&m) || !(1..=31).contains(&d) {
        return Err(bad);
    }
    // H. Hinnant's days_from_civil.
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400);
    let mp = if m > 2 { m - 3 } else { m + 9 };
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let day = era * 146_097 + doe - 719_468;
    // Refuse dates like 02-30 that only roll over.
    if format_day(day) == text { Ok(day) } else { Err(bad) }
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
