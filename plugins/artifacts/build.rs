//! Builds the workspace's plugin crates for `wasm32-wasip2` and packages each one as a directory
//! holding `plugin.wasm` and `plugin.toml` (the crate's manifest with `sha256` filled in).
//!
//! The nested cargo uses its own target directory beside the outer one, so it never fights the
//! outer build for its lock (the approach of wasmtime's `test-programs/artifacts`). The generated
//! `artifacts.rs` names every package directory, so tests and the host find plugins through
//! constants instead of paths spelled out by hand.

use std::env;
use std::fmt::Write as _;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use sha2::{Digest, Sha256};

/// A plugin crate of the workspace: its directory relative to the workspace root, the constant
/// naming its package directory, and whether the host embeds it.
struct PluginCrate {
    dir: &'static str,
    constant: &'static str,
    role: Role,
}

#[derive(PartialEq)]
enum Role {
    /// Shipped inside the host binary and found without configuration.
    FirstParty,
    /// Loaded only by tests.
    TestOnly,
    /// An example third-party plugin: built always, never embedded; deployments install it
    /// from a plugin directory like any third-party plugin.
    Example,
}

const PLUGINS: &[PluginCrate] = &[
    PluginCrate {
        dir: "tests/plugins/sandbox-probe",
        constant: "SANDBOX_PROBE",
        role: Role::TestOnly,
    },
    PluginCrate {
        dir: "tests/plugins/static-source",
        constant: "STATIC_SOURCE",
        role: Role::TestOnly,
    },
    PluginCrate {
        dir: "tests/plugins/broken-source",
        constant: "BROKEN_SOURCE",
        role: Role::TestOnly,
    },
    PluginCrate {
        dir: "tests/plugins/future-version",
        constant: "FUTURE_VERSION",
        role: Role::TestOnly,
    },
    PluginCrate {
        dir: "plugins/confluence-cloud",
        constant: "CONFLUENCE_CLOUD",
        role: Role::FirstParty,
    },
    PluginCrate {
        dir: "plugins/confluence-data-center",
        constant: "CONFLUENCE_DATA_CENTER",
        role: Role::FirstParty,
    },
    PluginCrate {
        dir: "plugins/examples/documents-source",
        constant: "DOCUMENTS_SOURCE",
        role: Role::Example,
    },
];

const TARGET: &str = "wasm32-wasip2";
const PROFILE: &str = "plugin";

fn main() {
    let manifest_dir = PathBuf::from(env::var("CARGO_MANIFEST_DIR").expect("set by cargo"));
    let workspace = manifest_dir
        .join("../..")
        .canonicalize()
        .expect("workspace root exists");
    let out_dir = PathBuf::from(env::var("OUT_DIR").expect("set by cargo"));
    let with_tests = env::var_os("CARGO_FEATURE_TEST_PLUGINS").is_some();

    for watched in ["wit", "plugins", "tests/plugins"] {
        println!(
            "cargo:rerun-if-changed={}",
            workspace.join(watched).display()
        );
    }
    println!("cargo:rerun-if-changed=build.rs");

    ensure_wasm_target_installed();

    let selected: Vec<&PluginCrate> = PLUGINS
        .iter()
        .filter(|plugin| plugin.role != Role::TestOnly || with_tests)
        .collect();
    let target_dir = plugin_target_dir(&out_dir);
    if !selected.is_empty() {
        build_plugins(&workspace, &target_dir, &selected);
    }

    let mut generated = String::new();
    let mut first_party = String::new();
    for plugin in &selected {
        let package_dir = package_plugin(&workspace, &target_dir, &out_dir, plugin);
        writeln!(
            generated,
            "/// Package directory (plugin.wasm + plugin.toml) of `{}`.\npub const {}_DIR: &str = {:?};",
            plugin.dir,
            plugin.constant,
            package_dir.display().to_string()
        )
        .expect("writing to a String cannot fail");
        if plugin.role == Role::FirstParty {
            writeln!(
                first_party,
                "    EmbeddedPlugin {{ manifest: include_str!({:?}), wasm: include_bytes!({:?}) }},",
                package_dir.join("plugin.toml").display().to_string(),
                package_dir.join("plugin.wasm").display().to_string()
            )
            .expect("writing to a String cannot fail");
        }
    }
    writeln!(
        generated,
        "/// Plugins shipped inside the host binary.\npub static FIRST_PARTY: &[EmbeddedPlugin] = &[\n{first_party}];"
    )
    .expect("writing to a String cannot fail");
    fs::write(out_dir.join("artifacts.rs"), generated).expect("write artifacts.rs");
}

