//! Process-wide settings from environment variables (operations §2): ports, logging, health
//! thresholds, the metrics endpoint, the tenant file glob, the proxy, extra CA certificates and
//! sharding. Every variable is read through a lookup function; all problems are reported
//! together, each naming the variable and the rule.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr};
use std::num::{NonZeroU32, NonZeroUsize};
use std::path::PathBuf;
use std::str::FromStr;
use std::time::Duration;

use tracing::level_filters::LevelFilter;

use super::names::TenantName;
use crate::http_client::{ProxyConfigError, ProxySettings};

/// One environment variable breaking its rule.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ServiceSettingsError {
    #[error("{variable}: is required")]
    Missing { variable: &'static str },
    #[error("{variable}: {rule}")]
    Invalid {
        variable: &'static str,
        rule: String,
    },
    /// The `PROXY_*` group does not describe a usable proxy. The message names the variable.
    #[error("{error}")]
    Proxy {
        variable: &'static str,
        error: ProxyConfigError,
    },
}

/// Every problem with the environment. Displays one line per problem.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServiceSettingsErrors(pub Vec<ServiceSettingsError>);

impl fmt::Display for ServiceSettingsErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (index, error) in self.0.iter().enumerate() {
            if index > 0 {
                f.write_str("\n")?;
            }
            write!(f, "{error}")?;
        }
        Ok(())
    }
}

impl std::error::Error for ServiceSettingsErrors {}

/// The process's settings.
#[derive(Clone, Debug, PartialEq)]
pub struct ServiceSettings {
    /// `TENANT_CONFIG_PATH_PATTERN` (required): glob of the tenant files.
    pub tenant_config_path_pattern: String,
    /// `PORT` (default 51349): the HTTP server (`/probe`, `/health`).
    pub port: u16,
    /// `LOG_LEVEL` (default `info`).
    pub log_level: LogLevel,
    /// `LOGS_DIAGNOSTICS_DATA_POLICY` (default `conceal`).
    pub diagnostics_data_policy: DiagnosticsDataPolicy,
    pub health: HealthSettings,
    pub metrics: MetricsSettings,
    /// The `PROXY_*` group (operations §5); no proxy when none of them is set.
    pub proxy: ProxySettings,
    /// `EXTRA_CA_CERTS`: a PEM bundle added to the system roots for outbound TLS.
    pub extra_ca_certs: Option<PathBuf>,
    /// `SHARD_INDEX` and `SHARD_COUNT`; `None` when this process owns every tenant.
    pub shard: Option<ShardAssignment>,
}

/// `LOG_LEVEL`. `fatal` maps to [`LogLevel::Error`] and `silent` to [`LogLevel::Off`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LogLevel {
    Off,
    Error,
    Warn,
    Info,
    Debug,
    Trace,
}

impl LogLevel {
    /// The matching `tracing` filter.
    pub fn level_filter(self) -> LevelFilter {
        match self {
            Self::Off => LevelFilter::OFF,
            Self::Error => LevelFilter::ERROR,
            Self::Warn => LevelFilter::WARN,
            Self::Info => LevelFilter::INFO,
            Self::Debug => LevelFilter::DEBUG,
            Self::Trace => LevelFilter::TRACE,
        }
    }
}

/// `LOGS_DIAGNOSTICS_DATA_POLICY`: whether identifiers (emails, user and space names and ids)
/// are masked in logs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DiagnosticsDataPolicy {
    Conceal,
    Disclose,
}

/// Settings of `GET /health`.
#[derive(Clone, Debug, PartialEq)]
pub struct HealthSettings {
    /// `HEALTH_SYNC_HISTORY_SIZE` (default 5): recent cycles kept per tenant.
    pub sync_history_size: NonZeroUsize,
    /// `HEALTH_SYNC_TENANT_FAILURE_THRESHOLD` (default 0.5, 0–1): a tenant fails when its
    /// failure ratio is strictly greater.
    pub tenant_failure_threshold: f64,
    /// `HEALTH_CONNECTIVITY_TIMEOUT_MS` (default 3000): timeout of each ping.
    pub connectivity_timeout: Duration,
}

/// The metrics endpoint.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MetricsSettings {
    /// `OTEL_METRICS_EXPORTER` (default `prometheus`).
    pub exporter: MetricsExporter,
    /// `OTEL_EXPORTER_PROMETHEUS_HOST` (default `0.0.0.0`).
    pub host: IpAddr,
    /// `OTEL_EXPORTER_PROMETHEUS_PORT` (default 51350).
    pub port: u16,
}

/// `OTEL_METRICS_EXPORTER`: the supported values of the OpenTelemetry variable.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MetricsExporter {
    /// A Prometheus pull endpoint at `host:port`, path `/metrics`.
    Prometheus,
    /// No metrics endpoint.
    None,
}

/// This process's share of the tenants when several replicas split them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ShardAssignment {
    /// `SHARD_INDEX`, below `count`.
    pub index: u32,
    /// `SHARD_COUNT`.
    pub count: NonZeroU32,
}

