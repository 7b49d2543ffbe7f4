//! Rules across tenant files (operations §1.6), checked once every file is read: one active
//! tenant per Confluence instance, and no deleted tenant whose cleanup would hit an active
//! tenant's root scope.

use std::collections::HashMap;
use std::path::Path;

use super::diagnostics::ConfigError;
use super::tenant::{Tenant, TenantStatus};

/// Problems between tenants, in file order.
pub(super) fn check_across_tenants(tenants: &[Tenant]) -> Vec<ConfigError> {
    let mut errors = Vec::new();
    let mut instances: HashMap<String, &Path> = HashMap::new();
    let mut active_scopes: HashMap<&str, &Path> = HashMap::new();
    for tenant in tenants.iter().filter(|t| t.status == TenantStatus::Active) {
        active_scopes
            .entry(tenant.ingestion.scope_id.as_str())
            .or_insert(&tenant.file);
        let Some(instance) = tenant.confluence_instance_key() else {
            continue;
        };
        if let Some(first) = instances.get(&instance) {
            errors.push(ConfigError::DuplicateInstance {
                instance,
                first: first.to_path_buf(),
                second: tenant.file.clone(),
            });
        } else {
            instances.insert(instance, &tenant.file);
        }
    }
    for deleted in tenants.iter().filter(|t| t.status == TenantStatus::Deleted) {
        if let Some(active) = active_scopes.get(deleted.ingestion.scope_id.as_str()) {
            errors.push(ConfigError::DeletedTenantSharesScope {
                scope_id: deleted.ingestion.scope_id.clone(),
                deleted: deleted.file.clone(),
                active: active.to_path_buf(),
            });
        }
    }
    errors
}

/// Whether at least one tenant will run (sync or cleanup).
pub(super) fn has_runnable_tenant(statuses: &[TenantStatus]) -> bool {
    statuses
        .iter()
        .any(|status| matches!(status, TenantStatus::Active | TenantStatus::Deleted))
}
