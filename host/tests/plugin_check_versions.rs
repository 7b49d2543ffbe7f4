//! WIT version support: a plugin built for a version the host does not support is refused with
//! a message naming both versions, whether its manifest admits the version or lies about it.

// A failed unwrap is a failed test, with the error printed.
#![allow(clippy::unwrap_used)]

use std::path::Path;

use connector_host::plugin_check::{CheckTarget, check, inspect};
use connector_host::plugin_runtime::bindings::SUPPORTED_VERSIONS;
use connector_host::plugin_runtime::manifest::ManifestError;
use connector_host::plugin_runtime::{LoadError, PluginPackage, PluginRuntime, RuntimeSettings};
use serde_json::json;

fn package() -> PluginPackage {
    PluginPackage::read_dir(Path::new(plugin_artifacts::FUTURE_VERSION_DIR)).unwrap()
}

#[tokio::test]
async fn a_component_exporting_an_unsupported_version_is_refused_even_when_its_manifest_claims_a_supported_one()
 {
    assert_eq!(SUPPORTED_VERSIONS, ["0.1.0"]);
    let package = package();
    assert!(
        package.manifest.contains("wit = \"0.1.0\""),
        "the fixture's manifest lies"
    );
    let runtime = PluginRuntime::new(RuntimeSettings::default()).unwrap();
    let err = runtime
        .load(&package.manifest, package.wasm, &package.location)
        .await
        .unwrap_err();
    match &err {
        LoadError::UnsupportedWit {
            found, supported, ..
        } => {
            assert_eq!((found.as_str(), supported.as_str()), ("0.2.0", "0.1.0"));
        }
        other => panic!("expected UnsupportedWit, got {other:?}"),
    }
    assert_eq!(
        err.to_string(),
        format!(
            "{}: the component exports unique:connector/source@0.2.0, but this host supports 0.1.0",
            package.location.display()
        )
    );
}

#[tokio::test]
async fn a_manifest_declaring_an_unsupported_version_is_refused_before_compiling() {
    let package = package();
    let honest = package
        .manifest
        .replace("wit = \"0.1.0\"", "wit = \"0.2.0\"");
    let runtime = PluginRuntime::new(RuntimeSettings::default()).unwrap();
    let err = runtime
        .load(&honest, package.wasm, &package.location)
        .await
        .unwrap_err();
    assert!(
        matches!(&err, LoadError::Manifest(ManifestError::UnsupportedWit { found, .. }) if found == "0.2.0"),
        "{err:?}"
    );
    assert_eq!(
        err.to_string(),
        format!(
            "{}: the plugin is built for WIT unique:connector@0.2.0, but this host supports 0.1.0",
            package.location.join("plugin.toml").display()
        )
    );
}

#[tokio::test]
async fn inspect_and_check_name_the_exported_version() {
    let dir = Path::new(plugin_artifacts::FUTURE_VERSION_DIR);
    let inspected = inspect(dir).await.unwrap();
    assert_eq!(inspected.exported_wit.as_deref(), Some("0.2.0"));
    assert!(
        inspected
            .imports
            .iter()
            .any(|name| name == "unique:connector/http@0.2.0"),
        "{:?}",
        inspected.imports
    );
    let refused = inspected.described.unwrap_err();
    assert!(
        refused.ends_with("exports unique:connector/source@0.2.0, but this host supports 0.1.0"),
        "{refused}"
    );

    let report = check(dir, CheckTarget::plugin_config(json!({})))
        .await
        .unwrap();
    assert_eq!(
        report.findings,
        vec![format!(
            "The host refuses to load the plugin: {}: the component exports unique:connector/source@0.2.0, but this host supports 0.1.0.",
            dir.display()
        )]
    );
}
