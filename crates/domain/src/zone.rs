//! The time zone an agreement counts its report days in.

use crate::{DAY_MS, Timestamp, ValidationError};

/// An IANA time zone (`Europe/Amsterdam`, `America/Los_Angeles`, `UTC`). A report day is a
/// civil day in this zone: daylight saving time makes some of them 23 or 25 hours long.
#[derive(Clone)]
pub struct ReportZone {
    name: String,
    tz: jiff::tz::TimeZone,
}

impl ReportZone {
    /// Coordinated Universal Time, the default.
    pub fn utc() -> Self {
        Self { name: "UTC".to_owned(), tz: jiff::tz::TimeZone::UTC }
    }

    /// Looks a zone up by its IANA name (the bundled database, so the answer does not depend on
    /// the host).
    pub fn parse(name: &str) -> Result<Self, ValidationError> {
        if name.is_empty() || name.len() > 64 {
            return Err(ValidationError::TimeZone);
        }
        let tz = jiff::tz::db().get(name).map_err(|_| ValidationError::TimeZone)?;
        // The database matches names case-insensitively; keep its spelling.
        let name = tz.iana_name().unwrap_or(name).to_owned();
        Ok(Self { name, tz })
    }

    /// The zone's IANA name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The day (since 1970-01-01) that the local date of `at` names.
    pub fn day_of(&self, at: Timestamp) -> i64 {
        let offset =
            jiff::Timestamp::from_millisecond(at.millis()).map(|t| self.tz.to_offset(t).seconds()).unwrap_or(0);
        (at.millis() + i64::from(offset) * 1000).div_euclid(DAY_MS)
    }

    /// The first moment of local day `day` (midnight, or the first moment after a gap).
    pub fn start_of_day(&self, day: i64) -> Timestamp {
        let date = jiff::civil::Date::new(1970, 1, 1)
            .ok()
            .and_then(|epoch| epoch.checked_add(jiff::Span::new().days(day)).ok())
            .and_then(|d| d.to_zoned(self.tz.clone()).ok());
        date.map_or(Timestamp::from_millis(day * DAY_MS), |z| Timestamp::from_millis(z.timestamp().as_millisecond()))
    }
}

impl Default for ReportZone {
    fn default() -> Self {
        Self::utc()
    }
}

impl PartialEq for ReportZone {
    fn eq(&self, other: &Self) -> bool {
        self.name == other.name
    }
}

impl Eq for ReportZone {}

impl std::fmt::Debug for ReportZone {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{format_day, parse_day};

    fn at(rfc3339: &str) -> Timestamp {
        Timestamp::from_millis(rfc3339.parse::<jiff::Timestamp>().unwrap().as_millisecond())
    }

    #[test]
    fn utc_days_start_at_midnight_utc() {
        let z = ReportZone::utc();
        assert_eq!(format_day(z.day_of(at("2026-11-14T23:59:59.999Z"))), "2026-11-14");
        assert_eq!(format_day(z.day_of(at("2026-11-15T00:00:00Z"))), "2026-11-15");
        assert_eq!(format_day(z.day_of(at("1969-12-31T12:00:00Z"))), "1969-12-31");
    }

    #[test]
    fn a_zone_moves_the_day_boundary_and_follows_daylight_saving() {
        let la = ReportZone::parse("America/Los_Angeles").unwrap();
        // 02:00 UTC is still the evening before in Los Angeles (UTC-8 in November).
        assert_eq!(format_day(la.day_of(at("2026-11-15T02:00:00Z"))), "2026-11-14");
        assert_eq!(format_day(la.day_of(at("2026-11-15T08:00:00Z"))), "2026-11-15");
        // In July the offset is -7: 07:30 UTC is already the next local day.
        assert_eq!(format_day(la.day_of(at("2026-07-15T06:30:00Z"))), "2026-07-14");
        assert_eq!(format_day(la.day_of(at("2026-07-15T07:30:00Z"))), "2026-07-15");
        let tokyo = ReportZone::parse("Asia/Tokyo").unwrap();
        assert_eq!(format_day(tokyo.day_of(at("2026-11-14T15:00:00Z"))), "2026-11-15");
    }

    #[test]
    fn the_start_of_a_day_is_local_midnight() {
        let ams = ReportZone::parse("Europe/Amsterdam").unwrap();
        let day = parse_day("2026-11-15").unwrap();
        assert_eq!(ams.start_of_day(day), at("2026-11-14T23:00:00Z"));
        assert_eq!(ams.day_of(ams.start_of_day(day)), day);
        assert_eq!(ams.day_of(Timestamp::from_millis(ams.start_of_day(day).millis() - 1)), day - 1);
        // The spring-forward day is 23 hours long.
        let spring = parse_day("2026-03-29").unwrap();
        assert_eq!(ams.start_of_day(spring + 1).millis() - ams.start_of_day(spring).millis(), 23 * 3_600_000);
        assert_eq!(ReportZone::utc().start_of_day(day).millis(), day * DAY_MS);
    }

    #[test]
    fn unknown_or_odd_names_are_refused_and_spelling_is_the_databases() {
        for bad in ["", "Mars/Olympus_Mons", "Europe/", "../../etc/passwd", &"A".repeat(65)] {
            assert_eq!(ReportZone::parse(bad), Err(ValidationError::TimeZone), "{bad}");
        }
        assert_eq!(ReportZone::parse("europe/amsterdam").unwrap().name(), "Europe/Amsterdam");
        assert_eq!(ReportZone::default().name(), "UTC");
    }
}
