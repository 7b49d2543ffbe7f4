//! Shared fixtures of the config tests: the spec's example tenant files, an environment with
//! their secrets, and a temporary directory of tenant files to load.

#![allow(dead_code)] // Each test crate uses a different part.

use std::path::{Path, PathBuf};

use connector_host::config::{ConfigErrors, LoadedTenants, load_tenants};

/// operations.md §1.8, verbatim: Cloud with cluster-local Unique.
pub const ACME: &str = include_str!("../fixtures/config/acme-tenant-config.yaml");
/// operations.md §1.8, verbatim: Data Center with external Unique.
pub const ONPREM: &str = include_str!("../fixtures/config/onprem-tenant-config.yaml");

pub const CONFLUENCE_CLIENT_SECRET: &str = "cloud-client-secret-4f1d";
pub const CONFLUENCE_PAT: &str = "dc-personal-token-9a7c";
pub const ZITADEL_PROJECT_ID: &str = "zitadel-project-5521";
pub const ZITADEL_CLIENT_SECRET: &str = "zitadel-client-secret-77e0";
pub const PLUGIN_CLIENT_SECRET: &str = "wiki-client-secret-1b2c";

/// Every secret value the test environment holds.
pub const SECRET_VALUES: [&str; 5] = [
    CONFLUENCE_CLIENT_SECRET,
    CONFLUENCE_PAT,
    ZITADEL_PROJECT_ID,
    ZITADEL_CLIENT_SECRET,
    PLUGIN_CLIENT_SECRET,
];

/// The environment of the tests; values carry surrounding whitespace to prove trimming.
pub fn test_env(name: &str) -> Option<String> {
    let value = match name {
        "CONFLUENCE_CLIENT_SECRET" => CONFLUENCE_CLIENT_SECRET,
        "CONFLUENCE_PAT" => CONFLUENCE_PAT,
        "ZITADEL_PROJECT_ID" => ZITADEL_PROJECT_ID,
        "ZITADEL_CLIENT_SECRET" => ZITADEL_CLIENT_SECRET,
        "WIKI_CLIENT_SECRET" => PLUGIN_CLIENT_SECRET,
        "BLANK_SECRET" => "   ",
        _ => return None,
    };
    Some(format!(" {value}\n"))
}

/// `base` with the one occurrence of `from` replaced; fails the test when `from` is absent,
/// so a fixture change cannot silently turn a case into a no-op.
pub fn replaced(base: &str, from: &str, to: &str) -> String {
    assert_eq!(
        base.matches(from).count(),
        1,
        "fixture must contain {from:?} exactly once"
    );
    base.replacen(from, to, 1)
}

/// A temporary directory of tenant files.
pub struct TenantDir {
    dir: tempfile::TempDir,
}

impl TenantDir {
    pub fn new() -> Self {
        Self {
            dir: tempfile::tempdir().expect("temporary directory"),
        }
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// Writes `content` to `relative` (parent directories created) and returns its path.
    pub fn write(&self, relative: &str, content: &str) -> PathBuf {
        let path = self.dir.path().join(relative);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).expect("create parent directory");
        }
        std::fs::write(&path, content).expect("write tenant file");
        path
    }

    /// The glob of tenant files directly in the directory.
    pub fn pattern(&self) -> String {
        self.pattern_for("*-tenant-config.yaml")
    }

    pub fn pattern_for(&self, relative_glob: &str) -> String {
        format!("{}/{relative_glob}", self.dir.path().display())
    }

    pub fn load(&self) -> Result<LoadedTenants, ConfigErrors> {
        load_tenants(&self.pattern(), test_env)
    }
}

/// The error lines of a failed load.
pub fn error_lines(errors: &ConfigErrors) -> Vec<String> {
    errors.to_string().lines().map(str::to_owned).collect()
}
