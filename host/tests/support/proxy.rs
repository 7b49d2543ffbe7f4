//! A tiny HTTP proxy for tests, and a plain target behind it. `CONNECT host:port` opens a
//! tunnel; an absolute-form request is forwarded to its target as is. The proxy records the head
//! of the first request on each connection, so tests can check what it received.

use std::sync::{Arc, Mutex};

use axum::Router;
use axum::routing::get;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use url::Url;

/// What the proxy received, in order.
pub type ProxyLog = Arc<Mutex<Vec<ProxiedRequest>>>;

/// The head of one request the proxy received.
#[derive(Debug, Clone)]
pub struct ProxiedRequest {
    pub request_line: String,
    pub headers: Vec<(String, String)>,
}

impl ProxiedRequest {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// A tiny HTTP proxy: `CONNECT host:port` opens a tunnel; an absolute-form request is forwarded to
/// its target as is. Records the head of the first request on each connection.
pub struct TestProxy {
    pub url: Url,
    pub log: ProxyLog,
}

impl TestProxy {
    pub async fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind proxy");
        let addr = listener.local_addr().expect("proxy addr");
        let log = ProxyLog::default();
        let recorder = Arc::clone(&log);
        tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                tokio::spawn(serve_proxy_connection(client, Arc::clone(&recorder)));
            }
        });
        Self {
            url: Url::parse(&format!("http://{addr}")).expect("proxy url"),
            log,
        }
    }

    pub fn seen(&self) -> Vec<ProxiedRequest> {
        self.log.lock().expect("proxy log").clone()
    }
}

pub async fn serve_proxy_connection<S>(mut client: S, seen: ProxyLog)
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    let mut buffer = Vec::new();
    let head_end = loop {
        let mut chunk = [0u8; 4096];
        let read = match client.read(&mut chunk).await {
            Ok(0) | Err(_) => return,
            Ok(read) => read,
        };
        buffer.extend_from_slice(&chunk[..read]);
        if let Some(pos) = buffer.windows(4).position(|w| w == b"\r\n\r\n") {
            break pos + 4;
        }
    };
    let head = String::from_utf8_lossy(&buffer[..head_end]).into_owned();
    let mut lines = head.split("\r\n");
    let request_line = lines.next().unwrap_or_default().to_owned();
    let headers = lines
        .filter_map(|line| line.split_once(':'))
        .map(|(n, v)| (n.trim().to_owned(), v.trim().to_owned()))
        .collect();
    seen.lock().expect("proxy log").push(ProxiedRequest {
        request_line: request_line.clone(),
        headers,
    });

    let mut parts = request_line.split(' ');
    let method = parts.next().unwrap_or_default();
    let target = parts.next().unwrap_or_default();
    let authority = if method == "CONNECT" {
        target.to_owned()
    } else {
        let url = Url::parse(target).expect("absolute-form target");
        format!(
            "{}:{}",
            url.host_str().expect("target host"),
            url.port_or_known_default().expect("target port")
        )
    };
    let Ok(mut upstream) = TcpStream::connect(&authority).await else {
        let _ = client.write_all(b"HTTP/1.1 502 Bad Gateway\r\n\r\n").await;
        return;
    };
    if method == "CONNECT" {
        if client
            .write_all(b"HTTP/1.1 200 Connection Established\r\n\r\n")
            .await
            .is_err()
        {
            return;
        }
        if upstream.write_all(&buffer[head_end..]).await.is_err() {
            return;
        }
    } else if upstream.write_all(&buffer).await.is_err() {
        return;
    }
    let _ = tokio::io::copy_bidirectional(&mut client, &mut upstream).await;
}

/// A plain HTTP target that says hello.
pub async fn start_target() -> Url {
    let app = Router::new().route("/hello", get(|| async { "hello from target" }));
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind target");
    let addr = listener.local_addr().expect("target addr");
    tokio::spawn(async move { axum::serve(listener, app).await });
    Url::parse(&format!("http://{addr}/hello")).expect("target url")
}
