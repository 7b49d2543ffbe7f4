//! Environment settings: defaults, the log-level mapping, the proxy group's rules, sharding,
//! and all problems reported together, each naming the variable.

use std::collections::HashMap;
use std::net::{IpAddr, Ipv4Addr};
use std::path::PathBuf;
use std::time::Duration;

use connector_host::config::{
    DiagnosticsDataPolicy, LogLevel, MetricsExporter, ServiceSettings, ServiceSettingsError,
    ServiceSettingsErrors, ShardAssignment, TenantName,
};
use connector_host::http_client::{HttpClients, ProxyMode, ProxySettings};
use url::Url;

const PATTERN: &str = "/app/tenant-configs/*-tenant-config.yaml";

fn settings(vars: &[(&str, &str)]) -> Result<ServiceSettings, ServiceSettingsErrors> {
    let env: HashMap<String, String> = vars
        .iter()
        .map(|(name, value)| ((*name).to_owned(), (*value).to_owned()))
        .collect();
    ServiceSettings::from_env(|name| env.get(name).cloned())
}

fn with_pattern<'a>(vars: &[(&'a str, &'a str)]) -> Vec<(&'a str, &'a str)> {
    let mut all = vec![("TENANT_CONFIG_PATH_PATTERN", PATTERN)];
    all.extend_from_slice(vars);
    all
}

fn error_lines(vars: &[(&str, &str)]) -> Vec<String> {
    match settings(vars) {
        Ok(settings) => panic!("expected errors, got {settings:?}"),
        Err(errors) => errors.to_string().lines().map(str::to_owned).collect(),
    }
}

#[test]
fn only_the_pattern_is_required_and_everything_else_has_its_default() {
    let settings = settings(&with_pattern(&[])).expect("valid");
    assert_eq!(settings.tenant_config_path_pattern, PATTERN);
    assert_eq!(settings.port, 51349);
    assert_eq!(settings.log_level, LogLevel::Info);
    assert_eq!(
        settings.diagnostics_data_policy,
        DiagnosticsDataPolicy::Conceal
    );
    assert_eq!(settings.health.sync_history_size.get(), 5);
    assert_eq!(settings.health.tenant_failure_threshold, 0.5);
    assert_eq!(
        settings.health.connectivity_timeout,
        Duration::from_millis(3000)
    );
    assert_eq!(settings.metrics.host, IpAddr::V4(Ipv4Addr::UNSPECIFIED));
    assert_eq!(settings.metrics.port, 51350);
    assert_eq!(settings.metrics.exporter, MetricsExporter::Prometheus);
    assert_eq!(settings.proxy, ProxySettings::none());
    assert_eq!(settings.extra_ca_certs, None);
    assert_eq!(settings.shard, None);
}

#[test]
fn a_missing_pattern_is_an_error() {
    assert_eq!(
        error_lines(&[]),
        ["TENANT_CONFIG_PATH_PATTERN: is required"]
    );
}

#[test]
fn every_variable_is_read() {
    let settings = settings(&with_pattern(&[
        ("PORT", "8080"),
        ("LOG_LEVEL", "DEBUG"),
        ("LOGS_DIAGNOSTICS_DATA_POLICY", "disclose"),
        ("HEALTH_SYNC_HISTORY_SIZE", "10"),
        ("HEALTH_SYNC_TENANT_FAILURE_THRESHOLD", "0.25"),
        ("HEALTH_CONNECTIVITY_TIMEOUT_MS", "1500"),
        ("OTEL_EXPORTER_PROMETHEUS_HOST", "127.0.0.1"),
        ("OTEL_EXPORTER_PROMETHEUS_PORT", "9464"),
        ("OTEL_METRICS_EXPORTER", "none"),
        ("EXTRA_CA_CERTS", "/etc/ssl/extra.pem"),
        ("SHARD_INDEX", "1"),
        ("SHARD_COUNT", "3"),
    ]))
    .expect("valid");
    assert_eq!(settings.port, 8080);
    assert_eq!(settings.log_level, LogLevel::Debug);
    assert_eq!(
        settings.diagnostics_data_policy,
        DiagnosticsDataPolicy::Disclose
    );
    assert_eq!(settings.health.sync_history_size.get(), 10);
    assert_eq!(settings.health.tenant_failure_threshold, 0.25);
    assert_eq!(
        settings.health.connectivity_timeout,
        Duration::from_millis(1500)
    );
    assert_eq!(settings.metrics.host, IpAddr::V4(Ipv4Addr::LOCALHOST));
    assert_eq!(settings.metrics.port, 9464);
    assert_eq!(settings.metrics.exporter, MetricsExporter::None);
    assert_eq!(
        settings.extra_ca_certs,
        Some(PathBuf::from("/etc/ssl/extra.pem"))
    );
    let shard = settings.shard.expect("sharded");
    assert_eq!((shard.index, shard.count.get()), (1, 3));
}

