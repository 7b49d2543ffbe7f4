//! Checks a tenant against the plugin it names, without network access: the plugin exists,
//! supports the tenant's auth mode, its origin templates resolve for this tenant, and the plugin
//! accepts the tenant's settings (`session.open`, which makes no requests).

use crate::config::{Tenant, TenantStatus};
use crate::plugin_runtime::{PluginCatalog, PluginRuntime, TaskContext};

use crate::sync::session_settings;

/// Every problem of `tenant` with its plugin, each as a line naming the tenant's file.
pub async fn check_tenant(
    tenant: &Tenant,
    catalog: &PluginCatalog,
    runtime: &PluginRuntime,
) -> Vec<String> {
    if tenant.status == TenantStatus::Deleted {
        // A deleted tenant never calls its source.
        return Vec::new();
    }
    let file = tenant.file.display();
    let plugin_id = tenant.plugin_id().to_string();
    let Some(plugin) = catalog.get(&plugin_id) else {
        let known: Vec<&str> = catalog.iter().map(|(id, _)| id).collect();
        return vec![format!(
            "{file}: source plugin `{plugin_id}` is not installed (installed: {})",
            known.join(", ")
        )];
    };
    let mut problems = Vec::new();
    let auth_mode = tenant.source_auth().map_or("none", |auth| auth.mode_name());
    if !plugin.manifest.supports_auth(auth_mode) {
        problems.push(format!(
            "{file}: plugin {} does not support auth mode `{auth_mode}` (it supports: {})",
            plugin.label(),
            plugin.manifest.auth.join(", ")
        ));
    }
    if let Err(err) = plugin.manifest.allow_list(&tenant.template_context()) {
        problems.push(format!("{file}: {err}"));
    }
    match runtime
        .start_task(&plugin, TaskContext::offline(tenant.name.to_string()))
        .await
    {
        Ok(mut task) => {
            if let Err(err) = task.open(session_settings(tenant)).await {
                problems.push(format!("{file}: {err}"));
            }
        }
        Err(err) => problems.push(format!("{file}: {err}")),
    }
    problems
}
