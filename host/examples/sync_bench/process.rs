//! Per-process figures of a child process read from `/proc`: wall time, CPU time (user + system)
//! and peak resident set size, so the connector's figures are its own and never the simulators'.

use std::fs::File;
use std::path::Path;
use std::process::{Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

/// `/proc` reports CPU times in clock ticks of `USER_HZ`, which Linux fixes at 100 for user space.
const TICKS_PER_SECOND: f64 = 100.0;
/// How often the child's high-water mark is read; `VmHWM` is itself a maximum, so sampling only
/// needs to happen once more before the process exits.
const SAMPLE_EVERY: Duration = Duration::from_millis(20);

/// What one child process used.
#[derive(Debug, Clone, Copy, Default)]
pub struct Usage {
    pub wall: Duration,
    /// User + system CPU seconds of the process and all its threads.
    pub cpu_seconds: f64,
    /// The system (kernel) part of `cpu_seconds`.
    pub system_seconds: f64,
    /// `VmHWM`: the largest resident set the process ever had.
    pub peak_rss_kib: u64,
}

/// Why a measured run could not happen.
#[derive(Debug, thiserror::Error)]
pub enum ProcessError {
    #[error("cannot start {program}: {source}")]
    Spawn {
        program: String,
        #[source]
        source: std::io::Error,
    },
    #[error("waiting for {program} failed: {source}")]
    Wait {
        program: String,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot read {path}: {reason}")]
    Proc { path: String, reason: String },
}

/// Runs `command` to its end with stdout in `stdout`, and measures it. CPU time is the growth of
/// this process's "children" CPU time (`cutime` + `cstime`) across the wait: exact, and only
/// this child is reaped in between.
pub fn run_measured(
    mut command: Command,
    stdout: File,
) -> Result<(ExitStatus, Usage), ProcessError> {
    let program = format!("{:?}", command.get_program());
    let before = children_cpu_seconds()?;
    let started = Instant::now();
    let mut child = command
        .stdout(stdout)
        .stdin(Stdio::null())
        .spawn()
        .map_err(|source| ProcessError::Spawn {
            program: program.clone(),
            source,
        })?;
    let mut peak_rss_kib = 0;
    let status = loop {
        if let Some(hwm) = status_field_kib(child.id(), "VmHWM:") {
            peak_rss_kib = peak_rss_kib.max(hwm);
        }
        match child.try_wait() {
            Ok(Some(status)) => break status,
            Ok(None) => std::thread::sleep(SAMPLE_EVERY),
            Err(source) => return Err(ProcessError::Wait { program, source }),
        }
    };
    let wall = started.elapsed();
    let after = children_cpu_seconds()?;
    let cpu_seconds = after.0 + after.1 - before.0 - before.1;
    let system_seconds = after.1 - before.1;
    Ok((
        status,
        Usage {
            wall,
            cpu_seconds,
            system_seconds,
            peak_rss_kib,
        },
    ))
}

/// A `kB` field of `/proc/<pid>/status` (`VmRSS:`, `VmHWM:`), or `None` once the process is gone.
pub fn status_field_kib(pid: u32, field: &str) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status.lines().find_map(|line| {
        line.strip_prefix(field)?
            .trim()
            .strip_suffix("kB")?
            .trim()
            .parse()
            .ok()
    })
}

/// User and system CPU seconds of this process's reaped children (`cutime`, `cstime` of
/// `/proc/self/stat`).
fn children_cpu_seconds() -> Result<(f64, f64), ProcessError> {
    let path = Path::new("/proc/self/stat");
    let proc_error = |reason: String| ProcessError::Proc {
        path: path.display().to_string(),
        reason,
    };
    let stat = std::fs::read_to_string(path).map_err(|err| proc_error(err.to_string()))?;
    // Fields after the command name, which is in parentheses and may contain spaces.
    let after_name = stat
        .rsplit_once(')')
        .map(|(_, rest)| rest)
        .ok_or_else(|| proc_error("no `)`".into()))?;
    let fields: Vec<&str> = after_name.split_whitespace().collect();
    // `state` is field 3 of the man page and fields[0] here; cutime and cstime are 16 and 17.
    let tick = |index: usize| -> Result<f64, ProcessError> {
        fields
            .get(index)
            .and_then(|field| field.parse::<u64>().ok())
            .map(|ticks| ticks as f64 / TICKS_PER_SECOND)
            .ok_or_else(|| proc_error(format!("field {} is missing or not a number", index + 3)))
    };
    Ok((tick(13)?, tick(14)?))
}
