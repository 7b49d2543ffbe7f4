//! Auth providers against real loopback token servers: exact token requests, caching rules,
//! single flight, failure propagation, and no secret in any `Debug` or error text.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::{any, post};
use connector_host::auth::{
    AuthError, ConfluenceAuth, TokenCache, UniqueAuth, ZitadelAuth, ZitadelSettings,
};
use connector_host::http_client::{HttpClients, ProxySettings};
use connector_host::secret::Secret;
use reqwest::header::AUTHORIZATION;
use url::Url;

const CLIENT_SECRET: &str = "s3cret&value";

/// One request as the token server saw it.
#[derive(Debug, Clone)]
struct Recorded {
    uri: String,
    headers: HeaderMap,
    body: String,
}

#[derive(Clone)]
struct Answer {
    status: StatusCode,
    body: String,
    delay: Duration,
    location: Option<String>,
}

#[derive(Clone)]
struct TokenServer {
    base: Url,
    requests: Arc<Mutex<Vec<Recorded>>>,
    answer: Arc<Mutex<Answer>>,
}

impl TokenServer {
    async fn start(status: StatusCode, body: &str) -> Self {
        let server_state = TokenServer {
            base: Url::parse("http://127.0.0.1/").expect("placeholder"),
            requests: Arc::default(),
            answer: Arc::new(Mutex::new(Answer {
                status,
                body: body.to_owned(),
                delay: Duration::ZERO,
                location: None,
            })),
        };
        let app = Router::new()
            .route("/oauth/token", post(answer_token))
            .route("/elsewhere", any(answer_token))
            .with_state(server_state.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind token server");
        let addr = listener.local_addr().expect("local addr");
        tokio::spawn(async move { axum::serve(listener, app).await });
        TokenServer {
            base: Url::parse(&format!("http://{addr}/")).expect("server url"),
            ..server_state
        }
    }

    fn token_url(&self) -> Url {
        self.base.join("oauth/token").expect("token url")
    }

    fn answer_with(&self, status: StatusCode, body: &str) {
        let mut answer = self.answer.lock().expect("answer lock");
        answer.status = status;
        answer.body = body.to_owned();
    }

    fn delay_answers(&self, delay: Duration) {
        self.answer.lock().expect("answer lock").delay = delay;
    }

    fn redirect_to(&self, location: &str) {
        let mut answer = self.answer.lock().expect("answer lock");
        answer.status = StatusCode::FOUND;
        answer.location = Some(location.to_owned());
    }

    fn requests(&self) -> Vec<Recorded> {
        self.requests.lock().expect("requests lock").clone()
    }
}

async fn answer_token(
    State(server): State<TokenServer>,
    uri: Uri,
    headers: HeaderMap,
    body: String,
) -> Response {
    server
        .requests
        .lock()
        .expect("requests lock")
        .push(Recorded {
            uri: uri.to_string(),
            headers,
            body,
        });
    let answer = server.answer.lock().expect("answer lock").clone();
    tokio::time::sleep(answer.delay).await;
    let mut response = (answer.status, answer.body).into_response();
    if let Some(location) = answer.location {
        response.headers_mut().insert(
            axum::http::header::LOCATION,
            location.parse().expect("location header"),
        );
    }
    response
}

fn client() -> reqwest::Client {
    HttpClients::build(&ProxySettings::none(), None)
        .expect("clients")
        .proxied
}

fn cloud_cache(server: &TokenServer) -> TokenCache {
    TokenCache::cloud(
        server.token_url(),
        "acme-client".into(),
        Secret::new(CLIENT_SECRET),
        client(),
    )
}

fn token_json(token: &str, expires_in: u64) -> String {
    format!(r#"{{"access_token":"{token}","expires_in":{expires_in},"scope":"read"}}"#)
}

fn header<'a>(recorded: &'a Recorded, name: &str) -> Option<&'a str> {
    recorded
        .headers
        .get(name)
        .map(|v| v.to_str().expect("ascii header"))
}

#[tokio::test]
async fn cloud_token_request_is_json_with_client_credentials_only() {
    let server = TokenServer::start(StatusCode::OK, &token_json("cloud-token", 3600)).await;
    let auth = ConfluenceAuth::OAuth2(cloud_cache(&server));

    let authorization = auth.authorization().await.expect("authorization");

    assert_eq!(authorization.expose(), "Bearer cloud-token");
    let requests = server.requests();
    assert_eq!(requests.len(), 1);
    assert_eq!(requests[0].uri, "/oauth/token");
    assert_eq!(
        header(&requests[0], "content-type"),
        Some("application/json")
    );
    assert_eq!(
        requests[0].body,
        r#"{"grant_type":"client_credentials","client_id":"acme-client","client_secret":"s3cret&value"}"#
    );
    assert_eq!(header(&requests[0], "authorization"), None);
}

