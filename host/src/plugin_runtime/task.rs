//! One plugin task: a fresh store and instance for one discovery run or one batch of page
//! fetches. Every call runs under the CPU budget (epoch ticks of guest execution), the wall-clock
//! deadline (which also covers host calls such as HTTP) and the memory cap. A call that traps or
//! misses a limit poisons the task: the store is never used again.

use std::time::Duration;

use wasmtime::component::ResourceAny;
use wasmtime::{Store, Trap, UpdateDeadline};

use super::bindings::latest::{self, source};
use super::error::{FailureReason, PluginError};
use super::limits::SandboxLimits;
use super::runtime::{EPOCH_TICK, PluginRuntime};
use super::state::{RunState, TaskContext};

/// The most items the host asks for per `next-batch`.
pub const MAX_BATCH: u32 = 500;
/// The most ids the host sends per `fetch-pages`.
pub const MAX_FETCH_IDS: usize = 100;

/// A running plugin instance bound to one tenant.
pub struct PluginTask {
    store: Store<RunState>,
    bindings: latest::SourcePlugin,
    session: Option<ResourceAny>,
    label: String,
    limits: SandboxLimits,
    poisoned: Option<String>,
}

/// A discovery in progress inside a task.
#[derive(Debug, Clone, Copy)]
pub struct DiscoveryCursor(ResourceAny);

impl PluginTask {
    pub(crate) async fn instantiate(
        runtime: &PluginRuntime,
        pre: &latest::SourcePluginPre<RunState>,
        label: String,
        context: TaskContext,
    ) -> Result<Self, PluginError> {
        let limits = runtime.limits();
        let tenant = context.tenant.clone();
        let mut store = Store::new(
            runtime.engine(),
            RunState::new(label.clone(), context, limits),
        );
        store.limiter(|state| &mut state.memory);
        store.epoch_deadline_callback(|mut store| {
            let state = store.data_mut();
            if state.cpu_ticks_left == 0 {
                return Ok(UpdateDeadline::Interrupt);
            }
            state.cpu_ticks_left -= 1;
            // Yield every tick so a busy plugin never holds a tokio worker for long.
            Ok(UpdateDeadline::Yield(1))
        });
        store.data_mut().start_call(cpu_ticks(limits.cpu_per_call));
        store.set_epoch_deadline(1);
        let bindings = pre
            .instantiate_async(&mut store)
            .await
            .map_err(|err| PluginError {
                plugin: label.clone(),
                tenant,
                call: "instantiate",
                reason: FailureReason::Trap(format!("{err:#}")),
            })?;
        Ok(Self {
            store,
            bindings,
            session: None,
            label,
            limits,
            poisoned: None,
        })
    }

    /// `describe`.
    pub async fn describe(&mut self) -> Result<source::PluginInfo, PluginError> {
        self.begin("describe")?;
        let guest = self.bindings.unique_connector_source();
        let outcome = tokio::time::timeout(
            self.limits.wall_per_call,
            guest.call_describe(&mut self.store),
        )
        .await;
        self.finish("describe", outcome.map(|result| result.map(Ok)))
    }

    /// `session.open`; must come before the other session calls.
    pub async fn open(&mut self, settings: source::SessionSettings) -> Result<(), PluginError> {
        self.begin("open")?;
        let guest = self.bindings.unique_connector_source().session();
        let outcome = tokio::time::timeout(
            self.limits.wall_per_call,
            guest.call_open(&mut self.store, &settings),
        )
        .await;
        self.session = Some(self.finish("open", outcome)?);
        Ok(())
    }

    /// `session.identify`.
    pub async fn identify(&mut self) -> Result<source::SourceIdentity, PluginError> {
        let session = self.session("identify")?;
        self.begin("identify")?;
        let guest = self.bindings.unique_connector_source().session();
        let outcome = tokio::time::timeout(
            self.limits.wall_per_call,
            guest.call_identify(&mut self.store, session),
        )
        .await;
        self.finish("identify", outcome)
    }

