//! JSON log lines in pino's shape on stdout (operations §8): `level` as a number (10 trace …
//! 50 error), `time` in epoch milliseconds, `pid`, `hostname`, the fields of every enclosing span
//! and of the event at the top level (so a `tenantName` on the tenant's span is on every line of
//! its work), and `msg` last.
//!
//! [`init`] installs it for the process; [`subscriber`] builds it over any [`MakeWriter`] so tests
//! can capture and parse the lines. Values are written as recorded: secrets are
//! [`crate::secret::Secret`]s (which print `[redacted]`) and identifying data goes through
//! [`super::Diagnostics`] before it reaches a field.

use std::error::Error as StdError;
use std::fmt::{self, Write as _};
use std::io::Write as _;
use std::time::{SystemTime, UNIX_EPOCH};

use serde_json::Value as Json;
use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id, Record};
use tracing::{Event, Level, Subscriber};
use tracing_subscriber::fmt::MakeWriter;
use tracing_subscriber::layer::{Context, SubscriberExt as _};
use tracing_subscriber::registry::LookupSpan;
use tracing_subscriber::util::SubscriberInitExt as _;
use tracing_subscriber::{Layer, Registry};

use crate::config::LogLevel;

/// Why the process logger could not be installed.
#[derive(Debug, thiserror::Error)]
pub enum LoggingError {
    #[error("cannot install the JSON logger (is another global logger already set?)")]
    AlreadyInstalled(#[source] tracing_subscriber::util::TryInitError),
}

/// Keys the line itself uses; a field with one of these names is written as `field.<name>` so it
/// cannot overwrite them.
const RESERVED_KEYS: [&str; 5] = ["level", "time", "pid", "hostname", "msg"];
/// Field names `tracing-log` adds to bridged `log` records; they only repeat metadata.
const BRIDGED_LOG_FIELD_PREFIX: &str = "log.";

/// Installs the JSON logger on stdout for the whole process, filtered at `level`
/// (`ServiceSettings::log_level`). Records of the `log` crate (used by some dependencies) are
/// bridged into it.
pub fn init(level: LogLevel) -> Result<(), LoggingError> {
    subscriber(level, std::io::stdout)
        .try_init()
        .map_err(LoggingError::AlreadyInstalled)
}

/// A subscriber writing pino-style JSON lines to `make_writer`, dropping events below `level`
/// (`LOG_LEVEL`; `fatal` and `silent` are already mapped by the settings).
pub fn subscriber<W>(level: LogLevel, make_writer: W) -> impl Subscriber + Send + Sync + 'static
where
    W: for<'w> MakeWriter<'w> + Send + Sync + 'static,
{
    Registry::default().with(PinoLayer::new(make_writer).with_filter(level.level_filter()))
}

/// The layer that formats events; use [`subscriber`] unless composing with other layers.
pub struct PinoLayer<W> {
    make_writer: W,
    pid: u32,
    hostname: String,
}

impl<W> PinoLayer<W> {
    pub fn new(make_writer: W) -> Self {
        Self {
            make_writer,
            pid: std::process::id(),
            hostname: hostname(),
        }
    }
}

/// pino's numeric level; `fatal` (60) has no `tracing` level and is never written.
fn pino_level(level: &Level) -> u8 {
    match *level {
        Level::TRACE => 10,
        Level::DEBUG => 20,
        Level::INFO => 30,
        Level::WARN => 40,
        Level::ERROR => 50,
    }
}

/// `HOSTNAME` (set in every Kubernetes pod), else the kernel's host name.
fn hostname() -> String {
    std::env::var("HOSTNAME")
        .ok()
        .or_else(|| std::fs::read_to_string("/proc/sys/kernel/hostname").ok())
        .map(|name| name.trim().to_owned())
        .filter(|name| !name.is_empty())
        .unwrap_or_else(|| "unknown".to_owned())
}

impl<S, W> Layer<S> for PinoLayer<W>
where
    S: Subscriber + for<'a> LookupSpan<'a>,
    W: for<'w> MakeWriter<'w> + 'static,
{
    fn on_new_span(&self, attrs: &Attributes<'_>, id: &Id, ctx: Context<'_, S>) {
        let Some(span) = ctx.span(id) else { return };
        let mut fields = JsonFields::default();
        attrs.record(&mut fields);
        span.extensions_mut().insert(fields);
    }

    fn on_record(&self, id: &Id, values: &Record<'_>, ctx: Context<'_, S>) {
        let Some(span) = ctx.span(id) else { return };
        let mut extensions = span.extensions_mut();
        if let Some(fields) = extensions.get_mut::<JsonFields>() {
            values.record(fields);
        }
    }

    fn on_event(&self, event: &Event<'_>, ctx: Context<'_, S>) {
        // Outer spans first, so an inner span or the event itself wins on a repeated name.
        let mut fields = JsonFields::default();
        if let Some(scope) = ctx.event_scope(event) {
            for span in scope.from_root() {
                if let Some(span_fields) = span.extensions().get::<JsonFields>() {
                    fields.extend(span_fields);
                }
            }
        }
        event.record(&mut fields);

        let line = self.format_line(event.metadata().level(), fields);
        // A log line that cannot be written has nowhere else to go.
        let _ = self.make_writer.make_writer().write_all(line.as_bytes());
    }
}

impl<W> PinoLayer<W> {
    fn format_line(&self, level: &Level, fields: JsonFields) -> String {
        let time = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |since| since.as_millis());
        let mut line = format!(
            "{{\"level\":{},\"time\":{time},\"pid\":{},\"hostname\":{}",
            pino_level(level),
            self.pid,
            Json::from(self.hostname.as_str()),
        );
        for (name, value) in &fields.values {
            let key = if RESERVED_KEYS.contains(name) {
                format!("field.{name}")
            } else {
                (*name).to_owned()
            };
            // Writing to a String cannot fail.
            let _ = write!(line, ",{}:{value}", Json::from(key));
        }
        let message = fields.message.unwrap_or_default();
        let _ = writeln!(line, ",\"msg\":{}}}", Json::from(message));
        line
    }
}

