//! Redaction of values that may carry credentials before they reach a log line (operations §8).
//! Secrets themselves are [`crate::secret::Secret`]s and print `[redacted]` on their own.

use url::Url;

/// What replaces a removed query string, so a reader sees that one was there.
const REDACTED_QUERY: &str = "?[redacted]";

/// An upload URL (`writeUrl`, `readUrl`) without its query string, which may hold a signature or
/// token. User info in the authority is removed too. A value that does not parse as a URL is cut at
/// the first `?`.
pub fn redact_url_query(url: &str) -> String {
    match Url::parse(url) {
        Ok(mut parsed) => {
            let had_query = parsed.query().is_some();
            parsed.set_query(None);
            parsed.set_fragment(None);
            // Only fails for URLs that cannot have credentials (no host), which need no change.
            let _ = parsed.set_username("");
            let _ = parsed.set_password(None);
            let mut redacted = parsed.to_string();
            if had_query {
                redacted.push_str(REDACTED_QUERY);
            }
            redacted
        }
        Err(_) => match url.split_once('?') {
            Some((before, _)) => format!("{before}{REDACTED_QUERY}"),
            None => url.to_owned(),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn upload_url_loses_its_signed_query() {
        assert_eq!(
            redact_url_query("https://blob.example.com/c/f.pdf?sig=abc%2F&se=2030"),
            "https://blob.example.com/c/f.pdf?[redacted]"
        );
    }

    #[test]
    fn url_without_query_is_unchanged_and_credentials_are_dropped() {
        assert_eq!(
            redact_url_query("https://blob.example.com/c/f.pdf"),
            "https://blob.example.com/c/f.pdf"
        );
        assert_eq!(
            redact_url_query("https://user:pw@blob.example.com/x?token=1"),
            "https://blob.example.com/x?[redacted]"
        );
    }

    #[test]
    fn unparseable_value_is_cut_at_the_query() {
        assert_eq!(
            redact_url_query("/relative?token=1"),
            "/relative?[redacted]"
        );
    }
}
