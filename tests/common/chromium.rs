//! Where the browser tests find Chromium (the report's and the dashboard's), and whether its
//! absence is a failure.

use std::path::PathBuf;

/// Whether a missing browser is a failure (CI installs one) rather than a skip.
pub fn browser_required() -> bool {
    std::env::var_os("SWEEP_REQUIRE_BROWSER").is_some()
}

/// The browser binary: `$SWEEP_BROWSER`, else Debian's `chromium`. `None` when absent.
pub fn chromium() -> Option<PathBuf> {
    [
        std::env::var_os("SWEEP_BROWSER").map(PathBuf::from),
        Some(PathBuf::from("/usr/bin/chromium")),
        Some(PathBuf::from("/usr/bin/chromium-browser")),
    ]
    .into_iter()
    .flatten()
    .find(|p| p.exists())
}