#[test]
fn fatal_means_errors_only_and_silent_means_off() {
    let level = |value| {
        settings(&with_pattern(&[("LOG_LEVEL", value)]))
            .expect("valid")
            .log_level
    };
    assert_eq!(level("fatal"), LogLevel::Error);
    assert_eq!(level("silent"), LogLevel::Off);
    assert_eq!(
        level("silent").level_filter(),
        tracing::level_filters::LevelFilter::OFF
    );
    assert_eq!(level("warn"), LogLevel::Warn);
    assert_eq!(level("trace"), LogLevel::Trace);
}

#[test]
fn blank_values_count_as_unset() {
    let settings = settings(&with_pattern(&[("PORT", "  "), ("PROXY_HOST", "")])).expect("valid");
    assert_eq!(settings.port, 51349);
    assert_eq!(settings.proxy, ProxySettings::none());
}

#[test]
fn all_invalid_values_are_reported_together() {
    assert_eq!(
        error_lines(&[
            ("PORT", "http"),
            ("LOG_LEVEL", "verbose"),
            ("LOGS_DIAGNOSTICS_DATA_POLICY", "hide"),
            ("HEALTH_SYNC_HISTORY_SIZE", "0"),
            ("HEALTH_SYNC_TENANT_FAILURE_THRESHOLD", "1.5"),
            ("HEALTH_CONNECTIVITY_TIMEOUT_MS", "-1"),
            ("OTEL_EXPORTER_PROMETHEUS_HOST", "metrics.local"),
            ("OTEL_EXPORTER_PROMETHEUS_PORT", "70000"),
        ]),
        [
            "TENANT_CONFIG_PATH_PATTERN: is required",
            "PORT: must be a port number 1-65535 (got \"http\")",
            "LOG_LEVEL: must be one of fatal, error, warn, info, debug, trace, silent (got \"verbose\")",
            "LOGS_DIAGNOSTICS_DATA_POLICY: must be one of conceal, disclose (got \"hide\")",
            "HEALTH_SYNC_HISTORY_SIZE: must be a positive integer (got \"0\")",
            "HEALTH_SYNC_TENANT_FAILURE_THRESHOLD: must be a number from 0 to 1 (got \"1.5\")",
            "HEALTH_CONNECTIVITY_TIMEOUT_MS: must be a positive integer (got \"-1\")",
            "OTEL_EXPORTER_PROMETHEUS_HOST: must be an IP address (got \"metrics.local\")",
            "OTEL_EXPORTER_PROMETHEUS_PORT: must be a port number 1-65535 (got \"70000\")",
        ]
    );
}

#[test]
fn any_proxy_variable_requires_the_auth_mode() {
    assert_eq!(
        error_lines(&with_pattern(&[
            ("PROXY_HOST", "proxy.corp"),
            ("PROXY_PORT", "3128")
        ])),
        [
            "PROXY_AUTH_MODE is required when another PROXY_* variable is set (PROXY_HOST, PROXY_PORT)"
        ]
    );
}

#[test]
fn mode_none_means_no_proxy() {
    let settings = settings(&with_pattern(&[("PROXY_AUTH_MODE", "none")])).expect("valid");
    assert_eq!(settings.proxy, ProxySettings::none());
}

