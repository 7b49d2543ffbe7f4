//! Reads the *secret* fields of a tenant file: a literal, or `os.environ/NAME` for the value of
//! an environment variable. Messages name the key and the variable, never the value.

use serde_yaml_ng::Value;

use super::diagnostics::FileReport;
use super::yaml_reader::kind;
use crate::secret::Secret;

/// The prefix that makes a secret field a reference to an environment variable.
pub const ENV_REFERENCE_PREFIX: &str = "os.environ/";

/// Looks up an environment variable by name; `None` when it is unset.
pub type EnvLookup<'e> = &'e dyn Fn(&str) -> Option<String>;

/// A secret field: the literal or the referenced variable's value, trimmed and non-empty.
/// An unset variable reads as `""` (and is then rejected as empty).
pub(super) fn secret(
    report: &mut FileReport,
    path: &str,
    value: &Value,
    env: EnvLookup<'_>,
) -> Option<Secret> {
    let Value::String(text) = value else {
        report.invalid(
            path,
            format!(
                "must be a string or an {ENV_REFERENCE_PREFIX}NAME reference (got {}; value not shown)",
                kind(value)
            ),
        );
        return None;
    };
    match text.strip_prefix(ENV_REFERENCE_PREFIX) {
        Some("") => {
            report.invalid(
                path,
                format!(
                    "`{ENV_REFERENCE_PREFIX}` must be followed by an environment variable name"
                ),
            );
            None
        }
        Some(variable) => {
            let resolved = env(variable).unwrap_or_default();
            let resolved = resolved.trim();
            if resolved.is_empty() {
                report.invalid(
                    path,
                    format!("environment variable `{variable}` (from `{text}`) is unset or empty"),
                );
                return None;
            }
            Some(Secret::new(resolved))
        }
        None => {
            let literal = text.trim();
            if literal.is_empty() {
                report.invalid(path, "must not be empty");
                return None;
            }
            Some(Secret::new(literal))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn resolve(value: &str, env: EnvLookup<'_>) -> (Option<String>, Vec<String>) {
        let mut report = FileReport::new("t-tenant-config.yaml");
        let secret = secret(&mut report, "k", &Value::String(value.to_owned()), env);
        let errors = report.errors.iter().map(ToString::to_string).collect();
        (secret.map(|s| s.expose().to_owned()), errors)
    }

    #[test]
    fn reference_reads_the_variable_and_trims_it() {
        let env = |name: &str| (name == "PAT").then(|| "  s3cret\n".to_owned());
        assert_eq!(
            resolve("os.environ/PAT", &env),
            (Some("s3cret".to_owned()), vec![])
        );
    }

    #[test]
    fn literal_is_used_as_written_after_trimming() {
        assert_eq!(
            resolve(" literal ", &|_| None),
            (Some("literal".to_owned()), vec![])
        );
    }

    #[test]
    fn unset_and_blank_variables_are_errors_naming_the_variable() {
        let env = |name: &str| (name == "BLANK").then(|| "   ".to_owned());
        assert_eq!(
            resolve("os.environ/UNSET", &env).1,
            [
                "t-tenant-config.yaml: k: environment variable `UNSET` (from `os.environ/UNSET`) is unset or empty"
            ]
        );
        assert_eq!(resolve("os.environ/BLANK", &env).0, None);
    }

    #[test]
    fn non_string_secret_is_rejected_without_its_value() {
        let mut report = FileReport::new("f");
        let value: Value = serde_yaml_ng::from_str("123456").expect("yaml");
        assert!(secret(&mut report, "k", &value, &|_| None).is_none());
        let message = report.errors[0].to_string();
        assert!(!message.contains("123456"), "{message}");
    }
}