#[tokio::test]
async fn data_center_token_request_is_a_form_in_spec_order() {
    let server = TokenServer::start(StatusCode::OK, &token_json("dc-token", 3600)).await;
    let cache = TokenCache::data_center(
        server.token_url(),
        "dc client".into(),
        Secret::new(CLIENT_SECRET),
        client(),
    );

    let token = cache.access_token().await.expect("token");

    assert_eq!(token.expose(), "dc-token");
    let requests = server.requests();
    assert_eq!(requests.len(), 1);
    assert_eq!(
        header(&requests[0], "content-type"),
        Some("application/x-www-form-urlencoded")
    );
    assert_eq!(
        requests[0].body,
        "grant_type=client_credentials&client_id=dc+client&client_secret=s3cret%26value&scope=READ"
    );
}

#[tokio::test]
async fn confluence_token_is_reused_while_more_than_five_minutes_remain() {
    let server = TokenServer::start(StatusCode::OK, &token_json("hour", 3600)).await;
    let cache = cloud_cache(&server);
    for _ in 0..3 {
        assert_eq!(cache.access_token().await.expect("token").expose(), "hour");
    }
    assert_eq!(server.requests().len(), 1);
}

#[tokio::test]
async fn confluence_token_of_300_seconds_or_less_is_never_reused() {
    let server = TokenServer::start(StatusCode::OK, &token_json("short", 300)).await;
    let cache = cloud_cache(&server);
    for _ in 0..3 {
        cache.access_token().await.expect("token");
    }
    assert_eq!(server.requests().len(), 3);
}

#[tokio::test]
async fn confluence_token_is_refetched_once_inside_the_margin() {
    // 303 s: reusable for about three seconds, then inside the 300 s margin.
    let server = TokenServer::start(StatusCode::OK, &token_json("edge", 303)).await;
    let cache = cloud_cache(&server);
    cache.access_token().await.expect("token");
    cache.access_token().await.expect("token");
    assert_eq!(server.requests().len(), 1, "reused while > 300 s remain");
    tokio::time::sleep(Duration::from_millis(3_100)).await;
    cache.access_token().await.expect("token");
    assert_eq!(server.requests().len(), 2, "refetched inside the margin");
}

#[tokio::test]
async fn twenty_concurrent_callers_share_one_token_request() {
    let server = TokenServer::start(StatusCode::OK, &token_json("shared", 3600)).await;
    server.delay_answers(Duration::from_millis(300));
    let auth = ConfluenceAuth::OAuth2(cloud_cache(&server));

    let callers: Vec<_> = (0..20)
        .map(|_| {
            let auth = auth.clone();
            tokio::spawn(async move { auth.authorization().await })
        })
        .collect();
    for caller in callers {
        let value = caller.await.expect("task").expect("authorization");
        assert_eq!(value.expose(), "Bearer shared");
    }
    assert_eq!(server.requests().len(), 1);
}

#[tokio::test]
async fn failed_token_request_reaches_every_waiter_and_is_not_cached() {
    let server = TokenServer::start(StatusCode::UNAUTHORIZED, "invalid client").await;
    server.delay_answers(Duration::from_millis(300));
    let cache = cloud_cache(&server);

    let callers: Vec<_> = (0..20)
        .map(|_| {
            let cache = cache.clone();
            tokio::spawn(async move { cache.access_token().await })
        })
        .collect();
    for caller in callers {
        let error = caller.await.expect("task").expect_err("401 fails");
        match &error {
            AuthError::Status { url, status, body } => {
                assert_eq!(url, server.token_url().as_str());
                assert_eq!(*status, 401);
                assert_eq!(body, "invalid client");
            }
            other => panic!("expected a status error, got {other:?}"),
        }
        let message = error.to_string();
        assert!(message.contains("401") && message.contains("invalid client"));
        assert!(!message.contains(CLIENT_SECRET), "{message}");
    }
    assert_eq!(server.requests().len(), 1, "one request for all waiters");

    server.answer_with(StatusCode::OK, &token_json("recovered", 3600));
    server.delay_answers(Duration::ZERO);
    assert_eq!(
        cache.access_token().await.expect("token").expose(),
        "recovered"
    );
    assert_eq!(server.requests().len(), 2, "the failure was not cached");
}

