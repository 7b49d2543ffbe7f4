//! Reload without restart, proven on a running `confluence-connector run` process against the
//! simulators: an added tenant is scheduled and runs at once, an invalid set is rejected while
//! the old one keeps serving, a removed tenant is unscheduled, and a tenant set to `deleted`
//! starts its cleanup.

#![allow(clippy::unwrap_used)] // tests report broken assumptions by panicking

use std::io::{BufRead, BufReader};
use std::net::TcpListener;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use connector_host::service::demo::{demo_scenario, write_tenants};
use connector_sim::Sim;

const WAIT: Duration = Duration::from_secs(90);

/// The service process and the log lines it printed.
struct Service {
    child: Child,
    lines: Arc<Mutex<Vec<String>>>,
}

impl Service {
    fn start(pattern: &str) -> Self {
        Self::start_with(pattern, None)
    }

    fn start_with(pattern: &str, plugin_dir: Option<&Path>) -> Self {
        let mut command = Command::new(env!("CARGO_BIN_EXE_confluence-connector"));
        if let Some(dir) = plugin_dir {
            command.env("PLUGIN_DIR", dir);
        }
        let mut child = command
            .arg("run")
            .env("TENANT_CONFIG_PATH_PATTERN", pattern)
            .env("PORT", free_port().to_string())
            .env("OTEL_EXPORTER_PROMETHEUS_PORT", free_port().to_string())
            .env("LOG_LEVEL", "info")
            .env("LOGS_DIAGNOSTICS_DATA_POLICY", "disclose")
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("the binary starts");
        let stdout = child.stdout.take().expect("stdout is piped");
        let lines = Arc::new(Mutex::new(Vec::new()));
        let sink = lines.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                sink.lock().unwrap().push(line);
            }
        });
        Self { child, lines }
    }

    fn count_lines(&self, parts: &[&str]) -> usize {
        self.lines
            .lock()
            .unwrap()
            .iter()
            .filter(|line| parts.iter().all(|part| line.contains(part)))
            .count()
    }

    /// Waits until a log line contains every one of `parts`.
    async fn wait_for_line(&self, parts: &[&str]) -> String {
        let started = Instant::now();
        loop {
            if let Some(line) = self
                .lines
                .lock()
                .unwrap()
                .iter()
                .find(|line| parts.iter().all(|part| line.contains(part)))
            {
                return line.clone();
            }
            assert!(
                started.elapsed() < WAIT,
                "no log line with {parts:?}; log:\n{}",
                self.lines.lock().unwrap().join("\n")
            );
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }

    fn stop(mut self) {
        let _ = Command::new("kill")
            .arg("-TERM")
            .arg(self.child.id().to_string())
            .status();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

async fn wait_until(what: &str, mut condition: impl FnMut() -> bool) {
    let started = Instant::now();
    while !condition() {
        assert!(started.elapsed() < WAIT, "timed out waiting until {what}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

fn stored_under(sim: &Sim, prefix: &str) -> usize {
    sim.dump_state()
        .unique
        .files
        .iter()
        .filter(|file| file.key.starts_with(prefix))
        .count()
}

#[tokio::test]
async fn tenant_files_reload_while_the_service_runs() {
    let sim = Sim::start(demo_scenario(7, 2, 12)).await.unwrap();
    let written = tempfile::tempdir().unwrap();
    write_tenants(written.path(), &sim).unwrap();
    let config = tempfile::tempdir().unwrap();
    let install = |name: &str| {
        std::fs::copy(written.path().join(name), config.path().join(name)).unwrap();
    };
    install("demo-cloud-tenant-config.yaml");
    let pattern = format!("{}/*-tenant-config.yaml", config.path().display());
    let service = Service::start(&pattern);

    wait_until("the Cloud tenant's first cycle stored content", || {
        stored_under(&sim, "demo-cloud/") > 0
    })
    .await;

    // Added: scheduled and run at once.
    install("demo-dc-tenant-config.yaml");
    let line = service
        .wait_for_line(&["tenant configuration reloaded", "demo-dc"])
        .await;
    assert!(line.contains(r#"added"#), "{line}");
    wait_until("the added tenant's first cycle stored content", || {
        stored_under(&sim, "demo-dc/") > 0
    })
    .await;

    // Invalid: the whole set is rejected, naming the file, key and rule.
    std::fs::write(
        config.path().join("broken-tenant-config.yaml"),
        "status: sometimes\n",
    )
    .unwrap();
    let line = service
        .wait_for_line(&["reload rejected", "broken-tenant-config.yaml"])
        .await;
    assert!(line.contains("status"), "{line}");

    // Removed (and the invalid file gone): unscheduled, nothing cleaned up.
    std::fs::remove_file(config.path().join("broken-tenant-config.yaml")).unwrap();
    std::fs::remove_file(config.path().join("demo-dc-tenant-config.yaml")).unwrap();
    let line = service
        .wait_for_line(&["tenant configuration reloaded", "removed", "demo-dc"])
        .await;
    assert!(
        !line.contains("demo-cloud"),
        "the unchanged tenant is left alone: {line}"
    );
    assert!(
        stored_under(&sim, "demo-dc/") > 0,
        "removing a file deletes nothing"
    );

    // Status set to deleted: the cleanup starts at once and clears the root's mark.
    let cloud_file = config.path().join("demo-cloud-tenant-config.yaml");
    let text = std::fs::read_to_string(&cloud_file).unwrap();
    std::fs::write(&cloud_file, format!("status: deleted\n{text}")).unwrap();
    wait_until("the deleted tenant's content is cleaned up", || {
        stored_under(&sim, "demo-cloud/") == 0
    })
    .await;
    wait_until("the root's mark is cleared", || {
        sim.dump_state()
            .unique
            .scopes
            .iter()
            .any(|scope| scope.id == "scope-root" && scope.external_id.is_none())
    })
    .await;
    service.stop();
}

/// Copies a plugin package directory.
fn copy_package(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for file in ["plugin.toml", "plugin.wasm"] {
        std::fs::copy(from.join(file), to.join(file)).unwrap();
    }
}

#[tokio::test]
async fn a_broken_plugin_update_is_rejected_and_the_old_version_keeps_serving() {
    let sim = Sim::start(demo_scenario(11, 1, 8)).await.unwrap();
    let written = tempfile::tempdir().unwrap();
    write_tenants(written.path(), &sim).unwrap();
    let config = tempfile::tempdir().unwrap();
    let tenant = std::fs::read_to_string(written.path().join("demo-cloud-tenant-config.yaml"))
        .unwrap()
        .replace(
            "processing:\n",
            "processing:\n  scanIntervalCron: '*/2 * * * * *'\n",
        );
    std::fs::write(config.path().join("demo-cloud-tenant-config.yaml"), tenant).unwrap();
    let plugins = tempfile::tempdir().unwrap();
    let package = plugins.path().join("confluence-cloud");
    copy_package(Path::new(plugin_artifacts::CONFLUENCE_CLOUD_DIR), &package);

    let pattern = format!("{}/*-tenant-config.yaml", config.path().display());
    let service = Service::start_with(&pattern, Some(plugins.path()));
    service
        .wait_for_line(&[
            "plugin loaded",
            "confluence-cloud",
            package.to_str().unwrap(),
        ])
        .await;
    service
        .wait_for_line(&["sync cycle finished", "demo-cloud"])
        .await;

    // A corrupt artifact: refused, the loaded version stays.
    let mut wasm = std::fs::read(package.join("plugin.wasm")).unwrap();
    wasm.extend_from_slice(b"garbage");
    std::fs::write(package.join("plugin.wasm"), &wasm).unwrap();
    let line = service
        .wait_for_line(&["plugin reload rejected", "sha256"])
        .await;
    assert!(
        line.contains(package.to_str().unwrap()),
        "the error names the package: {line}"
    );
    let cycles_before = service.count_lines(&["sync cycle finished", "demo-cloud"]);
    let started = Instant::now();
    while service.count_lines(&["sync cycle finished", "demo-cloud"]) < cycles_before + 2 {
        assert!(
            started.elapsed() < WAIT,
            "cycles stopped after the rejected plugin"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert_eq!(
        service.count_lines(&["sync cycle failed"]),
        0,
        "the old plugin keeps serving"
    );

    // A valid new artifact (same code, a changed manifest): accepted and used from the next cycle.
    copy_package(Path::new(plugin_artifacts::CONFLUENCE_CLOUD_DIR), &package);
    let manifest = std::fs::read_to_string(package.join("plugin.toml")).unwrap();
    let description = manifest
        .lines()
        .find(|line| line.starts_with("description"))
        .unwrap()
        .to_owned();
    std::fs::write(
        package.join("plugin.toml"),
        manifest.replace(&description, "description = \"Confluence Cloud, patched\""),
    )
    .unwrap();
    let line = service
        .wait_for_line(&["plugins reloaded", "confluence-cloud"])
        .await;
    assert!(line.contains("\"rejected\":0"), "{line}");
    service.stop();
}
