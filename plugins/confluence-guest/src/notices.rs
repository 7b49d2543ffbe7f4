//! Core notices written as host log lines. The message is the notice's own (it never holds
//! identifying data); each field keeps the visibility core gave it, so the host can mask titles,
//! file names, keys and URLs under its `conceal` diagnostics policy.

use confluence_core::notice::{Notice, Visibility};
use connector_plugin_sdk::log::{self, Field};

/// Logs every notice as a warning.
pub fn log_warnings(notices: &[Notice]) {
    for notice in notices {
        log::warn(notice.message, &fields_of(notice));
    }
}

/// The log fields of a notice.
pub fn fields_of(notice: &Notice) -> Vec<Field> {
    notice
        .fields
        .iter()
        .map(|field| match field.visibility {
            Visibility::Plain => log::plain(field.name, &field.value),
            Visibility::Identifying => log::identifying(field.name, &field.value),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use connector_plugin_sdk::log::Visibility as LogVisibility;

    use super::*;

    #[test]
    fn identifying_fields_stay_identifying_and_plain_fields_plain() {
        let notice = Notice::new("skipped a result of unknown type")
            .plain("id", 42)
            .identifying("space_key", "ENG");
        let fields = fields_of(&notice);
        assert_eq!(fields.len(), 2);
        assert_eq!(
            (fields[0].name.as_str(), fields[0].value.as_str()),
            ("id", "42")
        );
        assert!(matches!(fields[0].visibility, LogVisibility::Plain));
        assert_eq!(
            (fields[1].name.as_str(), fields[1].value.as_str()),
            ("space_key", "ENG")
        );
        assert!(matches!(fields[1].visibility, LogVisibility::Identifying));
    }
}
