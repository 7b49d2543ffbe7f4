//! Secrets never reach the logs: `sync --once` at `LOG_LEVEL=trace`, with every secret given
//! through `os.environ/NAME`, writes none of them (nor the base64 of basic credentials, nor any
//! access token the simulators issued) to stdout or stderr; every stdout line is pino-style JSON,
//! and the lines of a tenant's work carry `tenantName`.

mod service_support;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use connector_sim::{Scenario, Sim};
use serde_json::Value;
use service_support::*;

const CLOUD_ID: &str = "site-s";
const DC_PAT_NAME: &str = "dc-pat";
const DC_BASIC_NAME: &str = "dc-basic";
const TENANTS: [&str; 3] = ["acme", "onprem", "legacy"];

fn scenario() -> Scenario {
    Scenario {
        cloud: vec![cloud_site(CLOUD_ID, vec![space(98307, "ENG", 100, 2)])],
        data_center: vec![
            data_center(DC_PAT_NAME, vec![space(4001, "OPS", 200, 2)]),
            data_center(DC_BASIC_NAME, vec![space(4002, "OLD", 300, 2)]),
        ],
        unique: unique(&["scope-acme", "scope-onprem", "scope-legacy"]),
        faults: Vec::new(),
        documents: None,
    }
}

/// A token as the simulators issue them (`{issuer}_{hex}`), fetched from the Cloud token endpoint:
/// its issuer prefix is replaced by each issuer's when searching the logs.
async fn issued_token_shape(sim: &Sim) -> usize {
    let answer: Value = reqwest::Client::new()
        .post(sim.cloud_token_url())
        .json(&serde_json::json!({
            "grant_type": "client_credentials",
            "client_id": CLOUD_CLIENT_ID,
            "client_secret": CLOUD_CLIENT_SECRET,
        }))
        .send()
        .await
        .expect("token request")
        .json()
        .await
        .expect("token answer");
    let token = answer["access_token"].as_str().expect("access_token");
    let (prefix, secret_part) = token.split_once('_').expect("issuer prefix");
    assert_eq!(prefix, "cloud");
    assert!(
        secret_part.chars().all(|c| c.is_ascii_hexdigit()),
        "{token}"
    );
    secret_part.len()
}

