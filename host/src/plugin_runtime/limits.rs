//! The limits every plugin call runs under, and the store's memory limiter that enforces the
//! memory cap and remembers when it refused growth (so a trap can be explained as "memory cap").

use std::time::Duration;

/// Sandbox limits of one plugin task.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SandboxLimits {
    /// Largest linear memory (and total of all memories) of one instance, in bytes.
    pub memory_bytes: u64,
    /// CPU time one call may spend running guest code.
    pub cpu_per_call: Duration,
    /// Wall-clock time one call may take, host calls (HTTP) included.
    pub wall_per_call: Duration,
    /// Guest stdout + stderr kept per call; the rest is dropped and counted.
    pub output_bytes: usize,
    /// Log lines a plugin may write per call through the `log` import.
    pub log_lines_per_call: u32,
}

impl Default for SandboxLimits {
    fn default() -> Self {
        Self {
            memory_bytes: 256 * 1024 * 1024,
            cpu_per_call: Duration::from_secs(30),
            wall_per_call: Duration::from_secs(15 * 60),
            output_bytes: 64 * 1024,
            log_lines_per_call: 10_000,
        }
    }
}

/// Refuses memory growth past the cap and records that it did.
#[derive(Debug)]
pub(crate) struct MemoryCap {
    cap_bytes: u64,
    hit: bool,
}

impl MemoryCap {
    pub(crate) fn new(cap_bytes: u64) -> Self {
        Self {
            cap_bytes,
            hit: false,
        }
    }

    /// Whether growth was refused since the store was created.
    pub(crate) fn was_hit(&self) -> bool {
        self.hit
    }
}

impl wasmtime::ResourceLimiter for MemoryCap {
    fn memory_growing(
        &mut self,
        _current: usize,
        desired: usize,
        _maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        if desired as u64 > self.cap_bytes {
            self.hit = true;
            // An error (not `Ok(false)`) traps at once, instead of letting the guest's allocator
            // abort with an unexplained `unreachable`.
            wasmtime::bail!(
                "memory cap of {} MiB reached (the plugin asked for {} MiB)",
                self.cap_bytes / (1024 * 1024),
                desired as u64 / (1024 * 1024)
            );
        }
        Ok(true)
    }

    fn table_growing(
        &mut self,
        _current: usize,
        desired: usize,
        _maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        Ok(desired <= 1_000_000)
    }
}
