//! The simulators in their own process (`connector-sim serve --scenario FILE`), so their CPU and
//! memory never count as the connector's; their URLs and request counts through the admin API.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};

use serde_json::Value;

/// Why the simulators could not be used.
#[derive(Debug, thiserror::Error)]
pub enum SimError {
    #[error("cannot start {program}: {source}")]
    Spawn {
        program: String,
        #[source]
        source: std::io::Error,
    },
    #[error("connector-sim exited before printing its URLs: {0}")]
    NoUrls(String),
    #[error("connector-sim's URLs lack `{0}`")]
    MissingUrl(&'static str),
    #[error("admin API call {url} failed: {source}")]
    Admin {
        url: String,
        #[source]
        source: reqwest::Error,
    },
}

/// A running `connector-sim`; stopped when dropped.
pub struct SimProcess {
    child: Child,
    pub urls: Value,
    admin: String,
    http: reqwest::Client,
}

/// Confluence and Unique request counts of a stretch of the request log.
#[derive(Debug, Clone, Default)]
pub struct RequestCounts {
    pub confluence: u64,
    pub unique: u64,
    /// Every endpoint with its count (`{service} {METHOD} {route}`).
    pub by_endpoint: BTreeMap<String, u64>,
}

impl SimProcess {
    /// Starts `connector-sim serve --scenario <scenario>` and reads the URLs it prints.
    pub fn start(binary: &Path, scenario: &Path) -> Result<Self, SimError> {
        let mut child = Command::new(binary)
            .arg("serve")
            .arg("--scenario")
            .arg(scenario)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|source| SimError::Spawn {
                program: binary.display().to_string(),
                source,
            })?;
        let stdout = child
            .stdout
            .take()
            .ok_or_else(|| SimError::NoUrls("no stdout".into()))?;
        // The URLs are one pretty-printed JSON object: read lines until they parse.
        let mut text = String::new();
        let mut lines = BufReader::new(stdout).lines();
        let urls = loop {
            match lines.next() {
                Some(Ok(line)) => {
                    text.push_str(&line);
                    if let Ok(urls) = serde_json::from_str::<Value>(&text) {
                        break urls;
                    }
                }
                Some(Err(err)) => return Err(SimError::NoUrls(err.to_string())),
                None => return Err(SimError::NoUrls(format!("output so far: {text:?}"))),
            }
        };
        let admin = urls["admin"]
            .as_str()
            .ok_or(SimError::MissingUrl("admin"))?
            .to_owned();
        Ok(Self {
            child,
            urls,
            admin,
            http: reqwest::Client::new(),
        })
    }

    /// A URL by JSON pointer (`/cloudSites/sim-cloud/apiBase`).
    pub fn url(&self, pointer: &'static str) -> Result<String, SimError> {
        self.urls
            .pointer(pointer)
            .and_then(Value::as_str)
            .map(str::to_owned)
            .ok_or(SimError::MissingUrl(pointer))
    }

    /// Empties the request log.
    pub async fn reset_requests(&self) -> Result<(), SimError> {
        let url = format!("{}/__admin/requests", self.admin);
        self.http
            .delete(&url)
            .send()
            .await
            .and_then(reqwest::Response::error_for_status)
            .map_err(|source| SimError::Admin { url, source })?;
        Ok(())
    }

    /// The counts since the last reset: Confluence is the Cloud gateway, the media listener and
    /// any Data Center listener (token requests included); Unique is ingestion, scope management,
    /// Zitadel and blob storage.
    pub async fn request_counts(&self) -> Result<RequestCounts, SimError> {
        let url = format!("{}/__admin/requests", self.admin);
        let snapshot: Value = async {
            self.http
                .get(&url)
                .send()
                .await?
                .error_for_status()?
                .json()
                .await
        }
        .await
        .map_err(|source| SimError::Admin { url, source })?;
        let mut counts = RequestCounts::default();
        let by_endpoint = snapshot["counts"].as_object().into_iter().flatten();
        for (endpoint, count) in by_endpoint {
            let count = count.as_u64().unwrap_or(0);
            let service = endpoint.split(' ').next().unwrap_or_default();
            if service == "cloud" || service == "media" || service.starts_with("dc:") {
                counts.confluence += count;
            } else {
                counts.unique += count;
            }
            counts.by_endpoint.insert(endpoint.clone(), count);
        }
        Ok(counts)
    }
}

impl Drop for SimProcess {
    fn drop(&mut self) {
        // Our own child, by its handle; an error means it is already gone.
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
