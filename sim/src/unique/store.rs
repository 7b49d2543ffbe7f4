//! The Unique platform's state: scopes (names, parents, external ids, accesses), stored
//! content (registration, uploads, finalize) and the file-diff bookkeeping, with the
//! operations the GraphQL and REST layers expose.

use std::collections::{BTreeMap, HashMap, HashSet};

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::clock::now_iso;
use crate::scenario::UniqueSeed;

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct ScopeAccess {
    pub entity_id: String,
    pub entity_type: String,
    pub access_type: String,
}

#[derive(Clone, Debug)]
pub struct Scope {
    pub id: String,
    pub name: String,
    pub parent_id: Option<String>,
    pub external_id: Option<String>,
    pub accesses: Vec<ScopeAccess>,
}

/// What the blob listener received for a content item.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredUpload {
    pub length: u64,
    pub sha256: String,
    pub content_type: Option<String>,
    /// The bytes, only when small enough to keep.
    pub bytes: Option<bytes::Bytes>,
}

/// A content item (file) in Unique.
#[derive(Clone, Debug)]
pub struct StoredContent {
    pub id: String,
    pub key: String,
    pub title: String,
    pub mime_type: String,
    pub byte_size: u64,
    pub owner_id: String,
    pub url: Option<String>,
    pub metadata: Value,
    pub ingestion_config: Option<Value>,
    pub source_kind: Option<String>,
    pub source_name: Option<String>,
    pub base_url: Option<String>,
    pub store_internally: bool,
    pub created_at: String,
    pub internally_stored_at: Option<String>,
    /// The `updatedAt` of the file diff that led to the last finalize.
    pub source_updated_at: Option<String>,
    pub write_key: String,
    pub upload: Option<StoredUpload>,
    pub finalized: bool,
}

impl StoredContent {
    pub fn ingestion_state(&self) -> &'static str {
        match (self.finalized, self.upload.is_some()) {
            (true, _) => "FINISHED",
            (false, true) => "UPLOADED",
            (false, false) => "AWAITING_UPLOAD",
        }
    }
}

/// A GraphQL-level failure (becomes an entry of `errors`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct OperationError(pub String);

fn fail<T>(message: impl Into<String>) -> Result<T, OperationError> {
    Err(OperationError(message.into()))
}

/// Answer of a file diff, relative keys.
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct FileDiffResult {
    pub new_files: Vec<String>,
    pub updated_files: Vec<String>,
    pub moved_files: Vec<String>,
    pub deleted_files: Vec<String>,
}

/// One submitted file-diff item.
#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FileDiffItem {
    pub key: String,
    pub url: String,
    pub updated_at: String,
}

/// Result of deleting a folder.
#[derive(Clone, Debug, Default)]
pub struct FolderDeletion {
    pub succeeded: Vec<(String, String, String)>,
    pub failed: Vec<(String, String, String, String)>,
}

#[derive(Debug)]
pub struct UniqueStore {
    scopes: BTreeMap<u64, Scope>,
    scope_seq: HashMap<String, u64>,
    contents: BTreeMap<u64, StoredContent>,
    content_seq_by_id: HashMap<String, u64>,
    content_seq_by_key: HashMap<String, u64>,
    write_keys: HashMap<String, u64>,
    /// Full key → `updatedAt` reported as new/updated, applied on finalize.
    pending_updated_at: HashMap<String, String>,
    next_seq: u64,
    pub keep_bytes_up_to: u64,
}

