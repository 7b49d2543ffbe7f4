//! Runs item tasks with a bounded number in flight, and stops starting new ones once shutdown is
//! requested (tasks already started always finish: they roll back on failure themselves).

use std::future::Future;

use futures::StreamExt;
use futures::stream::FuturesUnordered;
use tokio_util::sync::CancellationToken;

/// Drives `tasks` with at most `concurrency` in flight; returns how many were started.
///
/// A plain loop rather than stream combinators with closures over borrowed items: those make the
/// cycle's future fail the `Send` check the scheduler's `tokio::spawn` needs.
pub async fn run_bounded<Fut>(
    tasks: impl Iterator<Item = Fut>,
    concurrency: usize,
    shutdown: &CancellationToken,
) -> usize
where
    Fut: Future<Output = ()>,
{
    let mut in_flight = FuturesUnordered::new();
    let mut started = 0;
    for task in tasks {
        if shutdown.is_cancelled() {
            break;
        }
        if in_flight.len() >= concurrency.max(1) {
            in_flight.next().await;
        }
        in_flight.push(task);
        started += 1;
    }
    while in_flight.next().await.is_some() {}
    started
}