/// Recorded fields of a span or an event, in recording order; the `message` field apart.
#[derive(Default)]
struct JsonFields {
    values: Vec<(&'static str, Json)>,
    message: Option<String>,
}

impl JsonFields {
    fn set(&mut self, name: &'static str, value: Json) {
        if name.starts_with(BRIDGED_LOG_FIELD_PREFIX) {
            return;
        }
        if name == "message" {
            self.message = Some(match value {
                Json::String(text) => text,
                other => other.to_string(),
            });
            return;
        }
        match self
            .values
            .iter_mut()
            .find(|(existing, _)| *existing == name)
        {
            Some((_, existing)) => *existing = value,
            None => self.values.push((name, value)),
        }
    }

    fn extend(&mut self, other: &JsonFields) {
        for (name, value) in &other.values {
            self.set(name, value.clone());
        }
    }
}

impl Visit for JsonFields {
    fn record_f64(&mut self, field: &Field, value: f64) {
        let number = serde_json::Number::from_f64(value).map_or(Json::Null, Json::Number);
        self.set(field.name(), number);
    }

    fn record_i64(&mut self, field: &Field, value: i64) {
        self.set(field.name(), Json::from(value));
    }

    fn record_u64(&mut self, field: &Field, value: u64) {
        self.set(field.name(), Json::from(value));
    }

    fn record_bool(&mut self, field: &Field, value: bool) {
        self.set(field.name(), Json::from(value));
    }

    fn record_str(&mut self, field: &Field, value: &str) {
        self.set(field.name(), Json::from(value));
    }

    /// An error is written with its causes, `outer: inner: root`, so the line says why.
    fn record_error(&mut self, field: &Field, value: &(dyn StdError + 'static)) {
        let mut text = value.to_string();
        let mut cause = value.source();
        while let Some(error) = cause {
            let _ = write!(text, ": {error}");
            cause = error.source();
        }
        self.set(field.name(), Json::from(text));
    }

    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        self.set(field.name(), Json::from(format!("{value:?}")));
    }
}
