//! A cached access token with single-flight refresh: concurrent callers that find no valid token
//! share one in-flight token request, and its failure (which clears the cache) reaches them all.

use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use futures::FutureExt;
use futures::future::{BoxFuture, Shared};
use tokio::time::Instant;

use super::AuthError;
use crate::secret::Secret;

/// A token as fetched, with the instant its request was sent (a conservative `fetchedAt`).
#[derive(Clone)]
pub(crate) struct FetchedToken {
    pub access_token: Secret,
    pub fetched_at: Instant,
    pub expires_in: Duration,
}

impl FetchedToken {
    /// When the server says the token stops working; `None` if that is beyond the clock's range.
    pub fn expires_at(&self) -> Option<Instant> {
        self.fetched_at.checked_add(self.expires_in)
    }
}

pub(crate) type TokenFetch = BoxFuture<'static, Result<FetchedToken, AuthError>>;

#[derive(Default)]
pub(crate) struct TokenCell {
    state: Mutex<CellState>,
}

#[derive(Default)]
struct CellState {
    token: Option<FetchedToken>,
    in_flight: Option<Shared<TokenFetch>>,
}

impl TokenCell {
    /// Returns the cached token while `is_valid(token, now)` holds; otherwise joins the request in
    /// flight, or starts one with `fetch`. The token a request returns is handed to its waiters
    /// even if `is_valid` would already reject it (then the next call fetches again).
    pub async fn get(
        &self,
        is_valid: impl Fn(&FetchedToken, Instant) -> bool,
        fetch: impl FnOnce() -> TokenFetch,
    ) -> Result<Secret, AuthError> {
        let flight = {
            let mut state = self.lock();
            if let Some(token) = &state.token
                && is_valid(token, Instant::now())
            {
                return Ok(token.access_token.clone());
            }
            match &state.in_flight {
                Some(flight) => flight.clone(),
                None => {
                    let flight = fetch().shared();
                    state.in_flight = Some(flight.clone());
                    flight
                }
            }
        };
        let outcome = flight.clone().await;
        {
            // The first waiter to finish settles the cache; later ones find another (or no)
            // flight and leave it alone.
            let mut state = self.lock();
            if state
                .in_flight
                .as_ref()
                .is_some_and(|current| current.ptr_eq(&flight))
            {
                state.in_flight = None;
                state.token = outcome.as_ref().ok().cloned();
            }
        }
        outcome.map(|token| token.access_token)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, CellState> {
        // Only plain assignments happen under this lock, so a poisoned state is still consistent.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;
    use std::sync::atomic::{AtomicU32, Ordering};

    fn counting_fetch(
        calls: &Arc<AtomicU32>,
        expires_in: Duration,
        fail: bool,
    ) -> impl FnOnce() -> TokenFetch + use<> {
        let calls = Arc::clone(calls);
        move || {
            async move {
                let n = calls.fetch_add(1, Ordering::SeqCst) + 1;
                let fetched_at = Instant::now();
                tokio::time::sleep(Duration::from_millis(50)).await;
                if fail {
                    return Err(AuthError::InvalidResponse {
                        url: "http://token.test/".into(),
                        reason: "test failure".into(),
                    });
                }
                Ok(FetchedToken {
                    access_token: Secret::new(format!("token-{n}")),
                    fetched_at,
                    expires_in,
                })
            }
            .boxed()
        }
    }

    fn valid_without_margin(token: &FetchedToken, now: Instant) -> bool {
        token.expires_at().is_none_or(|expires_at| now < expires_at)
    }

    #[tokio::test(start_paused = true)]
    async fn concurrent_callers_share_one_fetch() {
        let cell = Arc::new(TokenCell::default());
        let calls = Arc::new(AtomicU32::new(0));
        let tasks: Vec<_> = (0..20)
            .map(|_| {
                let cell = Arc::clone(&cell);
                let fetch = counting_fetch(&calls, Duration::from_secs(60), false);
                tokio::spawn(async move { cell.get(valid_without_margin, fetch).await })
            })
            .collect();
        for task in tasks {
            let token = task.await.expect("task").expect("token");
            assert_eq!(token.expose(), "token-1");
        }
        assert_eq!(calls.load(Ordering::SeqCst), 1);
    }

    #[tokio::test(start_paused = true)]
    async fn failure_reaches_every_waiter_and_clears_the_cache() {
        let cell = Arc::new(TokenCell::default());
        let calls = Arc::new(AtomicU32::new(0));
        let first = cell
            .get(
                valid_without_margin,
                counting_fetch(&calls, Duration::from_secs(1), false),
            )
            .await
            .expect("first token");
        assert_eq!(first.expose(), "token-1");
        tokio::time::advance(Duration::from_secs(2)).await; // token-1 expired

        let tasks: Vec<_> = (0..5)
            .map(|_| {
                let cell = Arc::clone(&cell);
                let fetch = counting_fetch(&calls, Duration::from_secs(60), true);
                tokio::spawn(async move { cell.get(valid_without_margin, fetch).await })
            })
            .collect();
        for task in tasks {
            let error = task.await.expect("task").expect_err("shared failure");
            assert!(error.to_string().contains("test failure"), "{error}");
        }
        assert_eq!(
            calls.load(Ordering::SeqCst),
            2,
            "one failed request for all"
        );

        let next = cell
            .get(
                valid_without_margin,
                counting_fetch(&calls, Duration::from_secs(60), false),
            )
            .await
            .expect("fresh token after failure");
        assert_eq!(next.expose(), "token-3");
    }

    #[tokio::test(start_paused = true)]
    async fn cancelled_first_caller_does_not_strand_the_others() {
        let cell = Arc::new(TokenCell::default());
        let calls = Arc::new(AtomicU32::new(0));
        let starter = {
            let cell = Arc::clone(&cell);
            let fetch = counting_fetch(&calls, Duration::from_secs(60), false);
            tokio::spawn(async move { cell.get(valid_without_margin, fetch).await })
        };
        tokio::task::yield_now().await;
        starter.abort();
        let token = cell
            .get(
                valid_without_margin,
                counting_fetch(&calls, Duration::from_secs(60), false),
            )
            .await
            .expect("token");
        assert_eq!(token.expose(), "token-1", "joined the existing request");
        assert_eq!(calls.load(Ordering::SeqCst), 1);
    }
}
