//! Absolute `http`/`https` URLs from tenant configs, kept exactly as written.
//!
//! The text is kept (not a re-serialised `url::Url`) because base URLs are concatenated with
//! paths as configured, and `Url` would add a `/` to a bare origin.

use std::fmt;

/// Why a string is not an [`HttpUrl`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HttpUrlError {
    #[error("must be an absolute http or https URL ({0})")]
    Unparsable(url::ParseError),
    #[error("must be an http or https URL (scheme is `{0}`)")]
    Scheme(String),
    #[error("must be an absolute http or https URL with a host")]
    NoHost,
}

/// An absolute `http` or `https` URL with a host.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct HttpUrl {
    text: String,
    /// Boxed: tenants hold several URLs, and `Url` is large.
    parsed: Box<url::Url>,
}

impl HttpUrl {
    pub fn parse(text: &str) -> Result<Self, HttpUrlError> {
        let parsed = url::Url::parse(text).map_err(HttpUrlError::Unparsable)?;
        if !matches!(parsed.scheme(), "http" | "https") {
            return Err(HttpUrlError::Scheme(parsed.scheme().to_owned()));
        }
        if parsed.host_str().is_none_or(str::is_empty) {
            return Err(HttpUrlError::NoHost);
        }
        Ok(Self {
            text: text.to_owned(),
            parsed: Box::new(parsed),
        })
    }

    /// The URL exactly as configured.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// The parsed URL, for taking it apart (origin, path).
    pub fn as_url(&self) -> &url::Url {
        &self.parsed
    }
}

impl fmt::Display for HttpUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bare_origin_keeps_its_text_without_a_slash() {
        let url = HttpUrl::parse("https://acme.atlassian.net").expect("valid");
        assert_eq!(url.as_str(), "https://acme.atlassian.net");
        assert_eq!(url.as_url().host_str(), Some("acme.atlassian.net"));
    }

    #[test]
    fn non_http_and_relative_urls_are_rejected() {
        assert_eq!(
            HttpUrl::parse("ftp://example.com"),
            Err(HttpUrlError::Scheme("ftp".to_owned()))
        );
        assert!(matches!(
            HttpUrl::parse("example.com/wiki"),
            Err(HttpUrlError::Unparsable(_))
        ));
    }
}
