//! The auth section of a source (`confluence.auth` or `source.auth`), whose keys depend on
//! `mode`: `oauth_2lo` (client id and secret), `pat` (token) or `basic` (username, password).

use super::super::diagnostics::FileReport;
use super::super::http_url::HttpUrl;
use super::super::secret_ref::{EnvLookup, secret};
use super::super::tenant::SourceAuth;
use super::super::yaml_reader::{Section, choice, non_blank_string};
use super::fields::url_without_trailing_slash;
use crate::secret::Secret;

/// The value of `mode`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum AuthMode {
    OAuth2ClientCredentials,
    PersonalAccessToken,
    Basic,
}

impl AuthMode {
    pub(super) fn name(self) -> &'static str {
        match self {
            Self::OAuth2ClientCredentials => "oauth_2lo",
            Self::PersonalAccessToken => "pat",
            Self::Basic => "basic",
        }
    }
}

const MODES: [(&str, AuthMode); 3] = [
    ("oauth_2lo", AuthMode::OAuth2ClientCredentials),
    ("pat", AuthMode::PersonalAccessToken),
    ("basic", AuthMode::Basic),
];

/// An auth section as read, before its token URL default (which depends on the source) is known.
pub(super) struct AuthSection {
    /// `None` when `mode` was missing or invalid.
    pub(super) mode: Option<AuthMode>,
    /// `None` when anything in the section was invalid.
    credentials: Option<Credentials>,
    token_url_path: String,
}

enum Credentials {
    OAuth2 {
        client_id: String,
        client_secret: Secret,
        token_url: Option<HttpUrl>,
    },
    Token {
        token: Secret,
    },
    Basic {
        username: Secret,
        password: Secret,
    },
}

/// Reads every key of the auth section.
pub(super) fn read(
    mut section: Section<'_>,
    report: &mut FileReport,
    env: EnvLookup<'_>,
) -> AuthSection {
    let token_url_path = section.key_path("tokenUrl");
    let mode = section.required(report, "mode", |r, p, v| choice(r, p, v, &MODES));
    let credentials = match mode {
        Some(AuthMode::OAuth2ClientCredentials) => {
            let client_id = section.required(report, "clientId", non_blank_string);
            let client_secret =
                section.required(report, "clientSecret", |r, p, v| secret(r, p, v, env));
            let token_url = section.optional(report, "tokenUrl", url_without_trailing_slash);
            // An invalid `tokenUrl` reads as absent; its error already fails the file.
            client_id
                .zip(client_secret)
                .map(|(client_id, client_secret)| Credentials::OAuth2 {
                    client_id,
                    client_secret,
                    token_url,
                })
        }
        Some(AuthMode::PersonalAccessToken) => section
            .required(report, "token", |r, p, v| secret(r, p, v, env))
            .map(|token| Credentials::Token { token }),
        Some(AuthMode::Basic) => {
            let username = section.required(report, "username", |r, p, v| secret(r, p, v, env));
            let password = section.required(report, "password", |r, p, v| secret(r, p, v, env));
            username
                .zip(password)
                .map(|(username, password)| Credentials::Basic { username, password })
        }
        None => None,
    };
    if mode.is_some() {
        section.finish(report);
    } else {
        section.finish_without_unknown_keys();
    }
    AuthSection {
        mode,
        credentials,
        token_url_path,
    }
}

impl AuthSection {
    /// The checked auth. `default_token_url` is used for `oauth_2lo` without `tokenUrl`; when
    /// there is none, `tokenUrl` is required.
    pub(super) fn into_source_auth(
        self,
        report: &mut FileReport,
        default_token_url: Option<HttpUrl>,
    ) -> Option<SourceAuth> {
        Some(match self.credentials? {
            Credentials::OAuth2 {
                client_id,
                client_secret,
                token_url,
            } => {
                let Some(token_url) = token_url.or(default_token_url) else {
                    report.invalid(&self.token_url_path, "is required for mode `oauth_2lo`");
                    return None;
                };
                SourceAuth::OAuth2ClientCredentials {
                    client_id,
                    client_secret,
                    token_url,
                }
            }
            Credentials::Token { token } => SourceAuth::PersonalAccessToken { token },
            Credentials::Basic { username, password } => SourceAuth::Basic { username, password },
        })
    }
}
