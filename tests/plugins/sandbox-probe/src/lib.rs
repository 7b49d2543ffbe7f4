//! A deliberately hostile plugin for the host's sandbox tests.
//!
//! `session.identify` misbehaves in the way the tenant config's `behaviour` asks and reports what
//! it saw in `source-identity.name`. Every other function behaves well, so a test can show that
//! one misbehaving call fails alone.

use std::hint::black_box;

use connector_plugin_sdk::http::{HttpError, Request};
use connector_plugin_sdk::source::{
    Batch, Capabilities, Discovery, FetchedPage, Guest, GuestDiscovery, GuestSession, PluginInfo,
    Session, SessionSettings, SourceError, SourceIdentity,
};
use serde::Deserialize;

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ProbeConfig {
    behaviour: String,
    #[serde(default)]
    url: Option<String>,
}

struct SandboxProbe;

impl Guest for SandboxProbe {
    type Session = ProbeSession;
    type Discovery = EmptyDiscovery;

    fn describe() -> PluginInfo {
        PluginInfo {
            id: "sandbox-probe".into(),
            version: "0.1.0".into(),
            description: "Hostile test plugin".into(),
            capabilities: Capabilities::empty(),
            config_schema: None,
        }
    }
}

struct ProbeSession {
    config: ProbeConfig,
}

impl GuestSession for ProbeSession {
    fn open(settings: SessionSettings) -> Result<Session, SourceError> {
        let config: ProbeConfig = serde_json::from_str(&settings.config)
            .map_err(|err| SourceError::InvalidConfig(format!("config: {err}")))?;
        Ok(Session::new(ProbeSession { config }))
    }

    fn identify(&self) -> Result<SourceIdentity, SourceError> {
        let observed = match self.config.behaviour.as_str() {
            "spin" => spin(),
            "allocate" => allocate_until_refused(),
            "panic" => panic!("the probe panics on purpose"),
            "snoop" => snoop(),
            "fetch" => fetch(self.config.url.as_deref().unwrap_or_default())?,
            "shout" => shout(),
            other => format!("unknown behaviour {other}"),
        };
        Ok(SourceIdentity {
            instance_id: "probe:1".into(),
            kind: "PROBE".into(),
            name: observed,
        })
    }

    fn discover(&self) -> Result<Discovery, SourceError> {
        Ok(Discovery::new(EmptyDiscovery))
    }

    fn fetch_pages(&self, ids: Vec<String>) -> Result<Vec<FetchedPage>, SourceError> {
        Err(SourceError::Other(format!(
            "the probe has no pages ({} asked)",
            ids.len()
        )))
    }
}

struct EmptyDiscovery;

impl GuestDiscovery for EmptyDiscovery {
    fn next_batch(&self, _max: u32) -> Result<Batch, SourceError> {
        Ok(Batch::Done(
            connector_plugin_sdk::source::Completeness::Complete,
        ))
    }
}

/// Burns CPU forever; only the host's deadline stops it.
fn spin() -> String {
    let mut counter: u64 = 0;
    loop {
        counter = black_box(counter.wrapping_add(1));
    }
}

/// Grows memory in 1 MiB steps until the host refuses (which traps).
fn allocate_until_refused() -> String {
    let mut hoard: Vec<Vec<u8>> = Vec::new();
    loop {
        let mut chunk = vec![0u8; 1 << 20];
        chunk[0] = 1;
        hoard.push(black_box(chunk));
    }
}

/// Reports what the sandbox lets the guest see of its environment, files and sockets.
fn snoop() -> String {
    let env: Vec<String> = std::env::vars().map(|(key, _)| key).collect();
    let root = std::fs::read_dir("/")
        .map(|entries| entries.count())
        .map_err(|err| err.to_string());
    let passwd = std::fs::read_to_string("/etc/passwd")
        .map(|text| text.len())
        .map_err(|err| err.to_string());
    let cwd = std::env::current_dir()
        .map(|dir| dir.display().to_string())
        .map_err(|err| err.to_string());
    let socket = std::net::TcpStream::connect("127.0.0.1:80")
        .map(|_| ())
        .map_err(|err| err.to_string());
    serde_json::json!({
        "env": env,
        "rootEntries": format!("{root:?}"),
        "passwd": format!("{passwd:?}"),
        "cwd": format!("{cwd:?}"),
        "socket": format!("{socket:?}"),
    })
    .to_string()
}

/// Sends a request with headers the host must strip, and reports the outcome.
fn fetch(url: &str) -> Result<String, SourceError> {
    let request = Request::get(url)
        .header("Authorization", "Bearer guest-forged-token")
        .header("Cookie", "session=guest")
        .header("Host", "evil.example")
        .header("x-probe", "1");
    let outcome = match request.send() {
        Ok(response) => serde_json::json!({
            "status": response.status,
            "body": String::from_utf8_lossy(&response.body),
        }),
        Err(HttpError::Denied(why)) => serde_json::json!({ "denied": why }),
        Err(other) => serde_json::json!({ "error": other.to_string() }),
    };
    Ok(outcome.to_string())
}

/// Writes far more to stdout and stderr than the host keeps.
fn shout() -> String {
    let line = "x".repeat(1023);
    for _ in 0..4096 {
        println!("{line}");
        eprintln!("{line}");
    }
    "shouted".into()
}

connector_plugin_sdk::export!(SandboxProbe);
