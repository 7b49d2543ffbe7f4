//! Bounded label values: the `endpoint` label of Confluence request metrics and the
//! `http_status_class` label of Confluence errors (operations §7.1). No value built here may carry
//! a file name, title, space key or other unbounded text.

/// Fixed label of the Data Center application-links manifest (D0).
pub const MANIFEST_ENDPOINT: &str = "/rest/applinks/1.0/manifest";
/// Fixed label of Data Center attachment download links (`/download/attachments/...`).
pub const DOWNLOAD_ENDPOINT: &str = "/download/attachments";
/// Label of any path outside the Confluence APIs above.
pub const OTHER_ENDPOINT: &str = "other";

/// Where the labelled part of an API path starts.
const API_PREFIXES: [&str; 2] = ["/rest/api/", "/api/v2/"];
/// A longer API path is cut here: no Confluence endpoint we call is deeper, and a label must stay
/// bounded whatever a redirect or a plugin sends.
const MAX_SEGMENTS_AFTER_PREFIX: usize = 8;
/// Placeholder for identifiers.
const ID: &str = "{id}";

/// The `endpoint` label of a Confluence request: the path from `/rest/api/` or `/api/v2/` on, with
/// identifiers replaced by `{id}` and the query dropped. Accepts a path or a whole URL.
///
/// Identifiers are all-digit segments and `att` + digits; to keep the label bounded, any other
/// segment that is not a plain lower-case API word (a space key, `~user`, a percent-encoded name)
/// becomes `{id}` too. DC download links and the applinks manifest get fixed labels; anything else
/// is [`OTHER_ENDPOINT`].
pub fn endpoint_label(path_or_url: &str) -> String {
    let path = path_of(path_or_url);
    if let Some(start) = API_PREFIXES.iter().filter_map(|p| path.find(p)).min() {
        return normalise_api_path(&path[start..]);
    }
    if path.contains("/rest/applinks/") && path.ends_with("/manifest") {
        return MANIFEST_ENDPOINT.to_owned();
    }
    if path.contains(DOWNLOAD_ENDPOINT) {
        return DOWNLOAD_ENDPOINT.to_owned();
    }
    OTHER_ENDPOINT.to_owned()
}

/// The `http_status_class` label: `2xx`, `3xx`, the exact code for a 4xx, `5xx`, or `unknown` when
/// there was no status (a transport error) or it is outside 200–599.
pub fn status_class(status: Option<u16>) -> String {
    match status {
        Some(200..=299) => "2xx".to_owned(),
        Some(300..=399) => "3xx".to_owned(),
        Some(code @ 400..=499) => code.to_string(),
        Some(500..=599) => "5xx".to_owned(),
        _ => "unknown".to_owned(),
    }
}

/// The path of a path-or-URL, without query or fragment.
fn path_of(path_or_url: &str) -> &str {
    let without_origin = match path_or_url.find("://") {
        Some(scheme_end) => {
            let after_scheme = &path_or_url[scheme_end + 3..];
            after_scheme.find('/').map_or("/", |i| &after_scheme[i..])
        }
        None => path_or_url,
    };
    let end = without_origin
        .find(['?', '#'])
        .unwrap_or(without_origin.len());
    &without_origin[..end]
}

fn normalise_api_path(api_path: &str) -> String {
    // `api_path` starts with one of API_PREFIXES; keep the prefix's own segments verbatim.
    let (prefix, rest) = API_PREFIXES
        .iter()
        .find_map(|p| api_path.strip_prefix(p).map(|rest| (*p, rest)))
        .unwrap_or(("/", api_path));
    let mut label = prefix.trim_end_matches('/').to_owned();
    for segment in rest
        .split('/')
        .filter(|s| !s.is_empty())
        .take(MAX_SEGMENTS_AFTER_PREFIX)
    {
        label.push('/');
        label.push_str(if is_api_word(segment) { segment } else { ID });
    }
    label
}

/// A fixed word of the API (`content`, `child`, `attachment`, `download`, `by-id`): lower-case
/// ASCII letters with `-` or `_`, short. Digits never count, so `att123` and `12345` are ids.
fn is_api_word(segment: &str) -> bool {
    segment.len() <= 32
        && segment.starts_with(|c: char| c.is_ascii_lowercase())
        && segment
            .chars()
            .all(|c| c.is_ascii_lowercase() || c == '-' || c == '_')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_classes_keep_exact_client_errors_only() {
        assert_eq!(status_class(None), "unknown");
        assert_eq!(status_class(Some(204)), "2xx");
        assert_eq!(status_class(Some(302)), "3xx");
        assert_eq!(status_class(Some(404)), "404");
        assert_eq!(status_class(Some(429)), "429");
        assert_eq!(status_class(Some(503)), "5xx");
        assert_eq!(status_class(Some(101)), "unknown");
        assert_eq!(status_class(Some(700)), "unknown");
    }
}
