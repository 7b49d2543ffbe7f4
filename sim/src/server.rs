//! Starting the simulators: binds every listener, builds the shared state from a scenario, and
//! returns the [`Sim`] handle with the URLs, the request log, faults, state dump and mutations.

use std::collections::{BTreeMap, HashMap};
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::{Arc, Mutex};

use axum::Router;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use tokio::net::TcpListener;
use tokio::task::JoinHandle;

use crate::admin;
use crate::confluence::cloud::{self, CloudGateway};
use crate::confluence::model::{ConfluenceModel, ModelError};
use crate::confluence::mutation::ConfluenceMutation;
use crate::confluence::{ConfluenceInstance, Flavor, InstanceUrls, data_center};
use crate::documents::{self, DocumentStore};
use crate::dump::{StateDump, dump_confluence, dump_unique};
use crate::faults::{FaultRule, FaultSet};
use crate::http_layer::{Observer, observed};
use crate::lock;
use crate::rate_limit::RateLimiter;
use crate::request_log::{RequestLog, RequestLogSnapshot};
use crate::scenario::{Scenario, ScenarioError};
use crate::unique::http::{INGESTION_PREFIX, SCOPE_MANAGEMENT_PREFIX, ZITADEL_TOKEN_PATH};
use crate::unique::{UniqueService, UniqueUrls, blob};

#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error("cannot bind the {listener} listener on {addr}")]
    Bind {
        listener: String,
        addr: SocketAddr,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot read the address of the {listener} listener")]
    LocalAddr {
        listener: String,
        #[source]
        source: std::io::Error,
    },
    #[error(transparent)]
    Scenario(#[from] ScenarioError),
    #[error("scenario content of {instance} is invalid")]
    Model {
        instance: String,
        #[source]
        source: ModelError,
    },
}

#[derive(Debug, thiserror::Error)]
pub enum MutationError {
    #[error("no Confluence instance named {0} (use the cloudId or the data-center name)")]
    UnknownInstance(String),
    #[error("mutation of {instance} failed")]
    Model {
        instance: String,
        #[source]
        source: ModelError,
    },
}

/// Where listeners bind and which host their URLs name.
#[derive(Clone, Debug)]
pub struct SimOptions {
    pub bind: IpAddr,
    /// Host written into URLs (e.g. `127.0.0.1` or a hostname reachable by the connector).
    pub advertise_host: String,
    /// First port of a consecutive range (cloud, media, unique, blob, admin, then one per DC
    /// instance); `None` binds every listener to port 0.
    pub first_port: Option<u16>,
}

impl Default for SimOptions {
    fn default() -> Self {
        SimOptions {
            bind: IpAddr::V4(Ipv4Addr::LOCALHOST),
            advertise_host: "127.0.0.1".to_owned(),
            first_port: None,
        }
    }
}

/// Every URL the simulators serve.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct SimUrls {
    /// Origin of the Cloud gateway (`api.atlassian.com` stand-in).
    pub cloud_gateway: String,
    /// Cloud token URL (T1), for `confluence.auth.tokenUrl`.
    pub cloud_token_url: String,
    /// Origin of the Cloud media listener that downloads redirect to.
    pub cloud_media_origin: String,
    /// Per `cloudId`.
    pub cloud_sites: BTreeMap<String, InstanceUrls>,
    /// Per data-center name.
    pub data_center: BTreeMap<String, InstanceUrls>,
    pub unique: UniqueUrls,
    /// Admin API origin (state dump, request log, faults, mutations).
    pub admin: String,
    /// Origin of the JSON document API, when the scenario has `documents`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub documents: Option<String>,
}

/// State shared by the handle and the admin listener.
#[derive(Debug)]
pub struct SimCore {
    pub cloud: Arc<CloudGateway>,
    pub data_center: BTreeMap<String, Arc<ConfluenceInstance>>,
    pub unique: Arc<UniqueService>,
    pub log: Arc<RequestLog>,
    pub faults: Arc<FaultSet>,
    pub urls: SimUrls,
}

