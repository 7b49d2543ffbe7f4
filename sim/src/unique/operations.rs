//! The GraphQL operations the connector uses (G1–G12): their expected variable declarations,
//! root fields and target service, and how each one runs against the store.

use serde_json::{Value, json};

use super::graphql::OperationKind;
use super::store::{
    ContentFilter, ContentRegistration, OperationError, ScopeAccess, StoredContent, UniqueStore,
};

/// Which GraphQL endpoint an operation belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum GraphqlTarget {
    Ingestion,
    ScopeManagement,
}

/// The contract of one operation.
#[derive(Debug)]
pub struct OperationSpec {
    pub name: &'static str,
    pub kind: OperationKind,
    pub root_field: &'static str,
    pub target: GraphqlTarget,
    /// `(variable, type)` as the spec's document declares them.
    pub variables: &'static [(&'static str, &'static str)],
    /// Type name used for `__typename` and error messages.
    pub result_type: &'static str,
}

use GraphqlTarget::{Ingestion, ScopeManagement};
use OperationKind::{Mutation, Query};

pub const OPERATIONS: &[OperationSpec] = &[
    OperationSpec {
        name: "User",
        kind: Query,
        root_field: "me",
        target: ScopeManagement,
        variables: &[],
        result_type: "Me",
    },
    OperationSpec {
        name: "CreateScopeAccesses",
        kind: Mutation,
        root_field: "createScopeAccesses",
        target: Ingestion,
        variables: &[
            ("scopeAccesses", "[ScopeAccessChangeDto!]!"),
            ("scopeId", "String!"),
            ("applyToSubScopes", "Boolean"),
            ("skipFileAccessPropagation", "Boolean"),
        ],
        result_type: "Boolean",
    },
    OperationSpec {
        name: "PaginatedScope",
        kind: Query,
        root_field: "paginatedScope",
        target: Ingestion,
        variables: &[
            ("skip", "Int!"),
            ("take", "Int!"),
            ("where", "ScopeWhereInput!"),
        ],
        result_type: "PaginatedScope",
    },
    OperationSpec {
        name: "GenerateScopesBasedOnPaths",
        kind: Mutation,
        root_field: "generateScopesBasedOnPaths",
        target: Ingestion,
        variables: &[("paths", "[String!]!"), ("inheritAccess", "Boolean")],
        result_type: "Scope",
    },
    OperationSpec {
        name: "UpdateScope",
        kind: Mutation,
        root_field: "updateScope",
        target: Ingestion,
        variables: &[("id", "String!"), ("input", "ScopeUpdateInput!")],
        result_type: "Scope",
    },
    OperationSpec {
        name: "DeleteFolder",
        kind: Mutation,
        root_field: "deleteFolder",
        target: Ingestion,
        variables: &[("scopeId", "String!"), ("recursive", "Boolean!")],
        result_type: "DeleteFolderResult",
    },
    OperationSpec {
        name: "BulkMove",
        kind: Mutation,
        root_field: "bulkMove",
        target: Ingestion,
        variables: &[("input", "BulkMoveInput!")],
        result_type: "BulkMoveResult",
    },
    OperationSpec {
        name: "PaginatedContent",
        kind: Query,
        root_field: "paginatedContent",
        target: Ingestion,
        variables: &[
            ("skip", "Int!"),
            ("take", "Int!"),
            ("where", "ContentWhereInput"),
        ],
        result_type: "PaginatedContent",
    },
    OperationSpec {
        name: "PaginatedContentCount",
        kind: Query,
        root_field: "paginatedContent",
        target: Ingestion,
        variables: &[("where", "ContentWhereInput")],
        result_type: "PaginatedContent",
    },
    OperationSpec {
        name: "ContentDeleteByContentIds",
        kind: Mutation,
        root_field: "contentDeleteByContentIds",
        target: Ingestion,
        variables: &[("contentIds", "[String!]!")],
        result_type: "Content",
    },
    OperationSpec {
        name: "ContentUpsert",
        kind: Mutation,
        root_field: "contentUpsert",
        target: Ingestion,
        variables: &[
            ("input", "ContentCreateInput!"),
            ("fileUrl", "String"),
            ("chatId", "String"),
            ("scopeId", "String"),
            ("sourceOwnerType", "String"),
            ("sourceName", "String"),
            ("sourceKind", "String"),
            ("storeInternally", "Boolean"),
            ("baseUrl", "String"),
        ],
        result_type: "Content",
    },
];

pub fn spec(name: &str) -> Option<&'static OperationSpec> {
    OPERATIONS.iter().find(|op| op.name == name)
}

