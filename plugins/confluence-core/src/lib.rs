//! Confluence Cloud and Data Center logic shared by the `confluence-cloud` and
//! `confluence-data-center` source plugins, written sans-IO: this crate builds requests
//! ([`request::HttpGet`]) and reads answers ([`request::HttpResponse`]), and the plugin sends
//! them through the host's HTTP import. So every rule is testable natively with canned answers.
//!
//! Start with [`config::Settings`], then [`discovery::Discovery`], [`content::PageFetch`] and
//! [`identity::identify`]. The README shows the driving loops.

#![deny(missing_docs)]

pub mod answer;
pub mod attachment_list;
pub mod config;
pub mod content;
pub mod cql;
pub mod discovery;
pub mod encoding;
pub mod identity;
pub mod inline;
pub mod model;
pub mod notice;
pub mod request;
pub mod selection;
pub mod timestamp;
pub mod urls;

#[cfg(test)]
mod test_support;