#[tokio::test]
async fn token_answer_needs_a_numeric_expires_in_and_a_string_token() {
    let cases = [
        r#"{"access_token":"t","expires_in":"3600"}"#,
        r#"{"access_token":"t"}"#,
        r#"{"expires_in":3600}"#,
        r#"{"access_token":42,"expires_in":3600}"#,
        "not json",
    ];
    for body in cases {
        let server = TokenServer::start(StatusCode::OK, body).await;
        let error = cloud_cache(&server)
            .access_token()
            .await
            .expect_err("invalid answer");
        assert!(
            matches!(error, AuthError::InvalidResponse { .. }),
            "{body}: {error:?}"
        );
    }
}

#[tokio::test]
async fn token_request_does_not_follow_redirects() {
    let server = TokenServer::start(StatusCode::OK, &token_json("t", 3600)).await;
    server.redirect_to("/elsewhere");
    let error = cloud_cache(&server)
        .access_token()
        .await
        .expect_err("a redirect is an error");
    assert!(
        matches!(error, AuthError::Status { status: 302, .. }),
        "{error:?}"
    );
    let uris: Vec<_> = server.requests().into_iter().map(|r| r.uri).collect();
    assert_eq!(uris, ["/oauth/token"]);
}

#[tokio::test]
async fn unreachable_token_server_is_a_transport_error_naming_the_url() {
    let port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        listener.local_addr().expect("addr").port()
    };
    let url = Url::parse(&format!("http://127.0.0.1:{port}/oauth/token")).expect("url");
    let cache = TokenCache::cloud(
        url.clone(),
        "id".into(),
        Secret::new(CLIENT_SECRET),
        client(),
    );
    let error = cache.access_token().await.expect_err("refused");
    assert!(matches!(error, AuthError::Transport { .. }), "{error:?}");
    assert!(error.to_string().contains(url.as_str()), "{error}");
}

#[tokio::test]
async fn pat_and_basic_build_static_authorization_values() {
    let pat = ConfluenceAuth::Pat(Secret::new("personal-token"));
    assert_eq!(
        pat.authorization().await.expect("pat").expose(),
        "Bearer personal-token"
    );
    let basic = ConfluenceAuth::Basic {
        username: Secret::new("jane"),
        password: Secret::new("pä:ss"),
    };
    // base64("jane:pä:ss") of the UTF-8 bytes.
    assert_eq!(
        basic.authorization().await.expect("basic").expose(),
        "Basic amFuZTpww6Q6c3M="
    );
    let header = basic.authorization_header().await.expect("header");
    assert!(header.is_sensitive());
}

fn zitadel_settings(server: &TokenServer) -> ZitadelSettings {
    let mut token_url = server.token_url();
    token_url.set_query(Some("tenant=ignored"));
    token_url.set_fragment(Some("frag"));
    ZitadelSettings {
        token_url,
        client_id: "connector".into(),
        client_secret: Secret::new(CLIENT_SECRET),
        project_id: Secret::new("987654321"),
    }
}

#[tokio::test]
async fn zitadel_token_request_matches_t3_exactly() {
    let server = TokenServer::start(StatusCode::OK, &token_json("zitadel-token", 3600)).await;
    let zitadel = ZitadelAuth::new(&zitadel_settings(&server), client());

    let token = zitadel.access_token().await.expect("token");

    assert_eq!(token.expose(), "zitadel-token");
    let requests = server.requests();
    assert_eq!(requests.len(), 1);
    assert_eq!(
        requests[0].uri, "/oauth/token",
        "query and fragment dropped"
    );
    assert_eq!(
        header(&requests[0], "authorization"),
        // base64("connector:s3cret&value")
        Some("Basic Y29ubmVjdG9yOnMzY3JldCZ2YWx1ZQ==")
    );
    assert_eq!(
        header(&requests[0], "content-type"),
        Some("application/x-www-form-urlencoded")
    );
    assert_eq!(
        requests[0].body,
        "scope=openid+profile+email+urn%3Azitadel%3Aiam%3Auser%3Aresourceowner\
         +urn%3Azitadel%3Aiam%3Aorg%3Aprojects%3Aroles\
         +urn%3Azitadel%3Aiam%3Aorg%3Aproject%3Aid%3A987654321%3Aaud\
         &grant_type=client_credentials"
    );
}

#[tokio::test]
async fn zitadel_token_is_reused_until_expiry_without_margin_and_refreshes_are_counted() {
    let server = TokenServer::start(StatusCode::OK, &token_json("short", 3)).await;
    let hook_calls = Arc::new(Mutex::new(0u32));
    let zitadel = {
        let hook_calls = Arc::clone(&hook_calls);
        ZitadelAuth::new(&zitadel_settings(&server), client()).with_refresh_hook(Arc::new(
            move || *hook_calls.lock().expect("hook lock") += 1,
        ))
    };

    zitadel.access_token().await.expect("token");
    zitadel.access_token().await.expect("token");
    assert_eq!(server.requests().len(), 1, "no safety margin: still valid");
    tokio::time::sleep(Duration::from_millis(3_100)).await;
    zitadel.access_token().await.expect("token");
    assert_eq!(server.requests().len(), 2, "expired after expires_in");
    assert_eq!(zitadel.refresh_count(), 2);
    assert_eq!(*hook_calls.lock().expect("hook lock"), 2);
}

