//! The real challenge sample the real-data tests read (`tests/sweep.rs`, `tests/train.rs`,
//! `tests/predict.rs`): `../shared/data/dream_train_sample.txt`, beside the crate.

use std::path::{Path, PathBuf};

/// Makes a missing sample a failure (CI) rather than a skip.
const REQUIRE_VARIABLE: &str = "SWEEP_REQUIRE_SHARED_DATA";

/// The challenge sample, or `None` (said on stderr, naming `test`) to skip when it is absent;
/// a failure instead when `SWEEP_REQUIRE_SHARED_DATA` is set.
pub fn challenge_sample(test: &str) -> Option<PathBuf> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/data/dream_train_sample.txt");
    if path.is_file() {
        return Some(path);
    }
    assert!(
        std::env::var_os(REQUIRE_VARIABLE).is_none(),
        "{REQUIRE_VARIABLE} is set but {} is absent: {test} needs the shared challenge sample",
        path.display()
    );
    eprintln!(
        "SKIPPED {test}: {} is absent; the real-data test needs the shared challenge sample",
        path.display()
    );
    None
}