/// What an operation needs besides its variables.
pub struct CallContext<'a> {
    /// The authenticated caller's user id (answer of `me`).
    pub user_id: &'a str,
    /// Base of upload URLs, e.g. `http://127.0.0.1:P` of the blob listener.
    pub blob_origin: &'a str,
}

fn var<'a>(variables: &'a Value, name: &str) -> &'a Value {
    variables.get(name).unwrap_or(&Value::Null)
}

fn string_var(variables: &Value, name: &str) -> Result<String, OperationError> {
    var(variables, name)
        .as_str()
        .map(str::to_owned)
        .ok_or_else(|| OperationError(format!("Variable \"${name}\" must be a string")))
}

fn usize_var(variables: &Value, name: &str) -> Result<usize, OperationError> {
    var(variables, name)
        .as_u64()
        .map(|n| n as usize)
        .ok_or_else(|| {
            OperationError(format!(
                "Variable \"${name}\" must be a non-negative integer"
            ))
        })
}

fn scope_json(store: &UniqueStore, id: &str) -> Value {
    match store.scope(id) {
        Some(scope) => json!({
            "id": scope.id,
            "name": scope.name,
            "parentId": scope.parent_id,
            "externalId": scope.external_id,
            "scopeAccess": scope.accesses,
        }),
        None => Value::Null,
    }
}

pub fn content_json(content: &StoredContent, blob_origin: &str) -> Value {
    json!({
        "id": content.id,
        "key": content.key,
        "title": content.title,
        "byteSize": content.byte_size,
        "mimeType": content.mime_type,
        "ownerType": "SCOPE",
        "ownerId": content.owner_id,
        "url": content.url,
        "metadata": content.metadata,
        "fileAccess": [],
        "expiresAt": null,
        "ingestionState": content.ingestion_state(),
        "writeUrl": format!("{blob_origin}/upload?key={}", crate::confluence::render::encode_component(&content.write_key)),
        "readUrl": read_url(blob_origin, &content.id),
        "createdAt": content.created_at,
        "internallyStoredAt": content.internally_stored_at,
        "source": {"kind": content.source_kind, "name": content.source_name},
    })
}

pub fn read_url(blob_origin: &str, content_id: &str) -> String {
    format!("{blob_origin}/read/{content_id}")
}

