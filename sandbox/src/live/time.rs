//! Timestamps as the live platform writes them: ISO 8601 UTC with microseconds and `Z` (Pydantic),
//! or without the fraction (open question Q7); Python's `str(datetime)` for the "already used at"
//! message; and parsing of `date-time` query parameters.

use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

fn at(ms: i64) -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000).unwrap_or(OffsetDateTime::UNIX_EPOCH)
}

/// `2026-10-08T14:03:12.418000Z`, or `2026-10-08T14:03:12Z` when `without_fraction`.
pub fn iso(ms: i64, without_fraction: bool) -> String {
    let t = at(ms);
    let base = format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second()
    );
    if without_fraction { format!("{base}Z") } else { format!("{base}.{:06}Z", t.microsecond()) }
}

/// Python's `str(datetime)` of an aware UTC datetime: `2026-10-08 14:03:12.418000+00:00`.
pub fn python_str(ms: i64) -> String {
    let t = at(ms);
    format!(
        "{:04}-{:02}-{:02} {:02}:{:02}:{:02}.{:06}+00:00",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second(),
        t.microsecond()
    )
}

/// An RFC 3339 date-time (a missing offset is read as UTC, as Pydantic does) → Unix ms.
pub fn parse(s: &str) -> Option<i64> {
    let t = OffsetDateTime::parse(s, &Rfc3339).or_else(|_| OffsetDateTime::parse(&format!("{s}Z"), &Rfc3339)).ok()?;
    i64::try_from(t.unix_timestamp_nanos() / 1_000_000).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_like_pydantic_and_python() {
        let ms = 1_791_468_192_418; // 2026-10-08T14:03:12.418Z
        assert_eq!(iso(ms, false), "2026-10-08T14:03:12.418000Z");
        assert_eq!(iso(ms, true), "2026-10-08T14:03:12Z");
        assert_eq!(python_str(ms), "2026-10-08 14:03:12.418000+00:00");
        assert_eq!(parse("2026-10-08T14:03:12.418Z"), Some(ms));
        assert_eq!(parse("2026-10-08T16:03:12.418+02:00"), Some(ms));
        assert_eq!(parse("2026-10-08T14:03:12.418"), Some(ms));
        assert_eq!(parse("yesterday"), None);
    }
}
