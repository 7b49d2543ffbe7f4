//! Smooth token-bucket rate limiter: one per tenant and target, shared through `Arc` by every
//! request to that target (operations.md §3).
//!
//! Tokens refill continuously at N/60 per second up to a burst of `max(1, ⌈N/60⌉)`, so there is no
//! minute window and no 2N burst at a window edge. Waiters queue first-in, first-out on a fair
//! async mutex and hold no connection while they wait. A 429 pauses the whole limiter; a later
//! pause can only extend it.

use std::fmt;
use std::num::NonZeroU32;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use tokio::time::Instant;

/// Tokens below this are treated as a whole token: float refill arithmetic may land a hair short
/// of 1.0 at the exact instant a sleep computed for it ends.
const TOKEN_EPSILON: f64 = 1e-9;

/// Why a limiter throttled. Passed to the hook set with [`RateLimiter::with_throttle_hook`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ThrottleEvent {
    /// The bucket ran empty while a request was waiting. Reported once per stretch of waiting,
    /// not once per waiting request.
    BucketEmpty,
    /// A 429 paused (or extended the pause of) the limiter until this instant.
    Paused { until: Instant },
}

/// Called once for each throttle event, for example to increment a metric.
pub type ThrottleHook = Arc<dyn Fn(ThrottleEvent) + Send + Sync>;

/// A smooth token bucket. See the module docs.
pub struct RateLimiter {
    name: String,
    tokens_per_second: f64,
    capacity: f64,
    bucket: Mutex<Bucket>,
    /// Fair (FIFO) queue of waiters: only the holder of this lock takes tokens.
    queue: tokio::sync::Mutex<()>,
    throttle_events: AtomicU64,
    on_throttle: Option<ThrottleHook>,
}

struct Bucket {
    tokens: f64,
    refilled_at: Instant,
    paused_until: Option<Instant>,
    /// True while requests have had to wait since the bucket last ran empty; cleared when a request
    /// finds a token without waiting. Makes "bucket empty" one event per stretch of waiting.
    throttled: bool,
}

impl RateLimiter {
    /// A limiter for `requests_per_minute`, starting with a full bucket.
    pub fn per_minute(requests_per_minute: NonZeroU32) -> Self {
        let per_minute = f64::from(requests_per_minute.get());
        let capacity = requests_per_minute.get().div_ceil(60).max(1);
        Self {
            name: String::new(),
            tokens_per_second: per_minute / 60.0,
            capacity: f64::from(capacity),
            bucket: Mutex::new(Bucket {
                tokens: f64::from(capacity),
                refilled_at: Instant::now(),
                paused_until: None,
                throttled: false,
            }),
            queue: tokio::sync::Mutex::new(()),
            throttle_events: AtomicU64::new(0),
            on_throttle: None,
        }
    }

    /// Names the limiter in its log lines, e.g. `acme/confluence`.
    pub fn with_name(mut self, name: impl Into<String>) -> Self {
        self.name = name.into();
        self
    }

    /// Calls `hook` once for every throttle event (in addition to counting it).
    pub fn with_throttle_hook(mut self, hook: ThrottleHook) -> Self {
        self.on_throttle = Some(hook);
        self
    }

    /// The burst capacity in tokens.
    pub fn capacity(&self) -> u32 {
        // Built from a u32 in `per_minute`, so the conversion back is exact.
        self.capacity as u32
    }

    /// Waits for this request's turn and takes one token. Cancel-safe: dropping the future leaves
    /// the queue without taking a token.
    pub async fn acquire(&self) {
        let _turn = self.queue.lock().await;
        let mut waited = false;
        loop {
            match self.try_take(Instant::now(), waited) {
                Ok(()) => return,
                Err(wake_at) => {
                    waited = true;
                    tokio::time::sleep_until(wake_at).await;
                }
            }
        }
    }

    /// Pauses the limiter until `until` (a 429 with `Retry-After`). Never shortens a pause that is
    /// already set; each pause that starts or extends one is a throttle event.
    pub fn pause_until(&self, until: Instant) {
        let extended = {
            let mut bucket = self.lock_bucket();
            let extends = bucket.paused_until.is_none_or(|current| until > current);
            let in_future = until > Instant::now();
            if extends && in_future {
                bucket.paused_until = Some(until);
            }
            extends && in_future
        };
        if extended {
            let pause_secs = until
                .saturating_duration_since(Instant::now())
                .as_secs_f64();
            tracing::info!(limiter = %self.name, pause_secs, "rate limiter paused by a 429 answer");
            self.record(ThrottleEvent::Paused { until });
        }
    }

    /// [`Self::pause_until`] `now + delay`; `delay` is a clamped `Retry-After`
    /// (see [`crate::retry::retry_after_delay`]).
    pub fn pause_for(&self, delay: Duration) {
        self.pause_until(Instant::now() + delay);
    }