/// Runs an operation whose variables were already type-checked. Returns the full root value.
pub fn execute(
    spec: &OperationSpec,
    variables: &Value,
    store: &mut UniqueStore,
    ctx: &CallContext<'_>,
) -> Result<Value, OperationError> {
    match spec.name {
        "User" => {
            Ok(json!({"user": {"id": ctx.user_id, "email": format!("{}@sim.unique", ctx.user_id)}}))
        }
        "CreateScopeAccesses" => {
            let accesses: Vec<ScopeAccess> =
                serde_json::from_value(var(variables, "scopeAccesses").clone()).map_err(|e| {
                    OperationError(format!("Variable \"$scopeAccesses\" is invalid: {e}"))
                })?;
            for access in &accesses {
                if !["MANAGE", "READ", "WRITE"].contains(&access.access_type.as_str()) {
                    return Err(OperationError(format!(
                        "Invalid accessType {}",
                        access.access_type
                    )));
                }
                if !["USER", "GROUP"].contains(&access.entity_type.as_str()) {
                    return Err(OperationError(format!(
                        "Invalid entityType {}",
                        access.entity_type
                    )));
                }
            }
            let apply = var(variables, "applyToSubScopes")
                .as_bool()
                .unwrap_or(false);
            store
                .create_scope_accesses(&string_var(variables, "scopeId")?, accesses, apply)
                .map(Value::Bool)
        }
        "PaginatedScope" => {
            let filters = scope_filters(var(variables, "where"))?;
            let (total, nodes) = store.paginated_scope(
                &filters,
                usize_var(variables, "skip")?,
                usize_var(variables, "take")?,
            );
            let ids: Vec<String> = nodes.iter().map(|s| s.id.clone()).collect();
            Ok(
                json!({"totalCount": total, "nodes": ids.iter().map(|id| scope_json(store, id)).collect::<Vec<_>>()}),
            )
        }
        "GenerateScopesBasedOnPaths" => {
            let paths: Vec<String> = serde_json::from_value(var(variables, "paths").clone())
                .map_err(|e| OperationError(format!("Variable \"$paths\" is invalid: {e}")))?;
            let inherit = var(variables, "inheritAccess").as_bool().unwrap_or(false);
            let ids = store.generate_scopes_from_paths(&paths, inherit)?;
            Ok(Value::Array(
                ids.iter().map(|id| scope_json(store, id)).collect(),
            ))
        }
        "UpdateScope" => {
            let id = string_var(variables, "id")?;
            let input = var(variables, "input").as_object().ok_or_else(|| {
                OperationError("Variable \"$input\" must be an object".to_owned())
            })?;
            for key in input.keys() {
                if key != "externalId" && key != "name" {
                    return Err(OperationError(format!(
                        "Field \"{key}\" is not defined by type \"ScopeUpdateInput\"."
                    )));
                }
            }
            let external_id = match input.get("externalId") {
                None => None,
                Some(Value::Null) => Some(None),
                Some(Value::String(s)) => Some(Some(s.clone())),
                Some(other) => {
                    return Err(OperationError(format!(
                        "externalId must be a string or null, got {other}"
                    )));
                }
            };
            let name = match input.get("name") {
                None => None,
                Some(Value::String(s)) => Some(s.clone()),
                Some(other) => {
                    return Err(OperationError(format!(
                        "name must be a string, got {other}"
                    )));
                }
            };
            store.update_scope(&id, external_id, name)?;
            Ok(scope_json(store, &id))
        }
        "DeleteFolder" => {
            let recursive = var(variables, "recursive").as_bool().unwrap_or(false);
            let outcome = store.delete_folder(&string_var(variables, "scopeId")?, recursive)?;
            Ok(json!({
                "successFolders": outcome.succeeded.iter().map(|(id, name, path)| json!({"id": id, "name": name, "path": path})).collect::<Vec<_>>(),
                "failedFolders": outcome.failed.iter().map(|(id, name, reason, path)| json!({"id": id, "name": name, "failReason": reason, "path": path})).collect::<Vec<_>>(),
            }))
        }
        "BulkMove" => {
            let input = var(variables, "input");
            let scope_ids: Vec<String> =
                serde_json::from_value(input.get("scopeIds").cloned().unwrap_or(Value::Null))
                    .map_err(|_| {
                        OperationError(
                            "BulkMoveInput.scopeIds must be a list of strings".to_owned(),
                        )
                    })?;
            let target = input
                .get("targetScopeId")
                .and_then(Value::as_str)
                .ok_or_else(|| {
                    OperationError("BulkMoveInput.targetScopeId is required".to_owned())
                })?;
            let affected = store.bulk_move(&scope_ids, target)?;
            Ok(json!({
                "scopeIds": scope_ids,
                "asyncMetadataRebuild": false,
                "jobId": null,
                "affectedFiles": affected,
                "message": format!("Moved {} folders (metadata of {affected} files rebuilt)", scope_ids.len()),
            }))
        }
        "PaginatedContent" | "PaginatedContentCount" => {
            let filter = content_filter(var(variables, "where"))?;
            let (skip, take) = if spec.name == "PaginatedContent" {
                (usize_var(variables, "skip")?, usize_var(variables, "take")?)
            } else {
                (0, 0)
            };
            let (total, nodes) = store.query_contents(&filter, skip, take);
            Ok(json!({
                "totalCount": total,
                "nodes": nodes.iter().map(|c| content_json(c, ctx.blob_origin)).collect::<Vec<_>>(),
            }))
        }
        "ContentDeleteByContentIds" => {
            let ids: Vec<String> = serde_json::from_value(var(variables, "contentIds").clone())
                .map_err(|e| OperationError(format!("Variable \"$contentIds\" is invalid: {e}")))?;
            let deleted = store.delete_contents(&ids);
            Ok(Value::Array(
                deleted.into_iter().map(|id| json!({"id": id})).collect(),
            ))
        }
        "ContentUpsert" => content_upsert(variables, store, ctx),
        other => Err(OperationError(format!(
            "Operation {other} is not implemented"
        ))),
    }
}

fn scope_filters(where_: &Value) -> Result<Vec<(String, Option<String>)>, OperationError> {
    let object = where_
        .as_object()
        .ok_or_else(|| OperationError("ScopeWhereInput must be an object".to_owned()))?;
    let mut filters = Vec::new();
    for (field, condition) in object {
        if !["id", "name", "parentId", "externalId"].contains(&field.as_str()) {
            return Err(OperationError(format!(
                "Field \"{field}\" is not defined by type \"ScopeWhereInput\"."
            )));
        }
        let equals = condition
            .as_object()
            .filter(|c| c.len() == 1)
            .and_then(|c| c.get("equals"))
            .ok_or_else(|| {
                OperationError(format!(
                    "ScopeWhereInput.{field}: only {{equals: …}} is supported"
                ))
            })?;
        let value = match equals {
            Value::Null => None,
            Value::String(s) => Some(s.clone()),
            other => {
                return Err(OperationError(format!(
                    "ScopeWhereInput.{field}.equals must be a string or null, got {other}"
                )));
            }
        };
        filters.push((field.clone(), value));
    }
    Ok(filters)
}