/// Fails the build with the one command that fixes it when the Wasm target is missing.
fn ensure_wasm_target_installed() {
    let rustc = env::var("RUSTC").unwrap_or_else(|_| "rustc".into());
    let sysroot = Command::new(&rustc)
        .args(["--print", "sysroot"])
        .output()
        .expect("run rustc --print sysroot");
    let sysroot = String::from_utf8_lossy(&sysroot.stdout).trim().to_string();
    let target_lib = Path::new(&sysroot).join("lib/rustlib").join(TARGET);
    if !target_lib.exists() {
        panic!(
            "\n\nThe Rust target `{TARGET}` is not installed; the source plugins are built for it.\n\
             Run this once, then build again:\n\n    rustup target add {TARGET}\n\n"
        );
    }
}

/// The nested build's target directory: `<outer target>/plugin-build`, stable across builds so
/// plugin builds stay incremental. OUT_DIR is `<outer target>/<profile>/build/<pkg>/out`.
fn plugin_target_dir(out_dir: &Path) -> PathBuf {
    out_dir
        .ancestors()
        .nth(4)
        .map(|target| target.join("plugin-build"))
        .unwrap_or_else(|| out_dir.join("plugin-build"))
}

fn build_plugins(workspace: &Path, target_dir: &Path, plugins: &[&PluginCrate]) {
    let cargo = env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let mut command = Command::new(cargo);
    command
        .current_dir(workspace)
        .args(["build", "--target", TARGET, "--profile", PROFILE])
        .env("CARGO_TARGET_DIR", target_dir)
        // Flags meant for the outer (native) build must not leak into the Wasm build.
        .env_remove("CARGO_ENCODED_RUSTFLAGS")
        .env_remove("RUSTFLAGS")
        .env_remove("CARGO_BUILD_RUSTFLAGS")
        .env_remove("CARGO_MAKEFLAGS");
    for plugin in plugins {
        command.args(["--package", &package_name(workspace, plugin)]);
    }
    let status = command
        .status()
        .expect("run cargo to build the Wasm plugins");
    if !status.success() {
        panic!("building the Wasm plugins failed (see the errors above)");
    }
}

/// The crate's package name, read from its Cargo.toml (`name = "..."` in `[package]`).
fn package_name(workspace: &Path, plugin: &PluginCrate) -> String {
    let manifest = fs::read_to_string(workspace.join(plugin.dir).join("Cargo.toml"))
        .unwrap_or_else(|err| panic!("read {}/Cargo.toml: {err}", plugin.dir));
    manifest
        .lines()
        .find_map(|line| {
            let value = line
                .trim()
                .strip_prefix("name")?
                .trim_start()
                .strip_prefix('=')?;
            Some(value.trim().trim_matches('"').to_string())
        })
        .unwrap_or_else(|| panic!("{}/Cargo.toml has no package name", plugin.dir))
}

/// Copies the built component and its manifest (with the component's sha256 appended) into
/// `OUT_DIR/plugins/<crate dir name>/`.
fn package_plugin(
    workspace: &Path,
    target_dir: &Path,
    out_dir: &Path,
    plugin: &PluginCrate,
) -> PathBuf {
    let artifact = package_name(workspace, plugin).replace('-', "_") + ".wasm";
    let built = target_dir.join(TARGET).join(PROFILE).join(&artifact);
    let wasm = fs::read(&built).unwrap_or_else(|err| panic!("read {}: {err}", built.display()));
    let manifest_path = workspace.join(plugin.dir).join("plugin.toml");
    let manifest = fs::read_to_string(&manifest_path)
        .unwrap_or_else(|err| panic!("read {}: {err}", manifest_path.display()));
    let sha256 = hex::encode(Sha256::digest(&wasm));

    let name = Path::new(plugin.dir)
        .file_name()
        .expect("plugin dir has a name");
    let package_dir = out_dir.join("plugins").join(name);
    fs::create_dir_all(&package_dir).expect("create plugin package dir");
    fs::write(package_dir.join("plugin.wasm"), &wasm).expect("write plugin.wasm");
    fs::write(
        package_dir.join("plugin.toml"),
        with_sha256(&manifest, &sha256),
    )
    .expect("write plugin.toml");
    package_dir
}

/// The manifest with a top-level `sha256` key. It goes after the last top-level key, before the
/// first table and the comments that introduce it: appended at the end of a manifest with
/// `[[origins]]` it would belong to the last origin.
fn with_sha256(manifest: &str, sha256: &str) -> String {
    let lines: Vec<&str> = manifest.trim_end().lines().collect();
    let first_table = lines
        .iter()
        .position(|line| line.trim_start().starts_with('['))
        .unwrap_or(lines.len());
    let after_last_key = lines[..first_table]
        .iter()
        .rposition(|line| !(line.trim().is_empty() || line.trim_start().starts_with('#')))
        .map_or(0, |last_key| last_key + 1);
    let (keys, tables) = lines.split_at(after_last_key);
    let mut out = keys.join("\n");
    out.push_str("\n# Written by the build: the sha256 of plugin.wasm.\n");
    out.push_str(&format!("sha256 = \"{sha256}\"\n"));
    if !tables.is_empty() {
        out.push('\n');
        out.push_str(tables.join("\n").trim_start());
        out.push('\n');
    }
    out
}
