//! The `uniqueApi` check (operations §6.2): a `{ __typename }` GraphQL query to the ingestion and
//! the scope-management service of every loaded tenant that is not inactive, with the tenant's
//! Unique headers. A 2xx is up. External-mode tenants go through the proxy, cluster-local ones
//! never do (operations §5).

use std::time::Duration;

use futures::future::join_all;
use reqwest::header::{CONTENT_TYPE, HeaderValue};
use serde_json::json;

use super::CheckOutcome;
use super::ping::{self, PingFailure};
use super::targets::HealthTenant;
use crate::config::TenantStatus;
use crate::http_client::HttpClients;

/// The cheapest query every GraphQL server answers.
const TYPENAME_QUERY: &str = r#"{"query":"{ __typename }"}"#;

#[derive(Clone, Copy)]
enum Service {
    Ingestion,
    ScopeManagement,
}

pub(super) async fn check(
    tenants: &[HealthTenant],
    clients: &HttpClients,
    timeout: Duration,
) -> CheckOutcome {
    let loaded: Vec<&HealthTenant> = tenants
        .iter()
        .filter(|tenant| tenant.status != TenantStatus::Inactive)
        .collect();
    let pings = |service| {
        join_all(loaded.iter().map(move |tenant| async move {
            let result = graphql_ping(tenant, service, clients, timeout).await;
            ping::tenant_entry(tenant, result)
        }))
    };
    let (ingestion, scope_management) =
        tokio::join!(pings(Service::Ingestion), pings(Service::ScopeManagement));

    let up = ingestion
        .iter()
        .chain(&scope_management)
        .all(|entry| entry["status"] == "up");
    CheckOutcome {
        up,
        body: json!({
            "status": if up { "up" } else { "down" },
            "ingestion": ingestion,
            "scopeManagement": scope_management,
        }),
    }
}

async fn graphql_ping(
    tenant: &HealthTenant,
    service: Service,
    clients: &HttpClients,
    timeout: Duration,
) -> Result<(), PingFailure> {
    let base_url = match service {
        Service::Ingestion => &tenant.unique.ingestion_base_url,
        Service::ScopeManagement => &tenant.unique.scope_management_base_url,
    };
    let url = format!("{}/graphql", base_url.trim_end_matches('/'));
    let auth = &tenant.unique.auth;
    let client = if auth.uses_proxy() {
        &clients.proxied
    } else {
        &clients.direct
    };
    let response = ping::within(timeout, async {
        let headers = auth.headers().await.map_err(|error| {
            tracing::debug!(
                tenantName = tenant.name.as_str(),
                error = &error as &dyn std::error::Error,
                "health: no Unique credentials"
            );
            PingFailure::AuthFailure
        })?;
        let mut request = client
            .post(&url)
            .header(CONTENT_TYPE, HeaderValue::from_static("application/json"))
            .body(TYPENAME_QUERY)
            .build()
            .map_err(|_| PingFailure::Unknown)?;
        // Set last, so the tenant's headers replace any default of the same name.
        for (name, value) in headers {
            request.headers_mut().insert(name, value);
        }
        ping::send(client, request, timeout).await
    })
    .await?;
    let status = response.status();
    if status.is_success() {
        Ok(())
    } else {
        Err(PingFailure::Status(status.as_u16()))
    }
}
