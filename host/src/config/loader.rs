//! Loads the set of tenant files: finds them by glob, derives tenant names from file names,
//! reads and validates every file, then applies the rules across tenants. All problems of all
//! files are returned together.

use std::collections::HashMap;
use std::fs;
use std::path::{Path, PathBuf};

use super::cross_tenant::{check_across_tenants, has_runnable_tenant};
use super::diagnostics::{ConfigError, ConfigErrors, ConfigNotice, FileReport};
use super::names::{TENANT_FILE_SUFFIX, TenantName};
use super::schema::read_tenant;
use super::secret_ref::EnvLookup;
use super::tenant::Tenant;

/// A valid set of tenants, in file-path order, with the notices to log.
#[derive(Debug)]
pub struct LoadedTenants {
    pub tenants: Vec<Tenant>,
    /// Unknown keys.
    pub warnings: Vec<ConfigNotice>,
    /// Keys that are accepted but have no effect.
    pub infos: Vec<ConfigNotice>,
}

/// Finds the files matching `pattern` (the value of `TENANT_CONFIG_PATH_PATTERN`) and loads
/// them. `env` looks up the variables of `os.environ/NAME` references.
pub fn load_tenants(
    pattern: &str,
    env: impl Fn(&str) -> Option<String>,
) -> Result<LoadedTenants, ConfigErrors> {
    let paths = find_tenant_files(pattern)?;
    load_tenant_files(&paths, env)
}

/// The files matching `pattern`, sorted. Wildcards do not match names starting with `.`, so the
/// `..data` directories of a mounted ConfigMap never duplicate its files.
pub fn find_tenant_files(pattern: &str) -> Result<Vec<PathBuf>, ConfigErrors> {
    let options = glob::MatchOptions {
        case_sensitive: true,
        require_literal_separator: true,
        require_literal_leading_dot: true,
    };
    let matches = glob::glob_with(pattern, options).map_err(|error| {
        ConfigErrors::single(ConfigError::InvalidPattern {
            pattern: pattern.to_owned(),
            error,
        })
    })?;
    let mut paths = Vec::new();
    let mut errors = Vec::new();
    for entry in matches {
        match entry {
            Ok(path) if path.is_file() => paths.push(path),
            Ok(_) => {}
            Err(error) => errors.push(ConfigError::Unreadable {
                path: error.path().to_owned(),
                error: error.into(),
            }),
        }
    }
    if paths.is_empty() && errors.is_empty() {
        errors.push(ConfigError::NoFiles {
            pattern: pattern.to_owned(),
        });
    }
    if !errors.is_empty() {
        return Err(ConfigErrors {
            errors,
            warnings: Vec::new(),
        });
    }
    paths.sort();
    Ok(paths)
}

/// The deepest directory that contains every file `pattern` can match: the directory to watch
/// for changes. `/app/tenant-configs/*-tenant-config.yaml` gives `/app/tenant-configs`.
pub fn glob_base_directory(pattern: &str) -> PathBuf {
    let mut base = PathBuf::new();
    let components: Vec<_> = Path::new(pattern).components().collect();
    for (index, component) in components.iter().enumerate() {
        let is_last = index + 1 == components.len();
        let text = component.as_os_str().to_string_lossy();
        if is_last || text.contains(['*', '?', '[']) {
            break;
        }
        base.push(component);
    }
    if base.as_os_str().is_empty() {
        PathBuf::from(".")
    } else {
        base
    }
}

/// Loads and validates the given tenant files as one set.
pub fn load_tenant_files(
    paths: &[PathBuf],
    env: impl Fn(&str) -> Option<String>,
) -> Result<LoadedTenants, ConfigErrors> {
    let env: EnvLookup<'_> = &env;
    let mut errors = Vec::new();
    let mut warnings = Vec::new();
    let mut infos = Vec::new();
    let mut tenants = Vec::new();
    let mut statuses = Vec::new();
    let mut status_unknown = false;
    let mut files_by_name: HashMap<TenantName, &Path> = HashMap::new();

    for path in paths {
        let mut report = FileReport::new(file_label(path));
        let name = tenant_name(path, &mut report);
        if let Some(name) = &name {
            match files_by_name.get(name) {
                Some(first) => errors.push(ConfigError::DuplicateTenantName {
                    name: name.to_string(),
                    first: first.to_path_buf(),
                    second: path.clone(),
                }),
                None => {
                    files_by_name.insert(name.clone(), path);
                }
            }
        }
        match read_document(path, &report) {
            Ok(document) => {
                let outcome = read_tenant(name, path, &document, env, &mut report);
                match outcome.status {
                    Some(status) => statuses.push(status),
                    None => status_unknown = true,
                }
                tenants.extend(outcome.tenant);
            }
            Err(error) => {
                status_unknown = true;
                errors.push(error);
            }
        }
        errors.append(&mut report.errors);
        warnings.append(&mut report.warnings);
        infos.append(&mut report.infos);
    }

    // When some file's status is unknown, that file might have been the active one.
    if !status_unknown && !has_runnable_tenant(&statuses) {
        errors.push(ConfigError::NoActiveTenant);
    }
    errors.extend(check_across_tenants(&tenants));
    if errors.is_empty() {
        Ok(LoadedTenants {
            tenants,
            warnings,
            infos,
        })
    } else {
        Err(ConfigErrors { errors, warnings })
    }
}

/// How a file is named in messages: its base name.
fn file_label(path: &Path) -> String {
    path.file_name().map_or_else(
        || path.display().to_string(),
        |name| name.to_string_lossy().into_owned(),
    )
}

/// The tenant name from `{name}-tenant-config.yaml`, or `None` with the broken rule reported.
fn tenant_name(path: &Path, report: &mut FileReport) -> Option<TenantName> {
    let file_name = path
        .file_name()
        .and_then(|name| name.to_str())
        .unwrap_or("");
    let Some(stem) = file_name.strip_suffix(TENANT_FILE_SUFFIX) else {
        report.invalid_file(format!("file name must end with `{TENANT_FILE_SUFFIX}`"));
        return None;
    };
    match TenantName::try_from(stem) {
        Ok(name) => Some(name),
        Err(error) => {
            report.invalid_file(error.to_string());
            None
        }
    }
}

fn read_document(path: &Path, report: &FileReport) -> Result<serde_yaml_ng::Value, ConfigError> {
    let text = fs::read_to_string(path).map_err(|error| ConfigError::Read {
        path: path.to_owned(),
        error,
    })?;
    let yaml_error = |error| ConfigError::Yaml {
        file: report.file().to_owned(),
        error,
    };
    let mut document: serde_yaml_ng::Value = serde_yaml_ng::from_str(&text).map_err(yaml_error)?;
    // Supports `<<: *anchor` merge keys, which operators use to share blocks.
    document.apply_merge().map_err(yaml_error)?;
    Ok(document)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base_directory_stops_before_the_first_wildcard() {
        assert_eq!(
            glob_base_directory("/app/tenant-configs/*-tenant-config.yaml"),
            Path::new("/app/tenant-configs")
        );
        assert_eq!(
            glob_base_directory("config/**/*-tenant-config.yaml"),
            Path::new("config")
        );
        assert_eq!(
            glob_base_directory("/etc/a/acme-tenant-config.yaml"),
            Path::new("/etc/a")
        );
        assert_eq!(glob_base_directory("*-tenant-config.yaml"), Path::new("."));
    }
}
