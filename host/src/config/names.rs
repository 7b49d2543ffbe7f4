//! Validated identifiers from tenant configs: tenant names (from file names) and plugin ids.
//! Both are lower-case words of letters and digits joined by single `-`.

use std::fmt;

/// The rule tenant names and plugin ids follow, as operators read it in messages.
pub const IDENTIFIER_RULE: &str = "^[a-z0-9]+(-[a-z0-9]+)*$";

/// The suffix every tenant config file name ends with.
pub const TENANT_FILE_SUFFIX: &str = "-tenant-config.yaml";

/// A string that breaks [`IDENTIFIER_RULE`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "{what} {value:?} must match {IDENTIFIER_RULE} (lower-case letters and digits, words joined by single `-`)"
)]
pub struct IdentifierError {
    what: &'static str,
    value: String,
}

fn is_identifier(text: &str) -> bool {
    !text.is_empty()
        && text.split('-').all(|word| {
            !word.is_empty()
                && word
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
        })
}

fn check_identifier(what: &'static str, value: String) -> Result<String, IdentifierError> {
    if is_identifier(&value) {
        Ok(value)
    } else {
        Err(IdentifierError { what, value })
    }
}

/// A tenant's name: the config file's base name without [`TENANT_FILE_SUFFIX`]. It appears in
/// content keys, scope external ids, logs and metrics.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TenantName(String);

impl TenantName {
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for TenantName {
    type Error = IdentifierError;

    fn try_from(value: String) -> Result<Self, Self::Error> {
        check_identifier("tenant name", value).map(Self)
    }
}

impl TryFrom<&str> for TenantName {
    type Error = IdentifierError;

    fn try_from(value: &str) -> Result<Self, Self::Error> {
        Self::try_from(value.to_owned())
    }
}

impl fmt::Display for TenantName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The id of a source plugin, e.g. `confluence-cloud`.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PluginId(String);

impl PluginId {
    /// The first-party plugin for Confluence Cloud.
    pub const CONFLUENCE_CLOUD: &str = "confluence-cloud";
    /// The first-party plugin for Confluence Data Center.
    pub const CONFLUENCE_DATA_CENTER: &str = "confluence-data-center";

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Whether this is one of the first-party Confluence plugins, which read the `confluence`
    /// section of a tenant file.
    pub fn is_first_party_confluence(&self) -> bool {
        self.0 == Self::CONFLUENCE_CLOUD || self.0 == Self::CONFLUENCE_DATA_CENTER
    }
}

impl TryFrom<String> for PluginId {
    type Error = IdentifierError;

    fn try_from(value: String) -> Result<Self, Self::Error> {
        check_identifier("plugin id", value).map(Self)
    }
}

impl TryFrom<&str> for PluginId {
    type Error = IdentifierError;

    fn try_from(value: &str) -> Result<Self, Self::Error> {
        Self::try_from(value.to_owned())
    }
}

impl fmt::Display for PluginId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kebab_case_names_are_accepted() {
        for name in ["acme", "acme-prod", "a1-b2-c3", "0"] {
            assert_eq!(TenantName::try_from(name).map(|n| n.0), Ok(name.to_owned()));
        }
    }

    #[test]
    fn names_breaking_the_rule_are_rejected_with_the_rule() {
        for name in [
            "",
            "Acme",
            "acme_prod",
            "-acme",
            "acme-",
            "acme--prod",
            "acmé",
        ] {
            let error = TenantName::try_from(name).expect_err(name);
            assert!(error.to_string().contains(IDENTIFIER_RULE), "{error}");
        }
    }

    #[test]
    fn plugin_id_error_names_what_was_checked() {
        let error = PluginId::try_from("My_Plugin").expect_err("invalid id");
        assert_eq!(
            error.to_string(),
            "plugin id \"My_Plugin\" must match ^[a-z0-9]+(-[a-z0-9]+)*$ (lower-case letters and digits, words joined by single `-`)"
        );
    }
}
