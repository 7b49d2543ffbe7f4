//! A disk cache of compiled components, so a restart loads plugins in milliseconds instead of
//! compiling them again.
//!
//! Entries are keyed by the component's sha256 and the engine's precompile-compatibility hash, so
//! a different plugin or a different engine (version, settings, CPU features) never hits a stale
//! entry. Deserializing runs native code, so only entries this cache wrote are loaded: each entry
//! has a sidecar with the sha256 of its bytes, checked before use; a corrupt, truncated or
//! foreign entry is recompiled and overwritten, never trusted. The directory must be writable
//! only by the connector.

use std::hash::{Hash, Hasher};
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};
use wasmtime::Engine;
use wasmtime::component::Component;

/// How a component was obtained.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CacheOutcome {
    /// Loaded from a valid cache entry.
    Hit,
    /// Compiled (no entry, or the entry was invalid) and stored.
    Compiled,
    /// Compiled; there is no cache or storing failed.
    CompiledUncached,
}

/// The compiled-component cache directory.
#[derive(Debug, Clone)]
pub struct CompiledCache {
    dir: PathBuf,
    engine_key: String,
}

impl CompiledCache {
    /// A cache in `dir` (created if missing) for components compiled by `engine`.
    pub fn new(dir: impl Into<PathBuf>, engine: &Engine) -> std::io::Result<Self> {
        let dir = dir.into();
        std::fs::create_dir_all(&dir)?;
        let mut hasher = Sha256Hasher::default();
        engine.precompile_compatibility_hash().hash(&mut hasher);
        Ok(Self {
            dir,
            engine_key: hex::encode(&hasher.0.finalize()[..12]),
        })
    }

    /// The component for `wasm` (whose sha256 is `wasm_sha256`), from the cache or compiled.
    pub fn load(
        &self,
        engine: &Engine,
        wasm: &[u8],
        wasm_sha256: &str,
    ) -> wasmtime::Result<(Component, CacheOutcome)> {
        let entry = self
            .dir
            .join(format!("{wasm_sha256}-{}.cwasm", self.engine_key));
        if let Some(component) = self.read_entry(engine, &entry) {
            return Ok((component, CacheOutcome::Hit));
        }
        let compiled = engine.precompile_component(wasm)?;
        let outcome = match write_entry(&entry, &compiled) {
            Ok(()) => CacheOutcome::Compiled,
            Err(err) => {
                tracing::warn!(entry = %entry.display(), error = %err, "cannot store compiled plugin in the cache");
                CacheOutcome::CompiledUncached
            }
        };
        Ok((deserialize_trusted(engine, &compiled)?, outcome))
    }

    fn read_entry(&self, engine: &Engine, entry: &Path) -> Option<Component> {
        let bytes = std::fs::read(entry).ok()?;
        let recorded = std::fs::read_to_string(digest_path(entry)).ok()?;
        if recorded.trim() != hex::encode(Sha256::digest(&bytes)) {
            tracing::warn!(entry = %entry.display(), "compiled-plugin cache entry does not match its digest; recompiling");
            return None;
        }
        match deserialize_trusted(engine, &bytes) {
            Ok(component) => Some(component),
            Err(err) => {
                tracing::warn!(entry = %entry.display(), error = %err, "compiled-plugin cache entry is unusable; recompiling");
                None
            }
        }
    }
}

/// Deserializes bytes that this process compiled, or that this cache wrote and whose digest
/// matched.
#[allow(unsafe_code)]
fn deserialize_trusted(engine: &Engine, bytes: &[u8]) -> wasmtime::Result<Component> {
    // SAFETY: `Component::deserialize` trusts its input to be wasmtime's own compilation output.
    // Callers pass either bytes `precompile_component` just produced, or a cache entry whose
    // sha256 matches the sidecar this cache wrote beside it; wasmtime also checks the header's
    // engine compatibility before loading.
    unsafe { Component::deserialize(engine, bytes) }
}

/// Writes the entry and its digest through temporary files and renames, so a crash never leaves
/// a half-written entry that looks valid.
fn write_entry(entry: &Path, compiled: &[u8]) -> std::io::Result<()> {
    let temporary = entry.with_extension(format!("tmp{}", std::process::id()));
    std::fs::write(&temporary, compiled)?;
    let digest_temporary = digest_path(&temporary);
    std::fs::write(&digest_temporary, hex::encode(Sha256::digest(compiled)))?;
    std::fs::rename(&temporary, entry)?;
    std::fs::rename(&digest_temporary, digest_path(entry))
}

fn digest_path(entry: &Path) -> PathBuf {
    let mut name = entry.as_os_str().to_owned();
    name.push(".sha256");
    PathBuf::from(name)
}

/// Feeds `Hash` output into sha256 (std's hashers are not stable across releases).
#[derive(Default)]
struct Sha256Hasher(Sha256);

impl Hasher for Sha256Hasher {
    fn finish(&self) -> u64 {
        let digest = self.0.clone().finalize();
        u64::from_le_bytes(digest[..8].try_into().unwrap_or_default())
    }

    fn write(&mut self, bytes: &[u8]) {
        self.0.update(bytes);
    }
}