impl ShardAssignment {
    /// Whether this shard owns `tenant`: a stable hash of the name (64-bit FNV-1a, which must
    /// never change: it would move tenants between replicas) modulo the shard count.
    pub fn owns(&self, tenant: &TenantName) -> bool {
        const FNV_OFFSET_BASIS: u64 = 0xcbf2_9ce4_8422_2325;
        const FNV_PRIME: u64 = 0x0100_0000_01b3;
        let hash = tenant
            .as_str()
            .bytes()
            .fold(FNV_OFFSET_BASIS, |hash, byte| {
                (hash ^ u64::from(byte)).wrapping_mul(FNV_PRIME)
            });
        hash % u64::from(self.count.get()) == u64::from(self.index)
    }
}

const DEFAULT_PORT: u16 = 51349;
const DEFAULT_METRICS_PORT: u16 = 51350;
const DEFAULT_SYNC_HISTORY_SIZE: NonZeroUsize = match NonZeroUsize::new(5) {
    Some(size) => size,
    None => panic!("evaluated at compile time"),
};
const DEFAULT_FAILURE_THRESHOLD: f64 = 0.5;
const DEFAULT_CONNECTIVITY_TIMEOUT_MS: u64 = 3000;

impl ServiceSettings {
    /// Reads the settings from the process environment (variables that are not valid UTF-8
    /// count as unset).
    pub fn from_process_env() -> Result<Self, ServiceSettingsErrors> {
        Self::from_env(|name| std::env::var(name).ok())
    }

    /// Reads the settings; `lookup` returns a variable's value, `None` when unset.
    /// Empty or blank values count as unset.
    pub fn from_env(
        lookup: impl Fn(&str) -> Option<String>,
    ) -> Result<Self, ServiceSettingsErrors> {
        let mut env = EnvReader {
            lookup: &lookup,
            errors: Vec::new(),
        };
        let tenant_config_path_pattern = env.required_text("TENANT_CONFIG_PATH_PATTERN");
        let port = env.port("PORT").unwrap_or(DEFAULT_PORT);
        let log_level = env.choice(
            "LOG_LEVEL",
            LogLevel::Info,
            &[
                ("fatal", LogLevel::Error),
                ("error", LogLevel::Error),
                ("warn", LogLevel::Warn),
                ("info", LogLevel::Info),
                ("debug", LogLevel::Debug),
                ("trace", LogLevel::Trace),
                ("silent", LogLevel::Off),
            ],
        );
        let diagnostics_data_policy = env.choice(
            "LOGS_DIAGNOSTICS_DATA_POLICY",
            DiagnosticsDataPolicy::Conceal,
            &[
                ("conceal", DiagnosticsDataPolicy::Conceal),
                ("disclose", DiagnosticsDataPolicy::Disclose),
            ],
        );
        let health = HealthSettings {
            sync_history_size: env
                .positive::<usize>("HEALTH_SYNC_HISTORY_SIZE")
                .and_then(NonZeroUsize::new)
                .unwrap_or(DEFAULT_SYNC_HISTORY_SIZE),
            tenant_failure_threshold: env.failure_ratio("HEALTH_SYNC_TENANT_FAILURE_THRESHOLD"),
            connectivity_timeout: Duration::from_millis(
                env.positive::<u64>("HEALTH_CONNECTIVITY_TIMEOUT_MS")
                    .unwrap_or(DEFAULT_CONNECTIVITY_TIMEOUT_MS),
            ),
        };
        let metrics = MetricsSettings {
            exporter: env.choice(
                "OTEL_METRICS_EXPORTER",
                MetricsExporter::Prometheus,
                &[
                    ("prometheus", MetricsExporter::Prometheus),
                    ("none", MetricsExporter::None),
                ],
            ),
            host: env.ip_address(
                "OTEL_EXPORTER_PROMETHEUS_HOST",
                IpAddr::V4(Ipv4Addr::UNSPECIFIED),
            ),
            port: env
                .port("OTEL_EXPORTER_PROMETHEUS_PORT")
                .unwrap_or(DEFAULT_METRICS_PORT),
        };
        let proxy = env.proxy();
        let extra_ca_certs = env.text("EXTRA_CA_CERTS").map(PathBuf::from);
        let shard = env.shard();

        if !env.errors.is_empty() {
            return Err(ServiceSettingsErrors(env.errors));
        }
        Ok(Self {
            // Present whenever there are no errors: a missing pattern is an error.
            tenant_config_path_pattern: tenant_config_path_pattern.unwrap_or_default(),
            port,
            log_level,
            diagnostics_data_policy,
            health,
            metrics,
            proxy: proxy.unwrap_or_else(ProxySettings::none),
            extra_ca_certs,
            shard,
        })
    }
}

/// Reads variables and collects the problems found.
struct EnvReader<'e> {
    lookup: &'e dyn Fn(&str) -> Option<String>,
    errors: Vec<ServiceSettingsError>,
}

