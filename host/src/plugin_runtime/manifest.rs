//! `plugin.toml`: what a plugin declares beside its `plugin.wasm` (id, versions, hash, the
//! origins it may reach and the auth modes it supports), and how its origin templates resolve
//! against a tenant's config into that tenant's allow-list.

use std::path::{Path, PathBuf};

use serde::Deserialize;
use serde_json::Value as Json;
use url::Url;

use super::bindings::SUPPORTED_VERSIONS;
use crate::egress::{AllowList, AllowedOrigin, CredentialScope};

/// A parsed and checked `plugin.toml`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PluginManifest {
    pub id: String,
    pub version: String,
    /// The WIT package version the plugin was built against.
    pub wit: String,
    pub description: String,
    /// Hex sha256 of `plugin.wasm`.
    pub sha256: String,
    /// Auth modes the plugin works with (`oauth_2lo`, `pat`, `basic`, `none`).
    pub auth: Vec<String>,
    pub origins: Vec<OriginTemplate>,
}

/// An origin the plugin may reach, possibly templated over the tenant config.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OriginTemplate {
    /// A URL or a template such as `{confluence.baseUrl}`; only its origin counts.
    pub url: String,
    /// Whether the tenant's credentials are attached to requests for this origin.
    #[serde(default)]
    pub credentials: bool,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawManifest {
    id: String,
    version: String,
    wit: String,
    #[serde(default)]
    description: String,
    sha256: Option<String>,
    #[serde(default)]
    auth: Vec<String>,
    #[serde(default)]
    origins: Vec<OriginTemplate>,
}

const AUTH_MODES: [&str; 4] = ["oauth_2lo", "pat", "basic", "none"];

/// Why a manifest was refused. Every message names the file.
#[derive(Debug, Clone, thiserror::Error)]
pub enum ManifestError {
    #[error("{file}: cannot read: {reason}")]
    Read { file: PathBuf, reason: String },
    #[error("{file}: {reason}")]
    Syntax { file: PathBuf, reason: String },
    #[error("{file}: `{key}`: {rule}")]
    Invalid {
        file: PathBuf,
        key: &'static str,
        rule: String,
    },
    #[error(
        "{file}: the plugin is built for WIT unique:connector@{found}, but this host supports {supported}"
    )]
    UnsupportedWit {
        file: PathBuf,
        found: String,
        supported: String,
    },
}

impl ManifestError {
    /// The manifest file the error is about.
    pub fn file(&self) -> Option<&Path> {
        match self {
            Self::Read { file, .. }
            | Self::Syntax { file, .. }
            | Self::Invalid { file, .. }
            | Self::UnsupportedWit { file, .. } => Some(file),
        }
    }
}

/// Why an origin template did not resolve for a tenant.
#[derive(Debug, Clone, thiserror::Error)]
#[error("plugin {plugin}: origin `{template}`: {reason}")]
pub struct OriginError {
    pub plugin: String,
    pub template: String,
    pub reason: String,
}

impl PluginManifest {
    /// Reads and checks `file`.
    pub fn from_file(file: &Path) -> Result<Self, ManifestError> {
        let text = std::fs::read_to_string(file).map_err(|err| ManifestError::Read {
            file: file.to_owned(),
            reason: err.to_string(),
        })?;
        Self::parse(&text, file)
    }

