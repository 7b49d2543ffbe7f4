//! A typed reader over a parsed YAML tree: it reads keys by path, records every broken rule in a
//! [`FileReport`] instead of stopping at the first, and reports the keys nobody asked for as
//! unknown (with a "did you mean" hint when a known key is close).
//!
//! Readers return `Option`: `None` means "absent" or "invalid", and an invalid value has always
//! been reported. Callers read every key of a section first and assemble the checked value at the
//! end, so one bad key never hides the next one.

use std::num::NonZeroU32;

use serde_yaml_ng::{Mapping, Value};

use super::diagnostics::FileReport;

/// The longest excerpt of a (non-secret) string value quoted in a message.
const MAX_QUOTED_CHARS: usize = 60;

/// One mapping of the file, at a key path, that remembers which keys were asked for.
pub(super) struct Section<'a> {
    path: String,
    mapping: &'a Mapping,
    known_keys: Vec<&'static str>,
}

impl<'a> Section<'a> {
    /// The file's top-level mapping.
    pub(super) fn root(mapping: &'a Mapping) -> Self {
        Self::at(String::new(), mapping)
    }

    fn at(path: String, mapping: &'a Mapping) -> Self {
        Self {
            path,
            mapping,
            known_keys: Vec::new(),
        }
    }

    /// The key path of `key` inside this section, e.g. `confluence.auth.mode`.
    pub(super) fn key_path(&self, key: &str) -> String {
        child_path(&self.path, key)
    }

    /// The raw value under `key` (a YAML `null` included), marking `key` as known.
    pub(super) fn get(&mut self, key: &'static str) -> Option<&'a Value> {
        self.known_keys.push(key);
        self.mapping.get(key)
    }

    /// Reads a key that must be present.
    pub(super) fn required<T>(
        &mut self,
        report: &mut FileReport,
        key: &'static str,
        read: impl FnOnce(&mut FileReport, &str, &'a Value) -> Option<T>,
    ) -> Option<T> {
        let path = self.key_path(key);
        match self.get(key) {
            Some(value) => read(report, &path, value),
            None => {
                report.invalid(&path, "is required");
                None
            }
        }
    }

    /// Reads a key that may be absent; a YAML `null` counts as absent.
    pub(super) fn optional<T>(
        &mut self,
        report: &mut FileReport,
        key: &'static str,
        read: impl FnOnce(&mut FileReport, &str, &'a Value) -> Option<T>,
    ) -> Option<T> {
        let path = self.key_path(key);
        match self.get(key) {
            None | Some(Value::Null) => None,
            Some(value) => read(report, &path, value),
        }
    }

    /// The mapping under a key that must be present.
    pub(super) fn required_section(
        &mut self,
        report: &mut FileReport,
        key: &'static str,
    ) -> Option<Section<'a>> {
        let path = self.key_path(key);
        self.required(report, key, mapping)
            .map(|inner| Section::at(path, inner))
    }

    /// The mapping under a key that may be absent.
    pub(super) fn optional_section(
        &mut self,
        report: &mut FileReport,
        key: &'static str,
    ) -> Option<Section<'a>> {
        let path = self.key_path(key);
        self.optional(report, key, mapping)
            .map(|inner| Section::at(path, inner))
    }

    /// Reports every key of this section that was never asked for as unknown.
    pub(super) fn finish(self, report: &mut FileReport) {
        for (key, _) in self.mapping {
            let Value::String(key) = key else {
                report.warn(
                    &child_path(&self.path, &describe(key)),
                    "unknown key (ignored)",
                );
                continue;
            };
            if self.known_keys.contains(&key.as_str()) {
                continue;
            }
            let message = match closest_known_key(key, &self.known_keys) {
                Some(hint) => format!("unknown key (ignored); did you mean `{hint}`?"),
                None => "unknown key (ignored)".to_owned(),
            };
            report.warn(&child_path(&self.path, key), message);
        }
    }

    /// Ends reading without reporting unknown keys. For a section whose variant key was invalid:
    /// which keys belong there is then unknown, and warnings would only add noise to the error.
    pub(super) fn finish_without_unknown_keys(self) {}
}

fn child_path(parent: &str, key: &str) -> String {
    if parent.is_empty() {
        key.to_owned()
    } else {
        format!("{parent}.{key}")
    }
}

/// A known key that `unknown` probably meant: the same key in another case, or one within a
/// small edit distance.
fn closest_known_key<'k>(unknown: &str, known: &[&'k str]) -> Option<&'k str> {
    if let Some(same) = known.iter().find(|key| key.eq_ignore_ascii_case(unknown)) {
        return Some(same);
    }
    let unknown = unknown.to_ascii_lowercase();
    known
        .iter()
        .map(|key| {
            let distance = strsim::levenshtein(&unknown, &key.to_ascii_lowercase());
            (distance, *key)
        })
        .filter(|(distance, key)| *distance <= max_typo_distance(key))
        .min_by_key(|(distance, _)| *distance)
        .map(|(_, key)| key)
}

