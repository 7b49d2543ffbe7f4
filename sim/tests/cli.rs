//! The `connector-sim` binary: `generate` writes the same scenario as the library for a seed,
//! and `serve --generate` prints URLs of a corpus that answers over HTTP and via `dump`.

use std::io::{BufRead, BufReader, Read};
use std::process::{Command, Stdio};

use connector_sim::generator::{self, CorpusFlavor, CorpusSpec};
use connector_sim::{Scenario, SimUrls};

const BIN: &str = env!("CARGO_BIN_EXE_connector-sim");

#[test]
fn generate_writes_the_scenario_the_library_generates_for_that_seed() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("corpus.yaml");
    let status = Command::new(BIN)
        .args(["generate", "9:2:40", "--flavor", "data-center", "-o"])
        .arg(&out)
        .status()
        .expect("runs");
    assert!(status.success());
    let written = Scenario::from_file(&out).expect("loads");
    let mut spec = CorpusSpec::parse("9:2:40").expect("spec");
    spec.flavor = CorpusFlavor::DataCenter;
    let expected = generator::generate(&spec);
    assert_eq!(
        serde_json::to_value(&written).expect("json"),
        serde_json::to_value(&expected).expect("json")
    );
    assert!(written.cloud.is_empty());
    assert_eq!(written.data_center[0].spaces.len(), 2);
}

#[test]
fn bad_corpus_specs_fail_with_a_message() {
    let output = Command::new(BIN)
        .args(["generate", "nope", "-o", "/dev/null"])
        .output()
        .expect("runs");
    assert!(!output.status.success());
    assert!(String::from_utf8_lossy(&output.stderr).contains("SEED:SPACES:PAGES_PER_SPACE"));
}

#[tokio::test]
async fn serve_prints_urls_of_a_browsable_generated_corpus() {
    let mut child = Command::new(BIN)
        .args(["serve", "--generate", "5:2:30"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawns");
    let mut stdout = BufReader::new(child.stdout.take().expect("stdout"));
    // The URLs are printed as one pretty JSON object that ends with a line holding `}`.
    let mut text = String::new();
    loop {
        let mut line = String::new();
        if stdout.read_line(&mut line).expect("reads") == 0 {
            break;
        }
        text.push_str(&line);
        if line == "}\n" {
            break;
        }
    }
    let urls: SimUrls = serde_json::from_str(&text).expect("urls json");
    let manifest = reqwest::Client::new()
        .get(format!(
            "{}/rest/applinks/1.0/manifest",
            urls.data_center["sim-dc"].api_base
        ))
        .header("accept", "application/json")
        .send()
        .await
        .expect("manifest");
    assert_eq!(
        manifest.json::<serde_json::Value>().await.expect("json")["id"],
        "sim-dc-5"
    );
    let page = reqwest::Client::new()
        .get(format!(
            "{}/rest/api/content/search?cql=type%3Dpage&limit=3",
            urls.data_center["sim-dc"].api_base
        ))
        .bearer_auth("sim-pat")
        .send()
        .await
        .expect("search");
    assert_eq!(page.status().as_u16(), 200);
    let dump = Command::new(BIN)
        .args(["dump", "--url", &urls.admin, "--what", "requests"])
        .output()
        .expect("dump runs");
    assert!(dump.status.success());
    assert!(String::from_utf8_lossy(&dump.stdout).contains("/rest/api/content/search"));
    child.kill().expect("kill");
    let _ = child.wait();
    let mut rest = String::new();
    let _ = stdout.read_to_string(&mut rest);
}
