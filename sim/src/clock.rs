//! Timestamps in the Confluence/Unique wire form (`2025-03-01T10:00:00.000Z`).

use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;
use time::macros::format_description;

/// Now, formatted like Confluence's `version.when`.
pub fn now_iso() -> String {
    format_iso(OffsetDateTime::now_utc())
}

pub fn format_iso(at: OffsetDateTime) -> String {
    let format =
        format_description!("[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:3]Z");
    // The format only has fields every UTC date has, so formatting cannot fail for valid dates.
    at.to_offset(time::UtcOffset::UTC)
        .format(&format)
        .unwrap_or_else(|_| "1970-01-01T00:00:00.000Z".to_owned())
}

/// Milliseconds since the epoch of an RFC 3339 timestamp, for `modificationDate` link parameters.
pub fn epoch_millis(iso: &str) -> i64 {
    OffsetDateTime::parse(iso, &Rfc3339)
        .map(|t| (t.unix_timestamp_nanos() / 1_000_000) as i64)
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn iso_round_trips_through_epoch_millis() {
        assert_eq!(epoch_millis("1970-01-01T00:00:01.500Z"), 1500);
        let now = now_iso();
        assert!(now.ends_with('Z') && now.len() == 24, "{now}");
        assert!(epoch_millis(&now) > 0);
    }
}
