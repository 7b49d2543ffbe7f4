//! The JSON logger: lines captured through a `MakeWriter` and parsed as JSON. Checks pino's keys,
//! span fields at the top level (`tenantName`), level filtering, the diagnostics policy and that
//! secrets print `[redacted]`.

use std::io;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{SystemTime, UNIX_EPOCH};

use connector_host::config::LogLevel;
use connector_host::secret::Secret;
use connector_host::telemetry::Diagnostics;
use connector_host::telemetry::logging;
use connector_host::telemetry::redact::redact_url_query;
use serde_json::Value as Json;
use tracing_subscriber::fmt::MakeWriter;

/// Everything the logger wrote.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

struct CapturedWriter(Arc<Mutex<Vec<u8>>>);

impl io::Write for CapturedWriter {
    fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
        self.0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl<'a> MakeWriter<'a> for Captured {
    type Writer = CapturedWriter;

    fn make_writer(&'a self) -> Self::Writer {
        CapturedWriter(Arc::clone(&self.0))
    }
}

impl Captured {
    fn text(&self) -> String {
        String::from_utf8(
            self.0
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .clone(),
        )
        .expect("log output is UTF-8")
    }

    /// Every line, parsed; panics on a line that is not a JSON object.
    fn lines(&self) -> Vec<Json> {
        self.text()
            .lines()
            .map(|line| {
                let parsed: Json =
                    serde_json::from_str(line).unwrap_or_else(|e| panic!("not JSON ({e}): {line}"));
                assert!(parsed.is_object(), "not an object: {line}");
                parsed
            })
            .collect()
    }
}

/// Runs `emit` with a logger at `level` and returns what it wrote.
fn capture(level: LogLevel, emit: impl FnOnce()) -> Captured {
    let captured = Captured::default();
    tracing::subscriber::with_default(logging::subscriber(level, captured.clone()), emit);
    captured
}

fn now_ms() -> u64 {
    let since = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("clock after 1970");
    u64::try_from(since.as_millis()).expect("fits u64")
}

#[test]
fn lines_carry_pino_keys_and_fields_at_top_level() {
    let before = now_ms();
    let captured = capture(LogLevel::Info, || {
        tracing::info!(pages = 3_u64, dryRun = false, ratio = 0.5, "cycle \"done\"");
    });
    let after = now_ms();
    let lines = captured.lines();
    assert_eq!(lines.len(), 1, "{}", captured.text());
    let line = &lines[0];
    assert_eq!(line["level"], 30);
    let time = line["time"].as_u64().expect("time is epoch ms");
    assert!(
        (before..=after).contains(&time),
        "{time} not in {before}..={after}"
    );
    assert_eq!(line["pid"], std::process::id());
    assert!(!line["hostname"].as_str().expect("hostname").is_empty());
    assert_eq!(line["msg"], "cycle \"done\"");
    assert_eq!(line["pages"], 3);
    assert_eq!(line["dryRun"], false);
    assert_eq!(line["ratio"], 0.5);
    // `msg` comes last, as pino writes it.
    assert!(
        captured
            .text()
            .trim_end()
            .ends_with(r#""msg":"cycle \"done\""}"#)
    );
}

#[test]
fn tenant_name_of_the_enclosing_span_is_on_every_line() {
    let captured = capture(LogLevel::Info, || {
        let tenant = tracing::info_span!("tenant_cycle", tenantName = "acme");
        let _in_tenant = tenant.enter();
        tracing::info!("cycle started");
        let space = tracing::info_span!("space", space = "~1a2b3c4d");
        space.in_scope(|| tracing::warn!(skipped = 2_u64, "items skipped"));
        drop(_in_tenant);
        tracing::info!("outside any tenant");
    });
    let lines = captured.lines();
    assert_eq!(lines.len(), 3, "{}", captured.text());
    assert_eq!(lines[0]["tenantName"], "acme");
    assert_eq!(lines[1]["tenantName"], "acme");
    assert_eq!(lines[1]["space"], "~1a2b3c4d");
    assert_eq!(lines[1]["skipped"], 2);
    assert_eq!(lines[1]["level"], 40);
    assert!(lines[2].get("tenantName").is_none(), "{}", lines[2]);
}

#[test]
fn a_field_recorded_later_on_the_span_appears_in_later_lines() {
    let captured = capture(LogLevel::Info, || {
        let cycle =
            tracing::info_span!("cycle", tenantName = "acme", pages = tracing::field::Empty);
        let _entered = cycle.enter();
        tracing::info!("before");
        cycle.record("pages", 42_u64);
        tracing::info!("after");
    });
    let lines = captured.lines();
    assert!(lines[0].get("pages").is_none());
    assert_eq!(lines[1]["pages"], 42);
}

#[test]
fn level_filter_drops_lower_levels() {
    let emit_all = || {
        tracing::trace!("t");
        tracing::debug!("d");
        tracing::info!("i");
        tracing::warn!("w");
        tracing::error!("e");
    };
    let levels = |level| -> Vec<u64> {
        capture(level, emit_all)
            .lines()
            .iter()
            .map(|line| line["level"].as_u64().expect("numeric level"))
            .collect()
    };
    assert_eq!(levels(LogLevel::Warn), [40, 50]);
    assert_eq!(levels(LogLevel::Error), [50]);
    assert_eq!(levels(LogLevel::Debug), [20, 30, 40, 50]);
    assert_eq!(levels(LogLevel::Trace), [10, 20, 30, 40, 50]);
    assert!(levels(LogLevel::Off).is_empty());
}

#[test]
fn conceal_masks_identifying_values_and_disclose_keeps_them() {
    let log_title = |diagnostics: Diagnostics| {
        capture(LogLevel::Info, || {
            tracing::info!(title = %diagnostics.masked("Merger plans Q3"), status = 404_u64, "page skipped");
        })
    };
    let concealed = log_title(Diagnostics::Conceal);
    assert!(
        !concealed.text().contains("Merger plans"),
        "{}",
        concealed.text()
    );
    let line = &concealed.lines()[0];
    assert_eq!(line["title"], Diagnostics::Conceal.mask("Merger plans Q3"));
    assert_eq!(line["status"], 404, "statuses stay visible");

    // The same value gives the same mask in another line, so lines correlate.
    let again = log_title(Diagnostics::Conceal);
    assert_eq!(again.lines()[0]["title"], line["title"]);

    let disclosed = log_title(Diagnostics::Disclose);
    assert_eq!(disclosed.lines()[0]["title"], "Merger plans Q3");
}

#[test]
fn secrets_print_redacted_in_fields() {
    let secret = Secret::new("tok-123-very-secret");
    let captured = capture(LogLevel::Trace, || {
        tracing::info!(token = ?secret, header = %secret, "token refreshed");
        tracing::debug!(
            writeUrl = %redact_url_query("https://blob.example.com/up?sig=tok-123-very-secret"),
            "uploading"
        );
    });
    let text = captured.text();
    assert!(!text.contains("tok-123-very-secret"), "{text}");
    let lines = captured.lines();
    assert_eq!(lines[0]["token"], "[redacted]");
    assert_eq!(lines[0]["header"], "[redacted]");
    assert_eq!(
        lines[1]["writeUrl"],
        "https://blob.example.com/up?[redacted]"
    );
}

#[test]
fn an_error_field_carries_its_causes_and_reserved_names_are_not_overwritten() {
    #[derive(Debug, thiserror::Error)]
    #[error("upload of item failed")]
    struct Outer(#[source] std::io::Error);

    let error = Outer(std::io::Error::new(
        std::io::ErrorKind::ConnectionReset,
        "connection reset",
    ));
    let captured = capture(LogLevel::Info, || {
        tracing::error!(
            error = &error as &dyn std::error::Error,
            level = "custom",
            "item failed"
        );
    });
    let line = &captured.lines()[0];
    assert_eq!(line["error"], "upload of item failed: connection reset");
    assert_eq!(line["level"], 50);
    assert_eq!(line["field.level"], "custom");
}
