//! Image inlining (sync-flow §7.2): image macros of a page body are replaced by `<img>` tags
//! with base64 data URLs, and the page's other images are appended.

pub mod plan;
pub mod scan;

pub use plan::{ImageDownload, InlinePlan, PageRef, ResolvedPlan, escape_attribute};

/// Most images of one page downloaded at a time.
pub const MAX_PARALLEL_IMAGE_DOWNLOADS: usize = 20;

#[cfg(test)]
mod tests;
