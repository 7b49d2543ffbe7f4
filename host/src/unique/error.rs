//! Why a Unique call failed. Every variant names the operation and, where there is one, the URL
//! (always without its query, which may hold upload credentials) and the HTTP status. No variant
//! holds a token or a request body.

use std::time::Duration;

use crate::auth::AuthError;
use crate::http_client::SendError;
use crate::retry::{self, Transience};

/// The operation name used in errors and logs for the U1 file diff.
pub const FILE_DIFF_OPERATION: &str = "file-diff";
/// The operation name used in errors and logs for the U2 upload.
pub const UPLOAD_OPERATION: &str = "upload";

/// How a streamed upload body differed from its declared length.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LengthMismatch {
    /// The stream ended after `delivered` bytes.
    Short { delivered: u64 },
    /// The stream delivered more bytes than declared (at least `delivered`).
    Long { delivered: u64 },
}

#[derive(Debug, thiserror::Error)]
pub enum UniqueError {
    #[error("{operation}: cannot get Unique credentials")]
    Auth {
        operation: &'static str,
        #[source]
        source: AuthError,
    },
    #[error("{operation}: request to {url} failed")]
    Transport {
        operation: &'static str,
        url: String,
        #[source]
        source: SendError,
    },
    #[error("{operation}: reading the answer of {url} (status {status}) failed")]
    ReadBody {
        operation: &'static str,
        url: String,
        status: u16,
        #[source]
        source: reqwest::Error,
    },
    /// A non-2xx answer (after the retries the operation allows). The body excerpt is kept for
    /// diagnostics but left out of the message: it may quote masked data.
    #[error("{operation}: {url} answered with status {status}")]
    Status {
        operation: &'static str,
        url: String,
        status: u16,
        body_excerpt: String,
        retry_after: Option<Duration>,
    },
    /// A 2xx GraphQL answer with a non-empty `errors` array: the first error's message.
    #[error("GraphQL operation {operation} failed: {message}")]
    Graphql {
        operation: &'static str,
        url: String,
        message: String,
    },
    #[error("{operation}: unexpected answer from {url}: {reason}")]
    InvalidResponse {
        operation: &'static str,
        url: String,
        reason: String,
    },
    /// G4 answered a different number of scopes than paths were sent.
    #[error("{operation}: sent {requested} paths but got {returned} scopes")]
    ScopeCountMismatch {
        operation: &'static str,
        requested: usize,
        returned: usize,
    },
    /// G6 answered a non-empty `failedFolders`.
    #[error("{operation}: deleting scope {scope_id} failed for {failures}")]
    FolderDeletionFailed {
        operation: &'static str,
        scope_id: String,
        /// `id: failReason` of each failed folder.
        failures: String,
    },
    /// The G8 prefix-delete loop saw the same ids twice in a row: the deletes had no effect.
    #[error(
        "deleting content under {key_prefix} made no progress: the same {stuck} ids came back \
         after deleting them ({deleted_before} deleted before)"
    )]
    DeletionNoProgress {
        key_prefix: String,
        stuck: usize,
        deleted_before: usize,
    },
    /// A caller passed a value the operation cannot use.
    #[error("{operation}: {reason}")]
    InvalidArgument {
        operation: &'static str,
        reason: String,
    },
    /// Cluster-local mode: the `writeUrl` has no `key` parameter to rewrite.
    #[error("upload: writeUrl {url} has no `key` query parameter")]
    UploadKeyMissing { url: String },
    #[error("upload: invalid upload URL {url}")]
    InvalidUploadUrl {
        url: String,
        #[source]
        source: url::ParseError,
    },
    /// The upload answer was not 2xx (after the upload retries).
    #[error("Upload failed with status {status} ({url})")]
    UploadStatus {
        url: String,
        status: u16,
        retry_after: Option<Duration>,
    },
    /// A streamed body did not deliver its declared length; the PUT was aborted before it
    /// completed.
    #[error("upload to {url} aborted: {declared} bytes declared, {mismatch:?}")]
    UploadLengthMismatch {
        url: String,
        declared: u64,
        mismatch: LengthMismatch,
    },
    /// The body stream (the download feeding the upload) failed mid-way; the PUT was aborted.
    #[error("upload to {url} aborted: the body stream failed")]
    UploadSourceFailed {
        url: String,
        #[source]
        source: std::io::Error,
    },
    /// Opening a new body stream for an attempt failed.
    #[error("upload to {url}: opening the body stream failed")]
    UploadSourceOpen {
        url: String,
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
}

impl UniqueError {
    /// The HTTP status of the answer that caused the error, if there was one.
    pub fn status(&self) -> Option<u16> {
        match self {
            Self::ReadBody { status, .. }
            | Self::Status { status, .. }
            | Self::UploadStatus { status, .. } => Some(*status),
            _ => None,
        }
    }

    /// Whether another attempt may succeed: transport failures classified by
    /// [`crate::retry`], 408, 429 and 5xx answers, a body stream that broke for a transient
    /// reason. GraphQL `errors`, invalid answers and length mismatches never are.
    pub fn transience(&self) -> Transience {
        match self {
            Self::Transport { source, .. } => source.transience(),
            Self::ReadBody { source, .. } => retry::classify(source),
            Self::Status { status, .. } | Self::UploadStatus { status, .. }
                if retry::is_transient_status(*status) =>
            {
                Transience::Transient
            }
            Self::UploadSourceFailed { source, .. } => retry::classify_io(source),
            _ => Transience::Permanent,
        }
    }

    /// A valid `Retry-After` of the answer that caused the error.
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            Self::Status { retry_after, .. } | Self::UploadStatus { retry_after, .. } => {
                *retry_after
            }
            _ => None,
        }
    }

    /// The verdict for [`retry::run`].
    pub(super) fn verdict(&self) -> retry::Verdict {
        match self.transience() {
            Transience::Transient => retry::Verdict::Retry {
                retry_after: self.retry_after(),
            },
            Transience::Permanent => retry::Verdict::Done,
        }
    }
}