impl UniqueStore {
    pub fn from_seed(seed: &UniqueSeed) -> Self {
        let mut store = UniqueStore {
            scopes: BTreeMap::new(),
            scope_seq: HashMap::new(),
            contents: BTreeMap::new(),
            content_seq_by_id: HashMap::new(),
            content_seq_by_key: HashMap::new(),
            write_keys: HashMap::new(),
            pending_updated_at: HashMap::new(),
            next_seq: 1,
            keep_bytes_up_to: seed.keep_bytes_up_to,
        };
        for scope in &seed.scopes {
            store.insert_scope(Scope {
                id: scope.id.clone(),
                name: scope.name.clone(),
                parent_id: scope.parent_id.clone(),
                external_id: scope.external_id.clone(),
                accesses: Vec::new(),
            });
        }
        for file in &seed.files {
            let seq = store.take_seq();
            let id = file.id.clone().unwrap_or_else(|| format!("cont_{seq:06}"));
            let content = StoredContent {
                id: id.clone(),
                key: file.key.clone(),
                title: file.title.clone(),
                mime_type: file.mime_type.clone(),
                byte_size: file.byte_size,
                owner_id: file.owner_id.clone(),
                url: None,
                metadata: file.metadata.clone(),
                ingestion_config: None,
                source_kind: None,
                source_name: None,
                base_url: None,
                store_internally: true,
                created_at: now_iso(),
                internally_stored_at: None,
                source_updated_at: (!file.updated_at.is_empty()).then(|| file.updated_at.clone()),
                write_key: String::new(),
                upload: None,
                finalized: true,
            };
            store.content_seq_by_id.insert(id, seq);
            store.content_seq_by_key.insert(file.key.clone(), seq);
            store.contents.insert(seq, content);
        }
        store
    }

    fn take_seq(&mut self) -> u64 {
        let seq = self.next_seq;
        self.next_seq += 1;
        seq
    }

    fn insert_scope(&mut self, scope: Scope) {
        let seq = self.take_seq();
        self.scope_seq.insert(scope.id.clone(), seq);
        self.scopes.insert(seq, scope);
    }

    pub fn scopes(&self) -> impl Iterator<Item = &Scope> {
        self.scopes.values()
    }

    pub fn scope(&self, id: &str) -> Option<&Scope> {
        self.scopes.get(self.scope_seq.get(id)?)
    }

    fn scope_mut(&mut self, id: &str) -> Result<&mut Scope, OperationError> {
        let seq = self
            .scope_seq
            .get(id)
            .ok_or_else(|| OperationError(format!("Scope not found: {id}")))?;
        self.scopes
            .get_mut(seq)
            .ok_or_else(|| OperationError(format!("Scope not found: {id}")))
    }

    pub fn contents(&self) -> impl Iterator<Item = &StoredContent> {
        self.contents.values()
    }

    pub fn content_by_key(&self, key: &str) -> Option<&StoredContent> {
        self.contents.get(self.content_seq_by_key.get(key)?)
    }

    /// `/KB/Confluence/ENG` style path of a scope.
    pub fn scope_path(&self, id: &str) -> String {
        let mut names = Vec::new();
        let mut current = self.scope(id);
        let mut guard = 0;
        while let Some(scope) = current {
            names.push(scope.name.clone());
            current = scope.parent_id.as_deref().and_then(|p| self.scope(p));
            guard += 1;
            if guard > 1000 {
                break;
            }
        }
        names.reverse();
        format!("/{}", names.join("/"))
    }

    fn children(&self, id: &str) -> Vec<String> {
        self.scopes
            .values()
            .filter(|s| s.parent_id.as_deref() == Some(id))
            .map(|s| s.id.clone())
            .collect()
    }

    /// G2.
    pub fn create_scope_accesses(
        &mut self,
        scope_id: &str,
        accesses: Vec<ScopeAccess>,
        apply_to_sub_scopes: bool,
    ) -> Result<bool, OperationError> {
        let mut targets = vec![scope_id.to_owned()];
        self.scope_mut(scope_id)?;
        if apply_to_sub_scopes {
            let mut i = 0;
            while i < targets.len() {
                let kids = self.children(&targets[i]);
                targets.extend(kids);
                i += 1;
            }
        }
        for target in targets {
            let scope = self.scope_mut(&target)?;
            for access in &accesses {
                if !scope.accesses.contains(access) {
                    scope.accesses.push(access.clone());
                }
            }
        }
        Ok(true)
    }

    /// G3: scopes matching every `equals` filter, in creation order.
    pub fn paginated_scope(
        &self,
        filters: &[(String, Option<String>)],
        skip: usize,
        take: usize,
    ) -> (usize, Vec<&Scope>) {
        let matching: Vec<&Scope> = self
            .scopes
            .values()
            .filter(|scope| {
                filters.iter().all(|(field, wanted)| {
                    let actual = match field.as_str() {
                        "id" => Some(scope.id.as_str()),
                        "name" => Some(scope.name.as_str()),
                        "parentId" => scope.parent_id.as_deref(),
                        "externalId" => scope.external_id.as_deref(),
                        _ => None,
                    };
                    actual == wanted.as_deref()
                })
            })
            .collect();
        let total = matching.len();
        (total, matching.into_iter().skip(skip).take(take).collect())
    }

