//! Processes of the end-to-end tests that kill and wait: a sweep's workers and programs.

use std::process::{Child, Command, ExitStatus};
use std::time::{Duration, Instant};

/// Wait until `ready`, failing after `limit` with what it was waiting for.
pub fn wait_for(what: &str, limit: Duration, mut ready: impl FnMut() -> bool) {
    let start = Instant::now();
    while !ready() {
        assert!(start.elapsed() < limit, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// The pids of `parent`'s children, from /proc.
pub fn children_of(parent: u32) -> Vec<u32> {
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    entries
        .filter_map(|e| e.ok()?.file_name().to_str()?.parse::<u32>().ok())
        .filter(|pid| {
            std::fs::read_to_string(format!("/proc/{pid}/stat"))
                .ok()
                .and_then(|stat| {
                    let (_, rest) = stat.rsplit_once(')')?;
                    rest.split_whitespace().nth(1)?.parse::<u32>().ok()
                })
                == Some(parent)
        })
        .collect()
}

/// Send `signal` (`-KILL`, `-INT`) to `pid` with kill(1).
pub fn kill(pid: u32, signal: &str) {
    let status = Command::new("kill")
        .args([signal, &pid.to_string()])
        .status()
        .expect("running kill");
    assert!(status.success(), "kill {signal} {pid}");
}

/// Wait for `child` to exit, failing after `limit` with what it was waiting for; its status.
pub fn exit_within(child: &mut Child, limit: Duration, what: &str) -> ExitStatus {
    let mut status = None;
    wait_for(what, limit, || {
        status = child.try_wait().expect("waiting");
        status.is_some()
    });
    status.expect("wait_for returns once the child has exited")
}
