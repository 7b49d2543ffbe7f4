//! The `connectivity` check (operations §6.2): can the pod reach Confluence? An unauthenticated
//! `GET https://api.atlassian.com/` when any active tenant is Cloud, and `GET {baseUrl}/` once per
//! distinct base URL of the active tenants. Any HTTP answer counts as reachable. Pings go through
//! the proxy, like all Confluence traffic.

use std::collections::BTreeMap;
use std::time::Duration;

use futures::future::join_all;
use reqwest::Client;
use serde_json::{Value as Json, json};
use url::Url;

use super::CheckOutcome;
use super::ping::{self, PingFailure};
use super::targets::{ConfluenceKind, HealthTenant};
use crate::config::TenantStatus;

pub(super) async fn check(
    tenants: &[HealthTenant],
    client: &Client,
    atlassian_url: &Url,
    timeout: Duration,
) -> CheckOutcome {
    let active: Vec<_> = tenants
        .iter()
        .filter(|tenant| tenant.status == TenantStatus::Active)
        .filter_map(|tenant| tenant.confluence.as_ref().map(|target| (tenant, target)))
        .collect();
    let any_cloud = active
        .iter()
        .any(|(_, target)| target.kind == ConfluenceKind::Cloud);
    let mut distinct_urls: Vec<String> = active
        .iter()
        .map(|(_, target)| root_url(&target.base_url))
        .collect();
    distinct_urls.sort();
    distinct_urls.dedup();

    let atlassian_ping = async {
        if any_cloud {
            Some(reachable(client, atlassian_url.as_str(), timeout).await)
        } else {
            None
        }
    };
    let base_url_pings = join_all(
        distinct_urls
            .iter()
            .map(|url| async move { (url.clone(), reachable(client, url, timeout).await) }),
    );
    let (atlassian, by_url) = tokio::join!(atlassian_ping, base_url_pings);
    let by_url: BTreeMap<String, Result<(), PingFailure>> = by_url.into_iter().collect();

    let mut up = true;
    let mut body = json!({});
    if let Some(atlassian) = atlassian {
        body["atlassian"] = json!(if atlassian.is_ok() { "up" } else { "down" });
        if let Err(failure) = atlassian {
            up = false;
            body["atlassianError"] = json!(failure.code());
        }
    }
    let confluence: Vec<Json> = active
        .iter()
        .map(|(tenant, target)| {
            // Every active base URL was pinged above.
            let result = by_url
                .get(&root_url(&target.base_url))
                .cloned()
                .unwrap_or(Err(PingFailure::Unknown));
            up &= result.is_ok();
            ping::tenant_entry(tenant, result)
        })
        .collect();
    body["confluence"] = Json::Array(confluence);
    body["status"] = json!(if up { "up" } else { "down" });
    CheckOutcome { up, body }
}

/// `{baseUrl}/`.
fn root_url(base_url: &str) -> String {
    format!("{}/", base_url.trim_end_matches('/'))
}

async fn reachable(client: &Client, url: &str, timeout: Duration) -> Result<(), PingFailure> {
    ping::within(timeout, async {
        let request = client.get(url).build().map_err(|_| PingFailure::Unknown)?;
        ping::send(client, request, timeout).await
    })
    .await
    .map(drop)
}
