//! The process-wide proxy settings (operations.md §5) and how they are read from the `PROXY_*`
//! environment variables (operations.md §2).

use std::path::PathBuf;

use url::Url;

use crate::secret::Secret;

/// How outbound traffic reaches the proxy (`PROXY_AUTH_MODE` and its variables).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProxyMode {
    /// No proxy: every client connects directly.
    None,
    /// A proxy that needs no credentials.
    NoAuth { url: Url },
    /// A proxy that takes `Proxy-Authorization: Basic base64(username:password)`.
    UsernamePassword {
        url: Url,
        username: String,
        password: Secret,
    },
    /// A TLS proxy (`https://`) that authenticates the connector by a client certificate.
    SslTls {
        url: Url,
        client_cert_path: PathBuf,
        client_key_path: PathBuf,
    },
}

/// The proxy configuration of the process.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProxySettings {
    pub mode: ProxyMode,
    /// PEM bundle that verifies the proxy's own TLS certificate (`PROXY_SSL_CA_BUNDLE_PATH`).
    pub ca_bundle_path: Option<PathBuf>,
    /// Extra headers sent to the proxy, on `CONNECT` and on proxied plain-HTTP requests
    /// (`PROXY_HEADERS`).
    pub connect_headers: Vec<(String, String)>,
}

impl ProxySettings {
    /// No proxy at all.
    pub fn none() -> Self {
        Self {
            mode: ProxyMode::None,
            ca_bundle_path: None,
            connect_headers: Vec::new(),
        }
    }

    /// A proxy in `mode`, without CA bundle or extra headers.
    pub fn with_mode(mode: ProxyMode) -> Self {
        Self {
            mode,
            ..Self::none()
        }
    }
}

/// Names of the variables that configure the proxy.
const PROXY_VARIABLES: [&str; 10] = [
    "PROXY_AUTH_MODE",
    "PROXY_PROTOCOL",
    "PROXY_HOST",
    "PROXY_PORT",
    "PROXY_USERNAME",
    "PROXY_PASSWORD",
    "PROXY_SSL_CA_BUNDLE_PATH",
    "PROXY_SSL_CERT_PATH",
    "PROXY_SSL_KEY_PATH",
    "PROXY_HEADERS",
];

/// Why the `PROXY_*` variables do not describe a usable proxy. Values of `PROXY_PASSWORD` and
/// `PROXY_HEADERS` never appear in a message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProxyConfigError {
    #[error("PROXY_AUTH_MODE is required when another PROXY_* variable is set ({set})")]
    MissingAuthMode { set: String },
    #[error("PROXY_AUTH_MODE `{value}` is not one of none, no_auth, username_password, ssl_tls")]
    UnknownAuthMode { value: String },
    #[error("{name} is required when PROXY_AUTH_MODE is {mode}")]
    Missing {
        name: &'static str,
        mode: &'static str,
    },
    #[error("PROXY_PROTOCOL `{value}` must be http or https")]
    InvalidProtocol { value: String },
    #[error("PROXY_PORT `{value}` is not a port number (1-65535)")]
    InvalidPort { value: String },
    #[error(
        "proxy address `{address}` (PROXY_PROTOCOL://PROXY_HOST:PROXY_PORT) is not a valid URL: {reason}"
    )]
    InvalidAddress { address: String, reason: String },
    #[error("PROXY_HEADERS must be a JSON object of string values: {reason}")]
    InvalidHeaders { reason: &'static str },
}

impl ProxyConfigError {
    /// The variable at fault (for an invalid address, `PROXY_HOST`: protocol and port are
    /// checked on their own before the address is built).
    pub fn variable(&self) -> &'static str {
        match self {
            Self::MissingAuthMode { .. } | Self::UnknownAuthMode { .. } => "PROXY_AUTH_MODE",
            Self::Missing { name, .. } => name,
            Self::InvalidProtocol { .. } => "PROXY_PROTOCOL",
            Self::InvalidPort { .. } => "PROXY_PORT",
            Self::InvalidAddress { .. } => "PROXY_HOST",
            Self::InvalidHeaders { .. } => "PROXY_HEADERS",
        }
    }
}

