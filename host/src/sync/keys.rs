//! Content keys and scope external ids (sync-flow §12): relative keys for the file diff, full
//! keys for Unique, the space-scope mark and its parser, and the rule that an id which could not
//! be parsed back out of a key is refused.

/// Separates a page id from an attachment id in a relative key.
pub const ATTACHMENT_SEPARATOR: &str = "::";

/// Prefix of every external id the connector writes.
pub const MARK_PREFIX: &str = "confc:";

/// Why an id cannot be part of a key or an external id.
pub fn unsafe_id_reason(id: &str) -> Option<&'static str> {
    if id.is_empty() {
        Some("is empty")
    } else if id.contains('/') {
        Some("contains `/`")
    } else if id.contains(':') {
        Some("contains `:`")
    } else {
        None
    }
}

/// The relative key of an attachment: `{pageId}::{attachmentId}`.
pub fn attachment_key(page_id: &str, attachment_id: &str) -> String {
    format!("{page_id}{ATTACHMENT_SEPARATOR}{attachment_id}")
}

/// Whether a relative key names an attachment.
pub fn is_attachment_key(relative_key: &str) -> bool {
    relative_key.contains(ATTACHMENT_SEPARATOR)
}

/// `{partialKey}/{relativeKey}`.
pub fn full_key(partial_key: &str, relative_key: &str) -> String {
    format!("{partial_key}/{relative_key}")
}

/// The owned root's mark: `confc:` + the plugin's instance id (e.g. `confc:cloud:{cloudId}`).
pub fn root_mark(instance_id: &str) -> String {
    format!("{MARK_PREFIX}{instance_id}")
}

/// A space scope's mark: `confc:{tenant}:{spaceId}:{spaceKey}`.
pub fn space_mark(tenant: &str, space_id: &str, space_key: &str) -> String {
    format!("{MARK_PREFIX}{tenant}:{space_id}:{space_key}")
}

/// A space scope's mark taken apart.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SpaceMark {
    pub tenant: String,
    pub space_id: String,
    pub space_key: String,
}

/// Parses `^confc:([^:]+):([^:]+):([^:]+)$`; the root's two-segment mark never parses.
pub fn parse_space_mark(external_id: &str) -> Option<SpaceMark> {
    let rest = external_id.strip_prefix(MARK_PREFIX)?;
    let mut parts = rest.split(':');
    let (tenant, space_id, space_key) = (parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some()
        || [tenant, space_id, space_key]
            .iter()
            .any(|part| part.is_empty())
    {
        return None;
    }
    Some(SpaceMark {
        tenant: tenant.to_owned(),
        space_id: space_id.to_owned(),
        space_key: space_key.to_owned(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn space_marks_round_trip_and_the_root_mark_never_parses() {
        let mark = space_mark("acme", "98307", "ENG");
        assert_eq!(mark, "confc:acme:98307:ENG");
        assert_eq!(
            parse_space_mark(&mark),
            Some(SpaceMark {
                tenant: "acme".into(),
                space_id: "98307".into(),
                space_key: "ENG".into()
            })
        );
        assert_eq!(parse_space_mark("confc:cloud:1a2b"), None);
        assert_eq!(parse_space_mark("confc:a:b:c:d"), None);
        assert_eq!(parse_space_mark("confc:a::c"), None);
        assert_eq!(parse_space_mark("other:a:b:c"), None);
    }

    #[test]
    fn ids_with_separators_are_refused() {
        assert_eq!(unsafe_id_reason("123"), None);
        assert_eq!(unsafe_id_reason("att789"), None);
        assert!(unsafe_id_reason("1/2").is_some());
        assert!(unsafe_id_reason("a:b").is_some());
        assert!(unsafe_id_reason("a::b").is_some());
        assert!(unsafe_id_reason("").is_some());
    }

    #[test]
    fn keys_follow_the_spec_layout() {
        assert_eq!(attachment_key("123456", "att789"), "123456::att789");
        assert!(is_attachment_key("123456::att789"));
        assert!(!is_attachment_key("123456"));
        assert_eq!(
            full_key("acme/98307_ENG", "123456"),
            "acme/98307_ENG/123456"
        );
        assert_eq!(root_mark("cloud:1a2b"), "confc:cloud:1a2b");
    }
}
