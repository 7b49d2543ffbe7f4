//! Runs each tenant's cycles: once at start, then on the tenant's cron. At most one cycle of a
//! tenant runs at a time; a tick that fires while the previous cycle still runs is skipped,
//! logged and counted, never queued. Tenants never wait for each other. Everything stops on the
//! shutdown token; cycles in flight are awaited through the task tracker.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use chrono::Local;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use crate::config::CronSchedule;

/// One cycle of a tenant, started by the scheduler.
pub type CycleJob = Arc<dyn Fn() -> Pin<Box<dyn Future<Output = ()> + Send>> + Send + Sync>;

/// Whether a new schedule starts with a cycle right away.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FirstRun {
    /// At start-up, for an added tenant, or when a tenant's status changed.
    Immediately,
    /// A changed tenant takes effect from its next tick.
    AtNextTick,
}

/// Marks that a tenant's cycle is running. Kept across reschedules (a reload), so a new schedule
/// never starts a cycle while the old schedule's cycle still runs.
pub type RunningFlag = Arc<AtomicBool>;

/// A tenant's schedule and the handle that stops it.
pub struct ScheduledTenant {
    stop: CancellationToken,
    skipped: Arc<AtomicU64>,
    running: Arc<AtomicBool>,
}

impl ScheduledTenant {
    /// Stops scheduling new cycles (a running cycle finishes).
    pub fn unschedule(&self) {
        self.stop.cancel();
    }

    /// Ticks skipped because the previous cycle was still running.
    pub fn skipped_ticks(&self) -> u64 {
        self.skipped.load(Ordering::Relaxed)
    }

    /// Whether a cycle is running now.
    pub fn is_running(&self) -> bool {
        self.running.load(Ordering::Relaxed)
    }

    /// The tenant's running flag, to hand to its next schedule.
    pub fn running_flag(&self) -> RunningFlag {
        self.running.clone()
    }
}

/// Starts `tenant`'s schedule: a cycle now, then one per cron tick, until `shutdown` (or
/// [`ScheduledTenant::unschedule`]). Cycles run on `tracker`, so shutdown can wait for them.
pub fn schedule_tenant(
    tenant: String,
    schedule: CronSchedule,
    job: CycleJob,
    first_run: FirstRun,
    running: RunningFlag,
    tracker: &TaskTracker,
    shutdown: &CancellationToken,
) -> ScheduledTenant {
    let stop = shutdown.child_token();
    let skipped = Arc::new(AtomicU64::new(0));
    let scheduled = ScheduledTenant {
        stop: stop.clone(),
        skipped: skipped.clone(),
        running: running.clone(),
    };
    let cycles = tracker.clone();
    tracker.spawn(async move {
        if first_run == FirstRun::Immediately {
            start_cycle(&tenant, &job, &running, &skipped, &cycles);
        }
        loop {
            let now = Local::now();
            let Some(next) = schedule.next_after(&now) else {
                tracing::warn!(tenantName = %tenant, cron = schedule.expression(), "the schedule has no next run");
                break;
            };
            let wait = (next - now).to_std().unwrap_or_default();
            tokio::select! {
                () = stop.cancelled() => break,
                () = tokio::time::sleep(wait) => {}
            }
            start_cycle(&tenant, &job, &running, &skipped, &cycles);
        }
        tracing::debug!(tenantName = %tenant, "schedule stopped");
    });
    scheduled
}

