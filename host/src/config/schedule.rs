//! Cron schedules of tenants (`processing.scanIntervalCron`): 5 fields, or 6 with seconds first,
//! parsed once at load so an invalid expression stops the load instead of a tenant's schedule.

use std::fmt;

use chrono::{DateTime, TimeZone};
use croner::Cron;
use croner::parser::{CronParser, Seconds, Year};

/// The schedule used when a tenant sets none: every 15 minutes.
pub const DEFAULT_SCAN_INTERVAL_CRON: &str = "*/15 * * * *";

/// Why a cron expression was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CronScheduleError {
    #[error("must have 5 fields, or 6 with seconds first (got {fields} in {expression:?})")]
    FieldCount { expression: String, fields: usize },
    #[error("is not a valid cron expression ({expression:?}: {reason})")]
    Invalid { expression: String, reason: String },
    #[error("never fires ({expression:?})")]
    NeverFires { expression: String },
}

/// A parsed cron expression.
#[derive(Clone)]
pub struct CronSchedule {
    expression: String,
    cron: Cron,
}

impl CronSchedule {
    /// Parses 5 fields (minute, hour, day of month, month, day of week) or 6 with seconds
    /// first, and checks that the schedule fires at least once.
    pub fn parse(expression: &str) -> Result<Self, CronScheduleError> {
        let fields = expression.split_whitespace().count();
        if !(5..=6).contains(&fields) {
            return Err(CronScheduleError::FieldCount {
                expression: expression.to_owned(),
                fields,
            });
        }
        let cron = CronParser::builder()
            .seconds(Seconds::Optional)
            .year(Year::Disallowed)
            .build()
            .parse(expression)
            .map_err(|error| CronScheduleError::Invalid {
                expression: expression.to_owned(),
                reason: cron_error_reason(&error),
            })?;
        let schedule = Self {
            expression: expression.to_owned(),
            cron,
        };
        // `0 0 31 2 *` parses but never fires; refuse it now rather than leave a tenant idle.
        if schedule.next_after(&chrono::Utc::now()).is_none() {
            return Err(CronScheduleError::NeverFires {
                expression: expression.to_owned(),
            });
        }
        Ok(schedule)
    }

    /// The expression as configured.
    pub fn expression(&self) -> &str {
        &self.expression
    }

    /// The first time strictly after `now` at which the schedule fires, in `now`'s time zone
    /// (tenants are scheduled in the process's local time zone: pass `chrono::Local::now()`).
    pub fn next_after<Tz: TimeZone>(&self, now: &DateTime<Tz>) -> Option<DateTime<Tz>> {
        self.cron.find_next_occurrence(now, false).ok()
    }
}

/// The parser's own explanation, without its category prefix and final period.
fn cron_error_reason(error: &croner::errors::CronError) -> String {
    use croner::errors::CronError;
    let reason = match error {
        CronError::ComponentError(reason)
        | CronError::InvalidPattern(reason)
        | CronError::IllegalCharacters(reason) => reason.clone(),
        other => other.to_string(),
    };
    reason.trim_end_matches('.').to_owned()
}

impl fmt::Debug for CronSchedule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("CronSchedule")
            .field(&self.expression)
            .finish()
    }
}

impl PartialEq for CronSchedule {
    fn eq(&self, other: &Self) -> bool {
        self.expression == other.expression
    }
}

impl Eq for CronSchedule {}

#[cfg(test)]
mod tests {
    use chrono::Utc;

    use super::*;

    fn at(text: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(text)
            .expect("test timestamp")
            .with_timezone(&Utc)
    }

    #[test]
    fn five_field_expression_fires_on_the_minute() {
        let schedule = CronSchedule::parse(DEFAULT_SCAN_INTERVAL_CRON).expect("default parses");
        assert_eq!(
            schedule.next_after(&at("2026-11-29T10:07:30Z")),
            Some(at("2026-11-29T10:15:00Z"))
        );
        // Strictly after: a tick exactly on a match moves to the next one.
        assert_eq!(
            schedule.next_after(&at("2026-11-29T10:15:00Z")),
            Some(at("2026-11-29T10:30:00Z"))
        );
    }

    #[test]
    fn six_field_expression_reads_seconds_first() {
        let schedule = CronSchedule::parse("*/10 * * * * *").expect("parses");
        assert_eq!(
            schedule.next_after(&at("2026-11-29T10:07:31Z")),
            Some(at("2026-11-29T10:07:40Z"))
        );
    }

    #[test]
    fn wrong_field_counts_are_refused() {
        for expression in ["* * * *", "0 0 * * * * 2026", "@hourly", ""] {
            assert!(
                matches!(
                    CronSchedule::parse(expression),
                    Err(CronScheduleError::FieldCount { .. })
                ),
                "{expression:?}"
            );
        }
    }

    #[test]
    fn out_of_range_field_is_refused() {
        assert!(matches!(
            CronSchedule::parse("61 * * * *"),
            Err(CronScheduleError::Invalid { .. })
        ));
    }

    #[test]
    fn impossible_date_is_refused() {
        assert_eq!(
            CronSchedule::parse("0 0 31 2 *"),
            Err(CronScheduleError::NeverFires {
                expression: "0 0 31 2 *".to_owned()
            })
        );
    }
}