impl ProxySettings {
    /// Reads the proxy settings through `lookup` (normally `std::env::var(..).ok()`). An empty
    /// value counts as unset, as Helm renders optional variables that way.
    ///
    /// Without any `PROXY_*` variable there is no proxy. Otherwise `PROXY_AUTH_MODE` is required,
    /// and each mode requires its variables: protocol, host and port for every mode but `none`,
    /// plus username and password, or certificate and key.
    pub fn from_env(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, ProxyConfigError> {
        let get = |name: &str| lookup(name).filter(|value| !value.is_empty());
        let set: Vec<&str> = PROXY_VARIABLES
            .into_iter()
            .filter(|name| get(name).is_some())
            .collect();
        if set.is_empty() {
            return Ok(Self::none());
        }
        let Some(mode_name) = get("PROXY_AUTH_MODE") else {
            return Err(ProxyConfigError::MissingAuthMode {
                set: set.join(", "),
            });
        };
        let mode_label: &'static str = match mode_name.as_str() {
            "none" => return Ok(Self::none()),
            "no_auth" => "no_auth",
            "username_password" => "username_password",
            "ssl_tls" => "ssl_tls",
            _ => return Err(ProxyConfigError::UnknownAuthMode { value: mode_name }),
        };
        let require = |name: &'static str| {
            get(name).ok_or(ProxyConfigError::Missing {
                name,
                mode: mode_label,
            })
        };

        let url = proxy_url(
            &require("PROXY_PROTOCOL")?,
            &require("PROXY_HOST")?,
            &require("PROXY_PORT")?,
        )?;
        let mode = match mode_label {
            "no_auth" => ProxyMode::NoAuth { url },
            "username_password" => ProxyMode::UsernamePassword {
                url,
                username: require("PROXY_USERNAME")?,
                password: Secret::new(require("PROXY_PASSWORD")?),
            },
            _ => ProxyMode::SslTls {
                url,
                client_cert_path: PathBuf::from(require("PROXY_SSL_CERT_PATH")?),
                client_key_path: PathBuf::from(require("PROXY_SSL_KEY_PATH")?),
            },
        };
        Ok(Self {
            mode,
            ca_bundle_path: get("PROXY_SSL_CA_BUNDLE_PATH").map(PathBuf::from),
            connect_headers: match get("PROXY_HEADERS") {
                Some(json) => parse_headers(&json)?,
                None => Vec::new(),
            },
        })
    }
}

fn proxy_url(protocol: &str, host: &str, port: &str) -> Result<Url, ProxyConfigError> {
    if !matches!(protocol, "http" | "https") {
        return Err(ProxyConfigError::InvalidProtocol {
            value: protocol.to_owned(),
        });
    }
    let port_number = port
        .parse::<u16>()
        .ok()
        .filter(|p| *p != 0)
        .ok_or_else(|| ProxyConfigError::InvalidPort {
            value: port.to_owned(),
        })?;
    let address = format!("{protocol}://{host}:{port_number}");
    let url = Url::parse(&address).map_err(|e| ProxyConfigError::InvalidAddress {
        address: address.clone(),
        reason: e.to_string(),
    })?;
    // A host with a path, credentials or query would silently change the meaning.
    if url.path() != "/" || url.query().is_some() || !url.username().is_empty() {
        return Err(ProxyConfigError::InvalidAddress {
            address,
            reason: "PROXY_HOST must be a bare host name or address".into(),
        });
    }
    Ok(url)
}

