//! The outbound clients with TLS made here by a private test CA: extra CA certificates
//! (`EXTRA_CA_CERTS`), HTTPS targets tunnelled through the proxy, and an `ssl_tls` proxy that
//! demands the connector's client certificate.

mod support;

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use connector_host::http_client::{HttpClients, ProxyMode, ProxySettings};
use rcgen::{
    BasicConstraints, CertificateParams, CertifiedIssuer, DnType, IsCa, KeyPair, KeyUsagePurpose,
};
use support::proxy::{ProxyLog, TestProxy, serve_proxy_connection, start_target};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;
use tokio_rustls::TlsAcceptor;
use tokio_rustls::rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use tokio_rustls::rustls::server::WebPkiClientVerifier;
use tokio_rustls::rustls::{RootCertStore, ServerConfig, crypto};
use url::Url;

const TLS_TARGET_BODY: &str = "hello over tls";

/// A private CA and the files the connector is configured with.
struct TestPki {
    dir: tempfile::TempDir,
    ca: CertifiedIssuer<'static, KeyPair>,
}

/// A certificate issued by the test CA, with its key.
struct Leaf {
    cert: rcgen::Certificate,
    key: KeyPair,
}

impl TestPki {
    fn new() -> Self {
        let mut params = CertificateParams::new(Vec::<String>::new()).expect("ca params");
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params
            .distinguished_name
            .push(DnType::CommonName, "connector test CA");
        params.key_usages = vec![
            KeyUsagePurpose::KeyCertSign,
            KeyUsagePurpose::CrlSign,
            KeyUsagePurpose::DigitalSignature,
        ];
        let ca = CertifiedIssuer::self_signed(params, KeyPair::generate().expect("ca key"))
            .expect("ca certificate");
        let pki = Self {
            dir: tempfile::tempdir().expect("temp dir"),
            ca,
        };
        std::fs::write(pki.ca_path(), pki.ca.pem()).expect("write ca");
        pki
    }

    fn ca_path(&self) -> PathBuf {
        self.dir.path().join("ca.pem")
    }

    /// A certificate for `127.0.0.1` (servers) or a client named `common_name`.
    fn issue(&self, common_name: &str) -> Leaf {
        let mut params = CertificateParams::new(vec!["127.0.0.1".to_owned()]).expect("params");
        params
            .distinguished_name
            .push(DnType::CommonName, common_name);
        let key = KeyPair::generate().expect("leaf key");
        let cert = params.signed_by(&key, &self.ca).expect("leaf certificate");
        Leaf { cert, key }
    }

    /// Writes `leaf` as PEM files; returns (certificate path, key path).
    fn write_leaf(&self, name: &str, leaf: &Leaf) -> (PathBuf, PathBuf) {
        let cert_path = self.dir.path().join(format!("{name}.crt"));
        let key_path = self.dir.path().join(format!("{name}.key"));
        std::fs::write(&cert_path, leaf.cert.pem()).expect("write cert");
        std::fs::write(&key_path, leaf.key.serialize_pem()).expect("write key");
        (cert_path, key_path)
    }

    fn ca_roots(&self) -> RootCertStore {
        let mut roots = RootCertStore::empty();
        roots.add(self.ca.der().clone()).expect("ca root");
        roots
    }
}

/// Server TLS settings for `leaf`; with `client_roots`, a client certificate from them is required.
fn server_config(leaf: &Leaf, client_roots: Option<RootCertStore>) -> Arc<ServerConfig> {
    let provider = Arc::new(crypto::ring::default_provider());
    let builder = ServerConfig::builder_with_provider(Arc::clone(&provider))
        .with_safe_default_protocol_versions()
        .expect("protocol versions");
    let builder = match client_roots {
        Some(roots) => builder.with_client_cert_verifier(
            WebPkiClientVerifier::builder_with_provider(Arc::new(roots), provider)
                .build()
                .expect("client verifier"),
        ),
        None => builder.with_no_client_auth(),
    };
    let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(leaf.key.serialize_der()));
    Arc::new(
        builder
            .with_single_cert(vec![leaf.cert.der().clone()], key)
            .expect("server certificate"),
    )
}

/// An HTTPS server that answers every request with [`TLS_TARGET_BODY`].
async fn start_tls_target(pki: &TestPki) -> Url {
    let acceptor = TlsAcceptor::from(server_config(&pki.issue("target"), None));
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move {
        while let Ok((socket, _)) = listener.accept().await {
            let acceptor = acceptor.clone();
            tokio::spawn(async move {
                let Ok(mut tls) = acceptor.accept(socket).await else {
                    return;
                };
                let mut head = Vec::new();
                let mut chunk = [0u8; 1024];
                while !head.windows(4).any(|w| w == b"\r\n\r\n") {
                    match tls.read(&mut chunk).await {
                        Ok(0) | Err(_) => return,
                        Ok(read) => head.extend_from_slice(&chunk[..read]),
                    }
                }
                let response = format!(
                    "HTTP/1.1 200 OK\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{TLS_TARGET_BODY}",
                    TLS_TARGET_BODY.len()
                );
                let _ = tls.write_all(response.as_bytes()).await;
                let _ = tls.shutdown().await;
            });
        }
    });
    Url::parse(&format!("https://127.0.0.1:{}/", addr.port())).expect("url")
}

/// A proxy reached over TLS that requires a client certificate issued by the test CA. Records
/// whether each accepted connection presented one.
struct TlsProxy {
    proxy: TestProxy,
    client_certificates: Arc<Mutex<Vec<String>>>,
}

