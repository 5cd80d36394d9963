//! Processes: who we are (host, pid), whether another worker is alive, and stop requests.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use nix::sys::signal::{self, Signal};
use nix::unistd::Pid;

/// This machine's name, as workers record it beside their pid.
pub fn host_name() -> String {
    nix::unistd::gethostname()
        .ok()
        .and_then(|name| name.into_string().ok())
        .unwrap_or_else(|| "localhost".to_string())
}

/// Whether the process `pid` on this machine is gone. A zombie (exited, not yet reaped by a
/// parent that may itself be dead) counts as gone.
pub fn is_dead(pid: u32) -> bool {
    let Ok(raw) = i32::try_from(pid) else {
        return true;
    };
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        // The state is the first field after the command name, which is in parentheses.
        Ok(stat) => stat
            .rsplit_once(')')
            .and_then(|(_, rest)| rest.split_whitespace().next())
            .is_some_and(|state| state == "Z" || state == "X"),
        Err(_) if std::path::Path::new("/proc/self/stat").exists() => true,
        // No /proc (macOS): ask the kernel whether the pid exists.
        Err(_) => matches!(
            signal::kill(Pid::from_raw(raw), None),
            Err(nix::errno::Errno::ESRCH)
        ),
    }
}

/// Send `signal` to `pid`, ignoring a process that is already gone.
pub fn send_signal(pid: u32, signal: Signal) {
    if let Ok(raw) = i32::try_from(pid) {
        let _ = signal::kill(Pid::from_raw(raw), signal);
    }
}

/// Counts stop requests: SIGINT and SIGTERM (Ctrl-C, `kill`, Slurm's pre-emption signal),
/// which the command line installs handlers for (`cli/signals.rs`).
#[derive(Clone)]
pub struct StopSignal {
    count: Arc<AtomicUsize>,
}

impl StopSignal {
    /// A signal that fires only when raised ([`StopSignal::raise`]).
    pub fn never() -> StopSignal {
        StopSignal {
            count: Arc::new(AtomicUsize::new(0)),
        }
    }

    /// Signals received so far.
    pub fn count(&self) -> usize {
        self.count.load(Ordering::SeqCst)
    }

    /// Whether a stop was asked for.
    pub fn is_set(&self) -> bool {
        self.count() > 0
    }

    /// Ask for a stop from inside the process (as a signal would).
    pub fn raise(&self) {
        self.count.fetch_add(1, Ordering::SeqCst);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn this_process_is_alive_and_a_finished_child_is_not() {
        assert!(!is_dead(std::process::id()));
        let child = std::process::Command::new("true").spawn();
        if let Ok(mut child) = child {
            let pid = child.id();
            let _ = child.wait();
            assert!(is_dead(pid), "a reaped child is gone");
        }
        assert!(is_dead(u32::MAX));
    }
}