impl SimCore {
    pub fn instance(&self, name: &str) -> Option<&Arc<ConfluenceInstance>> {
        self.cloud
            .sites
            .get(name)
            .or_else(|| self.data_center.get(name))
    }

    pub fn dump_state(&self) -> StateDump {
        let mut confluence: Vec<_> = self
            .cloud
            .sites
            .values()
            .map(|s| dump_confluence(s))
            .collect();
        confluence.sort_by(|a, b| a.name.cmp(&b.name));
        confluence.extend(self.data_center.values().map(|d| dump_confluence(d)));
        StateDump {
            confluence,
            unique: dump_unique(&self.unique),
        }
    }

    pub fn mutate(
        &self,
        instance: &str,
        mutation: &ConfluenceMutation,
    ) -> Result<(), MutationError> {
        let target = self
            .instance(instance)
            .ok_or_else(|| MutationError::UnknownInstance(instance.to_owned()))?;
        let mut model = lock(&target.model);
        mutation
            .apply(&mut model)
            .map_err(|source| MutationError::Model {
                instance: instance.to_owned(),
                source,
            })
    }

    /// Makes every issued token (Cloud, DC, Zitadel) expired.
    pub fn expire_tokens(&self) {
        for site in self.cloud.sites.values() {
            site.tokens.expire_all();
        }
        for dc in self.data_center.values() {
            dc.tokens.expire_all();
        }
        self.unique.zitadel_tokens.expire_all();
    }
}

/// The running simulators. Dropping the handle stops the listeners.
#[derive(Debug)]
pub struct Sim {
    core: Arc<SimCore>,
    tasks: Vec<JoinHandle<()>>,
}

impl Drop for Sim {
    fn drop(&mut self) {
        for task in &self.tasks {
            task.abort();
        }
    }
}

struct Binder {
    options: SimOptions,
    next_port: Option<u16>,
}

impl Binder {
    async fn bind(&mut self, listener: &str) -> Result<(TcpListener, String), StartError> {
        let port = match self.next_port.as_mut() {
            Some(p) => {
                let current = *p;
                *p += 1;
                current
            }
            None => 0,
        };
        let addr = SocketAddr::new(self.options.bind, port);
        let bound = TcpListener::bind(addr)
            .await
            .map_err(|source| StartError::Bind {
                listener: listener.to_owned(),
                addr,
                source,
            })?;
        let local = bound.local_addr().map_err(|source| StartError::LocalAddr {
            listener: listener.to_owned(),
            source,
        })?;
        let origin = format!("http://{}:{}", self.options.advertise_host, local.port());
        Ok((bound, origin))
    }
}

fn random_secret() -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or_default();
    let mut hasher = Sha256::new();
    hasher.update(format!("media:{nanos}:{}", std::process::id()));
    hex::encode(hasher.finalize())
}

fn spawn_server(listener: TcpListener, router: Router) -> JoinHandle<()> {
    tokio::spawn(async move {
        if let Err(error) = axum::serve(listener, router).await {
            tracing::error!(%error, "simulator listener stopped");
        }
    })
}

impl Sim {
    /// Starts every simulator on `127.0.0.1:0` listeners.
    pub async fn start(scenario: Scenario) -> Result<Sim, StartError> {
        Sim::start_with(scenario, SimOptions::default()).await
    }

