//! The origins (scheme, host, port) a tenant's source traffic may reach, and which of them receive
//! the tenant's credentials. Built from a plugin manifest's `origins` resolved against the
//! tenant's config; checked on every request and on every redirect hop.

use std::fmt;

use url::{Origin, Url};

/// Whether the host attaches the tenant's credentials to requests for an origin.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CredentialScope {
    /// The tenant's credentials are attached (the source's API).
    Attach,
    /// Never sent credentials (e.g. a media host that downloads redirect to).
    Withhold,
}

/// One allowed origin.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AllowedOrigin {
    origin: Origin,
    credentials: CredentialScope,
}

impl AllowedOrigin {
    /// The origin of `url` (its path and query are ignored).
    pub fn new(url: &Url, credentials: CredentialScope) -> Result<Self, NotAnOrigin> {
        match url.origin() {
            origin @ Origin::Tuple(..) if matches!(url.scheme(), "http" | "https") => Ok(Self {
                origin,
                credentials,
            }),
            _ => Err(NotAnOrigin(url.to_string())),
        }
    }

    /// The origin as `scheme://host:port`.
    pub fn origin(&self) -> String {
        self.origin.ascii_serialization()
    }
}

/// A URL that has no http(s) origin.
#[derive(Debug, Clone, thiserror::Error)]
#[error("`{0}` is not an http(s) URL")]
pub struct NotAnOrigin(pub String);

/// The set of origins a tenant's plugin may reach.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AllowList {
    origins: Vec<AllowedOrigin>,
}

impl AllowList {
    /// An allow-list of `origins`; a repeated origin keeps its most generous credential scope.
    pub fn new(origins: impl IntoIterator<Item = AllowedOrigin>) -> Self {
        let mut list: Vec<AllowedOrigin> = Vec::new();
        for allowed in origins {
            match list.iter_mut().find(|known| known.origin == allowed.origin) {
                Some(known) if allowed.credentials == CredentialScope::Attach => {
                    known.credentials = CredentialScope::Attach
                }
                Some(_) => {}
                None => list.push(allowed),
            }
        }
        Self { origins: list }
    }

    /// Whether `url` may be requested, and with which credential scope.
    pub fn check(&self, url: &Url) -> Option<CredentialScope> {
        let origin = url.origin();
        self.origins
            .iter()
            .find(|allowed| allowed.origin == origin)
            .map(|allowed| allowed.credentials)
    }

    /// Whether `url` may be requested at all.
    pub fn is_allowed_origin(&self, url: &Url) -> bool {
        self.check(url).is_some()
    }
}

impl fmt::Display for AllowList {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let origins: Vec<String> = self.origins.iter().map(AllowedOrigin::origin).collect();
        write!(f, "[{}]", origins.join(", "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn url(text: &str) -> Url {
        Url::parse(text).unwrap()
    }

    fn list() -> AllowList {
        AllowList::new([
            AllowedOrigin::new(
                &url("https://api.example.com/ex/confluence/1"),
                CredentialScope::Attach,
            )
            .unwrap(),
            AllowedOrigin::new(&url("https://media.example.com"), CredentialScope::Withhold)
                .unwrap(),
        ])
    }

    #[test]
    fn origin_matches_on_scheme_host_and_port_only() {
        let list = list();
        assert_eq!(
            list.check(&url("https://api.example.com/any/path?q=1")),
            Some(CredentialScope::Attach)
        );
        assert_eq!(
            list.check(&url("https://api.example.com:443/x")),
            Some(CredentialScope::Attach)
        );
        assert_eq!(
            list.check(&url("https://media.example.com/file")),
            Some(CredentialScope::Withhold)
        );
    }

    #[test]
    fn other_scheme_port_or_host_is_not_allowed() {
        let list = list();
        assert!(!list.is_allowed_origin(&url("http://api.example.com/x")));
        assert!(!list.is_allowed_origin(&url("https://api.example.com:8443/x")));
        assert!(!list.is_allowed_origin(&url("https://api.example.com.evil.test/x")));
        assert!(!list.is_allowed_origin(&url("https://evil.test/?https://api.example.com")));
    }

    #[test]
    fn a_repeated_origin_keeps_credentials_when_any_entry_grants_them() {
        let list = AllowList::new([
            AllowedOrigin::new(&url("http://127.0.0.1:9000/a"), CredentialScope::Withhold).unwrap(),
            AllowedOrigin::new(&url("http://127.0.0.1:9000/b"), CredentialScope::Attach).unwrap(),
        ]);
        assert_eq!(
            list.check(&url("http://127.0.0.1:9000/")),
            Some(CredentialScope::Attach)
        );
        assert_eq!(list.to_string(), "[http://127.0.0.1:9000]");
    }

    #[test]
    fn non_http_urls_are_not_origins() {
        assert!(AllowedOrigin::new(&url("file:///etc/passwd"), CredentialScope::Attach).is_err());
    }
}
