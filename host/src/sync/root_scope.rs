//! Root scope initialisation (sync-flow §3): who the connector is (G1), its rights on the root
//! (G2), the root and its ancestors (G3, with G2 READ on each ancestor), the root path, and then,
//! once the plugin has identified the source, the ownership claim, verification or migration
//! (G3 by external id, G7, G6, G5).

use crate::unique::{AccessType, Recursive, Scope, UniqueClient};

use super::abort::CycleAbort;
use super::keys::root_mark;

/// The root scope, loaded and readable up to the top.
#[derive(Debug, Clone)]
pub struct RootScope {
    pub scope: Scope,
    /// `/` + names from the top-level scope down to the root.
    pub path: String,
}

/// Steps 1–3 and 5–6: G1, G2 on the root, G3 the root, the ancestor walk. Writes nothing but
/// access grants, and runs before any source request.
pub async fn load(unique: &UniqueClient, root_id: &str) -> Result<RootScope, CycleAbort> {
    let user = unique
        .me()
        .await
        .map_err(CycleAbort::unique("reading the connector's user (G1)"))?;
    unique
        .grant_access(
            root_id,
            &user,
            &[AccessType::Manage, AccessType::Read, AccessType::Write],
        )
        .await
        .map_err(CycleAbort::unique("granting access to the root scope (G2)"))?;
    let root = unique
        .scope_by_id(root_id)
        .await
        .map_err(CycleAbort::unique("loading the root scope (G3)"))?
        .ok_or_else(|| CycleAbort::RootMissing {
            scope_id: root_id.to_owned(),
        })?;

    let mut names = vec![root.name.clone()];
    let mut current = root.clone();
    while let Some(parent_id) = current.parent_id.clone() {
        unique
            .grant_access(&parent_id, &user, &[AccessType::Read])
            .await
            .map_err(CycleAbort::unique(
                "granting read access to an ancestor of the root scope (G2)",
            ))?;
        let parent = unique
            .scope_by_id(&parent_id)
            .await
            .map_err(CycleAbort::unique(
                "loading an ancestor of the root scope (G3)",
            ))?
            .ok_or(CycleAbort::AncestorMissing {
                scope_id: parent_id,
            })?;
        names.insert(0, parent.name.clone());
        current = parent;
    }
    Ok(RootScope {
        scope: root,
        path: format!("/{}", names.join("/")),
    })
}

/// Step 4: makes sure the root carries this source instance's mark, claiming it (after migrating
/// an old root of the same instance) when it has none. Writes nothing when the mark is already
/// there.
pub async fn ensure_ownership(
    unique: &UniqueClient,
    root: &mut RootScope,
    instance_id: &str,
    tenant: &str,
) -> Result<(), CycleAbort> {
    let expected = root_mark(instance_id);
    match root.scope.external_id.as_deref() {
        Some(found) if !found.is_empty() => {
            if found == expected {
                Ok(())
            } else {
                Err(CycleAbort::OwnedByOther {
                    scope_id: root.scope.id.clone(),
                    found: found.to_owned(),
                    expected,
                })
            }
        }
        _ => {
            migrate_old_root(unique, &root.scope.id, &expected, tenant).await?;
            let claimed = unique
                .set_external_id(&root.scope.id, Some(&expected))
                .await
                .map_err(|source| CycleAbort::ClaimFailed {
                    expected: expected.clone(),
                    source: Box::new(source),
                })?;
            if claimed.external_id.as_deref() != Some(expected.as_str()) {
                return Err(CycleAbort::ClaimMismatch {
                    scope_id: root.scope.id.clone(),
                    expected,
                    returned: claimed.external_id,
                });
            }
            tracing::info!(tenantName = %tenant, root = %root.scope.id, mark = %expected, "claimed the root scope");
            root.scope.external_id = Some(expected);
            Ok(())
        }
    }
}

/// Moves the children of an old root with this instance's mark under the new root and deletes
/// the old root (non-recursively).
async fn migrate_old_root(
    unique: &UniqueClient,
    new_root: &str,
    expected: &str,
    tenant: &str,
) -> Result<(), CycleAbort> {
    let failed = |old_root: &str, reason: String| CycleAbort::MigrationFailed {
        old_root: old_root.to_owned(),
        reason,
    };
    let old = unique
        .scope_by_external_id(expected)
        .await
        .map_err(|error| failed("?", error.to_string()))?;
    let Some(old) = old.filter(|old| old.id != new_root) else {
        return Ok(());
    };
    tracing::info!(tenantName = %tenant, old_root = %old.id, new_root, "migrating the old root scope of this source instance");
    let children = unique
        .list_children(&old.id)
        .await
        .map_err(|error| failed(&old.id, error.to_string()))?;
    if !children.is_empty() {
        let ids: Vec<String> = children.into_iter().map(|child| child.id).collect();
        unique
            .bulk_move(&ids, new_root)
            .await
            .map_err(|error| failed(&old.id, error.to_string()))?;
    }
    unique
        .delete_folder(&old.id, Recursive::No)
        .await
        .map_err(|error| failed(&old.id, error.to_string()))?;
    Ok(())
}