    /// `session.discover`.
    pub async fn discover(&mut self) -> Result<DiscoveryCursor, PluginError> {
        let session = self.session("discover")?;
        self.begin("discover")?;
        let guest = self.bindings.unique_connector_source().session();
        let outcome = tokio::time::timeout(
            self.limits.wall_per_call,
            guest.call_discover(&mut self.store, session),
        )
        .await;
        self.finish("discover", outcome).map(DiscoveryCursor)
    }

    /// `discovery.next-batch`, with the contract checked: a batch has 1..=`max` items.
    pub async fn next_batch(
        &mut self,
        cursor: DiscoveryCursor,
        max: u32,
    ) -> Result<source::Batch, PluginError> {
        let max = max.clamp(1, MAX_BATCH);
        self.begin("next-batch")?;
        let guest = self.bindings.unique_connector_source().discovery();
        let outcome = tokio::time::timeout(
            self.limits.wall_per_call,
            guest.call_next_batch(&mut self.store, cursor.0, max),
        )
        .await;
        let batch = self.finish("next-batch", outcome)?;
        if let source::Batch::Items(items) = &batch
            && (items.is_empty() || items.len() > max as usize)
        {
            return Err(self.contract_violation(
                "next-batch",
                format!(
                    "returned {} items; a batch must hold 1 to {max}",
                    items.len()
                ),
            ));
        }
        Ok(batch)
    }

    /// `session.fetch-pages`, with the contract checked: one answer per id, in order.
    pub async fn fetch_pages(
        &mut self,
        ids: Vec<String>,
    ) -> Result<Vec<source::FetchedPage>, PluginError> {
        let session = self.session("fetch-pages")?;
        if ids.len() > MAX_FETCH_IDS {
            return Err(self.contract_violation(
                "fetch-pages",
                format!(
                    "the host asked for {} ids (at most {MAX_FETCH_IDS})",
                    ids.len()
                ),
            ));
        }
        self.begin("fetch-pages")?;
        let guest = self.bindings.unique_connector_source().session();
        let outcome = tokio::time::timeout(
            self.limits.wall_per_call,
            guest.call_fetch_pages(&mut self.store, session, &ids),
        )
        .await;
        let pages = self.finish("fetch-pages", outcome)?;
        let answered: Vec<&str> = pages.iter().map(|page| page.id.as_str()).collect();
        if answered != ids.iter().map(String::as_str).collect::<Vec<_>>() {
            return Err(self.contract_violation(
                "fetch-pages",
                format!(
                    "answered {} entries that do not match the {} requested ids in order",
                    pages.len(),
                    ids.len()
                ),
            ));
        }
        Ok(pages)
    }

    fn session(&self, call: &'static str) -> Result<ResourceAny, PluginError> {
        self.session.ok_or_else(|| {
            self.error(
                call,
                FailureReason::Contract("`open` was not called".into()),
            )
        })
    }

    fn begin(&mut self, call: &'static str) -> Result<(), PluginError> {
        if let Some(earlier) = &self.poisoned {
            return Err(self.error(call, FailureReason::Poisoned(earlier.clone())));
        }
        self.store
            .data_mut()
            .start_call(cpu_ticks(self.limits.cpu_per_call));
        self.store.set_epoch_deadline(1);
        Ok(())
    }

    /// Turns a call's outcome into a result; traps and missed limits poison the task.
    fn finish<T>(
        &mut self,
        call: &'static str,
        outcome: Result<
            wasmtime::Result<Result<T, source::SourceError>>,
            tokio::time::error::Elapsed,
        >,
    ) -> Result<T, PluginError> {
        let output = self.flush_output(call);
        let reason = match outcome {
            Ok(Ok(Ok(value))) => return Ok(value),
            Ok(Ok(Err(guest_error))) => {
                return Err(self.error(call, FailureReason::Guest(guest_error)));
            }
            Err(_elapsed) => FailureReason::Deadline(self.limits.wall_per_call),
            Ok(Err(trap)) => self.explain_trap(&trap, output.as_deref()),
        };
        self.poisoned = Some(reason.to_string());
        Err(self.error(call, reason))
    }

