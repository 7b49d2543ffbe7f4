//! Configuration of the connector: tenant YAML files (operations §1) turned into checked
//! [`Tenant`] values, and the process's environment settings (operations §2).
//!
//! Start with [`load_tenants`] and [`ServiceSettings::from_env`]. Both take the environment as
//! a lookup function, so tests never touch the process environment. Every problem of every file
//! is reported at once, each naming the file, the key path and the rule.

mod cross_tenant;
mod diagnostics;
mod http_url;
mod loader;
mod names;
mod schedule;
mod schema;
mod secret_ref;
mod service_settings;
mod tenant;
mod yaml_reader;

pub use diagnostics::{ConfigError, ConfigErrors, ConfigNotice};
pub use http_url::{HttpUrl, HttpUrlError};
pub use loader::{
    LoadedTenants, find_tenant_files, glob_base_directory, load_tenant_files, load_tenants,
};
pub use names::{IDENTIFIER_RULE, IdentifierError, PluginId, TENANT_FILE_SUFFIX, TenantName};
pub use schedule::{CronSchedule, CronScheduleError, DEFAULT_SCAN_INTERVAL_CRON};
pub use schema::{
    DEFAULT_ALLOWED_MIME_TYPES, DEFAULT_MAX_FILE_SIZE_MB, DEFAULT_PLUGIN_RATE_LIMIT_PER_MINUTE,
    DEFAULT_UNIQUE_RATE_LIMIT_PER_MINUTE,
};
pub use secret_ref::ENV_REFERENCE_PREFIX;
pub use service_settings::{
    DiagnosticsDataPolicy, HealthSettings, LogLevel, MetricsExporter, MetricsSettings,
    ServiceSettings, ServiceSettingsError, ServiceSettingsErrors, ShardAssignment,
};
pub use tenant::{
    AttachmentSettings, ConfluenceInstance, ConfluenceSource, ImageInlining, IngestionSettings,
    KeyFormat, PluginSource, ProcessingSettings, SourceAuth, SourceConfig, Tenant, TenantStatus,
    UniqueAuth, UniqueConfig,
};
