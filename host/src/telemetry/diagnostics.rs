//! The diagnostics data policy of logs (`LOGS_DIAGNOSTICS_DATA_POLICY`, operations §8): under
//! `conceal` identifying values (emails, user names, space keys and ids, titles, file and label
//! names, CQL, content keys, web URLs, quoted response bodies) are replaced by a short stable
//! hash, so lines about the same item still correlate; under `disclose` they are logged as is.

use std::fmt;

use sha2::{Digest, Sha256};

use crate::config::DiagnosticsDataPolicy;

/// Prefix of a masked value, so a reader sees at once that a value was concealed.
const MASK_PREFIX: char = '~';
/// Bytes of the SHA-256 digest shown: 8 hex digits, enough to tell items apart in one tenant's logs.
const MASK_DIGEST_BYTES: usize = 4;

/// Whether identifying data is masked in logs. Copy it into whatever builds log lines.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Diagnostics {
    Conceal,
    Disclose,
}

impl From<DiagnosticsDataPolicy> for Diagnostics {
    fn from(policy: DiagnosticsDataPolicy) -> Self {
        match policy {
            DiagnosticsDataPolicy::Conceal => Self::Conceal,
            DiagnosticsDataPolicy::Disclose => Self::Disclose,
        }
    }
}

impl Diagnostics {
    /// `value` as it may appear in a log line: `~` + 8 hex digits of its SHA-256 under `conceal`
    /// (the same value always gives the same mask), the value itself under `disclose`.
    pub fn mask(&self, value: &str) -> String {
        self.masked(value).to_string()
    }

    /// [`Self::mask`] as a `Display` value, for log fields (`title = %diagnostics.masked(&title)`).
    pub fn masked<'v>(&self, value: &'v str) -> Masked<'v> {
        Masked {
            value,
            policy: *self,
        }
    }
}

/// A value printed under a diagnostics policy; see [`Diagnostics::masked`].
#[derive(Clone, Copy)]
pub struct Masked<'v> {
    value: &'v str,
    policy: Diagnostics,
}

impl fmt::Display for Masked<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.policy {
            Diagnostics::Disclose => f.write_str(self.value),
            Diagnostics::Conceal => {
                let digest = Sha256::digest(self.value.as_bytes());
                write!(
                    f,
                    "{MASK_PREFIX}{}",
                    hex::encode(&digest[..MASK_DIGEST_BYTES])
                )
            }
        }
    }
}

impl fmt::Debug for Masked<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn conceal_gives_a_short_stable_hash_that_differs_per_value() {
        let conceal = Diagnostics::Conceal;
        let masked = conceal.mask("Quarterly report.pdf");
        assert_eq!(masked.len(), 9);
        assert!(masked.starts_with('~'));
        assert!(masked[1..].chars().all(|c| c.is_ascii_hexdigit()));
        assert!(!masked.contains("Quarterly"));
        assert_eq!(masked, conceal.mask("Quarterly report.pdf"));
        assert_ne!(masked, conceal.mask("Quarterly report 2.pdf"));
        // The first 4 bytes of SHA-256("abc") are ba7816bf.
        assert_eq!(conceal.mask("abc"), "~ba7816bf");
    }

    #[test]
    fn disclose_keeps_the_value() {
        assert_eq!(Diagnostics::Disclose.mask("SPACE"), "SPACE");
        assert_eq!(Diagnostics::Disclose.masked("a b").to_string(), "a b");
    }
}
