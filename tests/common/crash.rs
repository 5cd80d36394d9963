//! A crash of a whole sweep, as the kill -9 tests make it.

/// Kill -9 a coordinator and its workers, as a crash would take them all at once. The
/// workers are frozen (SIGSTOP) first: a worker that saw its coordinator gone before its
/// own SIGKILL arrived would stop gracefully (its trial interrupted, not left running),
/// which is not the crash under test.
pub fn kill_9_all(coordinator: u32, workers: &[u32]) {
    for &pid in workers {
        crate::processes::kill(pid, "-STOP");
    }
    crate::processes::kill(coordinator, "-KILL");
    for &pid in workers {
        crate::processes::kill(pid, "-KILL");
    }
}