fn parse_headers(json: &str) -> Result<Vec<(String, String)>, ProxyConfigError> {
    let value: serde_json::Value =
        serde_json::from_str(json).map_err(|_| ProxyConfigError::InvalidHeaders {
            reason: "not valid JSON",
        })?;
    let object = value.as_object().ok_or(ProxyConfigError::InvalidHeaders {
        reason: "not a JSON object",
    })?;
    object
        .iter()
        .map(|(name, value)| match value.as_str() {
            Some(text) => Ok((name.clone(), text.to_owned())),
            None => Err(ProxyConfigError::InvalidHeaders {
                reason: "every value must be a string",
            }),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn from_vars(vars: &[(&str, &str)]) -> Result<ProxySettings, ProxyConfigError> {
        let vars: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        ProxySettings::from_env(|name| vars.get(name).cloned())
    }

    const ADDRESS: [(&str, &str); 3] = [
        ("PROXY_PROTOCOL", "http"),
        ("PROXY_HOST", "proxy.internal"),
        ("PROXY_PORT", "3128"),
    ];

    fn with_address<'a>(extra: &[(&'a str, &'a str)]) -> Vec<(&'a str, &'a str)> {
        ADDRESS.iter().chain(extra).copied().collect()
    }

    #[test]
    fn no_proxy_variables_means_no_proxy() {
        assert_eq!(from_vars(&[]), Ok(ProxySettings::none()));
        assert_eq!(
            from_vars(&[("PROXY_HOST", "")]),
            Ok(ProxySettings::none()),
            "empty counts as unset"
        );
    }

    #[test]
    fn any_proxy_variable_requires_the_auth_mode() {
        let error = from_vars(&ADDRESS).expect_err("mode missing");
        assert_eq!(
            error.to_string(),
            "PROXY_AUTH_MODE is required when another PROXY_* variable is set \
             (PROXY_PROTOCOL, PROXY_HOST, PROXY_PORT)"
        );
    }

    #[test]
    fn no_auth_builds_the_url_from_protocol_host_and_port() {
        let settings =
            from_vars(&with_address(&[("PROXY_AUTH_MODE", "no_auth")])).expect("valid settings");
        assert_eq!(
            settings.mode,
            ProxyMode::NoAuth {
                url: Url::parse("http://proxy.internal:3128").expect("url")
            }
        );
    }

    #[test]
    fn username_password_requires_both_and_keeps_the_password_secret() {
        let error = from_vars(&with_address(&[
            ("PROXY_AUTH_MODE", "username_password"),
            ("PROXY_USERNAME", "svc"),
        ]))
        .expect_err("password missing");
        assert_eq!(
            error,
            ProxyConfigError::Missing {
                name: "PROXY_PASSWORD",
                mode: "username_password"
            }
        );
        let settings = from_vars(&with_address(&[
            ("PROXY_AUTH_MODE", "username_password"),
            ("PROXY_USERNAME", "svc"),
            ("PROXY_PASSWORD", "hunter2"),
        ]))
        .expect("valid settings");
        assert!(!format!("{settings:?}").contains("hunter2"));
    }

    #[test]
    fn ssl_tls_requires_certificate_and_key_and_reads_the_ca_bundle() {
        let error = from_vars(&with_address(&[
            ("PROXY_AUTH_MODE", "ssl_tls"),
            ("PROXY_SSL_KEY_PATH", "/certs/key.pem"),
        ]))
        .expect_err("certificate missing");
        assert!(error.to_string().contains("PROXY_SSL_CERT_PATH"), "{error}");
        let settings = from_vars(&[
            ("PROXY_AUTH_MODE", "ssl_tls"),
            ("PROXY_PROTOCOL", "https"),
            ("PROXY_HOST", "10.0.0.8"),
            ("PROXY_PORT", "8443"),
            ("PROXY_SSL_CERT_PATH", "/certs/cert.pem"),
            ("PROXY_SSL_KEY_PATH", "/certs/key.pem"),
            ("PROXY_SSL_CA_BUNDLE_PATH", "/certs/ca.pem"),
        ])
        .expect("valid settings");
        assert_eq!(
            settings.ca_bundle_path.as_deref(),
            Some(std::path::Path::new("/certs/ca.pem"))
        );
        assert!(matches!(settings.mode, ProxyMode::SslTls { .. }));
    }

    #[test]
    fn bad_protocol_port_mode_or_host_are_rejected() {
        let cases: [(&[(&str, &str)], &str); 5] = [
            (&[("PROXY_PROTOCOL", "socks5")], "PROXY_PROTOCOL"),
            (&[("PROXY_PORT", "70000")], "PROXY_PORT"),
            (&[("PROXY_PORT", "0")], "PROXY_PORT"),
            (&[("PROXY_HOST", "proxy/path")], "bare host"),
            (&[("PROXY_AUTH_MODE", "kerberos")], "kerberos"),
        ];
        for (overrides, expected) in cases {
            let mut vars: HashMap<&str, &str> = with_address(&[("PROXY_AUTH_MODE", "no_auth")])
                .into_iter()
                .collect();
            vars.extend(overrides.iter().copied());
            let vars: Vec<_> = vars.into_iter().collect();
            let error = from_vars(&vars).expect_err("invalid settings");
            assert!(error.to_string().contains(expected), "{expected}: {error}");
        }
    }

    #[test]
    fn proxy_headers_must_be_a_json_object_of_strings() {
        let settings = from_vars(&with_address(&[
            ("PROXY_AUTH_MODE", "no_auth"),
            ("PROXY_HEADERS", r#"{"X-Team":"blue","X-Token":"abc"}"#),
        ]))
        .expect("valid settings");
        assert_eq!(
            settings.connect_headers,
            [
                ("X-Team".to_owned(), "blue".to_owned()),
                ("X-Token".to_owned(), "abc".to_owned())
            ]
        );
        for invalid in [r#"["a"]"#, r#"{"X-Count":3}"#, "X-Team: blue"] {
            let error = from_vars(&with_address(&[
                ("PROXY_AUTH_MODE", "no_auth"),
                ("PROXY_HEADERS", invalid),
            ]))
            .expect_err("invalid headers");
            assert!(matches!(error, ProxyConfigError::InvalidHeaders { .. }));
            assert!(!error.to_string().contains("blue"));
        }
    }

    #[test]
    fn mode_none_ignores_the_other_variables() {
        assert_eq!(
            from_vars(&with_address(&[("PROXY_AUTH_MODE", "none")])),
            Ok(ProxySettings::none())
        );
    }
}
