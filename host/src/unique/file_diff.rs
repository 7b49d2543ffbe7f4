//! U1, the REST file diff (unique-api.md §5): which of a space's items are new, updated or gone.

use bytes::Bytes;
use url::Url;

use super::UniqueClient;
use super::error::{FILE_DIFF_OPERATION, UniqueError};
use super::transport::Call;
use super::types::{FileDiff, FileDiffRequest};
use crate::retry::RetryPolicy;

const METRIC_OPERATION: &str = "rest:ingestion:file-diff";

/// `{origin}{normalise(path + "/v2/content/file-diff")}` of the ingestion base URL: repeated `/`
/// collapsed, a leading `/` ensured, query and fragment dropped.
pub(super) fn file_diff_url(ingestion_base: &Url) -> Url {
    let joined = format!("{}/v2/content/file-diff", ingestion_base.path());
    let mut normalised = String::with_capacity(joined.len() + 1);
    for segment in joined.split('/').filter(|segment| !segment.is_empty()) {
        normalised.push('/');
        normalised.push_str(segment);
    }
    let mut url = ingestion_base.clone();
    url.set_path(&normalised);
    url.set_query(None);
    url.set_fragment(None);
    url
}

impl UniqueClient {
    /// U1: one file-diff request for a space. Retried on transient failures (3, 6, 12 s); a
    /// missing array in the answer reads as empty, any other shape is an error.
    pub async fn file_diff(&self, request: &FileDiffRequest) -> Result<FileDiff, UniqueError> {
        let url = &self.file_diff_url;
        // Serialising plain strings and vectors cannot fail.
        let body = Bytes::from(serde_json::to_vec(request).unwrap_or_default());
        let call = Call {
            operation: FILE_DIFF_OPERATION,
            metric_operation: METRIC_OPERATION,
            metric_target: "ingestion",
            url,
            limiter: &self.ingestion_rest_limiter,
            policy: RetryPolicy::UNIQUE_FILE_DIFF,
            headers: &[],
        };
        self.post_json(&call, body, |answer| {
            parse_file_diff(&answer).map_err(|reason| UniqueError::InvalidResponse {
                operation: FILE_DIFF_OPERATION,
                url: url.to_string(),
                reason,
            })
        })
        .await
    }
}

/// A JSON object whose four arrays, when present, hold strings. (serde alone would also accept a
/// JSON array as the struct's fields in order.)
fn parse_file_diff(answer: &[u8]) -> Result<FileDiff, String> {
    let json: serde_json::Value = serde_json::from_slice(answer)
        .map_err(|error| format!("the answer is not JSON: {error}"))?;
    if !json.is_object() {
        return Err("the answer is not a JSON object".to_owned());
    }
    serde_json::from_value(json).map_err(|error| format!("not a file-diff answer: {error}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn diff_url(base: &str) -> String {
        file_diff_url(&Url::parse(base).expect("valid base")).to_string()
    }

    #[test]
    fn file_diff_url_keeps_the_path_prefix_and_collapses_slashes() {
        assert_eq!(
            diff_url("https://api.unique.app/ingestion"),
            "https://api.unique.app/ingestion/v2/content/file-diff"
        );
        assert_eq!(
            diff_url("http://node-ingestion:8091"),
            "http://node-ingestion:8091/v2/content/file-diff"
        );
        assert_eq!(
            diff_url("https://api.unique.app//a///b/"),
            "https://api.unique.app/a/b/v2/content/file-diff"
        );
    }

    #[test]
    fn missing_arrays_read_as_empty_and_other_shapes_fail() {
        let diff = parse_file_diff(br#"{"newFiles":["1"],"extra":true}"#).expect("partial answer");
        assert_eq!(diff.new_files, ["1"]);
        assert!(diff.deleted_files.is_empty());
        let bad: [&[u8]; 6] = [
            b"[]",
            br#"[["1"]]"#,
            br#"{"newFiles":null}"#,
            br#"{"newFiles":"1"}"#,
            br#"{"deletedFiles":[1]}"#,
            b"not json",
        ];
        for answer in bad {
            assert!(
                parse_file_diff(answer).is_err(),
                "{}",
                String::from_utf8_lossy(answer)
            );
        }
    }
}