    /// The end of the current pause, if the limiter is paused.
    pub fn paused_until(&self) -> Option<Instant> {
        let bucket = self.lock_bucket();
        bucket.paused_until.filter(|until| *until > Instant::now())
    }

    /// How many throttle events happened so far (bucket ran empty while waited on, or paused).
    pub fn throttle_events(&self) -> u64 {
        self.throttle_events.load(Ordering::Relaxed)
    }

    /// Takes a token if one is available and the limiter is not paused; otherwise returns when to
    /// look again.
    fn try_take(&self, now: Instant, waited: bool) -> Result<(), Instant> {
        let mut bucket = self.lock_bucket();
        let elapsed = now
            .saturating_duration_since(bucket.refilled_at)
            .as_secs_f64();
        bucket.tokens = (bucket.tokens + elapsed * self.tokens_per_second).min(self.capacity);
        bucket.refilled_at = now;

        if let Some(until) = bucket.paused_until {
            if until > now {
                return Err(until);
            }
            bucket.paused_until = None;
        }
        if bucket.tokens + TOKEN_EPSILON >= 1.0 {
            bucket.tokens -= 1.0;
            if !waited {
                bucket.throttled = false;
            }
            return Ok(());
        }
        let first_wait_of_stretch = !bucket.throttled;
        bucket.throttled = true;
        let missing = 1.0 - bucket.tokens;
        let wake_at = now + Duration::from_secs_f64(missing / self.tokens_per_second);
        drop(bucket);

        if first_wait_of_stretch {
            tracing::info!(limiter = %self.name, "rate limit reached; requests wait for tokens");
            self.record(ThrottleEvent::BucketEmpty);
        }
        Err(wake_at)
    }

    fn record(&self, event: ThrottleEvent) {
        self.throttle_events.fetch_add(1, Ordering::Relaxed);
        if let Some(hook) = &self.on_throttle {
            hook(event);
        }
    }

    fn lock_bucket(&self) -> std::sync::MutexGuard<'_, Bucket> {
        // The bucket holds plain numbers updated without panicking code in between, so a poisoned
        // lock still guards a consistent state.
        self.bucket.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl fmt::Debug for RateLimiter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RateLimiter")
            .field("name", &self.name)
            .field("tokens_per_second", &self.tokens_per_second)
            .field("capacity", &self.capacity)
            .field("throttle_events", &self.throttle_events())
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limiter(per_minute: u32) -> Arc<RateLimiter> {
        Arc::new(RateLimiter::per_minute(
            NonZeroU32::new(per_minute).expect("test rates are positive"),
        ))
    }

    /// Acquires `count` tokens one after another; returns the instant of each grant.
    async fn grants(limiter: &RateLimiter, count: usize) -> Vec<Instant> {
        let mut at = Vec::with_capacity(count);
        for _ in 0..count {
            limiter.acquire().await;
            at.push(Instant::now());
        }
        at
    }

    #[test]
    fn capacity_is_about_one_second_of_tokens_and_at_least_one() {
        assert_eq!(limiter(1).capacity(), 1);
        assert_eq!(limiter(60).capacity(), 1);
        assert_eq!(limiter(61).capacity(), 2);
        assert_eq!(limiter(120).capacity(), 2);
        assert_eq!(limiter(1000).capacity(), 17);
    }

    #[tokio::test(start_paused = true)]
    async fn sustained_rate_is_the_configured_rate() {
        let limiter = limiter(120);
        let start = Instant::now();
        let at = grants(&limiter, 122).await;
        // Two come from the full bucket, the next 120 at 2 per second.
        let elapsed = at[121] - start;
        assert!(
            elapsed >= Duration::from_millis(59_900) && elapsed <= Duration::from_millis(60_100),
            "122 grants at 120/min took {elapsed:?}"
        );
        // Within any one second of steady state, no more than 2 grants (+1 for the boundary).
        for window_start in &at[2..] {
            let in_window = at
                .iter()
                .filter(|t| **t >= *window_start && **t < *window_start + Duration::from_secs(1))
                .count();
            assert!(in_window <= 3, "{in_window} grants in one second");
        }
    }

