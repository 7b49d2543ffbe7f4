//! Server-side rate limiting of a simulated Confluence instance: a token bucket that answers
//! 429 with `Retry-After` once a scenario's budget is spent, like Atlassian's API limits.

use std::sync::Mutex;
use std::time::{Duration, Instant};

use crate::lock;
use crate::scenario::RateLimitSeed;

#[derive(Debug)]
struct Bucket {
    tokens: f64,
    refilled_at: Instant,
}

#[derive(Debug)]
pub struct RateLimiter {
    per_second: f64,
    capacity: f64,
    bucket: Mutex<Bucket>,
}

impl RateLimiter {
    pub fn new(seed: RateLimitSeed) -> Self {
        let capacity = f64::from(seed.burst.unwrap_or(seed.per_minute).max(1));
        RateLimiter {
            per_second: f64::from(seed.per_minute.max(1)) / 60.0,
            capacity,
            bucket: Mutex::new(Bucket {
                tokens: capacity,
                refilled_at: Instant::now(),
            }),
        }
    }

    /// Takes one token, or says how long until one is available.
    pub fn try_acquire(&self) -> Result<(), Duration> {
        let mut bucket = lock(&self.bucket);
        let now = Instant::now();
        let elapsed = now.duration_since(bucket.refilled_at).as_secs_f64();
        bucket.tokens = (bucket.tokens + elapsed * self.per_second).min(self.capacity);
        bucket.refilled_at = now;
        if bucket.tokens >= 1.0 {
            bucket.tokens -= 1.0;
            Ok(())
        } else {
            Err(Duration::from_secs_f64(
                (1.0 - bucket.tokens) / self.per_second,
            ))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_burst_is_admitted_then_callers_are_told_to_wait() {
        let limiter = RateLimiter::new(RateLimitSeed {
            per_minute: 60,
            burst: Some(2),
        });
        assert!(limiter.try_acquire().is_ok());
        assert!(limiter.try_acquire().is_ok());
        let wait = limiter.try_acquire().expect_err("bucket is empty");
        assert!(
            wait > Duration::from_millis(900) && wait <= Duration::from_secs(1),
            "{wait:?}"
        );
    }
}
