//! The native stand-in for the host's `http` import, for unit tests of plugin logic: requests go
//! to a transport the test installs for its thread.

use std::cell::RefCell;

use crate::http::{HttpError, Request, Response};

/// Answers a request the way the host would: a response (any status) or an [`HttpError`].
pub type Transport = Box<dyn Fn(&Request) -> Result<Response, HttpError>>;

thread_local! {
    static TRANSPORT: RefCell<Option<Transport>> = const { RefCell::new(None) };
}

/// Routes this thread's requests to `transport` (tests run on threads of their own).
pub fn install_transport(transport: impl Fn(&Request) -> Result<Response, HttpError> + 'static) {
    TRANSPORT.with(|slot| *slot.borrow_mut() = Some(Box::new(transport)));
}

/// Sends one request through the installed transport.
pub fn send(request: &Request) -> Result<Response, HttpError> {
    TRANSPORT.with(|slot| match &*slot.borrow() {
        Some(transport) => transport(request),
        None => Err(HttpError::Transport(format!(
            "{}: no native transport installed (call connector_plugin_sdk::native::install_transport in the test)",
            request.url
        ))),
    })
}

/// Sends requests one after another through the installed transport, answers in order.
pub fn send_all(requests: &[Request]) -> Vec<Result<Response, HttpError>> {
    requests.iter().map(send).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_reach_the_installed_transport_and_fail_in_words_without_one() {
        let request = Request::get("http://docs.test/api/x");
        assert!(
            matches!(send(&request), Err(HttpError::Transport(why)) if why.starts_with("http://docs.test/api/x: no native transport"))
        );
        install_transport(|request| {
            Ok(Response {
                status: 200,
                headers: Vec::new(),
                body: request.url.clone().into_bytes(),
            })
        });
        let answers = send_all(&[request.clone(), Request::get("http://docs.test/api/y")]);
        let bodies: Vec<Vec<u8>> = answers
            .into_iter()
            .map(|answer| answer.map(|response| response.body).unwrap_or_default())
            .collect();
        assert_eq!(
            bodies,
            vec![
                b"http://docs.test/api/x".to_vec(),
                b"http://docs.test/api/y".to_vec()
            ]
        );
    }
}
