//! What one cycle or cleanup did: counts per item kind and result, deletions, duration and the
//! outcome, with the end-of-cycle log line operators rely on (operations §8).

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use crate::telemetry::Outcome;

/// Counters shared by the concurrent item tasks of one cycle.
#[derive(Debug, Default)]
pub struct Tally {
    pub pages_new: AtomicU64,
    pub pages_updated: AtomicU64,
    pub pages_failed: AtomicU64,
    pub pages_skipped: AtomicU64,
    pub attachments_new: AtomicU64,
    pub attachments_updated: AtomicU64,
    pub attachments_failed: AtomicU64,
    pub attachments_skipped: AtomicU64,
    pub deleted: AtomicU64,
    pub deletions_failed: AtomicU64,
    /// Diff-deleted items left alone because discovery was truncated.
    pub deletions_skipped: AtomicU64,
    pub orphan_scopes_deleted: AtomicU64,
    pub orphan_scopes_failed: AtomicU64,
    pub orphan_files_deleted: AtomicU64,
}

impl Tally {
    pub fn add(counter: &AtomicU64, by: u64) {
        counter.fetch_add(by, Ordering::Relaxed);
    }

    pub fn summary(&self) -> CycleSummary {
        let read = |counter: &AtomicU64| counter.load(Ordering::Relaxed);
        CycleSummary {
            pages_new: read(&self.pages_new),
            pages_updated: read(&self.pages_updated),
            pages_failed: read(&self.pages_failed),
            pages_skipped: read(&self.pages_skipped),
            attachments_new: read(&self.attachments_new),
            attachments_updated: read(&self.attachments_updated),
            attachments_failed: read(&self.attachments_failed),
            attachments_skipped: read(&self.attachments_skipped),
            deleted: read(&self.deleted),
            deletions_failed: read(&self.deletions_failed),
            deletions_skipped: read(&self.deletions_skipped),
            orphan_scopes_deleted: read(&self.orphan_scopes_deleted),
            orphan_scopes_failed: read(&self.orphan_scopes_failed),
            orphan_files_deleted: read(&self.orphan_files_deleted),
        }
    }
}

/// The counts of one cycle.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CycleSummary {
    pub pages_new: u64,
    pub pages_updated: u64,
    pub pages_failed: u64,
    pub pages_skipped: u64,
    pub attachments_new: u64,
    pub attachments_updated: u64,
    pub attachments_failed: u64,
    pub attachments_skipped: u64,
    /// Diff-deleted items deleted from Unique.
    pub deleted: u64,
    /// Diff-deleted items whose deletion failed (retried by the next cycle's diff).
    pub deletions_failed: u64,
    /// Diff-deleted items kept because discovery was truncated.
    pub deletions_skipped: u64,
    pub orphan_scopes_deleted: u64,
    pub orphan_scopes_failed: u64,
    pub orphan_files_deleted: u64,
}

/// The result of one cycle of an active tenant.
#[derive(Debug, Clone)]
pub struct CycleReport {
    pub tenant: String,
    pub summary: CycleSummary,
    pub duration: Duration,
    /// Items and spaces discovery found.
    pub discovered_pages: u64,
    pub discovered_attachments: u64,
    pub discovered_spaces: u64,
    /// Discovery stopped at `maxItemsToScan`: nothing was deleted.
    pub truncated: bool,
    /// `Ok` when every step ran; otherwise the abort reason as a sentence.
    pub result: Result<(), String>,
}

impl CycleReport {
    pub fn outcome(&self) -> Outcome {
        if self.result.is_ok() {
            Outcome::Success
        } else {
            Outcome::Failure
        }
    }

    /// The abort reason, if the cycle failed.
    pub fn failure(&self) -> Option<&str> {
        self.result.as_ref().err().map(String::as_str)
    }

    /// Writes the end-of-cycle line.
    pub fn log(&self) {
        let s = &self.summary;
        let duration_ms = self.duration.as_millis() as u64;
        match &self.result {
            Ok(()) => tracing::info!(
                tenantName = %self.tenant, result = "success", duration_ms,
                spaces = self.discovered_spaces, discovered_pages = self.discovered_pages,
                discovered_attachments = self.discovered_attachments, truncated = self.truncated,
                pages_new = s.pages_new, pages_updated = s.pages_updated, pages_failed = s.pages_failed,
                pages_skipped = s.pages_skipped, attachments_new = s.attachments_new,
                attachments_updated = s.attachments_updated, attachments_failed = s.attachments_failed,
                attachments_skipped = s.attachments_skipped, deleted = s.deleted,
                deletions_failed = s.deletions_failed, deletions_skipped = s.deletions_skipped,
                orphan_scopes_deleted = s.orphan_scopes_deleted, orphan_scopes_failed = s.orphan_scopes_failed,
                "sync cycle finished"
            ),
            Err(reason) => tracing::error!(
                tenantName = %self.tenant, result = "failure", duration_ms, reason = %reason,
                pages_new = s.pages_new, pages_updated = s.pages_updated, pages_failed = s.pages_failed,
                attachments_new = s.attachments_new, attachments_failed = s.attachments_failed,
                deleted = s.deleted,
                "sync cycle failed"
            ),
        }
    }
}

/// The result of one deleted-tenant cleanup.
#[derive(Debug, Clone)]
pub struct CleanupReport {
    pub tenant: String,
    pub duration: Duration,
    pub contents_deleted: u64,
    pub contents_failed: u64,
    pub scopes_deleted: u64,
    pub scopes_failed: u64,
    /// The root was already cleaned (or is gone): nothing was written.
    pub already_clean: bool,
    /// The root's mark was cleared: the tenant's deletion is complete.
    pub completed: bool,
    /// `Ok` when the cleanup ran to its end with zero failures.
    pub result: Result<(), String>,
}

impl CleanupReport {
    pub fn outcome(&self) -> Outcome {
        if self.result.is_ok() {
            Outcome::Success
        } else {
            Outcome::Failure
        }
    }

    /// Why the cleanup did not complete, if it did not.
    pub fn failure_reason(&self) -> Option<&str> {
        self.result.as_ref().err().map(String::as_str)
    }

    pub fn log(&self) {
        let duration_ms = self.duration.as_millis() as u64;
        match &self.result {
            Ok(()) => tracing::info!(
                tenantName = %self.tenant, result = "success", duration_ms,
                contents_deleted = self.contents_deleted, scopes_deleted = self.scopes_deleted,
                already_clean = self.already_clean, completed = self.completed,
                "deleted-tenant cleanup finished"
            ),
            Err(reason) => tracing::error!(
                tenantName = %self.tenant, result = "failure", duration_ms, reason = %reason,
                contents_deleted = self.contents_deleted, contents_failed = self.contents_failed,
                scopes_deleted = self.scopes_deleted, scopes_failed = self.scopes_failed,
                "deleted-tenant cleanup failed; the next run retries"
            ),
        }
    }
}
