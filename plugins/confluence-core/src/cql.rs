//! CQL queries and `expand` values, as exact text before percent-encoding
//! (`confluence-api.md` §3, §6.1).

use crate::config::IngestLabels;

/// Most ids in one `ancestor IN (...)` query.
pub const MAX_DESCENDANT_ROOTS: usize = 100;

/// `expand` of discovery calls when attachments are enabled. Never percent-encoded.
pub const EXPAND_WITH_ATTACHMENTS: &str = "metadata.labels,version,space,children.attachment,children.attachment.version,children.attachment.extensions";

/// `expand` of discovery calls when attachments are disabled.
pub const EXPAND_WITHOUT_ATTACHMENTS: &str = "metadata.labels,version,space";

/// `expand` of body fetches (C3, D3 and the batched search).
pub const EXPAND_BODY: &str = "body.storage,version,space,metadata.labels";

/// `expand` of body fetches that also need the page's attachments (image inlining runs in its
/// own task, so it cannot reuse the lists seen by discovery).
pub const EXPAND_BODY_WITH_ATTACHMENTS: &str = "body.storage,version,space,metadata.labels,children.attachment,children.attachment.version,children.attachment.extensions";

/// The discovery `expand` for the attachment mode.
pub fn discovery_expand(attachments_enabled: bool) -> &'static str {
    if attachments_enabled {
        EXPAND_WITH_ATTACHMENTS
    } else {
        EXPAND_WITHOUT_ATTACHMENTS
    }
}

/// Escapes a label for use between double quotes: `\` first, then `"`.
pub fn escape_label(label: &str) -> String {
    label.replace('\\', "\\\\").replace('"', "\\\"")
}

fn label_clause(labels: &IngestLabels) -> String {
    format!(
        "((label=\"{}\") OR (label=\"{}\"))",
        escape_label(&labels.single),
        escape_label(&labels.all)
    )
}

/// `CQL_LABEL_CLOUD`: items with either label in global or collaboration spaces.
pub fn label_search_cloud(labels: &IngestLabels) -> String {
    format!(
        "{} AND (space.type=global OR space.type=collaboration) AND type != attachment",
        label_clause(labels)
    )
}

/// `CQL_LABEL_DC`: items with either label in global spaces.
pub fn label_search_data_center(labels: &IngestLabels) -> String {
    format!(
        "{} AND space.type=global AND type != attachment",
        label_clause(labels)
    )
}

/// `CQL_DESC`: descendants of up to [`MAX_DESCENDANT_ROOTS`] roots.
pub fn descendants(root_ids: &[String]) -> String {
    format!(
        "ancestor IN ({}) AND type != attachment",
        root_ids.join(",")
    )
}

/// The C3 query for one page: `id={pageId}`.
pub fn single_id(page_id: &str) -> String {
    format!("id={page_id}")
}

/// The batched body query: `id in (1,2,3)`.
pub fn id_batch(page_ids: &[String]) -> String {
    format!("id in ({})", page_ids.join(","))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::encoding::encode_query_value;

    fn labels(single: &str, all: &str) -> IngestLabels {
        IngestLabels {
            single: single.into(),
            all: all.into(),
        }
    }

    #[test]
    fn cloud_label_search_matches_the_spec_encoded_example() {
        let cql = label_search_cloud(&labels("ai-ingest", "ai-ingest-all"));
        assert_eq!(
            encode_query_value(&cql),
            "((label%3D%22ai-ingest%22)%20OR%20(label%3D%22ai-ingest-all%22))%20AND%20(space.type%3Dglobal%20OR%20space.type%3Dcollaboration)%20AND%20type%20!%3D%20attachment"
        );
    }

    #[test]
    fn data_center_label_search_has_no_collaboration_space_type() {
        assert_eq!(
            label_search_data_center(&labels("a", "b")),
            r#"((label="a") OR (label="b")) AND space.type=global AND type != attachment"#
        );
    }

    #[test]
    fn label_with_quote_and_backslash_is_escaped_in_cql() {
        assert_eq!(escape_label(r#"a\"b"#), r#"a\\\"b"#);
        let cql = label_search_data_center(&labels(r#"say "hi""#, r"back\slash"));
        assert!(
            cql.starts_with(r#"((label="say \"hi\"") OR (label="back\\slash"))"#),
            "{cql}"
        );
    }

    #[test]
    fn descendant_query_matches_the_spec_encoded_example() {
        let cql = descendants(&["123".into(), "456".into()]);
        assert_eq!(
            encode_query_value(&cql),
            "ancestor%20IN%20(123%2C456)%20AND%20type%20!%3D%20attachment"
        );
    }

    #[test]
    fn id_queries_join_ids_without_spaces() {
        assert_eq!(single_id("42"), "id=42");
        assert_eq!(id_batch(&["1".into(), "2".into()]), "id in (1,2)");
    }
}