fn content_filter(where_: &Value) -> Result<ContentFilter, OperationError> {
    let mut filter = ContentFilter::default();
    let Some(object) = where_.as_object() else {
        return if where_.is_null() {
            Ok(filter)
        } else {
            Err(OperationError(
                "ContentWhereInput must be an object".to_owned(),
            ))
        };
    };
    for (field, condition) in object {
        let condition = condition.as_object().ok_or_else(|| {
            OperationError(format!("ContentWhereInput.{field} must be an object"))
        })?;
        for (op, value) in condition {
            let text = || {
                value.as_str().map(str::to_owned).ok_or_else(|| {
                    OperationError(format!("ContentWhereInput.{field}.{op} must be a string"))
                })
            };
            match (field.as_str(), op.as_str()) {
                ("key", "in") => {
                    filter.key_in = Some(serde_json::from_value(value.clone()).map_err(|_| {
                        OperationError(
                            "ContentWhereInput.key.in must be a list of strings".to_owned(),
                        )
                    })?)
                }
                ("key", "equals") => filter.key_equals = Some(text()?),
                ("key", "startsWith") => filter.key_starts_with = Some(text()?),
                ("ownerId", "equals") => filter.owner_id = Some(text()?),
                ("ownerType", "equals") => filter.owner_type = Some(text()?),
                _ => {
                    return Err(OperationError(format!(
                        "ContentWhereInput.{field}.{op} is not supported by the simulator"
                    )));
                }
            }
        }
    }
    Ok(filter)
}

const CONTENT_INPUT_FIELDS: &[&str] = &[
    "key",
    "title",
    "mimeType",
    "ownerType",
    "url",
    "byteSize",
    "metadata",
    "ingestionConfig",
    "expiresAt",
    "fileAccess",
];

fn content_upsert(
    variables: &Value,
    store: &mut UniqueStore,
    ctx: &CallContext<'_>,
) -> Result<Value, OperationError> {
    let input = var(variables, "input")
        .as_object()
        .ok_or_else(|| OperationError("Variable \"$input\" must be an object".to_owned()))?;
    for field in input.keys() {
        if !CONTENT_INPUT_FIELDS.contains(&field.as_str()) {
            return Err(OperationError(format!(
                "Field \"{field}\" is not defined by type \"ContentCreateInput\"."
            )));
        }
    }
    let text = |name: &str| -> Result<String, OperationError> {
        input
            .get(name)
            .and_then(Value::as_str)
            .map(str::to_owned)
            .ok_or_else(|| OperationError(format!("ContentCreateInput.{name} must be a string")))
    };
    let key = text("key")?;
    if key.is_empty() {
        return Err(OperationError(
            "ContentCreateInput.key must not be empty".to_owned(),
        ));
    }
    if input.get("ownerType").and_then(Value::as_str) != Some("SCOPE") {
        return Err(OperationError(
            "ContentCreateInput.ownerType must be SCOPE".to_owned(),
        ));
    }
    let scope_id = var(variables, "scopeId")
        .as_str()
        .map(str::to_owned)
        .ok_or_else(|| OperationError("scopeId is required when ownerType is SCOPE".to_owned()))?;
    let file_url = var(variables, "fileUrl").as_str().map(str::to_owned);
    let optional_text = |name: &str| var(variables, name).as_str().map(str::to_owned);
    match file_url {
        None => {
            let registration = ContentRegistration {
                key,
                title: text("title")?,
                mime_type: text("mimeType")?,
                byte_size: input
                    .get("byteSize")
                    .and_then(Value::as_u64)
                    .ok_or_else(|| {
                        OperationError(
                            "ContentCreateInput.byteSize must be a non-negative integer".to_owned(),
                        )
                    })?,
                scope_id,
                url: input.get("url").and_then(Value::as_str).map(str::to_owned),
                metadata: input.get("metadata").cloned().unwrap_or(Value::Null),
                ingestion_config: input.get("ingestionConfig").cloned(),
                source_kind: optional_text("sourceKind"),
                source_name: optional_text("sourceName"),
                base_url: optional_text("baseUrl"),
                store_internally: var(variables, "storeInternally").as_bool().unwrap_or(false),
            };
            let content = store.register_content(registration)?;
            Ok(content_json(content, ctx.blob_origin))
        }
        Some(url) => {
            let ours = url.starts_with(&format!("{}/read/", ctx.blob_origin));
            let expected = store
                .content_by_key(&key)
                .map(|c| read_url(ctx.blob_origin, &c.id));
            if ours && expected.as_deref() != Some(url.as_str()) {
                return Err(OperationError(format!(
                    "fileUrl {url} does not belong to content {key}"
                )));
            }
            let content = store.finalize_content(&key, ours)?;
            Ok(content_json(content, ctx.blob_origin))
        }
    }
}
