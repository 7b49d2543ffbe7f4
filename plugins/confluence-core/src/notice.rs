//! Things worth a log line that the crate noticed (skipped results, rejected items, images left
//! as they were). Logging is the plugin's job; fields say whether their value identifies people
//! or content, so the host can mask it (titles, file names, keys, URLs) when asked to.

use std::fmt;

/// Whether a field value may be shown as is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Visibility {
    /// Counts, ids, statuses, content types.
    Plain,
    /// Titles, file names, space keys, URLs, error texts that may hold them.
    Identifying,
}

/// One structured field of a [`Notice`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NoticeField {
    /// Field name, e.g. `page_id`.
    pub name: &'static str,
    /// Field value.
    pub value: String,
    /// Whether the value may be shown as is.
    pub visibility: Visibility,
}

/// A warning for the plugin to log. The message never contains identifying data; that goes
/// into fields.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Notice {
    /// What happened; never holds identifying data.
    pub message: &'static str,
    /// Details.
    pub fields: Vec<NoticeField>,
}

impl Notice {
    /// A notice without fields.
    pub fn new(message: &'static str) -> Self {
        Self {
            message,
            fields: Vec::new(),
        }
    }

    /// Adds a field that is safe to show.
    pub fn plain(mut self, name: &'static str, value: impl ToString) -> Self {
        self.fields.push(NoticeField {
            name,
            value: value.to_string(),
            visibility: Visibility::Plain,
        });
        self
    }

    /// Adds a field that identifies people or content.
    pub fn identifying(mut self, name: &'static str, value: impl ToString) -> Self {
        self.fields.push(NoticeField {
            name,
            value: value.to_string(),
            visibility: Visibility::Identifying,
        });
        self
    }

    /// The value of a field, if present.
    pub fn field(&self, name: &str) -> Option<&str> {
        self.fields
            .iter()
            .find(|f| f.name == name)
            .map(|f| f.value.as_str())
    }
}

/// `message (name=value, ...)`, for tests and plain-text logs.
impl fmt::Display for Notice {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.message)?;
        for (index, field) in self.fields.iter().enumerate() {
            let separator = if index == 0 { " (" } else { ", " };
            write!(f, "{separator}{}={}", field.name, field.value)?;
        }
        if !self.fields.is_empty() {
            f.write_str(")")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_lists_fields_after_the_message() {
        let notice = Notice::new("skipped")
            .plain("id", 7)
            .identifying("title", "Secret plans");
        assert_eq!(notice.to_string(), "skipped (id=7, title=Secret plans)");
        assert_eq!(notice.fields[1].visibility, Visibility::Identifying);
        assert_eq!(Notice::new("done").to_string(), "done");
    }
}