    /// G4: walks each path by name from the top, creating missing segments.
    pub fn generate_scopes_from_paths(
        &mut self,
        paths: &[String],
        inherit_access: bool,
    ) -> Result<Vec<String>, OperationError> {
        let mut result = Vec::new();
        for path in paths {
            let segments: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
            if !path.starts_with('/') || segments.is_empty() {
                return fail(format!("Invalid path: {path:?}"));
            }
            let mut parent: Option<String> = None;
            for segment in segments {
                let existing = self
                    .scopes
                    .values()
                    .find(|s| s.name == segment && s.parent_id == parent)
                    .map(|s| s.id.clone());
                let id = match existing {
                    Some(id) => id,
                    None => {
                        let seq = self.next_seq;
                        let id = format!("scope_{seq:06}");
                        let accesses = if inherit_access {
                            parent
                                .as_deref()
                                .and_then(|p| self.scope(p))
                                .map(|p| p.accesses.clone())
                                .unwrap_or_default()
                        } else {
                            Vec::new()
                        };
                        self.insert_scope(Scope {
                            id: id.clone(),
                            name: segment.to_owned(),
                            parent_id: parent.clone(),
                            external_id: None,
                            accesses,
                        });
                        id
                    }
                };
                parent = Some(id);
            }
            // `segments` is non-empty (checked above), so the walk set a parent.
            result.push(parent.unwrap_or_default());
        }
        Ok(result)
    }

    /// G5: sets `externalId` (null clears) and/or `name`.
    pub fn update_scope(
        &mut self,
        id: &str,
        external_id: Option<Option<String>>,
        name: Option<String>,
    ) -> Result<&Scope, OperationError> {
        let scope = self.scope_mut(id)?;
        if let Some(external_id) = external_id {
            scope.external_id = external_id;
        }
        if let Some(name) = name {
            scope.name = name;
        }
        Ok(scope)
    }

    fn delete_contents_owned_by(&mut self, scope_id: &str) -> usize {
        let seqs: Vec<u64> = self
            .contents
            .iter()
            .filter(|(_, c)| c.owner_id == scope_id)
            .map(|(s, _)| *s)
            .collect();
        for seq in &seqs {
            self.remove_content_seq(*seq);
        }
        seqs.len()
    }

    fn remove_content_seq(&mut self, seq: u64) -> Option<StoredContent> {
        let content = self.contents.remove(&seq)?;
        self.content_seq_by_id.remove(&content.id);
        self.content_seq_by_key.remove(&content.key);
        self.write_keys.remove(&content.write_key);
        Some(content)
    }

    /// G6: deletes a folder and its own files; recursive also deletes sub-folders.
    pub fn delete_folder(
        &mut self,
        id: &str,
        recursive: bool,
    ) -> Result<FolderDeletion, OperationError> {
        let scope = self
            .scope(id)
            .ok_or_else(|| OperationError(format!("Scope not found: {id}")))?;
        let mut outcome = FolderDeletion::default();
        let kids = self.children(id);
        if !kids.is_empty() && !recursive {
            outcome.failed.push((
                scope.id.clone(),
                scope.name.clone(),
                "Folder has sub-folders; delete them first or use recursive".to_owned(),
                self.scope_path(id),
            ));
            return Ok(outcome);
        }
        // Children first, so paths are computed while parents still exist.
        let mut order = vec![id.to_owned()];
        let mut i = 0;
        while i < order.len() {
            let more = self.children(&order[i]);
            order.extend(more);
            i += 1;
        }
        let paths: Vec<(String, String, String)> = order
            .iter()
            .filter_map(|sid| {
                self.scope(sid)
                    .map(|s| (s.id.clone(), s.name.clone(), self.scope_path(sid)))
            })
            .collect();
        for (sid, _, _) in paths.iter().rev() {
            self.delete_contents_owned_by(sid);
            if let Some(seq) = self.scope_seq.remove(sid) {
                self.scopes.remove(&seq);
            }
        }
        outcome.succeeded = paths;
        Ok(outcome)
    }

