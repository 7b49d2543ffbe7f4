//! What loading tenant configs reports: errors (the load fails) and notices (warnings and info
//! lines that the caller logs), each naming the file and the key path.

use std::fmt;
use std::path::PathBuf;

/// One problem that makes a set of tenant configs unusable.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// A key's value breaks a rule of the schema.
    #[error("{file}: {key}: {rule}")]
    InvalidValue {
        file: String,
        key: String,
        rule: String,
    },
    /// The file as a whole is unusable: its name, or a top level that is not a mapping.
    #[error("{file}: {rule}")]
    InvalidFile { file: String, rule: String },
    #[error("{file}: invalid YAML: {error}")]
    Yaml {
        file: String,
        error: serde_yaml_ng::Error,
    },
    #[error("cannot read tenant config file {path}: {error}")]
    Read {
        path: PathBuf,
        error: std::io::Error,
    },
    #[error("TENANT_CONFIG_PATH_PATTERN: invalid glob {pattern:?}: {error}")]
    InvalidPattern {
        pattern: String,
        error: glob::PatternError,
    },
    #[error("cannot read {path} while matching TENANT_CONFIG_PATH_PATTERN: {error}")]
    Unreadable {
        path: PathBuf,
        error: std::io::Error,
    },
    #[error("no tenant config file matches TENANT_CONFIG_PATH_PATTERN {pattern:?}")]
    NoFiles { pattern: String },
    #[error(
        "{first} and {second}: both give the tenant name `{name}`; tenant names must be unique"
    )]
    DuplicateTenantName {
        name: String,
        first: PathBuf,
        second: PathBuf,
    },
    #[error("no tenant is `active` or `deleted`; at least one must be")]
    NoActiveTenant,
    #[error(
        "{first} and {second}: both are active tenants of Confluence instance `{instance}`; \
         each instance may appear in one active tenant only"
    )]
    DuplicateInstance {
        instance: String,
        first: PathBuf,
        second: PathBuf,
    },
    #[error(
        "{deleted}: ingestion.scopeId: the deleted tenant's root scope `{scope_id}` is also the \
         root scope of active tenant {active}; its cleanup would delete the active tenant's scopes"
    )]
    DeletedTenantSharesScope {
        scope_id: String,
        deleted: PathBuf,
        active: PathBuf,
    },
}

/// Every problem found in one load, in the order found, with the warnings of the same load
/// (an unknown key often explains a missing one). Displays one line per error.
#[derive(Debug)]
pub struct ConfigErrors {
    pub errors: Vec<ConfigError>,
    pub warnings: Vec<ConfigNotice>,
}

impl ConfigErrors {
    pub(super) fn single(error: ConfigError) -> Self {
        Self {
            errors: vec![error],
            warnings: Vec::new(),
        }
    }
}

impl fmt::Display for ConfigErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (index, error) in self.errors.iter().enumerate() {
            if index > 0 {
                f.write_str("\n")?;
            }
            write!(f, "{error}")?;
        }
        Ok(())
    }
}

impl std::error::Error for ConfigErrors {}

/// A message about a key that does not stop the load: an unknown key (warning) or a key that is
/// accepted but has no effect (info).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConfigNotice {
    pub file: String,
    pub key: String,
    pub message: String,
}

impl fmt::Display for ConfigNotice {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}: {}", self.file, self.key, self.message)
    }
}

/// Collects what one file's validation finds, so that all its problems are reported together.
pub(super) struct FileReport {
    file: String,
    pub(super) errors: Vec<ConfigError>,
    pub(super) warnings: Vec<ConfigNotice>,
    pub(super) infos: Vec<ConfigNotice>,
}

impl FileReport {
    /// A report for the file shown as `file` (its base name) in every message.
    pub(super) fn new(file: impl Into<String>) -> Self {
        Self {
            file: file.into(),
            errors: Vec::new(),
            warnings: Vec::new(),
            infos: Vec::new(),
        }
    }

    pub(super) fn file(&self) -> &str {
        &self.file
    }

    pub(super) fn invalid(&mut self, key: &str, rule: impl Into<String>) {
        self.errors.push(ConfigError::InvalidValue {
            file: self.file.clone(),
            key: key.to_owned(),
            rule: rule.into(),
        });
    }

    pub(super) fn invalid_file(&mut self, rule: impl Into<String>) {
        self.errors.push(ConfigError::InvalidFile {
            file: self.file.clone(),
            rule: rule.into(),
        });
    }

    pub(super) fn warn(&mut self, key: &str, message: impl Into<String>) {
        self.warnings.push(self.notice(key, message.into()));
    }

    pub(super) fn info(&mut self, key: &str, message: impl Into<String>) {
        self.infos.push(self.notice(key, message.into()));
    }

    pub(super) fn has_errors(&self) -> bool {
        !self.errors.is_empty()
    }

    /// How many errors were reported so far; compare later to see whether a part added any.
    pub(super) fn error_count(&self) -> usize {
        self.errors.len()
    }

    fn notice(&self, key: &str, message: String) -> ConfigNotice {
        ConfigNotice {
            file: self.file.clone(),
            key: key.to_owned(),
            message,
        }
    }
}