    /// Parses and checks manifest `text`; `file` names it in errors.
    pub fn parse(text: &str, file: &Path) -> Result<Self, ManifestError> {
        let raw: RawManifest = toml::from_str(text).map_err(|err| ManifestError::Syntax {
            file: file.to_owned(),
            reason: err.to_string().trim_end().replace('\n', " "),
        })?;
        let invalid = |key, rule: String| ManifestError::Invalid {
            file: file.to_owned(),
            key,
            rule,
        };
        if !is_plugin_id(&raw.id) {
            return Err(invalid(
                "id",
                format!("must match ^[a-z0-9]+(-[a-z0-9]+)*$ (got `{}`)", raw.id),
            ));
        }
        if raw.version.trim().is_empty() {
            return Err(invalid("version", "must not be empty".into()));
        }
        if !SUPPORTED_VERSIONS.contains(&raw.wit.as_str()) {
            return Err(ManifestError::UnsupportedWit {
                file: file.to_owned(),
                found: raw.wit,
                supported: supported_versions(),
            });
        }
        let sha256 = raw
            .sha256
            .ok_or_else(|| invalid("sha256", "is required (hex sha256 of plugin.wasm)".into()))?;
        if sha256.len() != 64 || !sha256.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(invalid("sha256", "must be 64 hex digits".into()));
        }
        if let Some(unknown) = raw
            .auth
            .iter()
            .find(|mode| !AUTH_MODES.contains(&mode.as_str()))
        {
            return Err(invalid(
                "auth",
                format!(
                    "unknown mode `{unknown}` (known: {})",
                    AUTH_MODES.join(", ")
                ),
            ));
        }
        if raw.origins.is_empty() {
            return Err(invalid("origins", "must list at least one origin".into()));
        }
        Ok(Self {
            id: raw.id,
            version: raw.version,
            wit: raw.wit,
            description: raw.description,
            sha256: sha256.to_ascii_lowercase(),
            auth: raw.auth,
            origins: raw.origins,
        })
    }

    /// The tenant's allow-list: every origin template resolved against `context` (the tenant's
    /// config as JSON, see `Tenant::template_context`).
    pub fn allow_list(&self, context: &Json) -> Result<AllowList, OriginError> {
        let origins = self
            .origins
            .iter()
            .map(|template| {
                let error = |reason: String| OriginError {
                    plugin: self.id.clone(),
                    template: template.url.clone(),
                    reason,
                };
                let resolved = resolve_template(&template.url, context).map_err(error)?;
                let url = Url::parse(&resolved)
                    .map_err(|err| error(format!("`{resolved}` is not a URL: {err}")))?;
                let scope = if template.credentials {
                    CredentialScope::Attach
                } else {
                    CredentialScope::Withhold
                };
                AllowedOrigin::new(&url, scope).map_err(|err| error(err.to_string()))
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(AllowList::new(origins))
    }

    /// Whether the plugin supports the auth `mode` (`none` when the tenant has no credentials).
    pub fn supports_auth(&self, mode: &str) -> bool {
        self.auth.iter().any(|supported| supported == mode)
    }
}

/// The supported WIT versions for messages, e.g. `0.1.0`.
pub fn supported_versions() -> String {
    SUPPORTED_VERSIONS.join(", ")
}

fn is_plugin_id(id: &str) -> bool {
    !id.is_empty()
        && id.split('-').all(|part| {
            !part.is_empty()
                && part
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
        })
}

/// Replaces every `{dotted.path}` in `template` with the string at that path of `context`.
fn resolve_template(template: &str, context: &Json) -> Result<String, String> {
    let mut resolved = String::with_capacity(template.len());
    let mut rest = template;
    while let Some(start) = rest.find('{') {
        resolved.push_str(&rest[..start]);
        let end = rest[start..].find('}').ok_or("unclosed `{`")? + start;
        let path = &rest[start + 1..end];
        let value = path
            .split('.')
            .try_fold(context, |node, key| node.get(key))
            .ok_or_else(|| format!("`{path}` is not set in the tenant config"))?;
        let text = value
            .as_str()
            .ok_or_else(|| format!("`{path}` is not a string"))?;
        resolved.push_str(text);
        rest = &rest[end + 1..];
    }
    resolved.push_str(rest);
    Ok(resolved)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const SHA: &str = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

    fn manifest(extra: &str) -> String {
        format!(
            "id = \"confluence-cloud\"\nversion = \"1.0.0\"\nwit = \"0.1.0\"\nsha256 = \"{SHA}\"\nauth = [\"oauth_2lo\"]\n{extra}"
        )
    }

    const ORIGINS: &str = "[[origins]]\nurl = \"{confluence.apiBaseUrl}\"\ncredentials = true\n[[origins]]\nurl = \"{confluence.mediaBaseUrl}\"\n";

    #[test]
    fn origins_resolve_against_the_tenant_config() {
        let manifest = PluginManifest::parse(&manifest(ORIGINS), Path::new("plugin.toml")).unwrap();
        let context = json!({"confluence": {"apiBaseUrl": "http://127.0.0.1:4000/ex/confluence/abc", "mediaBaseUrl": "http://127.0.0.1:4001"}});
        let list = manifest.allow_list(&context).unwrap();
        let api = Url::parse("http://127.0.0.1:4000/wiki/rest/api/content/search").unwrap();
        let media = Url::parse("http://127.0.0.1:4001/file/1").unwrap();
        assert_eq!(list.check(&api), Some(CredentialScope::Attach));
        assert_eq!(list.check(&media), Some(CredentialScope::Withhold));
    }

    #[test]
    fn a_missing_template_value_names_the_path() {
        let manifest = PluginManifest::parse(&manifest(ORIGINS), Path::new("plugin.toml")).unwrap();
        let err = manifest
            .allow_list(&json!({"confluence": {"apiBaseUrl": "https://a.example"}}))
            .unwrap_err();
        assert_eq!(
            err.to_string(),
            "plugin confluence-cloud: origin `{confluence.mediaBaseUrl}`: `confluence.mediaBaseUrl` is not set in the tenant config"
        );
    }

    #[test]
    fn an_unsupported_wit_version_names_both_versions() {
        let text = manifest(ORIGINS).replace("wit = \"0.1.0\"", "wit = \"0.9.0\"");
        let err = PluginManifest::parse(&text, Path::new("/plugins/x/plugin.toml")).unwrap_err();
        assert_eq!(
            err.to_string(),
            "/plugins/x/plugin.toml: the plugin is built for WIT unique:connector@0.9.0, but this host supports 0.1.0"
        );
    }

    #[test]
    fn malformed_manifests_name_the_file_and_the_key() {
        let cases = [
            (
                manifest(ORIGINS).replace("confluence-cloud", "Confluence_Cloud"),
                "p.toml: `id`: must match ^[a-z0-9]+(-[a-z0-9]+)*$ (got `Confluence_Cloud`)",
            ),
            (
                manifest(ORIGINS).replace(SHA, "abc"),
                "p.toml: `sha256`: must be 64 hex digits",
            ),
            (
                manifest(""),
                "p.toml: `origins`: must list at least one origin",
            ),
            (
                manifest(ORIGINS).replace("oauth_2lo", "kerberos"),
                "p.toml: `auth`: unknown mode `kerberos` (known: oauth_2lo, pat, basic, none)",
            ),
        ];
        for (text, expected) in cases {
            let err = PluginManifest::parse(&text, Path::new("p.toml")).unwrap_err();
            assert_eq!(err.to_string(), expected);
        }
        let err = PluginManifest::parse("id = 1", Path::new("p.toml")).unwrap_err();
        assert!(err.to_string().starts_with("p.toml: "), "{err}");
    }
}
