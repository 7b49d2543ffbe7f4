//! Comparing ISO-8601 timestamps as instants while keeping the original strings (the value sent
//! is always one of the inputs, unchanged).

use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

fn instant(value: &str) -> Option<OffsetDateTime> {
    OffsetDateTime::parse(value, &Rfc3339).ok()
}

/// The newest of `base` and `others`, compared as instants. Values that do not parse are
/// ignored; when `base` itself does not parse it is returned unchanged (nothing can be compared
/// with it). Ties keep the earlier value.
pub fn newest<'a>(base: &'a str, others: impl IntoIterator<Item = &'a str>) -> &'a str {
    let Some(mut best_instant) = instant(base) else {
        return base;
    };
    let mut best = base;
    for other in others {
        if let Some(at) = instant(other)
            && at > best_instant
        {
            best_instant = at;
            best = other;
        }
    }
    best
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn newest_compares_instants_not_strings() {
        // 10:00+02:00 is 08:00Z, older than 09:00Z although it sorts later as text.
        assert_eq!(
            newest(
                "2025-03-01T10:00:00.000+02:00",
                ["2025-03-01T09:00:00.000Z"]
            ),
            "2025-03-01T09:00:00.000Z"
        );
        assert_eq!(
            newest(
                "2025-03-01T09:00:00.000Z",
                ["2025-03-01T10:00:00.000+02:00"]
            ),
            "2025-03-01T09:00:00.000Z"
        );
    }

    #[test]
    fn equal_instants_keep_the_base_string() {
        assert_eq!(
            newest("2025-03-01T09:00:00Z", ["2025-03-01T09:00:00.000Z"]),
            "2025-03-01T09:00:00Z"
        );
    }

    #[test]
    fn unparseable_values_are_ignored() {
        assert_eq!(
            newest("2025-03-01T09:00:00Z", ["yesterday"]),
            "2025-03-01T09:00:00Z"
        );
        assert_eq!(newest("soon", ["2025-03-01T09:00:00Z"]), "soon");
    }
}
