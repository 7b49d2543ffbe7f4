//! The shared reqwest clients for outbound traffic (operations.md §4, §5): one that goes through
//! the configured proxy and one that never does (Unique `cluster_local` traffic). Both use rustls
//! and trust the system roots, the bundled Mozilla roots and the operator's extra CA certificates
//! (`EXTRA_CA_CERTS`); both have redirects disabled and the connect and body-idle timeouts built
//! in. [`send`] adds the response-header timeout per request.
//!
//! Timeouts, and how each is implemented:
//! - connect, 15 s: `ClientBuilder::connect_timeout` (TCP connect; the proxy, when one is used);
//! - response headers, 30 s: [`send`] wraps `Client::execute`, which resolves once the status and
//!   headers arrived, in `tokio::time::timeout`;
//! - body idle, 60 s: `ClientBuilder::read_timeout`, which reqwest applies to each read and resets
//!   after every successful one, so a long download is fine while bytes flow.
//!
//! There is no overall request deadline (reqwest's `timeout` is left unset).
//!
//! Redirects are never followed here: the outbound pipeline follows them itself so that it can
//! check every hop against the allow-list and strip credentials across origins.

use std::path::{Path, PathBuf};
use std::time::Duration;

use reqwest::header::{HeaderMap, HeaderName, HeaderValue};
use reqwest::{Certificate, Client, ClientBuilder, Identity, Proxy, Request, Response};
use url::Url;

use crate::retry::{self, Transience};

mod proxy_settings;

pub use proxy_settings::{ProxyConfigError, ProxyMode, ProxySettings};

/// Time to establish a connection.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(15);
/// Time from sending a request to receiving the answer's status and headers.
pub const RESPONSE_HEADERS_TIMEOUT: Duration = Duration::from_secs(30);
/// Longest gap between two chunks of an answer's body.
pub const BODY_IDLE_TIMEOUT: Duration = Duration::from_secs(60);

const USER_AGENT: &str = concat!("confluence-connector/", env!("CARGO_PKG_VERSION"));