/// Short keys tolerate one typo, longer ones two; more would suggest unrelated keys.
fn max_typo_distance(key: &str) -> usize {
    if key.len() < 6 { 1 } else { 2 }
}

/// How a value appears in a message: scalars as written, strings quoted (and shortened), other
/// values by their kind. Never use it for secret fields; use [`kind`] there.
pub(super) fn describe(value: &Value) -> String {
    match value {
        Value::Null => "null".to_owned(),
        Value::Bool(flag) => flag.to_string(),
        Value::Number(number) => number.to_string(),
        Value::String(text) => {
            let mut shown: String = text.chars().take(MAX_QUOTED_CHARS).collect();
            if shown.len() < text.len() {
                shown.push('…');
            }
            format!("{shown:?}")
        }
        Value::Sequence(_) | Value::Mapping(_) | Value::Tagged(_) => kind(value).to_owned(),
    }
}

/// The kind of a value, without the value itself.
pub(super) fn kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Sequence(_) => "a list",
        Value::Mapping(_) => "a mapping",
        Value::Tagged(_) => "a tagged value",
    }
}

/// A mapping.
pub(super) fn mapping<'a>(
    report: &mut FileReport,
    path: &str,
    value: &'a Value,
) -> Option<&'a Mapping> {
    match value {
        Value::Mapping(inner) => Some(inner),
        other => {
            report.invalid(path, format!("must be a mapping (got {})", describe(other)));
            None
        }
    }
}

/// A string, as written.
pub(super) fn string(report: &mut FileReport, path: &str, value: &Value) -> Option<String> {
    match value {
        Value::String(text) => Some(text.clone()),
        other => {
            report.invalid(path, format!("must be a string (got {})", describe(other)));
            None
        }
    }
}

/// A string that is not empty and not only whitespace, as written.
pub(super) fn non_blank_string(
    report: &mut FileReport,
    path: &str,
    value: &Value,
) -> Option<String> {
    let text = string(report, path, value)?;
    if text.trim().is_empty() {
        report.invalid(path, "must not be empty or only whitespace");
        return None;
    }
    Some(text)
}

/// A string that is not empty or only whitespace, trimmed.
pub(super) fn trimmed_non_blank_string(
    report: &mut FileReport,
    path: &str,
    value: &Value,
) -> Option<String> {
    non_blank_string(report, path, value).map(|text| text.trim().to_owned())
}

/// "int (coerced)" > 0: a YAML integer, or a string holding one.
pub(super) fn positive_integer_coerced(
    report: &mut FileReport,
    path: &str,
    value: &Value,
) -> Option<NonZeroU32> {
    let parsed = match value {
        Value::Number(number) => number.as_i64(),
        Value::String(text) => text.trim().parse::<i64>().ok(),
        _ => None,
    };
    positive_u32(report, path, value, parsed)
}

/// "number", integer > 0: a YAML number only (a string is rejected). `50.0` counts as 50.
pub(super) fn positive_integer_number(
    report: &mut FileReport,
    path: &str,
    value: &Value,
) -> Option<NonZeroU32> {
    let Value::Number(number) = value else {
        report.invalid(
            path,
            format!(
                "must be a number, not {} (got {})",
                kind(value),
                describe(value)
            ),
        );
        return None;
    };
    let parsed = number.as_i64().or_else(|| {
        number
            .as_f64()
            .filter(|float| float.fract() == 0.0 && float.abs() < 1e15)
            // Exact: the float is integral and far inside the i64 range.
            .map(|float| float as i64)
    });
    positive_u32(report, path, value, parsed)
}