#[tokio::test]
async fn zitadel_rejects_empty_tokens_and_non_positive_lifetimes() {
    let cases = [
        r#"{"access_token":"","expires_in":3600}"#,
        r#"{"access_token":"t","expires_in":0}"#,
        r#"{"access_token":"t","expires_in":-5}"#,
        r#"{"access_token":"t","expires_in":"3600"}"#,
    ];
    for body in cases {
        let server = TokenServer::start(StatusCode::OK, body).await;
        let zitadel = ZitadelAuth::new(&zitadel_settings(&server), client());
        let error = zitadel.access_token().await.expect_err("invalid answer");
        assert!(
            matches!(error, AuthError::InvalidResponse { .. }),
            "{body}: {error:?}"
        );
        assert_eq!(zitadel.refresh_count(), 0, "{body}");
    }
}

#[tokio::test]
async fn zitadel_single_flight_under_twenty_callers() {
    let server = TokenServer::start(StatusCode::OK, &token_json("z", 3600)).await;
    server.delay_answers(Duration::from_millis(300));
    let auth = UniqueAuth::External(ZitadelAuth::new(&zitadel_settings(&server), client()));
    let callers: Vec<_> = (0..20)
        .map(|_| {
            let auth = auth.clone();
            tokio::spawn(async move { auth.headers().await })
        })
        .collect();
    for caller in callers {
        let headers = caller.await.expect("task").expect("headers");
        assert_eq!(headers.len(), 1);
        assert_eq!(headers[0].0, AUTHORIZATION);
        assert_eq!(headers[0].1.to_str().expect("ascii"), "Bearer z");
        assert!(headers[0].1.is_sensitive());
    }
    assert_eq!(server.requests().len(), 1);
}

#[tokio::test]
async fn cluster_local_headers_are_the_service_id_then_extras_verbatim() {
    let auth = UniqueAuth::cluster_local([
        ("x-company-id".to_owned(), "company-1".to_owned()),
        ("x-user-id".to_owned(), "user-7".to_owned()),
        ("X-Custom".to_owned(), "Mixed Case Value".to_owned()),
    ])
    .expect("valid headers");
    let headers: Vec<(String, String)> = auth
        .headers()
        .await
        .expect("headers")
        .into_iter()
        .map(|(name, value)| (name.to_string(), value.to_str().expect("ascii").to_owned()))
        .collect();
    assert_eq!(
        headers,
        [
            ("x-service-id", "confluence-connector"),
            ("x-company-id", "company-1"),
            ("x-user-id", "user-7"),
            ("x-custom", "Mixed Case Value"),
        ]
        .map(|(n, v)| (n.to_owned(), v.to_owned()))
    );
    assert!(!auth.uses_proxy());

    let error = UniqueAuth::cluster_local([("bad header".to_owned(), "v".to_owned())])
        .expect_err("invalid name");
    assert!(error.to_string().contains("bad header"), "{error}");
}

#[tokio::test]
async fn debug_output_never_shows_secrets() {
    let server = TokenServer::start(StatusCode::OK, &token_json("live-token-value", 3600)).await;
    let oauth = ConfluenceAuth::OAuth2(cloud_cache(&server));
    oauth.authorization().await.expect("cached token");
    let zitadel = ZitadelAuth::new(&zitadel_settings(&server), client());
    zitadel.access_token().await.expect("cached token");
    let unique = UniqueAuth::External(zitadel);
    let pat = ConfluenceAuth::Pat(Secret::new("pat-value"));
    let basic = ConfluenceAuth::Basic {
        username: Secret::new("user-value"),
        password: Secret::new("password-value"),
    };

    let dump = format!("{oauth:?} {unique:?} {pat:?} {basic:?}");
    for secret in [
        CLIENT_SECRET,
        "live-token-value",
        "987654321",
        "pat-value",
        "user-value",
        "password-value",
        "Y29ubmVjdG9y", // start of the Basic credentials of Zitadel
    ] {
        assert!(!dump.contains(secret), "{secret} in {dump}");
    }
    assert!(
        dump.contains("acme-client"),
        "non-secret context stays: {dump}"
    );
}