/// Whether `text` holds `{prefix}_` followed by `len` hex digits.
fn contains_token(text: &str, prefix: &str, len: usize) -> bool {
    let needle = format!("{prefix}_");
    text.match_indices(&needle).any(|(at, _)| {
        let rest = &text[at + needle.len()..];
        rest.len() >= len && rest[..len].chars().all(|c| c.is_ascii_hexdigit())
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn trace_logs_of_a_sync_hold_no_secret_and_are_pino_json_lines() {
    let sim = start_sim(scenario()).await;
    let token_len = issued_token_shape(&sim).await;
    let tenants = Tenants::new();
    tenants.write(
        "acme",
        &TenantFile::new("scope-acme").cloud(&sim, CLOUD_ID, "os.environ/CLOUD_SECRET"),
    );
    let onprem = TenantFile {
        unique: UniqueMode::External("os.environ/ZITADEL_SECRET"),
        ..TenantFile::new("scope-onprem")
    };
    tenants.write(
        "onprem",
        &onprem.data_center(
            &sim,
            DC_PAT_NAME,
            "{ mode: pat, token: os.environ/DC_TOKEN }",
        ),
    );
    tenants.write(
        "legacy",
        &TenantFile::new("scope-legacy").data_center(
            &sim,
            DC_BASIC_NAME,
            &format!("{{ mode: basic, username: {DC_USER}, password: os.environ/DC_PASSWORD }}"),
        ),
    );

    let finished = run_to_end(connector(
        &tenants,
        &["sync", "--once"],
        &[
            ("LOG_LEVEL", "trace"),
            ("LOGS_DIAGNOSTICS_DATA_POLICY", "disclose"),
            ("CLOUD_SECRET", CLOUD_CLIENT_SECRET),
            ("ZITADEL_SECRET", ZITADEL_CLIENT_SECRET),
            ("DC_TOKEN", DC_PAT),
            ("DC_PASSWORD", DC_PASSWORD),
        ],
    ))
    .await;
    assert!(finished.status.success(), "{}", finished.transcript());
    let state = sim.dump_state();
    for root in ["scope-acme", "scope-onprem", "scope-legacy"] {
        assert_eq!(files_under(&state, root).len(), 2, "{root} synced");
    }

    let output = format!(
        "{}\n{}",
        finished.stdout.join("\n"),
        finished.stderr.join("\n")
    );
    let forbidden = [
        ("Cloud client secret", CLOUD_CLIENT_SECRET.to_owned()),
        ("Zitadel client secret", ZITADEL_CLIENT_SECRET.to_owned()),
        ("Data Center PAT", DC_PAT.to_owned()),
        ("Data Center password", DC_PASSWORD.to_owned()),
        (
            "basic credentials",
            BASE64.encode(format!("{DC_USER}:{DC_PASSWORD}")),
        ),
        (
            "Zitadel basic credentials",
            BASE64.encode(format!("{ZITADEL_CLIENT_ID}:{ZITADEL_CLIENT_SECRET}")),
        ),
    ];
    for (what, value) in &forbidden {
        assert!(
            !output.contains(value.as_str()),
            "the {what} appears in the output"
        );
    }
    for issuer in ["cloud", "dc", "zitadel"] {
        assert!(
            !contains_token(&output, issuer, token_len),
            "an access token of {issuer} appears in the output"
        );
    }
    assert!(
        sim.request_log().count_matching("POST /oauth") >= 2,
        "Cloud and Zitadel tokens were issued, so their absence from the logs means something"
    );

    let lines = finished.json();
    assert!(lines.len() > 20, "trace logging writes plenty");
    for line in &lines {
        for key in ["level", "time", "pid"] {
            assert!(line[key].is_u64(), "`{key}` is a number: {line}");
        }
        assert!(line["hostname"].is_string(), "hostname: {line}");
        assert!(line["msg"].is_string(), "msg: {line}");
    }
    assert!(
        lines.iter().any(|line| line["level"] == 10),
        "trace lines are written at LOG_LEVEL=trace"
    );
    assert_tenant_work_carries_tenant_name(&lines);
}

/// Once the cycles started (all three run at once until the last one finishes), every line at
/// debug level or above is about a tenant's work and carries a known `tenantName`. Excepted are
/// hyper's connection-pool lines, which hyper logs from background tasks it spawns itself (no
/// span reaches them; they carry no tenant data either).
fn assert_tenant_work_carries_tenant_name(lines: &[Value]) {
    let first = lines
        .iter()
        .position(|line| line["msg"] == "sync cycle started")
        .expect("a cycle started");
    let last = lines
        .iter()
        .rposition(|line| line["msg"] == "sync cycle finished")
        .expect("a cycle finished");
    let from_hyper_background_task = |message: &str| {
        message.starts_with("connected to ") || message.starts_with("pooling idle connection")
    };
    let work: Vec<&Value> = lines[first..=last]
        .iter()
        .filter(|line| line["level"].as_u64().is_some_and(|level| level >= 20))
        .filter(|line| !from_hyper_background_task(line["msg"].as_str().unwrap_or_default()))
        .collect();
    assert!(work.len() >= 12, "found tenant work lines: {work:?}");
    for line in work {
        let name = line["tenantName"].as_str();
        assert!(
            name.is_some_and(|name| TENANTS.contains(&name)),
            "a line of tenant work without a known tenantName: {line}"
        );
    }
    for tenant in TENANTS {
        for message in ["sync cycle started", "page ingested", "sync cycle finished"] {
            assert!(
                lines
                    .iter()
                    .any(|line| line["tenantName"] == tenant && line["msg"] == message),
                "{tenant}: `{message}`"
            );
        }
    }
}