impl EnvReader<'_> {
    /// The trimmed value; blank counts as unset.
    fn text(&self, variable: &str) -> Option<String> {
        (self.lookup)(variable)
            .map(|value| value.trim().to_owned())
            .filter(|value| !value.is_empty())
    }

    fn required_text(&mut self, variable: &'static str) -> Option<String> {
        let value = self.text(variable);
        if value.is_none() {
            self.errors.push(ServiceSettingsError::Missing { variable });
        }
        value
    }

    fn invalid(&mut self, variable: &'static str, rule: impl Into<String>) {
        self.errors.push(ServiceSettingsError::Invalid {
            variable,
            rule: rule.into(),
        });
    }

    /// One of several words (case-insensitive); `default` when unset or invalid.
    fn choice<T: Copy>(&mut self, variable: &'static str, default: T, options: &[(&str, T)]) -> T {
        let Some(value) = self.text(variable) else {
            return default;
        };
        if let Some((_, chosen)) = options
            .iter()
            .find(|(name, _)| name.eq_ignore_ascii_case(&value))
        {
            return *chosen;
        }
        let names: Vec<&str> = options.iter().map(|(name, _)| *name).collect();
        self.invalid(
            variable,
            format!("must be one of {} (got {value:?})", names.join(", ")),
        );
        default
    }

    /// A port number 1–65535; `None` when unset or invalid.
    fn port(&mut self, variable: &'static str) -> Option<u16> {
        let value = self.text(variable)?;
        match value.parse::<u16>() {
            Ok(port) if port > 0 => Some(port),
            _ => {
                self.invalid(
                    variable,
                    format!("must be a port number 1-65535 (got {value:?})"),
                );
                None
            }
        }
    }

    /// A positive integer, `None` when unset or invalid.
    fn positive<T: FromStr + PartialOrd + Default>(&mut self, variable: &'static str) -> Option<T> {
        let value = self.text(variable)?;
        match value.parse::<T>() {
            Ok(number) if number > T::default() => Some(number),
            _ => {
                self.invalid(
                    variable,
                    format!("must be a positive integer (got {value:?})"),
                );
                None
            }
        }
    }

    fn failure_ratio(&mut self, variable: &'static str) -> f64 {
        let Some(value) = self.text(variable) else {
            return DEFAULT_FAILURE_THRESHOLD;
        };
        match value.parse::<f64>() {
            Ok(ratio) if (0.0..=1.0).contains(&ratio) => ratio,
            _ => {
                self.invalid(
                    variable,
                    format!("must be a number from 0 to 1 (got {value:?})"),
                );
                DEFAULT_FAILURE_THRESHOLD
            }
        }
    }

    fn ip_address(&mut self, variable: &'static str, default: IpAddr) -> IpAddr {
        let Some(value) = self.text(variable) else {
            return default;
        };
        value.parse().unwrap_or_else(|_| {
            self.invalid(variable, format!("must be an IP address (got {value:?})"));
            default
        })
    }

    /// The `PROXY_*` group, read by the HTTP clients' own parser (trimmed, blank as unset);
    /// `None` when invalid (the problem is recorded).
    fn proxy(&mut self) -> Option<ProxySettings> {
        match ProxySettings::from_env(|name| self.text(name)) {
            Ok(proxy) => Some(proxy),
            Err(error) => {
                self.errors.push(ServiceSettingsError::Proxy {
                    variable: error.variable(),
                    error,
                });
                None
            }
        }
    }

    /// `SHARD_INDEX` and `SHARD_COUNT`: both or neither, index below count.
    fn shard(&mut self) -> Option<ShardAssignment> {
        let index = self.text("SHARD_INDEX");
        let count = self.text("SHARD_COUNT");
        let (index, count) = match (index, count) {
            (None, None) => return None,
            (Some(_), None) => {
                self.invalid("SHARD_COUNT", "is required when SHARD_INDEX is set");
                return None;
            }
            (None, Some(_)) => {
                self.invalid("SHARD_INDEX", "is required when SHARD_COUNT is set");
                return None;
            }
            (Some(index), Some(count)) => (index, count),
        };
        let count = match count.parse::<u32>().ok().and_then(NonZeroU32::new) {
            Some(count) => count,
            None => {
                self.invalid(
                    "SHARD_COUNT",
                    format!("must be a positive integer (got {count:?})"),
                );
                return None;
            }
        };
        match index.parse::<u32>() {
            Ok(index) if index < count.get() => Some(ShardAssignment { index, count }),
            Ok(_) => {
                self.invalid(
                    "SHARD_INDEX",
                    format!("must be below SHARD_COUNT {count} (got {index:?})"),
                );
                None
            }
            Err(_) => {
                self.invalid(
                    "SHARD_INDEX",
                    format!("must be an integer from 0 (got {index:?})"),
                );
                None
            }
        }
    }
}
