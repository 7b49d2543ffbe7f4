//! The compiled-component cache: a restart loads from it; a corrupt entry is recompiled, never
//! trusted.

#![allow(clippy::unwrap_used)] // tests report broken assumptions by panicking

use std::path::Path;

use connector_host::plugin_runtime::{CacheOutcome, PluginPackage, PluginRuntime, RuntimeSettings};

fn runtime(cache: &Path) -> std::sync::Arc<PluginRuntime> {
    PluginRuntime::new(RuntimeSettings {
        cache_dir: Some(cache.to_owned()),
        ..Default::default()
    })
    .unwrap()
}

#[tokio::test]
async fn a_restart_loads_from_the_cache_and_a_corrupt_entry_is_recompiled() {
    let cache = tempfile::tempdir().unwrap();
    let package = PluginPackage::read_dir(Path::new(plugin_artifacts::STATIC_SOURCE_DIR)).unwrap();
    let load = |runtime: std::sync::Arc<PluginRuntime>| {
        let package = package.clone();
        async move {
            runtime
                .load(&package.manifest, package.wasm, &package.location)
                .await
                .unwrap()
                .cache
        }
    };

    assert_eq!(load(runtime(cache.path())).await, CacheOutcome::Compiled);
    assert_eq!(load(runtime(cache.path())).await, CacheOutcome::Hit);

    let entry = std::fs::read_dir(cache.path())
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .find(|path| path.extension().is_some_and(|ext| ext == "cwasm"))
        .expect("a cache entry");
    let mut bytes = std::fs::read(&entry).unwrap();
    let middle = bytes.len() / 2;
    bytes[middle] ^= 0xff;
    std::fs::write(&entry, bytes).unwrap();

    assert_eq!(
        load(runtime(cache.path())).await,
        CacheOutcome::Compiled,
        "the corrupt entry is not trusted"
    );
    assert_eq!(
        load(runtime(cache.path())).await,
        CacheOutcome::Hit,
        "and was rewritten"
    );
}
