//! The Unique platform simulator: ingestion GraphQL, scope-management GraphQL, the REST file
//! diff, uploads (blob listener and cluster-local `/scoped/upload`) and the Zitadel token
//! endpoint, all over one [`UniqueService`].

pub mod auth;
pub mod blob;
pub mod graphql;
pub mod http;
pub mod operations;
pub mod store;

use std::sync::{Arc, Mutex};

use serde::{Deserialize, Serialize};

use crate::faults::FaultSet;
use crate::scenario::{UniqueAuthMode, UniqueSeed, ZitadelClientSeed};
use crate::tokens::TokenStore;
use store::UniqueStore;

/// The URLs a tenant config points at.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct UniqueUrls {
    /// `unique.ingestionServiceBaseUrl` (with a path prefix, like production).
    pub ingestion_base: String,
    /// `unique.scopeManagementServiceBaseUrl`.
    pub scope_management_base: String,
    /// `unique.zitadelOauthTokenUrl`.
    pub zitadel_token_url: String,
    /// Origin of the blob listener that `writeUrl`s point at.
    pub blob_origin: String,
}

/// Shared state of every Unique listener.
#[derive(Debug)]
pub struct UniqueService {
    pub store: Mutex<UniqueStore>,
    pub company_id: String,
    pub auth_mode: UniqueAuthMode,
    pub zitadel_clients: Vec<ZitadelClientSeed>,
    pub zitadel_tokens: TokenStore,
    pub urls: UniqueUrls,
    pub faults: Arc<FaultSet>,
}

impl UniqueService {
    pub fn new(seed: &UniqueSeed, urls: UniqueUrls, faults: Arc<FaultSet>) -> Self {
        UniqueService {
            store: Mutex::new(UniqueStore::from_seed(seed)),
            company_id: seed.company_id.clone(),
            auth_mode: seed.auth_mode,
            zitadel_clients: seed.zitadel_clients.clone(),
            zitadel_tokens: TokenStore::default(),
            urls,
            faults,
        }
    }
}
