//! Core errors classified into the WIT `source-error`, so the host can tell a bad config from an
//! HTTP status from an answer it could not read. Messages are the core's: they name the URL
//! (without its query), the endpoint, the status and a body excerpt, and never a secret.

use confluence_core::answer::AnswerError;
use confluence_core::config::ConfigError;
use confluence_core::content::ContentError;
use confluence_core::discovery::DiscoveryError;
use confluence_core::identity::IdentityError;
use connector_plugin_sdk::source::SourceError;

/// A config that `open` refuses.
pub fn from_config(err: &ConfigError) -> SourceError {
    SourceError::InvalidConfig(err.to_string())
}

/// An answer that could not be used: its status, or its shape.
pub fn from_answer(err: &AnswerError) -> SourceError {
    match err {
        AnswerError::Status { status, .. } => {
            SourceError::UnexpectedStatus((*status, err.to_string()))
        }
        AnswerError::Malformed { .. } => SourceError::MalformedResponse(err.to_string()),
    }
}

/// A failed discovery.
pub fn from_discovery(err: &DiscoveryError) -> SourceError {
    match err {
        DiscoveryError::Answer(answer) => from_answer(answer),
        // Only a driver bug gets here.
        DiscoveryError::NoRequestOutstanding | DiscoveryError::Unfinished => {
            SourceError::Other(err.to_string())
        }
    }
}

/// A failed Data Center instance lookup (D0).
pub fn from_identity(err: &IdentityError) -> SourceError {
    match err {
        IdentityError::Answer(answer) => from_answer(answer),
    }
}

/// A misuse of the page fetch machine (only a driver bug).
pub fn from_content(err: &ContentError) -> SourceError {
    SourceError::Other(err.to_string())
}

#[cfg(test)]
mod tests {
    use confluence_core::model::ModelError;

    use super::*;

    fn status_error() -> AnswerError {
        AnswerError::Status {
            endpoint: "/rest/api/content/search",
            url: "https://wiki.example.com/rest/api/content/search".into(),
            status: 503,
            body: "busy".into(),
        }
    }

    #[test]
    fn status_answer_becomes_unexpected_status_with_url_and_body_excerpt() {
        let SourceError::UnexpectedStatus((status, text)) =
            from_discovery(&DiscoveryError::Answer(status_error()))
        else {
            panic!("expected unexpected-status")
        };
        assert_eq!(status, 503);
        assert_eq!(
            text,
            "GET https://wiki.example.com/rest/api/content/search (/rest/api/content/search) \
             answered HTTP 503: busy"
        );
    }

    #[test]
    fn unreadable_answer_becomes_malformed_response() {
        let err = AnswerError::Malformed {
            endpoint: "/rest/applinks/1.0/manifest",
            url: "https://wiki.example.com/rest/applinks/1.0/manifest".into(),
            source: ModelError::Json("`id` is not a non-empty string".into()),
        };
        let mapped = from_identity(&IdentityError::Answer(err));
        assert!(
            matches!(&mapped, SourceError::MalformedResponse(text)
                if text.contains("manifest") && text.contains("non-empty string")),
            "{mapped:?}"
        );
    }

    #[test]
    fn driver_misuse_is_other_not_a_source_answer() {
        assert!(matches!(
            from_discovery(&DiscoveryError::Unfinished),
            SourceError::Other(_)
        ));
        let err = ContentError::ReplyCount {
            expected: 2,
            got: 1,
        };
        assert!(
            matches!(from_content(&err), SourceError::Other(text) if text.contains("expected 2"))
        );
    }

    #[test]
    fn config_error_becomes_invalid_config_naming_the_field() {
        let err = ConfigError::Invalid {
            field: "baseUrl",
            rule: "must not end with `/`".into(),
        };
        assert!(
            matches!(from_config(&err), SourceError::InvalidConfig(text) if text.contains("`baseUrl`"))
        );
    }
}