    /// G7: moves scopes under a new parent. Returns the number of files below the moved scopes.
    pub fn bulk_move(
        &mut self,
        scope_ids: &[String],
        target: &str,
    ) -> Result<usize, OperationError> {
        if self.scope(target).is_none() {
            return fail(format!("Target scope not found: {target}"));
        }
        let mut target_chain = HashSet::new();
        let mut current = Some(target.to_owned());
        while let Some(c) = current {
            if !target_chain.insert(c.clone()) {
                break;
            }
            current = self.scope(&c).and_then(|s| s.parent_id.clone());
        }
        for id in scope_ids {
            if self.scope(id).is_none() {
                return fail(format!("Scope not found: {id}"));
            }
            if target_chain.contains(id) {
                return fail(format!(
                    "Cannot move scope {id} (it is the target or one of its ancestors)"
                ));
            }
        }
        let mut affected = 0;
        for id in scope_ids {
            self.scope_mut(id)?.parent_id = Some(target.to_owned());
            let mut subtree = vec![id.clone()];
            let mut i = 0;
            while i < subtree.len() {
                let more = self.children(&subtree[i]);
                subtree.extend(more);
                i += 1;
            }
            let set: HashSet<&String> = subtree.iter().collect();
            affected += self
                .contents
                .values()
                .filter(|c| set.contains(&c.owner_id))
                .count();
        }
        Ok(affected)
    }

    /// G8/G9/G10 filter.
    pub fn query_contents(
        &self,
        filter: &ContentFilter,
        skip: usize,
        take: usize,
    ) -> (usize, Vec<&StoredContent>) {
        let matching: Vec<&StoredContent> = self
            .contents
            .values()
            .filter(|c| filter.matches(c))
            .collect();
        let total = matching.len();
        (total, matching.into_iter().skip(skip).take(take).collect())
    }

    /// G11: deletes the ids that exist, returning them.
    pub fn delete_contents(&mut self, ids: &[String]) -> Vec<String> {
        let mut deleted = Vec::new();
        for id in ids {
            if let Some(seq) = self.content_seq_by_id.get(id).copied()
                && self.remove_content_seq(seq).is_some()
            {
                deleted.push(id.clone());
            }
        }
        deleted
    }

    /// G12 register: creates or updates the content with this key; returns its sequence.
    pub fn register_content(
        &mut self,
        registration: ContentRegistration,
    ) -> Result<&StoredContent, OperationError> {
        if self.scope(&registration.scope_id).is_none() {
            return fail(format!("Scope not found: {}", registration.scope_id));
        }
        let seq = match self.content_seq_by_key.get(&registration.key) {
            Some(seq) => *seq,
            None => {
                let seq = self.take_seq();
                let id = format!("cont_{seq:06}");
                self.content_seq_by_id.insert(id.clone(), seq);
                self.content_seq_by_key
                    .insert(registration.key.clone(), seq);
                self.contents.insert(
                    seq,
                    StoredContent {
                        id,
                        key: registration.key.clone(),
                        title: String::new(),
                        mime_type: String::new(),
                        byte_size: 0,
                        owner_id: String::new(),
                        url: None,
                        metadata: Value::Null,
                        ingestion_config: None,
                        source_kind: None,
                        source_name: None,
                        base_url: None,
                        store_internally: true,
                        created_at: now_iso(),
                        internally_stored_at: None,
                        source_updated_at: None,
                        write_key: String::new(),
                        upload: None,
                        finalized: false,
                    },
                );
                seq
            }
        };
        let write_key = format!("sim+{seq}/{}==", self.next_seq);
        self.next_seq += 1;
        let content = self
            .contents
            .get_mut(&seq)
            .ok_or_else(|| OperationError("content vanished during registration".to_owned()))?;
        let old_write_key = std::mem::replace(&mut content.write_key, write_key.clone());
        content.title = registration.title;
        content.mime_type = registration.mime_type;
        content.byte_size = registration.byte_size;
        content.owner_id = registration.scope_id;
        content.url = registration.url;
        content.metadata = registration.metadata;
        content.ingestion_config = registration.ingestion_config;
        content.source_kind = registration.source_kind;
        content.source_name = registration.source_name;
        content.base_url = registration.base_url;
        content.store_internally = registration.store_internally;
        content.finalized = false;
        content.upload = None;
        self.write_keys.remove(&old_write_key);
        self.write_keys.insert(write_key, seq);
        self.contents
            .get(&seq)
            .ok_or_else(|| OperationError("content vanished during registration".to_owned()))
    }

