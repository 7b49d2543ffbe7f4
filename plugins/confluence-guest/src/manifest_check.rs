//! A check for plugin crates' tests: what `describe` says must agree with the crate's
//! `plugin.toml`, which the host reads before it loads the component (WIT `plugin-info`).

use connector_plugin_sdk::WIT_VERSION;
use connector_plugin_sdk::source::PluginInfo;

/// Every disagreement between `info` and the manifest text, as sentences; empty when they agree.
pub fn manifest_mismatches(info: &PluginInfo, manifest_toml: &str) -> Vec<String> {
    let manifest: toml::Table = match manifest_toml.parse() {
        Ok(manifest) => manifest,
        Err(err) => return vec![format!("plugin.toml is not valid TOML: {err}")],
    };
    [
        ("id", info.id.as_str()),
        ("version", info.version.as_str()),
        ("wit", WIT_VERSION),
        ("description", info.description.as_str()),
    ]
    .into_iter()
    .filter_map(|(key, expected)| {
        let found = manifest.get(key).and_then(toml::Value::as_str);
        (found != Some(expected))
            .then(|| format!("plugin.toml `{key}` is {found:?}, describe says {expected:?}"))
    })
    .collect()
}

#[cfg(test)]
mod tests {
    use connector_plugin_sdk::source::Capabilities;

    use super::*;

    fn info() -> PluginInfo {
        PluginInfo {
            id: "confluence-cloud".into(),
            version: "0.1.0".into(),
            description: "Cloud pages".into(),
            capabilities: Capabilities::empty(),
            config_schema: None,
        }
    }

    #[test]
    fn agreeing_manifest_has_no_mismatch() {
        let manifest = "id = \"confluence-cloud\"\nversion = \"0.1.0\"\nwit = \"0.1.0\"\n\
                        description = \"Cloud pages\"\n[[origins]]\nurl = \"x\"\n";
        assert_eq!(manifest_mismatches(&info(), manifest), Vec::<String>::new());
    }

    #[test]
    fn differing_version_and_missing_wit_are_both_named() {
        let manifest =
            "id = \"confluence-cloud\"\nversion = \"0.2.0\"\ndescription = \"Cloud pages\"\n";
        let mismatches = manifest_mismatches(&info(), manifest);
        assert_eq!(mismatches.len(), 2, "{mismatches:?}");
        assert!(
            mismatches[0].contains("`version` is Some(\"0.2.0\")"),
            "{mismatches:?}"
        );
        assert!(mismatches[1].contains("`wit` is None"), "{mismatches:?}");
    }
}
