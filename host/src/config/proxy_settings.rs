//! The outbound proxy from the `PROXY_*` variables (operations §2, §5). Any `PROXY_*` variable
//! makes `PROXY_AUTH_MODE` required, and each mode requires its own variables.

use std::collections::BTreeMap;
use std::path::PathBuf;

use super::service_settings::EnvReader;
use crate::secret::Secret;

/// Every variable of the proxy group.
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

/// Whether outbound traffic goes through a proxy.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ProxySettings {
    /// `PROXY_AUTH_MODE=none`, or no `PROXY_*` variable set.
    None,
    Proxy(ProxyServer),
}

/// A proxy at `{protocol}://{host}:{port}`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProxyServer {
    pub protocol: ProxyProtocol,
    pub host: String,
    pub port: u16,
    pub auth: ProxyAuth,
    /// `PROXY_SSL_CA_BUNDLE_PATH`: trust root for the proxy's own certificate.
    pub ca_bundle_path: Option<PathBuf>,
    /// `PROXY_HEADERS`: extra headers on requests to the proxy (CONNECT).
    pub headers: BTreeMap<String, String>,
}

impl ProxyServer {
    /// The proxy's URL, `{protocol}://{host}:{port}`.
    pub fn url(&self) -> String {
        let protocol = match self.protocol {
            ProxyProtocol::Http => "http",
            ProxyProtocol::Https => "https",
        };
        format!("{protocol}://{}:{}", self.host, self.port)
    }
}

/// `PROXY_PROTOCOL`: how the connector talks to the proxy itself.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ProxyProtocol {
    Http,
    Https,
}

/// How the connector authenticates to the proxy.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ProxyAuth {
    /// `no_auth`.
    None,
    /// `username_password`: `Proxy-Authorization: Basic ...`.
    UsernamePassword { username: String, password: Secret },
    /// `ssl_tls`: a client certificate and key presented to the proxy.
    ClientCertificate {
        cert_path: PathBuf,
        key_path: PathBuf,
    },
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Mode {
    None,
    NoAuth,
    UsernamePassword,
    SslTls,
}

/// Reads the proxy group; `None` when it is invalid (the problems are in `env`).
pub(super) fn read(env: &mut EnvReader<'_>) -> Option<ProxySettings> {
    if !env.is_set("PROXY_AUTH_MODE") {
        let set: Vec<&str> = PROXY_VARIABLES
            .into_iter()
            .filter(|variable| env.is_set(variable))
            .collect();
        if set.is_empty() {
            return Some(ProxySettings::None);
        }
        env.invalid(
            "PROXY_AUTH_MODE",
            format!(
                "is required when any PROXY_* variable is set (set: {})",
                set.join(", ")
            ),
        );
        return None;
    }
    let mode = env.choice(
        "PROXY_AUTH_MODE",
        None,
        &[
            ("none", Some(Mode::None)),
            ("no_auth", Some(Mode::NoAuth)),
            ("username_password", Some(Mode::UsernamePassword)),
            ("ssl_tls", Some(Mode::SslTls)),
        ],
    )?;
    if mode == Mode::None {
        return Some(ProxySettings::None);
    }

    let protocol = env.required_text("PROXY_PROTOCOL").and_then(|_| {
        env.choice(
            "PROXY_PROTOCOL",
            None,
            &[
                ("http", Some(ProxyProtocol::Http)),
                ("https", Some(ProxyProtocol::Https)),
            ],
        )
    });
    let host = env.required_text("PROXY_HOST");
    let port = env
        .required_text("PROXY_PORT")
        .and_then(|_| env.port("PROXY_PORT"));
    let auth = match mode {
        Mode::UsernamePassword => {
            let username = env.required_text("PROXY_USERNAME");
            let password = env.required_text("PROXY_PASSWORD").map(Secret::new);
            username
                .zip(password)
                .map(|(username, password)| ProxyAuth::UsernamePassword { username, password })
        }
        Mode::SslTls => {
            let cert_path = env.required_text("PROXY_SSL_CERT_PATH");
            let key_path = env.required_text("PROXY_SSL_KEY_PATH");
            cert_path
                .zip(key_path)
                .map(|(cert, key)| ProxyAuth::ClientCertificate {
                    cert_path: PathBuf::from(cert),
                    key_path: PathBuf::from(key),
                })
        }
        Mode::NoAuth | Mode::None => Some(ProxyAuth::None),
    };
    let ca_bundle_path = env.text("PROXY_SSL_CA_BUNDLE_PATH").map(PathBuf::from);
    let headers = proxy_headers(env);

    Some(ProxySettings::Proxy(ProxyServer {
        protocol: protocol?,
        host: host?,
        port: port?,
        auth: auth?,
        ca_bundle_path,
        headers: headers?,
    }))
}

/// `PROXY_HEADERS`: a JSON object of string values, parsed once. Its content is never echoed,
/// as proxy headers often carry credentials.
fn proxy_headers(env: &mut EnvReader<'_>) -> Option<BTreeMap<String, String>> {
    let Some(text) = env.text("PROXY_HEADERS") else {
        return Some(BTreeMap::new());
    };
    let rule =
        "must be a JSON object whose values are strings, e.g. {\"X-Proxy-Header\":\"value\"}";
    let Ok(serde_json::Value::Object(object)) = serde_json::from_str::<serde_json::Value>(&text)
    else {
        env.invalid("PROXY_HEADERS", rule);
        return None;
    };
    let mut headers = BTreeMap::new();
    for (name, value) in object {
        let serde_json::Value::String(value) = value else {
            env.invalid(
                "PROXY_HEADERS",
                format!("{rule} (`{name}` is not a string)"),
            );
            return None;
        };
        if http::HeaderName::from_bytes(name.as_bytes()).is_err()
            || http::HeaderValue::from_str(&value).is_err()
        {
            env.invalid(
                "PROXY_HEADERS",
                format!("`{name}` is not a valid HTTP header name and value"),
            );
            return None;
        }
        headers.insert(name, value);
    }
    Some(headers)
}