    /// G12 finalize: the content must be registered; when `file_url` is one of our read URLs,
    /// its bytes must have been uploaded.
    pub fn finalize_content(
        &mut self,
        key: &str,
        needs_upload: bool,
    ) -> Result<&StoredContent, OperationError> {
        let seq = *self
            .content_seq_by_key
            .get(key)
            .ok_or_else(|| OperationError(format!("Content with key {key} is not registered")))?;
        let pending = self.pending_updated_at.remove(key);
        let content = self
            .contents
            .get_mut(&seq)
            .ok_or_else(|| OperationError(format!("Content with key {key} is not registered")))?;
        if needs_upload && content.upload.is_none() {
            if let Some(p) = pending {
                self.pending_updated_at.insert(key.to_owned(), p);
            }
            return fail(format!("No file was uploaded for content {key}"));
        }
        content.finalized = true;
        if content.store_internally {
            content.internally_stored_at = Some(now_iso());
        }
        if pending.is_some() {
            content.source_updated_at = pending;
        }
        Ok(content)
    }

    pub fn content_for_write_key(&self, write_key: &str) -> Option<&StoredContent> {
        self.contents.get(self.write_keys.get(write_key)?)
    }

    pub fn content_by_id(&self, id: &str) -> Option<&StoredContent> {
        self.contents.get(self.content_seq_by_id.get(id)?)
    }

    /// Records the bytes of an upload.
    pub fn record_upload(
        &mut self,
        write_key: &str,
        upload: StoredUpload,
    ) -> Option<&StoredContent> {
        let seq = *self.write_keys.get(write_key)?;
        let content = self.contents.get_mut(&seq)?;
        content.upload = Some(upload);
        Some(content)
    }

    /// U1: new = unknown key; updated = known key with another `updatedAt` (or none recorded);
    /// moved = unknown here but stored under another partial key with the same relative key
    /// (also listed as new, so it is ingested in its new place); deleted = stored under the
    /// partial key and not submitted (sorted).
    pub fn file_diff(&mut self, partial_key: &str, items: &[FileDiffItem]) -> FileDiffResult {
        let prefix = format!("{partial_key}/");
        let mut result = FileDiffResult::default();
        let submitted: HashSet<&str> = items.iter().map(|i| i.key.as_str()).collect();
        let mut relative_elsewhere: HashSet<String> = HashSet::new();
        for content in self.contents.values() {
            if !content.key.starts_with(&prefix)
                && let Some((_, relative)) = content.key.rsplit_once('/')
            {
                relative_elsewhere.insert(relative.to_owned());
            }
        }
        for item in items {
            let full_key = format!("{prefix}{}", item.key);
            match self.content_by_key(&full_key) {
                None => {
                    result.new_files.push(item.key.clone());
                    if relative_elsewhere.contains(&item.key) {
                        result.moved_files.push(item.key.clone());
                    }
                    self.pending_updated_at
                        .insert(full_key, item.updated_at.clone());
                }
                Some(stored) => {
                    let unchanged = stored.finalized
                        && stored.source_updated_at.as_deref() == Some(item.updated_at.as_str());
                    if !unchanged {
                        result.updated_files.push(item.key.clone());
                        self.pending_updated_at
                            .insert(full_key, item.updated_at.clone());
                    }
                }
            }
        }
        for content in self.contents.values() {
            if let Some(relative) = content.key.strip_prefix(&prefix)
                && !submitted.contains(relative)
            {
                result.deleted_files.push(relative.to_owned());
            }
        }
        result.deleted_files.sort();
        result
    }
}

/// What G12 registration carries.
#[derive(Clone, Debug)]
pub struct ContentRegistration {
    pub key: String,
    pub title: String,
    pub mime_type: String,
    pub byte_size: u64,
    pub scope_id: String,
    pub url: Option<String>,
    pub metadata: Value,
    pub ingestion_config: Option<Value>,
    pub source_kind: Option<String>,
    pub source_name: Option<String>,
    pub base_url: Option<String>,
    pub store_internally: bool,
}

/// `ContentWhereInput` subset: every present condition must hold.
#[derive(Clone, Debug, Default)]
pub struct ContentFilter {
    pub key_in: Option<Vec<String>>,
    pub key_equals: Option<String>,
    pub key_starts_with: Option<String>,
    pub owner_id: Option<String>,
    pub owner_type: Option<String>,
}