#[test]
fn proxy_errors_name_the_variable_at_fault() {
    let variable_at_fault = |vars: &[(&str, &str)]| match settings(&with_pattern(vars)) {
        Ok(settings) => panic!("expected a proxy error, got {settings:?}"),
        Err(ServiceSettingsErrors(errors)) => match errors.as_slice() {
            [ServiceSettingsError::Proxy { variable, .. }] => *variable,
            other => panic!("expected one proxy error, got {other:?}"),
        },
    };
    assert_eq!(variable_at_fault(&[("PROXY_HOST", "p")]), "PROXY_AUTH_MODE");
    assert_eq!(
        variable_at_fault(&[("PROXY_AUTH_MODE", "kerberos")]),
        "PROXY_AUTH_MODE"
    );
    assert_eq!(
        variable_at_fault(&[("PROXY_AUTH_MODE", "no_auth")]),
        "PROXY_PROTOCOL"
    );
    let address = [
        ("PROXY_AUTH_MODE", "no_auth"),
        ("PROXY_PROTOCOL", "http"),
        ("PROXY_HOST", "proxy.corp"),
        ("PROXY_PORT", "3128"),
    ];
    let with = |name: &'static str, value: &'static str| {
        let mut vars: Vec<(&str, &str)> = address
            .iter()
            .copied()
            .filter(|(existing, _)| *existing != name)
            .collect();
        vars.push((name, value));
        vars
    };
    assert_eq!(
        variable_at_fault(&with("PROXY_PROTOCOL", "socks5")),
        "PROXY_PROTOCOL"
    );
    assert_eq!(variable_at_fault(&with("PROXY_PORT", "0")), "PROXY_PORT");
    assert_eq!(
        variable_at_fault(&with("PROXY_HOST", "proxy/path")),
        "PROXY_HOST"
    );
    assert_eq!(
        variable_at_fault(&with("PROXY_HEADERS", "[1]")),
        "PROXY_HEADERS"
    );
}

#[test]
fn proxy_problems_are_reported_with_the_other_variables() {
    assert_eq!(
        error_lines(&[("PORT", "http"), ("PROXY_AUTH_MODE", "no_auth")]),
        [
            "TENANT_CONFIG_PATH_PATTERN: is required",
            "PORT: must be a port number 1-65535 (got \"http\")",
            "PROXY_PROTOCOL is required when PROXY_AUTH_MODE is no_auth",
        ]
    );
}

#[test]
fn no_auth_proxy_needs_protocol_host_and_port() {
    assert_eq!(
        error_lines(&with_pattern(&[
            ("PROXY_AUTH_MODE", "no_auth"),
            ("PROXY_PROTOCOL", "http"),
            ("PROXY_HOST", "proxy.corp"),
        ])),
        ["PROXY_PORT is required when PROXY_AUTH_MODE is no_auth"]
    );
    let settings = settings(&with_pattern(&[
        ("PROXY_AUTH_MODE", "no_auth"),
        ("PROXY_PROTOCOL", "http"),
        ("PROXY_HOST", " proxy.corp "),
        ("PROXY_PORT", "3128"),
        ("PROXY_SSL_CA_BUNDLE_PATH", "/certs/proxy-ca.pem"),
    ]))
    .expect("valid, values trimmed");
    assert_eq!(
        settings.proxy.mode,
        ProxyMode::NoAuth {
            url: Url::parse("http://proxy.corp:3128").expect("url")
        }
    );
    assert_eq!(
        settings.proxy.ca_bundle_path,
        Some(PathBuf::from("/certs/proxy-ca.pem"))
    );
    assert!(settings.proxy.connect_headers.is_empty());
}

#[test]
fn username_password_proxy_needs_both_and_never_shows_the_password() {
    let base = [
        ("PROXY_AUTH_MODE", "username_password"),
        ("PROXY_PROTOCOL", "https"),
        ("PROXY_HOST", "proxy.corp"),
        ("PROXY_PORT", "8443"),
        ("PROXY_USERNAME", "svc"),
    ];
    assert_eq!(
        error_lines(&with_pattern(&base)),
        ["PROXY_PASSWORD is required when PROXY_AUTH_MODE is username_password"]
    );
    let mut vars = with_pattern(&base);
    vars.push(("PROXY_PASSWORD", "proxy-pass-31ab"));
    let settings = settings(&vars).expect("valid");
    assert!(!format!("{settings:?}").contains("proxy-pass-31ab"));
    let ProxyMode::UsernamePassword {
        url,
        username,
        password,
    } = settings.proxy.mode
    else {
        panic!("username_password, got {:?}", settings.proxy.mode)
    };
    assert_eq!(url.as_str(), "https://proxy.corp:8443/");
    assert_eq!(username, "svc");
    assert_eq!(password.expose(), "proxy-pass-31ab");
}

#[test]
fn ssl_tls_proxy_needs_certificate_and_key() {
    let base = [
        ("PROXY_AUTH_MODE", "ssl_tls"),
        ("PROXY_PROTOCOL", "https"),
        ("PROXY_HOST", "proxy.corp"),
        ("PROXY_PORT", "8443"),
    ];
    assert_eq!(
        error_lines(&with_pattern(&base)),
        ["PROXY_SSL_CERT_PATH is required when PROXY_AUTH_MODE is ssl_tls"]
    );
    let mut vars = with_pattern(&base);
    vars.extend([
        ("PROXY_SSL_CERT_PATH", "/app/proxy-certs/tls.crt"),
        ("PROXY_SSL_KEY_PATH", "/app/proxy-certs/tls.key"),
    ]);
    let settings = settings(&vars).expect("valid");
    let ProxyMode::SslTls {
        client_cert_path,
        client_key_path,
        ..
    } = settings.proxy.mode
    else {
        panic!("ssl_tls, got {:?}", settings.proxy.mode)
    };
    assert_eq!(client_cert_path, PathBuf::from("/app/proxy-certs/tls.crt"));
    assert_eq!(client_key_path, PathBuf::from("/app/proxy-certs/tls.key"));
}

