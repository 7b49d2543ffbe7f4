//! Content operations G8–G12: resolving keys and owners to ids, counting and deleting content,
//! and registering / finalizing an item (unique-api.md §4, §6, §8; sync-flow.md §7–§11).

use serde::Deserialize;
use serde_json::json;

use super::UniqueClient;
use super::documents::{
    CONTENT_DELETE_BY_CONTENT_IDS, CONTENT_UPSERT, PAGINATED_CONTENT, PAGINATED_CONTENT_COUNT,
    PAGINATED_CONTENT_IDS,
};
use super::error::UniqueError;
use super::scopes::PAGE_SIZE;
use super::types::{DeletionCount, Registered, Registration, SignedUrl};

/// Ids per G11 call.
const DELETE_BATCH_SIZE: usize = 20;

#[derive(Deserialize)]
struct ContentPage {
    nodes: Vec<ContentNode>,
}

#[derive(Deserialize)]
struct ContentNode {
    id: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ContentCount {
    total_count: u64,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Upserted {
    id: Option<String>,
    write_url: Option<String>,
    read_url: Option<String>,
}

impl UniqueClient {
    /// G8 `key.in`: the ids of the content stored under the given full keys, paged by 100. Keys
    /// not found are simply absent. No call is made for an empty list.
    pub async fn content_ids_by_keys(&self, keys: &[String]) -> Result<Vec<String>, UniqueError> {
        if keys.is_empty() {
            return Ok(Vec::new());
        }
        self.paged_content_ids(&PAGINATED_CONTENT, json!({"key": {"in": keys}}))
            .await
    }

    /// G10: the ids of the content owned by scope `scope_id`, paged by 100 (deleted-tenant
    /// cleanup).
    pub async fn content_ids_by_owner(&self, scope_id: &str) -> Result<Vec<String>, UniqueError> {
        self.paged_content_ids(
            &PAGINATED_CONTENT_IDS,
            json!({"ownerId": {"equals": scope_id}, "ownerType": {"equals": "SCOPE"}}),
        )
        .await
    }

    async fn paged_content_ids(
        &self,
        operation: &super::documents::Operation,
        filter: serde_json::Value,
    ) -> Result<Vec<String>, UniqueError> {
        let mut ids = Vec::new();
        let mut skip = 0;
        loop {
            let page: ContentPage = self
                .graphql(
                    operation,
                    json!({"skip": skip, "take": PAGE_SIZE, "where": filter}),
                )
                .await?;
            let full = page.nodes.len() == PAGE_SIZE;
            ids.extend(page.nodes.into_iter().map(|node| node.id));
            if !full {
                return Ok(ids);
            }
            skip += PAGE_SIZE;
        }
    }

    /// G9: how many items are stored under `{partial_key}/`. The `/` is appended here.
    pub async fn count_by_key_prefix(&self, partial_key: &str) -> Result<u64, UniqueError> {
        let prefix = key_prefix(PAGINATED_CONTENT_COUNT.name, partial_key)?;
        let count: ContentCount = self
            .graphql(
                &PAGINATED_CONTENT_COUNT,
                json!({"where": {"key": {"startsWith": prefix}}}),
            )
            .await?;
        Ok(count.total_count)
    }

    /// Deletes everything stored under `{partial_key}/` (the `/` is appended here): G8
    /// `startsWith` with skip 0, each page deleted with G11 in batches of 20, until a page is
    /// empty. Each batch sent counts its length as deleted. If a page returns the same ids as the
    /// previous one, the deletes had no effect and the loop stops with
    /// [`UniqueError::DeletionNoProgress`]. A failed G11 call stops the loop with its error.
    pub async fn delete_by_key_prefix(
        &self,
        partial_key: &str,
    ) -> Result<DeletionCount, UniqueError> {
        let prefix = key_prefix(PAGINATED_CONTENT.name, partial_key)?;
        let mut deleted = 0;
        let mut previous_ids: Vec<String> = Vec::new();
        loop {
            let page: ContentPage = self
                .graphql(
                    &PAGINATED_CONTENT,
                    json!({"skip": 0, "take": PAGE_SIZE, "where": {"key": {"startsWith": prefix}}}),
                )
                .await?;
            let ids: Vec<String> = page.nodes.into_iter().map(|node| node.id).collect();
            if ids.is_empty() {
                return Ok(DeletionCount { deleted, failed: 0 });
            }
            if ids == previous_ids {
                return Err(UniqueError::DeletionNoProgress {
                    key_prefix: prefix,
                    stuck: ids.len(),
                    deleted_before: deleted,
                });
            }
            for batch in ids.chunks(DELETE_BATCH_SIZE) {
                self.delete_content_batch(batch).await?;
                deleted += batch.len();
            }
            previous_ids = ids;
        }
    }

    /// G11 in batches of 20. Deleted = ids the server returned; failed = the rest. A batch whose
    /// call fails counts entirely as failed (logged) and the next batch is still sent.
    pub async fn delete_contents(&self, ids: &[String]) -> DeletionCount {
        let mut count = DeletionCount::default();
        for batch in ids.chunks(DELETE_BATCH_SIZE) {
            match self.delete_content_batch(batch).await {
                Ok(returned) => {
                    let deleted = returned.min(batch.len());
                    count.deleted += deleted;
                    count.failed += batch.len() - deleted;
                }
                Err(error) => {
                    tracing::warn!(
                        tenantName = %self.tenant,
                        batch = batch.len(),
                        error = %error,
                        "deleting a batch of content failed"
                    );
                    count.failed += batch.len();
                }
            }
        }
        count
    }

    /// One G11 call; returns how many ids the server reported deleted.
    async fn delete_content_batch(&self, ids: &[String]) -> Result<usize, UniqueError> {
        let deleted: Vec<ContentNode> = self
            .graphql(&CONTENT_DELETE_BY_CONTENT_IDS, json!({"contentIds": ids}))
            .await?;
        Ok(deleted.len())
    }

    /// G12 register (no `fileUrl`): returns the content id and the upload and read URLs, all of
    /// which must be present and non-empty.
    pub async fn upsert_content(
        &self,
        registration: &Registration,
    ) -> Result<Registered, UniqueError> {
        let upserted: Upserted = self
            .graphql(&CONTENT_UPSERT, upsert_variables(registration, None))
            .await?;
        let missing = |field: &str| UniqueError::InvalidResponse {
            operation: CONTENT_UPSERT.name,
            url: self.ingestion_graphql_url.to_string(),
            reason: format!("`data.contentUpsert.{field}` is missing or empty"),
        };
        let non_empty = |value: Option<String>| value.filter(|text| !text.is_empty());
        Ok(Registered {
            id: non_empty(upserted.id).ok_or_else(|| missing("id"))?,
            write_url: SignedUrl::new(
                non_empty(upserted.write_url).ok_or_else(|| missing("writeUrl"))?,
            ),
            read_url: SignedUrl::new(
                non_empty(upserted.read_url).ok_or_else(|| missing("readUrl"))?,
            ),
        })
    }

    /// G12 finalize: the same variables as the registration plus `fileUrl` = `read_url`. Returns
    /// the content id, which must be present.
    pub async fn finalize_content(
        &self,
        registration: &Registration,
        read_url: &SignedUrl,
    ) -> Result<String, UniqueError> {
        let upserted: Upserted = self
            .graphql(
                &CONTENT_UPSERT,
                upsert_variables(registration, Some(read_url)),
            )
            .await?;
        upserted
            .id
            .filter(|id| !id.is_empty())
            .ok_or_else(|| UniqueError::InvalidResponse {
                operation: CONTENT_UPSERT.name,
                url: self.ingestion_graphql_url.to_string(),
                reason: "`data.contentUpsert.id` is missing or empty".to_owned(),
            })
    }
}

/// `{partial_key}/`, refusing a partial key that is empty or already ends with `/` (it would
/// match nothing, or everything of another space).
fn key_prefix(operation: &'static str, partial_key: &str) -> Result<String, UniqueError> {
    if partial_key.is_empty() || partial_key.ends_with('/') {
        return Err(UniqueError::InvalidArgument {
            operation,
            reason: format!("partial key {partial_key:?} must be non-empty and not end with `/`"),
        });
    }
    Ok(format!("{partial_key}/"))
}

/// The G12 variables of unique-api.md §8: `ingestionConfig` only when set, never `chatId`,
/// `expiresAt` or `fileAccess`; `fileUrl` only for finalize.
fn upsert_variables(
    registration: &Registration,
    file_url: Option<&SignedUrl>,
) -> serde_json::Value {
    let mut input = json!({
        "key": registration.key,
        "title": registration.title,
        "mimeType": registration.mime_type,
        "ownerType": "SCOPE",
        "url": registration.url,
        "byteSize": registration.byte_size,
        "metadata": registration.metadata,
    });
    if let Some(config) = &registration.ingestion_config {
        input["ingestionConfig"] = config.clone();
    }
    let mut variables = json!({
        "input": input,
        "scopeId": registration.scope_id,
        "sourceOwnerType": "COMPANY",
        "sourceKind": registration.source_kind,
        "sourceName": registration.confluence_base_url,
        "storeInternally": registration.store_internally,
        "baseUrl": registration.confluence_base_url,
    });
    if let Some(url) = file_url {
        variables["fileUrl"] = json!(url.expose());
    }
    variables
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::unique::SourceKind;

    fn registration(ingestion_config: Option<serde_json::Value>) -> Registration {
        Registration {
            key: "acme/98307_ENG/123456".into(),
            title: "Runbook".into(),
            mime_type: "text/html".into(),
            url: "https://acme.atlassian.net/wiki/spaces/ENG/pages/123456/Runbook".into(),
            byte_size: 1234,
            metadata: json!({"confluenceLabels": [], "spaceKey": "ENG", "spaceName": "Engineering"}),
            ingestion_config,
            scope_id: "scope-eng".into(),
            source_kind: SourceKind::ConfluenceCloud,
            confluence_base_url: "https://acme.atlassian.net".into(),
            store_internally: true,
        }
    }

    #[test]
    fn unset_ingestion_config_is_omitted_not_null() {
        let variables = upsert_variables(&registration(None), None);
        let input = variables["input"].as_object().expect("input object");
        assert!(!input.contains_key("ingestionConfig"));
        assert!(
            !variables
                .as_object()
                .expect("object")
                .contains_key("fileUrl")
        );
        assert!(
            !variables
                .as_object()
                .expect("object")
                .contains_key("chatId")
        );
    }

    #[test]
    fn finalize_adds_the_read_url_as_file_url() {
        let read_url = SignedUrl::new("https://blob.example/read?sig=1");
        let config = json!({"jpgReadMode": "DOC_INTELLIGENCE_DEFAULT"});
        let variables = upsert_variables(&registration(Some(config.clone())), Some(&read_url));
        assert_eq!(variables["fileUrl"], "https://blob.example/read?sig=1");
        assert_eq!(variables["input"]["ingestionConfig"], config);
    }

    #[test]
    fn partial_keys_ending_with_a_slash_are_refused() {
        assert_eq!(
            key_prefix("PaginatedContent", "acme/1_ENG").expect("valid"),
            "acme/1_ENG/"
        );
        assert!(key_prefix("PaginatedContent", "acme/1_ENG/").is_err());
        assert!(key_prefix("PaginatedContent", "").is_err());
    }
}
