//! The GraphQL transport (unique-api.md §3): the request envelope, routing to the ingestion or
//! scope-management service, and reading `data.<rootField>` or the first of `errors`.

use bytes::Bytes;
use serde::Deserialize;
use serde::de::DeserializeOwned;

use super::UniqueClient;
use super::documents::{self, GraphqlTarget, Operation};
use super::error::UniqueError;
use super::transport::Call;

const ACCEPT: &str = "application/graphql-response+json, application/json";

#[derive(Deserialize)]
struct Envelope {
    #[serde(default)]
    data: Option<serde_json::Value>,
    #[serde(default)]
    errors: Option<Vec<GraphqlErrorEntry>>,
}

#[derive(Deserialize)]
struct GraphqlErrorEntry {
    #[serde(default)]
    message: Option<String>,
}

impl UniqueClient {
    /// Sends `operation` with `variables` and reads `data.<rootField>` as `T`.
    pub(super) async fn graphql<T: DeserializeOwned>(
        &self,
        operation: &Operation,
        variables: serde_json::Value,
    ) -> Result<T, UniqueError> {
        let (url, limiter) = match operation.target {
            GraphqlTarget::Ingestion => (
                &self.ingestion_graphql_url,
                &*self.ingestion_graphql_limiter,
            ),
            GraphqlTarget::ScopeManagement => (
                &self.scope_management_graphql_url,
                &*self.scope_management_graphql_limiter,
            ),
        };
        let metric_operation = format!("graphql:{}:{}", operation.target.label(), operation.name);
        let request = serde_json::json!({
            "query": operation.document,
            "variables": variables,
            "operationName": operation.name,
        });
        // Serialising a `Value` cannot fail: its map keys are strings.
        let body = Bytes::from(serde_json::to_vec(&request).unwrap_or_default());
        let call = Call {
            operation: operation.name,
            metric_operation: &metric_operation,
            metric_target: operation.target.label(),
            url,
            limiter,
            policy: operation.retry,
            headers: &[("accept", ACCEPT)],
        };
        self.post_json(&call, body, |answer| {
            read_root_field(operation, url.as_str(), &answer)
        })
        .await
    }
}

/// `data.<rootField>` of a 2xx answer as `T`; the first error's message if `errors` is non-empty.
fn read_root_field<T: DeserializeOwned>(
    operation: &Operation,
    url: &str,
    answer: &Bytes,
) -> Result<T, UniqueError> {
    let invalid = |reason: String| UniqueError::InvalidResponse {
        operation: operation.name,
        url: url.to_owned(),
        reason,
    };
    let envelope: Envelope = serde_json::from_slice(answer)
        .map_err(|error| invalid(format!("not a GraphQL response object: {error}")))?;
    if let Some(first) = envelope.errors.as_deref().and_then(<[_]>::first) {
        let message = first
            .message
            .as_deref()
            .unwrap_or("(error without a message)");
        return Err(UniqueError::Graphql {
            operation: operation.name,
            url: url.to_owned(),
            message: if operation.name == documents::BULK_MOVE.name {
                without_parenthesised_parts(message)
            } else {
                message.to_owned()
            },
        });
    }
    let mut data = envelope
        .data
        .filter(serde_json::Value::is_object)
        .ok_or_else(|| invalid("`data` is missing or not an object".to_owned()))?;
    let root = data
        .get_mut(operation.root_field)
        .map(serde_json::Value::take)
        .ok_or_else(|| invalid(format!("`data.{}` is missing", operation.root_field)))?;
    serde_json::from_value(root)
        .map_err(|error| invalid(format!("`data.{}`: {error}", operation.root_field)))
}

/// `message` with every parenthesised part (nesting included) removed and spaces tidied: BulkMove
/// errors are logged this way (operations.md §8).
pub(super) fn without_parenthesised_parts(message: &str) -> String {
    let mut kept = String::with_capacity(message.len());
    let mut depth = 0usize;
    for c in message.chars() {
        match c {
            '(' => depth += 1,
            ')' if depth > 0 => depth -= 1,
            _ if depth == 0 => kept.push(c),
            _ => {}
        }
    }
    kept.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parenthesised_parts_are_removed_including_nested_ones() {
        assert_eq!(
            without_parenthesised_parts("Move failed (scope abc (id 1)) for 2 scopes (details)"),
            "Move failed for 2 scopes"
        );
        assert_eq!(without_parenthesised_parts("no parts"), "no parts");
        assert_eq!(without_parenthesised_parts("stray ) kept"), "stray ) kept");
    }

    #[test]
    fn errors_win_over_partial_data() {
        let answer = Bytes::from_static(
            br#"{"data":{"me":{"user":{"id":"u"}}},"errors":[{"message":"Scope not found"},{"message":"second"}]}"#,
        );
        let error =
            read_root_field::<serde_json::Value>(&documents::USER, "http://x/graphql", &answer)
                .expect_err("errors present");
        assert_eq!(
            error.to_string(),
            "GraphQL operation User failed: Scope not found"
        );
    }

    #[test]
    fn empty_errors_array_reads_data() {
        let answer = Bytes::from_static(br#"{"data":{"me":{"user":{"id":"u"}}},"errors":[]}"#);
        let me =
            read_root_field::<serde_json::Value>(&documents::USER, "http://x/graphql", &answer)
                .expect("no errors");
        assert_eq!(me, serde_json::json!({"user":{"id":"u"}}));
    }

    #[test]
    fn missing_root_field_is_an_invalid_response() {
        let answer = Bytes::from_static(br#"{"data":{"other":1}}"#);
        let error =
            read_root_field::<serde_json::Value>(&documents::USER, "http://x/graphql", &answer)
                .expect_err("no root field");
        assert!(
            matches!(error, UniqueError::InvalidResponse { .. }),
            "{error}"
        );
        assert!(
            error.to_string().contains("`data.me` is missing"),
            "{error}"
        );
    }
}
