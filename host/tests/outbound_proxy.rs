//! The outbound clients against a real loopback forward/CONNECT proxy written here: which client
//! uses the proxy, what the proxy receives (request line, `Proxy-Authorization`, extra headers),
//! and the build-time checks of proxy and CA settings.

use std::path::PathBuf;
use std::time::Duration;

mod support;

use axum::Router;
use axum::routing::get;
use connector_host::http_client::{
    ClientBuildError, HttpClients, ProxyMode, ProxySettings, SendError, send_with_header_timeout,
};
use connector_host::retry::Transience;
use connector_host::secret::Secret;
use support::proxy::{TestProxy, start_target};
use tokio::io::AsyncReadExt;
use tokio::net::TcpListener;
use url::Url;

#[tokio::test]
async fn no_auth_proxy_carries_requests_of_the_proxied_client() {
    let proxy = TestProxy::start().await;
    let target = start_target().await;
    let clients = HttpClients::build(
        &ProxySettings::with_mode(ProxyMode::NoAuth {
            url: proxy.url.clone(),
        }),
        None,
    )
    .expect("clients");

    let body = clients
        .proxied
        .get(target.clone())
        .send()
        .await
        .expect("proxied request")
        .text()
        .await
        .expect("body");

    assert_eq!(body, "hello from target");
    let seen = proxy.seen();
    assert_eq!(seen.len(), 1);
    assert_eq!(seen[0].request_line, format!("GET {target} HTTP/1.1"));
    assert_eq!(seen[0].header("proxy-authorization"), None);
}

#[tokio::test]
async fn username_password_proxy_gets_basic_proxy_authorization_and_extra_headers() {
    let proxy = TestProxy::start().await;
    let target = start_target().await;
    let settings = ProxySettings {
        mode: ProxyMode::UsernamePassword {
            url: proxy.url.clone(),
            username: "proxy-user".into(),
            password: Secret::new("proxy-pass"),
        },
        ca_bundle_path: None,
        connect_headers: vec![("X-Proxy-Team".into(), "blue".into())],
    };
    let clients = HttpClients::build(&settings, None).expect("clients");

    let status = clients
        .proxied
        .get(target.clone())
        .send()
        .await
        .expect("proxied request")
        .status();

    assert_eq!(status, 200);
    let seen = proxy.seen();
    assert_eq!(seen.len(), 1);
    assert_eq!(
        seen[0].header("proxy-authorization"),
        // base64("proxy-user:proxy-pass")
        Some("Basic cHJveHktdXNlcjpwcm94eS1wYXNz")
    );
    assert_eq!(seen[0].header("x-proxy-team"), Some("blue"));
}

#[tokio::test]
async fn https_targets_are_tunnelled_with_connect_carrying_proxy_credentials() {
    let proxy = TestProxy::start().await;
    // A plain-HTTP server behind an https URL: the tunnel opens, then the TLS handshake fails.
    // What matters here is what the proxy received.
    let target = start_target().await;
    let port = target.port().expect("target port");
    let settings = ProxySettings {
        mode: ProxyMode::UsernamePassword {
            url: proxy.url.clone(),
            username: "proxy-user".into(),
            password: Secret::new("proxy-pass"),
        },
        ca_bundle_path: None,
        connect_headers: vec![("X-Proxy-Team".into(), "blue".into())],
    };
    let clients = HttpClients::build(&settings, None).expect("clients");

    let outcome = clients
        .proxied
        .get(format!("https://127.0.0.1:{port}/hello"))
        .send()
        .await;

    assert!(outcome.is_err(), "the target speaks no TLS");
    let seen = proxy.seen();
    assert_eq!(seen.len(), 1);
    assert_eq!(
        seen[0].request_line,
        format!("CONNECT 127.0.0.1:{port} HTTP/1.1")
    );
    assert_eq!(
        seen[0].header("proxy-authorization"),
        Some("Basic cHJveHktdXNlcjpwcm94eS1wYXNz")
    );
    assert_eq!(seen[0].header("x-proxy-team"), Some("blue"));
}

