//! Why a plugin could not be loaded, and why a call into a plugin failed, as sentences that name
//! the plugin, the tenant and the call.

use std::path::PathBuf;
use std::time::Duration;

use super::bindings::latest::http::HttpError;
use super::bindings::latest::source::SourceError;
use super::manifest::ManifestError;

/// Why a plugin was refused at load time.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    #[error(transparent)]
    Manifest(#[from] ManifestError),
    #[error("{location}: cannot read plugin.wasm: {reason}")]
    Read { location: PathBuf, reason: String },
    #[error("{location}: plugin.wasm has sha256 {actual}, but plugin.toml declares {declared}")]
    HashMismatch {
        location: PathBuf,
        declared: String,
        actual: String,
    },
    #[error("{location}: not a valid component: {reason}")]
    Compile { location: PathBuf, reason: String },
    #[error(
        "{location}: the component exports unique:connector/source@{found}, but this host supports {supported}"
    )]
    UnsupportedWit {
        location: PathBuf,
        found: String,
        supported: String,
    },
    #[error("{location}: the component does not export a unique:connector/source interface")]
    NotASourcePlugin { location: PathBuf },
    #[error(
        "{location}: plugin.toml declares WIT {declared}, but the component exports {exported}"
    )]
    WitMismatch {
        location: PathBuf,
        declared: String,
        exported: String,
    },
    #[error("{location}: cannot be linked: {reason}")]
    Link { location: PathBuf, reason: String },
    #[error("{location}: `describe` failed: {reason}")]
    Describe { location: PathBuf, reason: String },
    #[error(
        "{location}: describe() says id `{described}` version {described_version}, but plugin.toml says `{declared}` version {declared_version}"
    )]
    IdentityMismatch {
        location: PathBuf,
        described: String,
        described_version: String,
        declared: String,
        declared_version: String,
    },
}

impl LoadError {
    /// The plugin package directory the error is about, when known.
    pub fn location(&self) -> Option<&std::path::Path> {
        match self {
            Self::Manifest(manifest) => manifest.file().and_then(std::path::Path::parent),
            Self::Read { location, .. }
            | Self::HashMismatch { location, .. }
            | Self::Compile { location, .. }
            | Self::UnsupportedWit { location, .. }
            | Self::NotASourcePlugin { location }
            | Self::WitMismatch { location, .. }
            | Self::Link { location, .. }
            | Self::Describe { location, .. }
            | Self::IdentityMismatch { location, .. } => Some(location),
        }
    }
}

/// Why a call into a plugin failed.
#[derive(Debug, thiserror::Error)]
#[error("plugin {plugin}, tenant {tenant}, {call}: {reason}")]
pub struct PluginError {
    /// `id version`.
    pub plugin: String,
    pub tenant: String,
    /// The WIT function, e.g. `next-batch`.
    pub call: &'static str,
    pub reason: FailureReason,
}

/// What went wrong in a plugin call.
#[derive(Debug, thiserror::Error)]
pub enum FailureReason {
    #[error("CPU budget of {0:?} spent")]
    CpuBudget(Duration),
    #[error("no answer within the deadline of {0:?}")]
    Deadline(Duration),
    #[error("{0}")]
    MemoryCap(String),
    #[error("the plugin crashed: {0}")]
    Trap(String),
    #[error("{}", describe_source_error(.0))]
    Guest(SourceError),
    #[error("the plugin broke the contract: {0}")]
    Contract(String),
    #[error("the task is unusable after an earlier failure ({0})")]
    Poisoned(String),
}

impl PluginError {
    /// Whether the plugin reported the failure itself (as opposed to a trap, a limit or a
    /// deadline, after which its instance is gone).
    pub fn is_guest_error(&self) -> bool {
        matches!(self.reason, FailureReason::Guest(_))
    }
}

/// A plugin's error in plain words.
pub fn describe_source_error(error: &SourceError) -> String {
    match error {
        SourceError::InvalidConfig(why) => format!("invalid config: {why}"),
        SourceError::Http(http) => format!("request failed: {}", describe_http_error(http)),
        SourceError::UnexpectedStatus((status, what)) => {
            format!("unexpected status {status}: {what}")
        }
        SourceError::MalformedResponse(why) => format!("malformed response: {why}"),
        SourceError::Other(why) => why.clone(),
    }
}

/// An HTTP import error in plain words.
pub fn describe_http_error(error: &HttpError) -> String {
    match error {
        HttpError::Denied(why) => format!("denied: {why}"),
        HttpError::InvalidRequest(why) => format!("invalid request: {why}"),
        HttpError::Timeout => "timed out".into(),
        HttpError::TooLarge(cap) => format!("response larger than {cap} bytes"),
        HttpError::Transport(why) => why.clone(),
        HttpError::TooManyRedirects => "too many redirects".into(),
    }
}