fn start_cycle(
    tenant: &str,
    job: &CycleJob,
    running: &Arc<AtomicBool>,
    skipped: &Arc<AtomicU64>,
    tracker: &TaskTracker,
) {
    if running.swap(true, Ordering::AcqRel) {
        let total = skipped.fetch_add(1, Ordering::Relaxed) + 1;
        tracing::warn!(tenantName = %tenant, job = %format!("sync:{tenant}"), skipped_total = total, "tick skipped: the previous cycle is still running");
        return;
    }
    let cycle = job();
    let running = running.clone();
    tracker.spawn(async move {
        cycle.await;
        running.store(false, Ordering::Release);
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::AtomicU32;
    use std::time::Duration;

    /// A cycle that only counts its runs in `runs`.
    fn counting_job(runs: Arc<AtomicU32>) -> CycleJob {
        Arc::new(move || {
            let runs = runs.clone();
            Box::pin(async move {
                runs.fetch_add(1, Ordering::SeqCst);
            })
        })
    }

    fn every_second() -> CronSchedule {
        CronSchedule::parse("* * * * * *").expect("a valid cron")
    }

    #[tokio::test]
    async fn a_tenant_runs_at_start_then_on_each_tick() {
        let runs = Arc::new(AtomicU32::new(0));
        let job = counting_job(runs.clone());
        let tracker = TaskTracker::new();
        let shutdown = CancellationToken::new();
        let scheduled = schedule_tenant(
            "acme".into(),
            every_second(),
            job,
            FirstRun::Immediately,
            RunningFlag::default(),
            &tracker,
            &shutdown,
        );
        // Start-up run plus one per second: after 3.5 s, 4 runs (3 to 5 with a loaded machine
        // and the phase of the first second).
        tokio::time::sleep(Duration::from_millis(3500)).await;
        let after_ticks = runs.load(Ordering::SeqCst);
        assert!(
            (3..=5).contains(&after_ticks),
            "start + one per second: {after_ticks}"
        );
        assert_eq!(scheduled.skipped_ticks(), 0);
        shutdown.cancel();
        tracker.close();
        tokio::time::timeout(Duration::from_secs(2), tracker.wait())
            .await
            .expect("cycles stop on shutdown");
    }

    #[tokio::test]
    async fn a_new_schedule_runs_at_once_without_waiting_for_a_tick() {
        let runs = Arc::new(AtomicU32::new(0));
        let job = counting_job(runs.clone());
        let tracker = TaskTracker::new();
        let shutdown = CancellationToken::new();
        let yearly = CronSchedule::parse("0 0 1 1 *").unwrap();
        let _scheduled = schedule_tenant(
            "acme".into(),
            yearly,
            job,
            FirstRun::Immediately,
            RunningFlag::default(),
            &tracker,
            &shutdown,
        );
        for _ in 0..100 {
            if runs.load(Ordering::SeqCst) == 1 {
                break;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        assert_eq!(runs.load(Ordering::SeqCst), 1, "one cycle at start");
        shutdown.cancel();
    }

    #[tokio::test]
    async fn a_tick_during_a_running_cycle_is_skipped_not_queued() {
        let runs = Arc::new(AtomicU32::new(0));
        let counter = runs.clone();
        let job: CycleJob = Arc::new(move || {
            let counter = counter.clone();
            Box::pin(async move {
                counter.fetch_add(1, Ordering::SeqCst);
                tokio::time::sleep(Duration::from_millis(4500)).await;
            })
        });
        let tracker = TaskTracker::new();
        let shutdown = CancellationToken::new();
        let scheduled = schedule_tenant(
            "slow".into(),
            every_second(),
            job,
            FirstRun::Immediately,
            RunningFlag::default(),
            &tracker,
            &shutdown,
        );
        tokio::time::sleep(Duration::from_millis(2200)).await;
        assert_eq!(runs.load(Ordering::SeqCst), 1, "still the first cycle");
        assert!(scheduled.is_running());
        assert!(
            scheduled.skipped_ticks() >= 1,
            "ticks during the cycle were skipped"
        );
        scheduled.unschedule();
        shutdown.cancel();
        tracker.close();
        tokio::time::timeout(Duration::from_secs(8), tracker.wait())
            .await
            .expect("the running cycle finishes");
        assert!(!scheduled.is_running(), "the running cycle finished");
    }

    #[tokio::test]
    async fn tenants_never_wait_for_each_other() {
        let fast_runs = Arc::new(AtomicU32::new(0));
        let fast = counting_job(fast_runs.clone());
        let blocked: CycleJob =
            Arc::new(|| Box::pin(async { tokio::time::sleep(Duration::from_secs(3600)).await }));
        let tracker = TaskTracker::new();
        let shutdown = CancellationToken::new();
        let _slow = schedule_tenant(
            "stuck".into(),
            every_second(),
            blocked,
            FirstRun::Immediately,
            RunningFlag::default(),
            &tracker,
            &shutdown,
        );
        let _fast = schedule_tenant(
            "fast".into(),
            every_second(),
            fast,
            FirstRun::Immediately,
            RunningFlag::default(),
            &tracker,
            &shutdown,
        );
        tokio::time::sleep(Duration::from_millis(2200)).await;
        assert!(
            fast_runs.load(Ordering::SeqCst) >= 2,
            "the fast tenant kept its schedule"
        );
        shutdown.cancel();
    }
}