impl ContentFilter {
    fn matches(&self, content: &StoredContent) -> bool {
        self.key_in
            .as_ref()
            .is_none_or(|keys| keys.contains(&content.key))
            && self.key_equals.as_ref().is_none_or(|k| &content.key == k)
            && self
                .key_starts_with
                .as_ref()
                .is_none_or(|p| content.key.starts_with(p.as_str()))
            && self
                .owner_id
                .as_ref()
                .is_none_or(|o| &content.owner_id == o)
            && self.owner_type.as_ref().is_none_or(|t| t == "SCOPE")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::ScopeSeed;

    fn store() -> UniqueStore {
        UniqueStore::from_seed(&UniqueSeed {
            scopes: vec![
                ScopeSeed {
                    id: "kb".into(),
                    name: "KB".into(),
                    parent_id: None,
                    external_id: None,
                },
                ScopeSeed {
                    id: "root".into(),
                    name: "Confluence".into(),
                    parent_id: Some("kb".into()),
                    external_id: None,
                },
            ],
            ..UniqueSeed::default()
        })
    }

    fn register(store: &mut UniqueStore, key: &str, scope: &str) {
        store
            .register_content(ContentRegistration {
                key: key.to_owned(),
                title: "t".into(),
                mime_type: "text/html".into(),
                byte_size: 3,
                scope_id: scope.to_owned(),
                url: None,
                metadata: Value::Null,
                ingestion_config: None,
                source_kind: None,
                source_name: None,
                base_url: None,
                store_internally: true,
            })
            .expect("registers");
    }

    fn item(key: &str, at: &str) -> FileDiffItem {
        FileDiffItem {
            key: key.into(),
            url: "u".into(),
            updated_at: at.into(),
        }
    }

    #[test]
    fn paths_create_missing_segments_once() {
        let mut s = store();
        let ids = s
            .generate_scopes_from_paths(
                &["/KB/Confluence/ENG".into(), "/KB/Confluence/ENG".into()],
                true,
            )
            .expect("paths");
        assert_eq!(ids[0], ids[1]);
        let eng = s.scope(&ids[0]).expect("scope");
        assert_eq!(eng.parent_id.as_deref(), Some("root"));
        assert_eq!(s.scope_path(&ids[0]), "/KB/Confluence/ENG");
    }

    #[test]
    fn file_diff_reports_new_then_unchanged_then_updated_and_deleted() {
        let mut s = store();
        let first = s.file_diff("acme/1_ENG", &[item("100", "t1"), item("100::att1", "t1")]);
        assert_eq!(first.new_files, vec!["100", "100::att1"]);
        register(&mut s, "acme/1_ENG/100", "root");
        s.finalize_content("acme/1_ENG/100", false)
            .expect("finalize");
        let second = s.file_diff("acme/1_ENG", &[item("100", "t1")]);
        assert!(
            second.new_files.is_empty() && second.updated_files.is_empty(),
            "{second:?}"
        );
        let third = s.file_diff("acme/1_ENG", &[item("100", "t2")]);
        assert_eq!(third.updated_files, vec!["100"]);
        let fourth = s.file_diff("acme/1_ENG", &[]);
        assert_eq!(fourth.deleted_files, vec!["100"]);
        let other_space = s.file_diff("acme/2_OPS", &[item("100", "t1")]);
        assert_eq!(other_space.moved_files, vec!["100"]);
        assert_eq!(other_space.new_files, vec!["100"]);
    }

    #[test]
    fn non_recursive_folder_delete_fails_with_children_and_recursive_cascades() {
        let mut s = store();
        let ids = s
            .generate_scopes_from_paths(&["/KB/Confluence/ENG".into()], false)
            .expect("paths");
        register(&mut s, "k/1", &ids[0]);
        let refused = s.delete_folder("root", false).expect("answer");
        assert_eq!(refused.failed.len(), 1);
        let done = s.delete_folder("root", true).expect("answer");
        assert_eq!(done.succeeded.len(), 2);
        assert!(s.scope(&ids[0]).is_none());
        assert_eq!(s.contents().count(), 0);
        assert!(s.scope("kb").is_some());
    }
}