    pub async fn start_with(scenario: Scenario, options: SimOptions) -> Result<Sim, StartError> {
        scenario.validate()?;
        let mut binder = Binder {
            next_port: options.first_port,
            options,
        };
        let (cloud_listener, cloud_origin) = binder.bind("cloud gateway").await?;
        let (media_listener, media_origin) = binder.bind("cloud media").await?;
        let (unique_listener, unique_origin) = binder.bind("unique").await?;
        let (blob_listener, blob_origin) = binder.bind("blob").await?;
        let (admin_listener, admin_origin) = binder.bind("admin").await?;
        let mut dc_listeners = Vec::new();
        for dc in &scenario.data_center {
            let (listener, origin) = binder.bind(&format!("data center {}", dc.name)).await?;
            dc_listeners.push((listener, origin));
        }

        // Bound after the others so the ports of `--first-port` stay where they were.
        let documents_listener = match &scenario.documents {
            Some(_) => Some(binder.bind("documents").await?),
            None => None,
        };

        let log = Arc::new(RequestLog::default());
        let faults = Arc::new(FaultSet::new(&scenario.faults));
        let observer = |service: &str| Observer {
            service: service.to_owned(),
            log: log.clone(),
            faults: faults.clone(),
        };

        let mut sites = HashMap::new();
        let mut cloud_urls = BTreeMap::new();
        for site in &scenario.cloud {
            let site_base = format!("{cloud_origin}/site/{}", site.cloud_id);
            let urls = InstanceUrls {
                api_base: format!("{cloud_origin}/ex/confluence/{}", site.cloud_id),
                links_base: format!("{site_base}/wiki"),
                site_base,
                token_url: format!("{cloud_origin}/oauth/token"),
                links_context: "/wiki".to_owned(),
            };
            let model =
                ConfluenceModel::from_spaces(&site.spaces).map_err(|source| StartError::Model {
                    instance: site.cloud_id.clone(),
                    source,
                })?;
            cloud_urls.insert(site.cloud_id.clone(), urls.clone());
            sites.insert(
                site.cloud_id.clone(),
                Arc::new(ConfluenceInstance {
                    flavor: Flavor::Cloud,
                    name: site.cloud_id.clone(),
                    instance_id: site.cloud_id.clone(),
                    limits: site.limits,
                    model: Mutex::new(model),
                    tokens: Default::default(),
                    oauth_clients: site.oauth_clients.clone(),
                    personal_access_tokens: Vec::new(),
                    basic_users: Vec::new(),
                    token_ttl_secs: site.token_ttl_secs,
                    rate_limiter: site.rate_limit.map(RateLimiter::new),
                    urls,
                }),
            );
        }
        let gateway = Arc::new(CloudGateway {
            sites,
            media_origin: media_origin.clone(),
            media_secret: random_secret(),
        });

        let mut data_center = BTreeMap::new();
        let mut dc_urls = BTreeMap::new();
        let mut tasks = Vec::new();
        for (dc, (listener, origin)) in scenario.data_center.iter().zip(dc_listeners) {
            let base = format!("{origin}{}", dc.context_path);
            let urls = InstanceUrls {
                api_base: base.clone(),
                site_base: base.clone(),
                token_url: format!("{base}/rest/oauth2/latest/token"),
                links_base: base.clone(),
                links_context: dc.context_path.clone(),
            };
            let model =
                ConfluenceModel::from_spaces(&dc.spaces).map_err(|source| StartError::Model {
                    instance: dc.name.clone(),
                    source,
                })?;
            let instance = Arc::new(ConfluenceInstance {
                flavor: Flavor::DataCenter,
                name: dc.name.clone(),
                instance_id: dc.instance_id.clone(),
                limits: dc.limits,
                model: Mutex::new(model),
                tokens: Default::default(),
                oauth_clients: dc.oauth_clients.clone(),
                personal_access_tokens: dc.personal_access_tokens.clone(),
                basic_users: dc.basic_users.clone(),
                token_ttl_secs: dc.token_ttl_secs,
                rate_limiter: dc.rate_limit.map(RateLimiter::new),
                urls: urls.clone(),
            });
            let router = observed(
                data_center::router(instance.clone(), &dc.context_path),
                observer(&format!("dc:{}", dc.name)),
            );
            tasks.push(spawn_server(listener, router));
            dc_urls.insert(dc.name.clone(), urls);
            data_center.insert(dc.name.clone(), instance);
        }

        let unique_urls = UniqueUrls {
            ingestion_base: format!("{unique_origin}{INGESTION_PREFIX}"),
            scope_management_base: format!("{unique_origin}{SCOPE_MANAGEMENT_PREFIX}"),
            zitadel_token_url: format!("{unique_origin}{ZITADEL_TOKEN_PATH}"),
            blob_origin: blob_origin.clone(),
        };
        let unique = Arc::new(UniqueService::new(
            &scenario.unique,
            unique_urls.clone(),
            faults.clone(),
        ));

        let urls = SimUrls {
            cloud_token_url: format!("{cloud_origin}/oauth/token"),
            cloud_gateway: cloud_origin,
            cloud_media_origin: media_origin,
            cloud_sites: cloud_urls,
            data_center: dc_urls,
            unique: unique_urls,
            admin: admin_origin,
            documents: documents_listener
                .as_ref()
                .map(|(_, origin)| origin.clone()),
        };
        let core = Arc::new(SimCore {
            cloud: gateway.clone(),
            data_center,
            unique: unique.clone(),
            log: log.clone(),
            faults: faults.clone(),
            urls,
        });

        tasks.push(spawn_server(
            cloud_listener,
            observed(cloud::gateway_router(gateway.clone()), observer("cloud")),
        ));
        tasks.push(spawn_server(
            media_listener,
            observed(cloud::media_router(gateway), observer("media")),
        ));
        tasks.push(spawn_server(
            unique_listener,
            observed(
                crate::unique::http::router(unique.clone()),
                observer("unique"),
            ),
        ));
        tasks.push(spawn_server(
            blob_listener,
            observed(blob::router(unique), observer("blob")),
        ));
        tasks.push(spawn_server(admin_listener, admin::router(core.clone())));
        if let (Some((listener, origin)), Some(seed)) = (documents_listener, &scenario.documents) {
            let store = Arc::new(DocumentStore::new(seed.clone(), origin));
            tasks.push(spawn_server(
                listener,
                observed(documents::router(store), observer("documents")),
            ));
        }
        Ok(Sim { core, tasks })
    }