    #[tokio::test(start_paused = true)]
    async fn no_double_burst_around_a_minute_edge() {
        let limiter = limiter(60);
        // Idle for longer than a minute: a fixed-window limiter would now allow 60 at once.
        tokio::time::sleep(Duration::from_secs(90)).await;
        let start = Instant::now();
        let at = grants(&limiter, 61).await;
        let in_first_second = at
            .iter()
            .filter(|t| **t < start + Duration::from_secs(1))
            .count();
        assert_eq!(in_first_second, 1, "only the bucket capacity may burst");
        let elapsed = at[60] - start;
        assert!(
            elapsed >= Duration::from_millis(59_900),
            "61 grants at 60/min took only {elapsed:?}"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn waiters_are_served_first_in_first_out() {
        let limiter = limiter(60);
        limiter.acquire().await; // empty the bucket
        let order = Arc::new(Mutex::new(Vec::new()));
        let mut tasks = Vec::new();
        for id in 0..8 {
            let limiter = Arc::clone(&limiter);
            let order = Arc::clone(&order);
            tasks.push(tokio::spawn(async move {
                limiter.acquire().await;
                order.lock().expect("test lock").push(id);
            }));
            // Let this task reach the queue before the next one is spawned.
            tokio::task::yield_now().await;
            tokio::task::yield_now().await;
        }
        for task in tasks {
            task.await.expect("waiter task");
        }
        assert_eq!(
            *order.lock().expect("test lock"),
            (0..8).collect::<Vec<_>>()
        );
    }

    #[tokio::test(start_paused = true)]
    async fn pause_is_honoured_and_only_extended() {
        let limiter = limiter(600);
        let start = Instant::now();
        limiter.pause_until(start + Duration::from_secs(10));
        limiter.pause_until(start + Duration::from_secs(5)); // shorter: ignored
        assert_eq!(
            limiter.paused_until(),
            Some(start + Duration::from_secs(10))
        );
        assert_eq!(limiter.throttle_events(), 1);

        let waiter = {
            let limiter = Arc::clone(&limiter);
            tokio::spawn(async move {
                limiter.acquire().await;
                Instant::now()
            })
        };
        tokio::time::sleep(Duration::from_secs(3)).await;
        limiter.pause_until(start + Duration::from_secs(20)); // longer: extends
        assert_eq!(limiter.throttle_events(), 2);

        let granted_at = waiter.await.expect("waiter task");
        assert!(
            granted_at >= start + Duration::from_secs(20),
            "granted {:?} after start, during the pause",
            granted_at - start
        );
        assert!(granted_at < start + Duration::from_millis(20_100));
        assert_eq!(limiter.paused_until(), None);
    }

    #[tokio::test(start_paused = true)]
    async fn bucket_empty_counts_once_per_stretch_of_waiting_not_per_waiter() {
        let seen = Arc::new(Mutex::new(Vec::new()));
        let limiter = {
            let seen = Arc::clone(&seen);
            Arc::new(
                RateLimiter::per_minute(NonZeroU32::new(60).expect("positive"))
                    .with_name("acme/confluence")
                    .with_throttle_hook(Arc::new(move |event| {
                        seen.lock().expect("test lock").push(event);
                    })),
            )
        };

        let run_burst = |count: usize| {
            let tasks: Vec<_> = (0..count)
                .map(|_| {
                    let limiter = Arc::clone(&limiter);
                    tokio::spawn(async move { limiter.acquire().await })
                })
                .collect();
            async move {
                for task in tasks {
                    task.await.expect("waiter task");
                }
            }
        };

        run_burst(5).await;
        assert_eq!(limiter.throttle_events(), 1, "five waiters, one event");

        // Idle long enough to refill; a lone request does not wait and ends the stretch.
        tokio::time::sleep(Duration::from_secs(5)).await;
        limiter.acquire().await;
        assert_eq!(limiter.throttle_events(), 1);

        run_burst(3).await;
        assert_eq!(limiter.throttle_events(), 2, "a new stretch of waiting");
        assert_eq!(
            *seen.lock().expect("test lock"),
            vec![ThrottleEvent::BucketEmpty, ThrottleEvent::BucketEmpty]
        );
    }

    #[tokio::test(start_paused = true)]
    async fn limiters_never_share_tokens() {
        let first = limiter(60);
        let second = limiter(60);
        let start = Instant::now();
        first.acquire().await;
        second.acquire().await;
        assert_eq!(
            Instant::now(),
            start,
            "each limiter has its own full bucket"
        );
        first.acquire().await;
        assert!(Instant::now() >= start + Duration::from_millis(999));
    }

    #[tokio::test(start_paused = true)]
    async fn cancelled_waiter_takes_no_token_and_leaves_the_queue() {
        let limiter = limiter(60);
        limiter.acquire().await;
        let start = Instant::now();
        let cancelled = tokio::time::timeout(Duration::from_millis(300), limiter.acquire()).await;
        assert!(cancelled.is_err(), "the waiter should still be waiting");
        limiter.acquire().await;
        let waited = Instant::now() - start;
        assert!(
            waited < Duration::from_millis(1_100),
            "the next request waited {waited:?}: the cancelled one took a token"
        );
    }
}
