//! Ctrl-C and SIGTERM: counted into the [`StopSignal`] the coordinator and workers watch. The
//! command line owns the process, so it installs the handlers and decides when to exit.

use anyhow::Context;
use signal_hook::consts::{SIGINT, SIGTERM};
use signal_hook::iterator::Signals;

use crate::orchestrate::StopSignal;

/// A stop signal raised by SIGINT and SIGTERM. With `exit_on_second`, a second signal ends
/// the process at once (exit code 130): the "Ctrl-C twice: stop now" of a worker.
pub(super) fn stop_signal(exit_on_second: bool) -> anyhow::Result<StopSignal> {
    let stop = StopSignal::never();
    let mut signals = Signals::new([SIGINT, SIGTERM]).context("installing signal handlers")?;
    let seen = stop.clone();
    std::thread::spawn(move || {
        for _ in signals.forever() {
            seen.raise();
            if exit_on_second && seen.count() >= 2 {
                std::process::exit(130);
            }
        }
    });
    Ok(stop)
}

/// A future that completes at the first SIGINT or SIGTERM (for the dashboard's server, which
/// then finishes the requests under way and returns). Polled inside the server's runtime.
pub(super) async fn stopped() {
    use tokio::signal::unix::{SignalKind, signal};
    let (Ok(mut interrupt), Ok(mut terminate)) = (
        signal(SignalKind::interrupt()),
        signal(SignalKind::terminate()),
    ) else {
        // Without handlers the default action (ending the process) still stops the server.
        return std::future::pending().await;
    };
    tokio::select! {
        _ = interrupt.recv() => {}
        _ = terminate.recv() => {}
    }
}