    pub fn urls(&self) -> &SimUrls {
        &self.core.urls
    }

    /// Origin of the JSON document API (`source.config.baseUrl` of the example plugin), when
    /// the scenario has `documents`.
    pub fn documents_base(&self) -> Option<&str> {
        self.core.urls.documents.as_deref()
    }

    /// `confluence.apiBaseUrl` of a Cloud site: `http://127.0.0.1:P/ex/confluence/{cloudId}`.
    pub fn cloud_api_base(&self, cloud_id: &str) -> Option<&str> {
        self.core
            .urls
            .cloud_sites
            .get(cloud_id)
            .map(|u| u.api_base.as_str())
    }

    /// `confluence.baseUrl` of a Cloud site (web links, health ping).
    pub fn cloud_site_base(&self, cloud_id: &str) -> Option<&str> {
        self.core
            .urls
            .cloud_sites
            .get(cloud_id)
            .map(|u| u.site_base.as_str())
    }

    /// `confluence.auth.tokenUrl` for Cloud (shared by every site).
    pub fn cloud_token_url(&self) -> &str {
        &self.core.urls.cloud_token_url
    }

    pub fn cloud_media_origin(&self) -> &str {
        &self.core.urls.cloud_media_origin
    }

    /// `confluence.baseUrl` of a Data Center instance (includes the context path).
    pub fn dc_base_url(&self, name: &str) -> Option<&str> {
        self.core
            .urls
            .data_center
            .get(name)
            .map(|u| u.api_base.as_str())
    }

    pub fn dc_token_url(&self, name: &str) -> Option<&str> {
        self.core
            .urls
            .data_center
            .get(name)
            .map(|u| u.token_url.as_str())
    }

    pub fn unique_ingestion_base(&self) -> &str {
        &self.core.urls.unique.ingestion_base
    }

    pub fn unique_scope_management_base(&self) -> &str {
        &self.core.urls.unique.scope_management_base
    }

    pub fn zitadel_token_url(&self) -> &str {
        &self.core.urls.unique.zitadel_token_url
    }

