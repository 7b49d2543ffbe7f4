//! Scope operations G1–G7: who the connector is, access grants, reading, listing, creating,
//! marking, deleting and moving scopes (unique-api.md §4; used by sync-flow.md §3, §6, §10, §11).

use serde::Deserialize;
use serde_json::json;

use super::UniqueClient;
use super::documents::{
    BULK_MOVE, CREATE_SCOPE_ACCESSES, DELETE_FOLDER, GENERATE_SCOPES_BASED_ON_PATHS,
    PAGINATED_SCOPE, UPDATE_SCOPE, USER,
};
use super::error::UniqueError;
use super::types::{AccessType, BulkMoved, Recursive, Scope, UserId};

/// Page size of G3 child listing.
pub(super) const PAGE_SIZE: usize = 100;
/// Most paths G4 takes in one call.
const MAX_PATHS_PER_CALL: usize = 100;

#[derive(Deserialize)]
struct Me {
    user: MeUser,
}

#[derive(Deserialize)]
struct MeUser {
    id: String,
}

#[derive(Deserialize)]
struct ScopePage {
    nodes: Vec<Scope>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct FolderDeletion {
    #[serde(default)]
    failed_folders: Vec<FailedFolder>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct FailedFolder {
    id: Option<String>,
    fail_reason: Option<String>,
}

impl UniqueClient {
    /// G1: the connector's own user id (scope-management service). Fails on an empty id.
    pub async fn me(&self) -> Result<UserId, UniqueError> {
        let me: Me = self.graphql(&USER, json!({})).await?;
        if me.user.id.is_empty() {
            return Err(UniqueError::InvalidResponse {
                operation: USER.name,
                url: self.scope_management_graphql_url.to_string(),
                reason: "`data.me.user.id` is empty".to_owned(),
            });
        }
        Ok(UserId(me.user.id))
    }

    /// G2: grants `user` the `access` rights on `scope_id`, on that scope only
    /// (`applyToSubScopes: false`, `skipFileAccessPropagation: true`). Sent once.
    pub async fn grant_access(
        &self,
        scope_id: &str,
        user: &UserId,
        access: &[AccessType],
    ) -> Result<(), UniqueError> {
        let scope_accesses: Vec<_> = access
            .iter()
            .map(|access_type| {
                json!({"accessType": access_type, "entityId": user.0, "entityType": "USER"})
            })
            .collect();
        let variables = json!({
            "scopeId": scope_id,
            "scopeAccesses": scope_accesses,
            "applyToSubScopes": false,
            "skipFileAccessPropagation": true,
        });
        // The result is a Boolean scalar with no documented meaning for `false`; it is not used.
        let _: serde_json::Value = self.graphql(&CREATE_SCOPE_ACCESSES, variables).await?;
        Ok(())
    }

    /// G3 get by id; `None` when no scope has that id.
    pub async fn scope_by_id(&self, scope_id: &str) -> Result<Option<Scope>, UniqueError> {
        self.first_scope(json!({"id": {"equals": scope_id}})).await
    }

    /// G3 get by external id (root migration); `None` when no scope carries it.
    pub async fn scope_by_external_id(
        &self,
        external_id: &str,
    ) -> Result<Option<Scope>, UniqueError> {
        self.first_scope(json!({"externalId": {"equals": external_id}}))
            .await
    }

    async fn first_scope(&self, filter: serde_json::Value) -> Result<Option<Scope>, UniqueError> {
        let page: ScopePage = self
            .graphql(
                &PAGINATED_SCOPE,
                json!({"skip": 0, "take": 1, "where": filter}),
            )
            .await?;
        Ok(page.nodes.into_iter().next())
    }

    /// G3 list children of `parent_id`, paged by 100 while a page is full (`totalCount` unused).
    pub async fn list_children(&self, parent_id: &str) -> Result<Vec<Scope>, UniqueError> {
        let mut children = Vec::new();
        let mut skip = 0;
        loop {
            let page: ScopePage = self
                .graphql(
                    &PAGINATED_SCOPE,
                    json!({
                        "skip": skip,
                        "take": PAGE_SIZE,
                        "where": {"parentId": {"equals": parent_id}},
                    }),
                )
                .await?;
            let full = page.nodes.len() == PAGE_SIZE;
            children.extend(page.nodes);
            if !full {
                return Ok(children);
            }
            skip += PAGE_SIZE;
        }
    }

    /// G4: one scope per path, in input order (`inheritAccess: true`), at most 100 paths per
    /// call. Each call must answer exactly as many scopes as it was sent paths.
    pub async fn generate_scopes(&self, paths: &[String]) -> Result<Vec<Scope>, UniqueError> {
        let mut scopes = Vec::with_capacity(paths.len());
        for batch in paths.chunks(MAX_PATHS_PER_CALL) {
            let generated: Vec<Scope> = self
                .graphql(
                    &GENERATE_SCOPES_BASED_ON_PATHS,
                    json!({"paths": batch, "inheritAccess": true}),
                )
                .await?;
            if generated.len() != batch.len() {
                return Err(UniqueError::ScopeCountMismatch {
                    operation: GENERATE_SCOPES_BASED_ON_PATHS.name,
                    requested: batch.len(),
                    returned: generated.len(),
                });
            }
            scopes.extend(generated);
        }
        Ok(scopes)
    }

    /// G5: sets (or, with `None`, clears with an explicit JSON `null`) the scope's external id and
    /// returns the updated scope.
    pub async fn set_external_id(
        &self,
        scope_id: &str,
        external_id: Option<&str>,
    ) -> Result<Scope, UniqueError> {
        self.graphql(
            &UPDATE_SCOPE,
            json!({"id": scope_id, "input": {"externalId": external_id}}),
        )
        .await
    }

    /// G6: deletes a folder scope. A non-empty `failedFolders` is an error.
    pub async fn delete_folder(
        &self,
        scope_id: &str,
        recursive: Recursive,
    ) -> Result<(), UniqueError> {
        let deletion: FolderDeletion = self
            .graphql(
                &DELETE_FOLDER,
                json!({"scopeId": scope_id, "recursive": recursive == Recursive::Yes}),
            )
            .await?;
        if deletion.failed_folders.is_empty() {
            return Ok(());
        }
        let failures = deletion
            .failed_folders
            .iter()
            .map(|folder| {
                format!(
                    "{}: {}",
                    folder.id.as_deref().unwrap_or("?"),
                    folder.fail_reason.as_deref().unwrap_or("no reason given")
                )
            })
            .collect::<Vec<_>>()
            .join("; ");
        Err(UniqueError::FolderDeletionFailed {
            operation: DELETE_FOLDER.name,
            scope_id: scope_id.to_owned(),
            failures,
        })
    }

    /// G7: moves `scope_ids` under `target_scope_id` (root migration). A GraphQL error message of
    /// this call comes back with its parenthesised parts removed.
    pub async fn bulk_move(
        &self,
        scope_ids: &[String],
        target_scope_id: &str,
    ) -> Result<BulkMoved, UniqueError> {
        let moved: serde_json::Value = self
            .graphql(
                &BULK_MOVE,
                json!({"input": {"scopeIds": scope_ids, "targetScopeId": target_scope_id}}),
            )
            .await?;
        Ok(BulkMoved {
            message: moved
                .get("message")
                .and_then(serde_json::Value::as_str)
                .map(super::graphql::without_parenthesised_parts),
        })
    }
}