#[test]
fn proxy_headers_are_a_json_object_of_strings_never_echoed() {
    let base = [
        ("PROXY_AUTH_MODE", "no_auth"),
        ("PROXY_PROTOCOL", "http"),
        ("PROXY_HOST", "proxy.corp"),
        ("PROXY_PORT", "3128"),
    ];
    let mut vars = with_pattern(&base);
    vars.push((
        "PROXY_HEADERS",
        r#"{"X-Proxy-Header":"value","X-Team":"search"}"#,
    ));
    let settings = settings(&vars).expect("valid");
    assert_eq!(
        settings.proxy.connect_headers,
        [
            ("X-Proxy-Header".to_owned(), "value".to_owned()),
            ("X-Team".to_owned(), "search".to_owned())
        ]
    );

    for headers in [
        "X-Proxy-Header: secret-value",
        r#"{"X-Retries": 3, "X-Token": "secret-value"}"#,
    ] {
        let mut vars = with_pattern(&base);
        vars.push(("PROXY_HEADERS", headers));
        let lines = error_lines(&vars);
        assert_eq!(lines.len(), 1, "{lines:?}");
        assert!(
            lines[0].starts_with("PROXY_HEADERS must be a JSON object of string values"),
            "{lines:?}"
        );
        assert!(!lines[0].contains("secret-value"), "{lines:?}");
    }
}

#[test]
fn a_proxy_header_that_is_no_http_header_stops_the_clients_naming_it() {
    let mut vars = with_pattern(&[
        ("PROXY_AUTH_MODE", "no_auth"),
        ("PROXY_PROTOCOL", "http"),
        ("PROXY_HOST", "proxy.corp"),
        ("PROXY_PORT", "3128"),
    ]);
    vars.push(("PROXY_HEADERS", r#"{"Bad Header": "v"}"#));
    let settings = settings(&vars).expect("a JSON object of strings");
    let error = HttpClients::build(&settings.proxy, None).expect_err("invalid header name");
    assert_eq!(
        error.to_string(),
        "proxy header `Bad Header`: not a valid header name"
    );
}

#[test]
fn shard_variables_come_together_with_the_index_below_the_count() {
    assert_eq!(
        error_lines(&with_pattern(&[("SHARD_INDEX", "0")])),
        ["SHARD_COUNT: is required when SHARD_INDEX is set"]
    );
    assert_eq!(
        error_lines(&with_pattern(&[("SHARD_COUNT", "2")])),
        ["SHARD_INDEX: is required when SHARD_COUNT is set"]
    );
    assert_eq!(
        error_lines(&with_pattern(&[("SHARD_INDEX", "2"), ("SHARD_COUNT", "2")])),
        ["SHARD_INDEX: must be below SHARD_COUNT 2 (got \"2\")"]
    );
    assert_eq!(
        error_lines(&with_pattern(&[("SHARD_INDEX", "0"), ("SHARD_COUNT", "0")])),
        ["SHARD_COUNT: must be a positive integer (got \"0\")"]
    );
}

#[test]
fn every_tenant_is_owned_by_exactly_one_shard_and_shards_share_the_work() {
    let count = std::num::NonZeroU32::new(3).expect("three shards");
    let shards: Vec<ShardAssignment> = (0..3)
        .map(|index| ShardAssignment { index, count })
        .collect();
    let mut owned_per_shard = [0_u32; 3];
    for number in 0..300 {
        let name = TenantName::try_from(format!("tenant-{number}")).expect("valid name");
        let owners: Vec<usize> = (0..3).filter(|&i| shards[i].owns(&name)).collect();
        assert_eq!(owners.len(), 1, "{name} has owners {owners:?}");
        owned_per_shard[owners[0]] += 1;
        // Stable: the same name always lands on the same shard.
        assert!(shards[owners[0]].owns(&name));
    }
    for owned in owned_per_shard {
        assert!(
            (50..=150).contains(&owned),
            "uneven split {owned_per_shard:?}"
        );
    }
}