#[tokio::test]
async fn direct_client_never_uses_the_proxy() {
    let proxy = TestProxy::start().await;
    let target = start_target().await;
    let clients = HttpClients::build(
        &ProxySettings::with_mode(ProxyMode::NoAuth {
            url: proxy.url.clone(),
        }),
        None,
    )
    .expect("clients");

    let body = clients
        .direct
        .get(target)
        .send()
        .await
        .expect("direct request")
        .text()
        .await
        .expect("body");

    assert_eq!(body, "hello from target");
    assert!(proxy.seen().is_empty(), "{:?}", proxy.seen());
}

#[tokio::test]
async fn clients_do_not_follow_redirects() {
    let app = Router::new()
        .route(
            "/from",
            get(|| async { axum::response::Redirect::temporary("/to") }),
        )
        .route("/to", get(|| async { "followed" }));
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move { axum::serve(listener, app).await });
    let clients = HttpClients::build(&ProxySettings::none(), None).expect("clients");

    for client in [&clients.proxied, &clients.direct] {
        let response = client
            .get(format!("http://{addr}/from"))
            .send()
            .await
            .expect("request");
        assert_eq!(response.status(), 307);
        assert_eq!(response.headers()["location"], "/to");
    }
}

#[tokio::test]
async fn missing_response_headers_time_out_as_a_transient_error() {
    // Accepts connections, reads the request, never answers.
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move {
        let mut open = Vec::new();
        while let Ok((mut socket, _)) = listener.accept().await {
            let mut buf = [0u8; 1024];
            let _ = socket.read(&mut buf).await;
            open.push(socket);
        }
    });
    let clients = HttpClients::build(&ProxySettings::none(), None).expect("clients");
    let request = clients
        .direct
        .get(format!("http://{addr}/slow"))
        .build()
        .expect("request");

    let error = send_with_header_timeout(&clients.direct, request, Duration::from_millis(200))
        .await
        .expect_err("no answer");

    assert!(
        matches!(error, SendError::HeadersTimeout { .. }),
        "{error:?}"
    );
    assert_eq!(error.transience(), Transience::Transient);
    assert!(error.to_string().contains("/slow"), "{error}");
}

#[test]
fn missing_extra_ca_file_is_an_error_naming_the_file() {
    let path = PathBuf::from("/nonexistent/extra-ca.pem");
    let error = HttpClients::build(&ProxySettings::none(), Some(&path)).expect_err("no file");
    assert!(
        matches!(error, ClientBuildError::ReadFile { .. }),
        "{error:?}"
    );
    assert!(error.to_string().contains("/nonexistent/extra-ca.pem"));
}

#[test]
fn ca_file_without_certificates_is_rejected() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("empty.pem");
    std::fs::write(&path, "no certificates here\n").expect("write");
    let error = HttpClients::build(&ProxySettings::none(), Some(&path)).expect_err("no certs");
    assert!(
        matches!(error, ClientBuildError::InvalidCertificates { .. }),
        "{error:?}"
    );
    assert!(error.to_string().contains("empty.pem"), "{error}");
}

#[test]
fn ssl_tls_proxy_must_be_https() {
    let settings = ProxySettings::with_mode(ProxyMode::SslTls {
        url: Url::parse("http://proxy.example:3128").expect("url"),
        client_cert_path: PathBuf::from("/unused/cert.pem"),
        client_key_path: PathBuf::from("/unused/key.pem"),
    });
    let error = HttpClients::build(&settings, None).expect_err("http proxy with a client cert");
    assert!(
        matches!(error, ClientBuildError::UnsupportedProxyScheme { .. }),
        "{error:?}"
    );
}

#[test]
fn invalid_proxy_header_name_is_rejected() {
    let settings = ProxySettings {
        mode: ProxyMode::NoAuth {
            url: Url::parse("http://proxy.example:3128").expect("url"),
        },
        ca_bundle_path: None,
        connect_headers: vec![("bad header".into(), "v".into())],
    };
    let error = HttpClients::build(&settings, None).expect_err("bad header name");
    assert!(error.to_string().contains("bad header"), "{error}");
}
