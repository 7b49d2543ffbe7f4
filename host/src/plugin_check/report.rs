//! The outcome of a conformance check: what was run, what was found, and PASS or FAIL.

use std::fmt;
use std::path::PathBuf;

/// Overall outcome of a check.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// No finding: the plugin kept the contract in everything the check ran.
    Pass,
    /// At least one finding.
    Fail,
}

/// What [`super::check`] saw.
#[derive(Debug, Clone)]
pub struct CheckReport {
    pub location: PathBuf,
    /// From `plugin.toml`, when it could be read.
    pub id: Option<String>,
    pub version: Option<String>,
    /// The WIT version the manifest declares (the runtime checks the component exports it).
    pub wit: Option<String>,
    /// Pages and attachments the discovery with the largest batch size reported.
    pub pages: usize,
    pub attachments: usize,
    /// Page ids whose bodies were fetched (found or missing).
    pub fetched: usize,
    /// Requests the plugin sent outside its declared origins (refused by the host).
    pub denied_requests: usize,
    /// Each finding is one sentence about a contract violation.
    pub findings: Vec<String>,
}

impl CheckReport {
    pub(crate) fn new(location: PathBuf) -> Self {
        Self {
            location,
            id: None,
            version: None,
            wit: None,
            pages: 0,
            attachments: 0,
            fetched: 0,
            denied_requests: 0,
            findings: Vec::new(),
        }
    }

    /// PASS when there is no finding.
    pub fn verdict(&self) -> Verdict {
        if self.findings.is_empty() {
            Verdict::Pass
        } else {
            Verdict::Fail
        }
    }

    pub(crate) fn find(&mut self, finding: impl Into<String>) {
        let finding = finding.into();
        if !self.findings.contains(&finding) {
            self.findings.push(finding);
        }
    }
}

impl fmt::Display for CheckReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let unknown = || "?".to_owned();
        writeln!(
            f,
            "plugin {} {} (WIT {}) at {}",
            self.id.clone().unwrap_or_else(unknown),
            self.version.clone().unwrap_or_else(unknown),
            self.wit.clone().unwrap_or_else(unknown),
            self.location.display()
        )?;
        writeln!(
            f,
            "discovered {} pages and {} attachments, fetched {} pages, {} requests outside the declared origins",
            self.pages, self.attachments, self.fetched, self.denied_requests
        )?;
        for finding in &self.findings {
            writeln!(f, "- {finding}")?;
        }
        match self.verdict() {
            Verdict::Pass => write!(f, "PASS"),
            Verdict::Fail => write!(f, "FAIL ({} findings)", self.findings.len()),
        }
    }
}
