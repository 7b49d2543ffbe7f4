//! The `endpoint` label of Confluence request metrics (operations §7.1): the spec's examples and
//! the cases that must never leak unbounded text into a label.

use connector_host::telemetry::metrics::endpoint_label;

#[test]
fn spec_examples_and_bounded_labels() {
    let cases = [
        // The spec's examples.
        (
            "/wiki/rest/api/content/search?cql=label%3D%22ai-ingest%22&limit=50",
            "/rest/api/content/search",
        ),
        (
            "/rest/api/content/123/child/attachment/att456/download",
            "/rest/api/content/{id}/child/attachment/{id}/download",
        ),
        (
            "https://api.atlassian.com/ex/confluence/0f6a1c2e-1111/wiki/api/v2/pages/789/attachments?cursor=abc",
            "/api/v2/pages/{id}/attachments",
        ),
        // Fixed labels for the DC manifest and DC download links (file name dropped).
        (
            "https://confluence.example.com/confluence/rest/applinks/1.0/manifest",
            "/rest/applinks/1.0/manifest",
        ),
        (
            "/confluence/download/attachments/12345/Quarterly%20report.pdf?version=2&api=v2",
            "/download/attachments",
        ),
        // Space keys, personal spaces, file names and titles never become label text.
        (
            "/rest/api/space/MYSPACE/content",
            "/rest/api/space/{id}/content",
        ),
        ("/rest/api/space/~jdoe", "/rest/api/space/{id}"),
        (
            "/rest/api/content/123/child/attachment/report.pdf",
            "/rest/api/content/{id}/child/attachment/{id}",
        ),
        ("/api/v2/spaces?keys=ABC,DEF", "/api/v2/spaces"),
        ("/rest/api/content#fragment", "/rest/api/content"),
        // Anything else gets one fixed label.
        ("/", "other"),
        (
            "https://acme.atlassian.net/wiki/spaces/ENG/pages/1",
            "other",
        ),
    ];
    for (input, expected) in cases {
        assert_eq!(endpoint_label(input), expected, "label of {input}");
    }
}

#[test]
fn a_deep_path_is_cut_to_a_bounded_number_of_segments() {
    let deep = format!("/rest/api/{}", "content/".repeat(100));
    let label = endpoint_label(&deep);
    assert_eq!(label.matches('/').count(), 2 + 8, "{label}");
}
