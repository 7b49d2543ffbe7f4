//! Space scopes (sync-flow §6): one scope per affected space, named by its key directly under the
//! root (G4, at most 100 paths per call), marked `confc:{tenant}:{spaceId}:{spaceKey}` (G5 only
//! where the mark differs).

use std::collections::HashMap;

use crate::telemetry::Diagnostics;
use crate::unique::UniqueClient;

use super::abort::CycleAbort;
use super::keys::space_mark;

/// A space that needs its scope.
pub struct SpaceRef<'a> {
    pub id: &'a str,
    pub key: &'a str,
}

/// Creates (or finds) and marks the scopes; returns space id → scope id.
pub async fn ensure(
    unique: &UniqueClient,
    root_path: &str,
    tenant: &str,
    spaces: &[SpaceRef<'_>],
    diagnostics: Diagnostics,
) -> Result<HashMap<String, String>, CycleAbort> {
    if spaces.is_empty() {
        return Ok(HashMap::new());
    }
    let paths: Vec<String> = spaces
        .iter()
        .map(|space| format!("{root_path}/{}", space.key))
        .collect();
    let scopes = unique
        .generate_scopes(&paths)
        .await
        .map_err(CycleAbort::unique("creating the space scopes (G4)"))?;
    let mut scope_ids = HashMap::with_capacity(spaces.len());
    for (space, scope) in spaces.iter().zip(scopes) {
        if scope.name != space.key {
            tracing::warn!(tenantName = %tenant, space = %diagnostics.masked(space.key), scope = %scope.id, "the space scope's name differs from the space key");
        }
        let mark = space_mark(tenant, space.id, space.key);
        if scope.external_id.as_deref() != Some(mark.as_str()) {
            unique
                .set_external_id(&scope.id, Some(&mark))
                .await
                .map_err(CycleAbort::unique("marking a space scope (G5)"))?;
        }
        scope_ids.insert(space.id.to_owned(), scope.id);
    }
    Ok(scope_ids)
}