async fn start_tls_proxy(pki: &TestPki) -> TlsProxy {
    let acceptor = TlsAcceptor::from(server_config(&pki.issue("proxy"), Some(pki.ca_roots())));
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    let log = ProxyLog::default();
    let client_certificates = Arc::new(Mutex::new(Vec::new()));
    let (recorder, certificates) = (Arc::clone(&log), Arc::clone(&client_certificates));
    tokio::spawn(async move {
        while let Ok((socket, _)) = listener.accept().await {
            let (acceptor, recorder, certificates) = (
                acceptor.clone(),
                Arc::clone(&recorder),
                Arc::clone(&certificates),
            );
            tokio::spawn(async move {
                let Ok(tls) = acceptor.accept(socket).await else {
                    return;
                };
                let presented = tls
                    .get_ref()
                    .1
                    .peer_certificates()
                    .map_or(0, <[CertificateDer<'_>]>::len);
                certificates
                    .lock()
                    .expect("cert log")
                    .push(format!("{presented} certificate(s)"));
                serve_proxy_connection(tls, recorder).await;
            });
        }
    });
    TlsProxy {
        proxy: TestProxy {
            url: Url::parse(&format!("https://127.0.0.1:{}", addr.port())).expect("url"),
            log,
        },
        client_certificates,
    }
}

async fn get_text(client: &reqwest::Client, url: &Url) -> reqwest::Result<String> {
    client.get(url.clone()).send().await?.text().await
}

#[tokio::test]
async fn extra_ca_certificates_are_trusted_by_both_clients() {
    let pki = TestPki::new();
    let target = start_tls_target(&pki).await;

    let without_ca = HttpClients::build(&ProxySettings::none(), None).expect("clients");
    let error = get_text(&without_ca.direct, &target)
        .await
        .expect_err("the private CA is unknown");
    assert!(error.is_connect(), "{error:?}");

    let with_ca =
        HttpClients::build(&ProxySettings::none(), Some(&pki.ca_path())).expect("clients");
    for client in [&with_ca.direct, &with_ca.proxied] {
        let body = get_text(client, &target).await.expect("trusted target");
        assert_eq!(body, TLS_TARGET_BODY);
    }
}

#[tokio::test]
async fn https_target_is_reached_through_a_connect_tunnel() {
    let pki = TestPki::new();
    let target = start_tls_target(&pki).await;
    let proxy = TestProxy::start().await;
    let settings = ProxySettings::with_mode(ProxyMode::NoAuth {
        url: proxy.url.clone(),
    });
    let clients = HttpClients::build(&settings, Some(&pki.ca_path())).expect("clients");

    let body = get_text(&clients.proxied, &target)
        .await
        .expect("tunnelled");

    assert_eq!(body, TLS_TARGET_BODY);
    let seen = proxy.seen();
    assert_eq!(seen.len(), 1);
    let port = target.port().expect("port");
    assert_eq!(
        seen[0].request_line,
        format!("CONNECT 127.0.0.1:{port} HTTP/1.1")
    );
    assert_eq!(seen[0].header("proxy-authorization"), None);
}

fn ssl_tls_settings(pki: &TestPki, proxy_url: &Url, cert: &Path, key: &Path) -> ProxySettings {
    ProxySettings {
        mode: ProxyMode::SslTls {
            url: proxy_url.clone(),
            client_cert_path: cert.to_path_buf(),
            client_key_path: key.to_path_buf(),
        },
        ca_bundle_path: Some(pki.ca_path()),
        connect_headers: Vec::new(),
    }
}

#[tokio::test]
async fn ssl_tls_proxy_receives_the_client_certificate() {
    let pki = TestPki::new();
    let proxy = start_tls_proxy(&pki).await;
    let target = start_target().await;
    let (cert, key) = pki.write_leaf("connector", &pki.issue("confluence-connector"));
    let clients = HttpClients::build(&ssl_tls_settings(&pki, &proxy.proxy.url, &cert, &key), None)
        .expect("clients");

    let body = get_text(&clients.proxied, &target)
        .await
        .expect("request through the TLS proxy");

    assert_eq!(body, "hello from target");
    assert_eq!(
        *proxy.client_certificates.lock().expect("cert log"),
        ["1 certificate(s)"]
    );
    let seen = proxy.proxy.seen();
    assert_eq!(seen.len(), 1);
    assert_eq!(seen[0].request_line, format!("GET {target} HTTP/1.1"));
}

#[tokio::test]
async fn tls_proxy_refuses_a_client_without_certificate() {
    let pki = TestPki::new();
    let proxy = start_tls_proxy(&pki).await;
    let target = start_target().await;
    // The proxy's CA is trusted, but no client certificate is configured.
    let settings = ProxySettings {
        mode: ProxyMode::NoAuth {
            url: proxy.proxy.url.clone(),
        },
        ca_bundle_path: Some(pki.ca_path()),
        connect_headers: Vec::new(),
    };
    let clients = HttpClients::build(&settings, None).expect("clients");

    let outcome = get_text(&clients.proxied, &target).await;

    assert!(outcome.is_err(), "{outcome:?}");
    assert!(proxy.proxy.seen().is_empty(), "no request got through");
}

#[tokio::test]
async fn proxy_ca_bundle_is_not_trusted_by_the_direct_client() {
    let pki = TestPki::new();
    let target = start_tls_target(&pki).await;
    let proxy = TestProxy::start().await;
    let settings = ProxySettings {
        mode: ProxyMode::NoAuth {
            url: proxy.url.clone(),
        },
        ca_bundle_path: Some(pki.ca_path()),
        connect_headers: Vec::new(),
    };
    let clients = HttpClients::build(&settings, None).expect("clients");

    assert_eq!(
        get_text(&clients.proxied, &target).await.expect("proxied"),
        TLS_TARGET_BODY,
        "the proxy CA also verifies targets behind a TLS-inspecting proxy"
    );
    assert!(get_text(&clients.direct, &target).await.is_err());
}
