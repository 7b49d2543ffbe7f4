//! The `processing` section: concurrency, the cron schedule and the trial cap on scanned items.

use std::num::NonZeroU32;

use serde_yaml_ng::Value;

use super::super::diagnostics::FileReport;
use super::super::schedule::{CronSchedule, DEFAULT_SCAN_INTERVAL_CRON};
use super::super::tenant::ProcessingSettings;
use super::super::yaml_reader::{Section, positive_integer_coerced, string};

/// Reads the `processing` section (every key has a default).
pub(super) fn read(
    mut section: Section<'_>,
    report: &mut FileReport,
) -> Option<ProcessingSettings> {
    let concurrency = section.optional(report, "concurrency", positive_integer_coerced);
    let schedule_path = section.key_path("scanIntervalCron");
    let schedule = section.optional(report, "scanIntervalCron", cron_schedule);
    let max_items_to_scan = section.optional(report, "maxItemsToScan", max_items_to_scan);
    section.finish(report);

    let schedule = match schedule {
        Some(schedule) => schedule,
        None => match CronSchedule::parse(DEFAULT_SCAN_INTERVAL_CRON) {
            Ok(schedule) => schedule,
            Err(error) => {
                report.invalid(&schedule_path, format!("default {error}"));
                return None;
            }
        },
    };
    Some(ProcessingSettings {
        concurrency: concurrency.unwrap_or(NonZeroU32::MIN),
        schedule,
        max_items_to_scan,
    })
}

fn cron_schedule(report: &mut FileReport, path: &str, value: &Value) -> Option<CronSchedule> {
    let expression = string(report, path, value)?;
    match CronSchedule::parse(&expression) {
        Ok(schedule) => Some(schedule),
        Err(error) => {
            report.invalid(path, error.to_string());
            None
        }
    }
}

/// `maxItemsToScan`: a positive integer, where `""` (as rendered by templates) means unset.
fn max_items_to_scan(report: &mut FileReport, path: &str, value: &Value) -> Option<NonZeroU32> {
    match value {
        Value::String(text) if text.trim().is_empty() => None,
        _ => positive_integer_coerced(report, path, value),
    }
}