/// Errors while building the clients; each names the file or setting at fault.
#[derive(Debug, thiserror::Error)]
pub enum ClientBuildError {
    #[error("cannot read {what} {path}")]
    ReadFile {
        what: &'static str,
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{what} {path} holds no usable PEM certificate")]
    InvalidCertificates {
        what: &'static str,
        path: PathBuf,
        #[source]
        source: Option<reqwest::Error>,
    },
    #[error("cannot use proxy client certificate {cert_path} with key {key_path}")]
    InvalidClientIdentity {
        cert_path: PathBuf,
        key_path: PathBuf,
        #[source]
        source: reqwest::Error,
    },
    #[error("proxy URL {url} must use http or https (ssl_tls needs https)")]
    UnsupportedProxyScheme { url: Url },
    #[error("invalid proxy URL {url}")]
    InvalidProxyUrl {
        url: Url,
        #[source]
        source: reqwest::Error,
    },
    #[error("proxy header `{name}`: {reason}")]
    InvalidProxyHeader { name: String, reason: &'static str },
    #[error("cannot build the {which} HTTP client")]
    Build {
        which: &'static str,
        #[source]
        source: reqwest::Error,
    },
}

/// The two outbound clients. Cheap to clone (reqwest clients share their pools).
#[derive(Debug, Clone)]
pub struct HttpClients {
    /// Goes through the proxy when one is configured; direct otherwise. Confluence calls,
    /// downloads, tokens, and Unique calls of `external` tenants use it.
    pub proxied: Client,
    /// Never uses a proxy: Unique calls and uploads of `cluster_local` tenants.
    pub direct: Client,
}

impl HttpClients {
    /// Builds both clients. `extra_ca` (`EXTRA_CA_CERTS`) is added to the system and built-in
    /// roots of both; the proxy's CA bundle and client certificate only to the proxied one.
    pub fn build(proxy: &ProxySettings, extra_ca: Option<&Path>) -> Result<Self, ClientBuildError> {
        let extra_roots = match extra_ca {
            Some(path) => read_certificates("extra CA bundle", path)?,
            None => Vec::new(),
        };

        let direct = with_roots(base_builder(), &extra_roots)
            .no_proxy()
            .build()
            .map_err(|source| ClientBuildError::Build {
                which: "direct",
                source,
            })?;

        let proxied = match build_proxy(&proxy.mode, &proxy.connect_headers)? {
            None => direct.clone(),
            Some(proxy_route) => {
                let mut builder = with_roots(base_builder(), &extra_roots);
                if let Some(path) = &proxy.ca_bundle_path {
                    builder = with_roots(builder, &read_certificates("proxy CA bundle", path)?);
                }
                if let ProxyMode::SslTls {
                    client_cert_path,
                    client_key_path,
                    ..
                } = &proxy.mode
                {
                    builder = builder.identity(read_identity(client_cert_path, client_key_path)?);
                }
                builder
                    .proxy(proxy_route)
                    .build()
                    .map_err(|source| ClientBuildError::Build {
                        which: "proxied",
                        source,
                    })?
            }
        };
        Ok(Self { proxied, direct })
    }
}

/// Why [`send`] failed.
#[derive(Debug, thiserror::Error)]
pub enum SendError {
    #[error("{method} {url} failed")]
    Transport {
        method: reqwest::Method,
        url: String,
        #[source]
        source: reqwest::Error,
    },
    #[error("{method} {url}: no response headers within {timeout:?}")]
    HeadersTimeout {
        method: reqwest::Method,
        url: String,
        timeout: Duration,
    },
}

impl SendError {
    /// Whether another attempt may succeed: header timeouts and connection-level errors are
    /// transient (operations.md §4).
    pub fn transience(&self) -> Transience {
        match self {
            Self::Transport { source, .. } => retry::classify(source),
            Self::HeadersTimeout { .. } => Transience::Transient,
        }
    }
}

/// Sends `request` and waits at most [`RESPONSE_HEADERS_TIMEOUT`] for the status and headers. The
/// body is then read under the client's body-idle timeout.
pub async fn send(client: &Client, request: Request) -> Result<Response, SendError> {
    send_with_header_timeout(client, request, RESPONSE_HEADERS_TIMEOUT).await
}

/// [`send`] with another response-header timeout (health pings use their own total budget).
pub async fn send_with_header_timeout(
    client: &Client,
    request: Request,
    timeout: Duration,
) -> Result<Response, SendError> {
    let method = request.method().clone();
    let url = request.url().to_string();
    match tokio::time::timeout(timeout, client.execute(request)).await {
        Ok(Ok(response)) => Ok(response),
        Ok(Err(source)) => Err(SendError::Transport {
            method,
            url,
            source: source.without_url(),
        }),
        Err(_) => Err(SendError::HeadersTimeout {
            method,
            url,
            timeout,
        }),
    }
}

fn base_builder() -> ClientBuilder {
    Client::builder()
        .use_rustls_tls()
        .user_agent(USER_AGENT)
        .redirect(reqwest::redirect::Policy::none())
        .connect_timeout(CONNECT_TIMEOUT)
        .read_timeout(BODY_IDLE_TIMEOUT)
}

fn with_roots(builder: ClientBuilder, roots: &[Certificate]) -> ClientBuilder {
    roots
        .iter()
        .cloned()
        .fold(builder, ClientBuilder::add_root_certificate)
}

fn read_certificates(
    what: &'static str,
    path: &Path,
) -> Result<Vec<Certificate>, ClientBuildError> {
    let pem = std::fs::read(path).map_err(|source| ClientBuildError::ReadFile {
        what,
        path: path.to_path_buf(),
        source,
    })?;
    let invalid = |source| ClientBuildError::InvalidCertificates {
        what,
        path: path.to_path_buf(),
        source,
    };
    let certificates = Certificate::from_pem_bundle(&pem).map_err(|e| invalid(Some(e)))?;
    if certificates.is_empty() {
        return Err(invalid(None));
    }
    Ok(certificates)
}

fn read_identity(cert_path: &Path, key_path: &Path) -> Result<Identity, ClientBuildError> {
    let read = |what, path: &Path| {
        std::fs::read(path).map_err(|source| ClientBuildError::ReadFile {
            what,
            path: path.to_path_buf(),
            source,
        })
    };
    // rustls wants the certificate chain and the key in one PEM buffer.
    let mut pem = read("proxy client certificate", cert_path)?;
    pem.push(b'\n');
    pem.extend(read("proxy client key", key_path)?);
    Identity::from_pem(&pem).map_err(|source| ClientBuildError::InvalidClientIdentity {
        cert_path: cert_path.to_path_buf(),
        key_path: key_path.to_path_buf(),
        source,
    })
}

/// The reqwest proxy for `mode`; `None` when no proxy is configured.
fn build_proxy(
    mode: &ProxyMode,
    headers: &[(String, String)],
) -> Result<Option<Proxy>, ClientBuildError> {
    let (url, needs_tls) = match mode {
        ProxyMode::None => return Ok(None),
        ProxyMode::NoAuth { url } | ProxyMode::UsernamePassword { url, .. } => (url, false),
        ProxyMode::SslTls { url, .. } => (url, true),
    };
    let scheme_ok = match url.scheme() {
        "https" => true,
        "http" => !needs_tls,
        _ => false,
    };
    if !scheme_ok {
        return Err(ClientBuildError::UnsupportedProxyScheme { url: url.clone() });
    }
    let mut proxy =
        Proxy::all(url.as_str()).map_err(|source| ClientBuildError::InvalidProxyUrl {
            url: url.clone(),
            source,
        })?;
    if let ProxyMode::UsernamePassword {
        username, password, ..
    } = mode
    {
        proxy = proxy.basic_auth(username, password.expose());
    }
    if !headers.is_empty() {
        proxy = proxy.headers(proxy_headers(headers)?);
    }
    Ok(Some(proxy))
}

fn proxy_headers(headers: &[(String, String)]) -> Result<HeaderMap, ClientBuildError> {
    let mut map = HeaderMap::new();
    for (name, value) in headers {
        let invalid = |reason| ClientBuildError::InvalidProxyHeader {
            name: name.clone(),
            reason,
        };
        let header_name = HeaderName::from_bytes(name.as_bytes())
            .map_err(|_| invalid("not a valid header name"))?;
        let mut header_value = HeaderValue::from_str(value)
            .map_err(|_| invalid("value is not a valid header value"))?;
        // Values may carry proxy credentials; keep them out of any debug output.
        header_value.set_sensitive(true);
        map.append(header_name, header_value);
    }
    Ok(map)
}