    pub fn blob_origin(&self) -> &str {
        &self.core.urls.unique.blob_origin
    }

    pub fn admin_url(&self) -> &str {
        &self.core.urls.admin
    }

    pub fn request_log(&self) -> RequestLogSnapshot {
        self.core.log.snapshot()
    }

    /// Requests per endpoint (`{service} {METHOD} {route}[ {operation}]`), without the entries.
    pub fn request_counts(&self) -> BTreeMap<String, u64> {
        self.core.log.counts()
    }

    pub fn reset_request_log(&self) {
        self.core.log.reset();
    }

    pub fn set_fault(&self, rule: FaultRule) {
        self.core.faults.add(rule);
    }

    pub fn faults(&self) -> Vec<FaultRule> {
        self.core.faults.list()
    }

    pub fn clear_faults(&self) {
        self.core.faults.clear();
    }

    pub fn dump_state(&self) -> StateDump {
        self.core.dump_state()
    }

    /// Expires every issued Confluence and Zitadel token.
    pub fn expire_tokens(&self) {
        self.core.expire_tokens();
    }

    /// Applies a change to a Confluence instance (by `cloudId` or data-center name).
    pub fn mutate(
        &self,
        instance: &str,
        mutation: ConfluenceMutation,
    ) -> Result<(), MutationError> {
        self.core.mutate(instance, &mutation)
    }

    pub fn update_page_body(
        &self,
        instance: &str,
        id: &str,
        body: &str,
    ) -> Result<(), MutationError> {
        self.mutate(
            instance,
            ConfluenceMutation::UpdateBody {
                id: id.to_owned(),
                body: body.to_owned(),
            },
        )
    }

    pub fn add_label(&self, instance: &str, id: &str, label: &str) -> Result<(), MutationError> {
        self.mutate(
            instance,
            ConfluenceMutation::AddLabel {
                id: id.to_owned(),
                label: label.to_owned(),
            },
        )
    }

    pub fn remove_label(&self, instance: &str, id: &str, label: &str) -> Result<(), MutationError> {
        self.mutate(
            instance,
            ConfluenceMutation::RemoveLabel {
                id: id.to_owned(),
                label: label.to_owned(),
            },
        )
    }

    pub fn delete_content(&self, instance: &str, id: &str) -> Result<(), MutationError> {
        self.mutate(
            instance,
            ConfluenceMutation::DeleteContent { id: id.to_owned() },
        )
    }

    pub fn move_content(
        &self,
        instance: &str,
        id: &str,
        space_key: &str,
        parent_id: Option<&str>,
    ) -> Result<(), MutationError> {
        self.mutate(
            instance,
            ConfluenceMutation::MoveContent {
                id: id.to_owned(),
                space_key: space_key.to_owned(),
                parent_id: parent_id.map(str::to_owned),
            },
        )
    }

    pub fn put_attachment(
        &self,
        instance: &str,
        content_id: &str,
        attachment: crate::scenario::AttachmentSeed,
    ) -> Result<(), MutationError> {
        self.mutate(
            instance,
            ConfluenceMutation::PutAttachment {
                content_id: content_id.to_owned(),
                attachment,
            },
        )
    }

    pub fn delete_attachment(
        &self,
        instance: &str,
        content_id: &str,
        attachment_id: &str,
    ) -> Result<(), MutationError> {
        self.mutate(
            instance,
            ConfluenceMutation::DeleteAttachment {
                content_id: content_id.to_owned(),
                attachment_id: attachment_id.to_owned(),
            },
        )
    }

    /// sha256 (hex) and length of an attachment's current bytes, to compare with Unique.
    pub fn attachment_digest(&self, instance: &str, attachment_id: &str) -> Option<(u64, String)> {
        let target = self.core.instance(instance)?;
        let bytes = {
            let model = lock(&target.model);
            model
                .attachment(attachment_id)
                .map(|(_, a)| a.bytes.clone())?
        };
        Some((bytes.len(), bytes.sha256_hex()))
    }
}