fn positive_u32(
    report: &mut FileReport,
    path: &str,
    value: &Value,
    parsed: Option<i64>,
) -> Option<NonZeroU32> {
    match parsed {
        Some(integer) if integer > i64::from(u32::MAX) => {
            report.invalid(
                path,
                format!("must be at most {} (got {})", u32::MAX, describe(value)),
            );
            None
        }
        Some(integer) => match u32::try_from(integer).ok().and_then(NonZeroU32::new) {
            Some(positive) => Some(positive),
            None => {
                report.invalid(
                    path,
                    format!("must be a positive integer (got {})", describe(value)),
                );
                None
            }
        },
        None => {
            report.invalid(
                path,
                format!("must be a positive integer (got {})", describe(value)),
            );
            None
        }
    }
}

/// "switch": exactly the string `enabled` or `disabled`; `true` means enabled.
pub(super) fn switch(report: &mut FileReport, path: &str, value: &Value) -> Option<bool> {
    choice(
        report,
        path,
        value,
        &[("enabled", true), ("disabled", false)],
    )
}

/// One of a fixed set of strings, each standing for a value.
pub(super) fn choice<T: Copy>(
    report: &mut FileReport,
    path: &str,
    value: &Value,
    options: &[(&str, T)],
) -> Option<T> {
    if let Value::String(text) = value
        && let Some((_, chosen)) = options.iter().find(|(name, _)| name == text)
    {
        return Some(*chosen);
    }
    let names: Vec<String> = options
        .iter()
        .map(|(name, _)| format!("`{name}`"))
        .collect();
    let rule = match names.as_slice() {
        [one] => format!("must be {one}"),
        [first, second] => format!("must be {first} or {second}"),
        _ => format!("must be one of {}", names.join(", ")),
    };
    report.invalid(path, format!("{rule} (got {})", describe(value)));
    None
}

/// A free-form mapping, converted to a JSON object (keys must be strings).
pub(super) fn json_object(
    report: &mut FileReport,
    path: &str,
    value: &Value,
) -> Option<serde_json::Map<String, serde_json::Value>> {
    mapping(report, path, value)?;
    match serde_json::to_value(value) {
        Ok(serde_json::Value::Object(object)) => Some(object),
        Ok(_) => {
            report.invalid(path, "must be a mapping");
            None
        }
        Err(error) => {
            report.invalid(path, format!("must be expressible as JSON: {error}"));
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn yaml(text: &str) -> Value {
        serde_yaml_ng::from_str(text).expect("test YAML parses")
    }

    fn messages(report: &FileReport) -> Vec<String> {
        report
            .errors
            .iter()
            .map(ToString::to_string)
            .chain(report.warnings.iter().map(ToString::to_string))
            .collect()
    }

    #[test]
    fn case_insensitive_match_is_the_hint() {
        assert_eq!(
            closest_known_key("maxFileSizeMB", &["mode", "maxFileSizeMb"]),
            Some("maxFileSizeMb")
        );
    }

    #[test]
    fn small_typo_gets_a_hint_and_unrelated_key_does_not() {
        assert_eq!(
            closest_known_key("concurency", &["concurrency", "scanIntervalCron"]),
            Some("concurrency")
        );
        assert_eq!(closest_known_key("cloudId", &["baseUrl", "auth"]), None);
    }

    #[test]
    fn unasked_keys_are_reported_once_each_with_their_path() {
        let value = yaml("known: 1\nknwn: 2\nother: 3\n");
        let mut report = FileReport::new("a-tenant-config.yaml");
        let Value::Mapping(map) = &value else {
            panic!("mapping expected")
        };
        let mut section = Section::at("processing".to_owned(), map);
        section.get("known");
        section.finish(&mut report);
        assert_eq!(
            messages(&report),
            [
                "a-tenant-config.yaml: processing.knwn: unknown key (ignored); did you mean `known`?",
                "a-tenant-config.yaml: processing.other: unknown key (ignored)",
            ]
        );
    }

    #[test]
    fn coerced_integer_accepts_strings_and_rejects_zero_and_fractions() {
        let mut report = FileReport::new("f");
        assert_eq!(
            positive_integer_coerced(&mut report, "k", &yaml("\"100\"")),
            NonZeroU32::new(100)
        );
        assert_eq!(positive_integer_coerced(&mut report, "k", &yaml("0")), None);
        assert_eq!(
            positive_integer_coerced(&mut report, "k", &yaml("1.5")),
            None
        );
        assert_eq!(
            messages(&report),
            [
                "f: k: must be a positive integer (got 0)",
                "f: k: must be a positive integer (got 1.5)",
            ]
        );
    }

    #[test]
    fn long_strings_are_shortened_in_messages() {
        let long = "x".repeat(200);
        let shown = describe(&Value::String(long));
        assert!(shown.chars().count() < 70, "{shown}");
    }
}
