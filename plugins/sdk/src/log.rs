//! Logging through the host: lines land in the host's JSON log with tenant and plugin attached.

pub use crate::bindings::unique::connector::log::{Field, Level, Visibility};
/// Logs `message` at `level` with structured `fields`.
#[cfg(target_arch = "wasm32")]
pub fn write(level: Level, message: &str, fields: &[Field]) {
    crate::bindings::unique::connector::log::log(level, message, fields);
}

/// Logs `message` at `level` with structured `fields` (native builds: to stderr).
#[cfg(not(target_arch = "wasm32"))]
pub fn write(level: Level, message: &str, fields: &[Field]) {
    let fields: Vec<String> = fields
        .iter()
        .map(|field| format!("{}={}", field.name, field.value))
        .collect();
    eprintln!("{level:?}: {message} {}", fields.join(" "));
}

/// A field safe to show as is (counts, statuses, ids of the plugin's own making).
pub fn plain(name: &str, value: impl ToString) -> Field {
    Field {
        name: name.into(),
        value: value.to_string(),
        visibility: Visibility::Plain,
    }
}

/// A field that identifies people or content; masked under the `conceal` diagnostics policy.
pub fn identifying(name: &str, value: impl ToString) -> Field {
    Field {
        name: name.into(),
        value: value.to_string(),
        visibility: Visibility::Identifying,
    }
}

/// Logs at debug level.
pub fn debug(message: &str, fields: &[Field]) {
    write(Level::Debug, message, fields);
}

/// Logs at info level.
pub fn info(message: &str, fields: &[Field]) {
    write(Level::Info, message, fields);
}

/// Logs at warn level.
pub fn warn(message: &str, fields: &[Field]) {
    write(Level::Warn, message, fields);
}

/// Logs at error level.
pub fn error(message: &str, fields: &[Field]) {
    write(Level::Error, message, fields);
}
