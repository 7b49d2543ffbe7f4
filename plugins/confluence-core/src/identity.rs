//! Who the Confluence instance is (root-scope ownership and the knowledge-base source): Cloud
//! from the configured `cloudId`, Data Center from the applinks manifest (D0).

use serde::Deserialize;

use crate::answer::{AnswerError, malformed, successful_body};
use crate::config::{Instance, Settings};
use crate::model::ModelError;
use crate::request::{Credentials, HttpGet, HttpResponse};

/// Source kind sent to Unique for Cloud tenants.
pub const CLOUD_SOURCE_KIND: &str = "ATLASSIAN_CONFLUENCE_CLOUD";

/// Source kind sent to Unique for Data Center tenants.
pub const DATA_CENTER_SOURCE_KIND: &str = "ATLASSIAN_CONFLUENCE_ONPREM";

/// Endpoint name of D0.
const MANIFEST_ENDPOINT: &str = "/rest/applinks/1.0/manifest";

/// The identity of a tenant's Confluence instance.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SourceIdentity {
    /// `cloud:{cloudId}` or `data-center:{manifest id}`; the host prefixes its own mark.
    pub instance_id: String,
    /// Unique's `sourceKind`.
    pub kind: &'static str,
    /// Unique's `sourceName` and `baseUrl`: the configured `baseUrl`.
    pub name: String,
}

/// How the identity is obtained.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum IdentityLookup {
    /// Cloud: known from config, no request.
    Known(SourceIdentity),
    /// Data Center: send D0 and pass the answer to [`identity_from_manifest`].
    Manifest(HttpGet),
}

/// Why the DC manifest gave no identity.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum IdentityError {
    #[error("instance id: {0}")]
    /// D0 failed or its answer has no usable `id`.
    Answer(#[from] AnswerError),
}

#[derive(Deserialize)]
struct Manifest {
    id: serde_json::Value,
}

/// The identity, or the D0 request that yields it.
pub fn identify(settings: &Settings) -> IdentityLookup {
    match &settings.instance {
        Instance::Cloud { cloud_id, .. } => IdentityLookup::Known(SourceIdentity {
            instance_id: format!("cloud:{cloud_id}"),
            kind: CLOUD_SOURCE_KIND,
            name: settings.base_url.clone(),
        }),
        Instance::DataCenter => IdentityLookup::Manifest(HttpGet {
            url: format!("{}/rest/applinks/1.0/manifest", settings.base_url),
            // Confluence 10.x answers XML unless asked for JSON.
            headers: vec![("Accept".to_owned(), "application/json".to_owned())],
            credentials: Credentials::None,
            endpoint: MANIFEST_ENDPOINT,
            max_body_bytes: None,
        }),
    }
}

/// The DC identity from the D0 answer: its `id` must be a non-empty string.
pub fn identity_from_manifest(
    settings: &Settings,
    request: &HttpGet,
    response: &HttpResponse,
) -> Result<SourceIdentity, IdentityError> {
    let body = successful_body(request, response)?;
    let manifest: Manifest = serde_json::from_slice(body)
        .map_err(|e| malformed(request, ModelError::Json(e.to_string())))?;
    let id = manifest
        .id
        .as_str()
        .filter(|id| !id.is_empty())
        .ok_or_else(|| {
            malformed(
                request,
                ModelError::Json("`id` is not a non-empty string".to_owned()),
            )
        })?;
    Ok(SourceIdentity {
        instance_id: format!("data-center:{id}"),
        kind: DATA_CENTER_SOURCE_KIND,
        name: settings.base_url.clone(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::{cloud_settings, dc_settings};

    #[test]
    fn cloud_identity_comes_from_config_without_a_request() {
        assert_eq!(
            identify(&cloud_settings(None, None)),
            IdentityLookup::Known(SourceIdentity {
                instance_id: "cloud:c1".into(),
                kind: "ATLASSIAN_CONFLUENCE_CLOUD",
                name: "https://acme.atlassian.net".into(),
            })
        );
    }

    fn manifest_request() -> (crate::config::Settings, HttpGet) {
        let settings = dc_settings("https://w.example/confluence", None, None);
        let IdentityLookup::Manifest(request) = identify(&settings) else {
            panic!("data center needs the manifest")
        };
        (settings, request)
    }

    #[test]
    fn data_center_manifest_is_requested_without_credentials_accepting_json() {
        let (_, request) = manifest_request();
        assert_eq!(
            request.url,
            "https://w.example/confluence/rest/applinks/1.0/manifest"
        );
        assert_eq!(request.credentials, Credentials::None);
        assert_eq!(
            request.headers,
            vec![("Accept".to_owned(), "application/json".to_owned())]
        );
    }

    #[test]
    fn manifest_id_becomes_the_instance_id() {
        let (settings, request) = manifest_request();
        let response =
            HttpResponse::new(200, r#"{"id":"abc-1","name":"Wiki","typeId":"confluence"}"#);
        let identity = identity_from_manifest(&settings, &request, &response).unwrap();
        assert_eq!(identity.instance_id, "data-center:abc-1");
        assert_eq!(identity.kind, "ATLASSIAN_CONFLUENCE_ONPREM");
    }

    #[test]
    fn empty_numeric_or_missing_manifest_id_is_an_error() {
        let (settings, request) = manifest_request();
        for body in [
            r#"{"id":""}"#,
            r#"{"id":5}"#,
            r#"{"name":"x"}"#,
            "<manifest/>",
        ] {
            let response = HttpResponse::new(200, body);
            assert!(
                identity_from_manifest(&settings, &request, &response).is_err(),
                "{body}"
            );
        }
        let response = HttpResponse::new(401, "no");
        let err = identity_from_manifest(&settings, &request, &response).unwrap_err();
        assert!(err.to_string().contains("HTTP 401"), "{err}");
    }
}
