//! Bearer tokens issued by the simulated token endpoints (Cloud, Data Center, Zitadel), with
//! expiry, so a missing, unknown or expired token can be told apart and answered with 401.

use std::collections::HashMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant, SystemTime};

use sha2::{Digest, Sha256};

use crate::lock;

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum TokenRejection {
    #[error("the bearer token is unknown")]
    Unknown,
    #[error("the bearer token has expired")]
    Expired,
}

#[derive(Debug)]
struct Issued {
    expires_at: Instant,
    subject: String,
}

/// Tokens of one issuer.
#[derive(Debug, Default)]
pub struct TokenStore {
    issued: Mutex<HashMap<String, Issued>>,
    counter: AtomicU64,
}

impl TokenStore {
    /// Issues an opaque token for `subject` (a client id) valid for `ttl_secs`.
    pub fn issue(&self, prefix: &str, subject: &str, ttl_secs: u64) -> String {
        let n = self.counter.fetch_add(1, Ordering::Relaxed);
        let nanos = SystemTime::now()
            .duration_since(SystemTime::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or_default();
        let mut hasher = Sha256::new();
        hasher.update(format!("{prefix}:{subject}:{n}:{nanos}"));
        let token = format!("{prefix}_{}", &hex::encode(hasher.finalize())[..40]);
        lock(&self.issued).insert(
            token.clone(),
            Issued {
                expires_at: Instant::now() + Duration::from_secs(ttl_secs),
                subject: subject.to_owned(),
            },
        );
        token
    }

    /// Accepts a token another store issued (one OAuth app installed on several sites).
    pub fn accept(&self, token: &str, subject: &str, ttl_secs: u64) {
        lock(&self.issued).insert(
            token.to_owned(),
            Issued {
                expires_at: Instant::now() + Duration::from_secs(ttl_secs),
                subject: subject.to_owned(),
            },
        );
    }

    /// The subject of a valid token.
    pub fn check(&self, token: &str) -> Result<String, TokenRejection> {
        let issued = lock(&self.issued);
        let entry = issued.get(token).ok_or(TokenRejection::Unknown)?;
        if Instant::now() >= entry.expires_at {
            return Err(TokenRejection::Expired);
        }
        Ok(entry.subject.clone())
    }

    /// Makes every issued token expired (tests of token refresh).
    pub fn expire_all(&self) {
        let now = Instant::now();
        for entry in lock(&self.issued).values_mut() {
            entry.expires_at = now;
        }
    }

    pub fn issued_count(&self) -> usize {
        lock(&self.issued).len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expired_and_unknown_tokens_are_rejected() {
        let store = TokenStore::default();
        let token = store.issue("cloud", "client-a", 60);
        assert_eq!(store.check(&token), Ok("client-a".to_owned()));
        assert_eq!(store.check("nope"), Err(TokenRejection::Unknown));
        store.expire_all();
        assert_eq!(store.check(&token), Err(TokenRejection::Expired));
        let zero = store.issue("cloud", "client-a", 0);
        assert_eq!(store.check(&zero), Err(TokenRejection::Expired));
    }
}
