//! The guest's stdout and stderr: captured into a bounded buffer that the host drains into its
//! log after each call. Output past the cap is dropped and counted, never an error, so a chatty
//! plugin cannot trap itself or fill the host's memory.

use std::io;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};

use tokio::io::AsyncWrite;
use wasmtime_wasi::cli::{IsTerminal, StdoutStream};

/// A capped output buffer shared by the guest's stdout and stderr streams.
#[derive(Debug, Clone)]
pub(crate) struct GuestOutput {
    inner: Arc<Mutex<Captured>>,
}

#[derive(Debug, Default)]
struct Captured {
    kept: Vec<u8>,
    dropped: u64,
    cap: usize,
}

/// What a call printed.
#[derive(Debug, Default)]
pub(crate) struct DrainedOutput {
    pub text: String,
    pub dropped_bytes: u64,
}

impl GuestOutput {
    pub(crate) fn new(cap: usize) -> Self {
        Self {
            inner: Arc::new(Mutex::new(Captured {
                cap,
                ..Captured::default()
            })),
        }
    }

    /// Takes everything captured so far.
    pub(crate) fn drain(&self) -> DrainedOutput {
        let mut captured = self
            .inner
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let text = String::from_utf8_lossy(&captured.kept).into_owned();
        captured.kept.clear();
        DrainedOutput {
            text,
            dropped_bytes: std::mem::take(&mut captured.dropped),
        }
    }
}

impl IsTerminal for GuestOutput {
    fn is_terminal(&self) -> bool {
        false
    }
}

impl StdoutStream for GuestOutput {
    fn async_stream(&self) -> Box<dyn AsyncWrite + Send + Sync> {
        Box::new(self.clone())
    }
}

impl AsyncWrite for GuestOutput {
    fn poll_write(
        self: Pin<&mut Self>,
        _cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let mut captured = self
            .inner
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let room = captured.cap.saturating_sub(captured.kept.len());
        let kept = room.min(buf.len());
        captured.kept.extend_from_slice(&buf[..kept]);
        captured.dropped += (buf.len() - kept) as u64;
        // Report everything as written: dropping is our choice, not the guest's error.
        Poll::Ready(Ok(buf.len()))
    }

    fn poll_flush(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    fn poll_shutdown(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }
}