    fn explain_trap(&self, error: &wasmtime::Error, output: Option<&str>) -> FailureReason {
        if matches!(error.downcast_ref::<Trap>(), Some(Trap::Interrupt)) {
            return FailureReason::CpuBudget(self.limits.cpu_per_call);
        }
        if self.store.data().memory.was_hit() {
            let cap = self.limits.memory_bytes / (1024 * 1024);
            return FailureReason::MemoryCap(format!("memory cap of {cap} MiB reached"));
        }
        // The trap itself (e.g. `wasm trap: wasm `unreachable` instruction executed`), without
        // the wasm backtrace wasmtime attaches as context.
        let mut reason = match error.downcast_ref::<Trap>() {
            Some(trap) => trap.to_string(),
            None => error.root_cause().to_string(),
        };
        if let Some(panic) = output.and_then(panic_message) {
            reason.push_str(&format!(" after a panic: {panic}"));
        }
        FailureReason::Trap(reason)
    }

    /// Logs what the guest printed during the call; returns it for trap messages.
    fn flush_output(&mut self, call: &'static str) -> Option<String> {
        let state = self.store.data();
        let drained = state.output.drain();
        let tenant = state.context.tenant.clone();
        if state.log_lines_dropped > 0 {
            tracing::warn!(tenantName = %tenant, plugin = %self.label, call, dropped = state.log_lines_dropped, "plugin log lines over the per-call limit were dropped");
        }
        if drained.dropped_bytes > 0 {
            tracing::warn!(tenantName = %tenant, plugin = %self.label, call, dropped_bytes = drained.dropped_bytes, "plugin output over the cap was dropped");
        }
        if drained.text.is_empty() {
            return None;
        }
        for line in drained
            .text
            .lines()
            .filter(|line| !line.trim().is_empty())
            .take(100)
        {
            tracing::info!(tenantName = %tenant, plugin = %self.label, call, "plugin output: {line}");
        }
        Some(drained.text)
    }

    fn contract_violation(&mut self, call: &'static str, what: String) -> PluginError {
        self.poisoned = Some(what.clone());
        self.error(call, FailureReason::Contract(what))
    }

    fn error(&self, call: &'static str, reason: FailureReason) -> PluginError {
        PluginError {
            plugin: self.label.clone(),
            tenant: self.store.data().context.tenant.clone(),
            call,
            reason,
        }
    }
}

fn cpu_ticks(budget: Duration) -> u64 {
    (budget.as_millis() / EPOCH_TICK.as_millis()).max(1) as u64
}

/// The message of a Rust panic in the guest's output: std prints `thread '…' panicked at
/// FILE:LINE:COL:` and then the message, before aborting.
fn panic_message(output: &str) -> Option<String> {
    let mut lines = output
        .lines()
        .skip_while(|line| !line.contains("panicked at"));
    let location = lines.next()?;
    let message: Vec<&str> = lines
        .take_while(|line| !line.starts_with("note:"))
        .collect();
    let at = location
        .split("panicked at")
        .nth(1)
        .unwrap_or("")
        .trim()
        .trim_end_matches(':');
    Some(format!("{} (at {at})", message.join(" ").trim()))
}

#[cfg(test)]
mod tests {
    use super::panic_message;

    #[test]
    fn the_panic_message_is_taken_from_the_guest_output() {
        let output = "thread '<unnamed>' panicked at src/lib.rs:60:24:\nthe probe panics on purpose\nnote: run with `RUST_BACKTRACE=1` environment variable to display a backtrace\n";
        assert_eq!(
            panic_message(output).unwrap(),
            "the probe panics on purpose (at src/lib.rs:60:24)"
        );
        assert_eq!(panic_message("just output\n"), None);
    }
}
