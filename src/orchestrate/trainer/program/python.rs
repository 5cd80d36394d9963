//! The Python files a program trial gets on its `PYTHONPATH`: the protocol's helper
//! (`import sweep`) and the offline W&B stand-in (`import wandb`). They are built into the
//! binary (one binary, nothing to install) and written out once per content, beside the
//! database, where every worker of the machine finds them.

use std::path::{Path, PathBuf};

use anyhow::Context;

/// The helper module: `python/sweep.py` of the repository.
const HELPER: &[(&str, &str)] = &[("sweep.py", include_str!("../../../../python/sweep.py"))];

/// The W&B stand-in package: `python/wandb/` of the repository.
const STAND_IN: &[(&str, &str)] = &[
    (
        "wandb/__init__.py",
        include_str!("../../../../python/wandb/__init__.py"),
    ),
    (
        "wandb/integration/__init__.py",
        include_str!("../../../../python/wandb/integration/__init__.py"),
    ),
    (
        "wandb/integration/keras/__init__.py",
        include_str!("../../../../python/wandb/integration/keras/__init__.py"),
    ),
    (
        "wandb/keras/__init__.py",
        include_str!("../../../../python/wandb/keras/__init__.py"),
    ),
];

/// Where the Python files are on this machine.
#[derive(Clone, Debug)]
pub struct HelperFiles {
    helper: PathBuf,
    stand_in: PathBuf,
}

impl HelperFiles {
    /// Write the files under `cache_dir` (once per content: a folder named by their hash, so
    /// a newer `sweep` never overwrites what a running program of an older one imports).
    pub fn write_under(cache_dir: &Path) -> anyhow::Result<HelperFiles> {
        let mut hash = xxhash_rust::xxh3::Xxh3::new();
        for (path, text) in HELPER.iter().chain(STAND_IN) {
            hash.update(path.as_bytes());
            hash.update(text.as_bytes());
        }
        let root = cache_dir.join(format!("python-{:016x}", hash.digest()));
        let files = HelperFiles {
            helper: std::path::absolute(root.join("helper"))?,
            stand_in: std::path::absolute(root.join("stand-in"))?,
        };
        write_all(&files.helper, HELPER)?;
        write_all(&files.stand_in, STAND_IN)?;
        Ok(files)
    }

    /// The `PYTHONPATH` of a program: the helper, the stand-in when `wandb` is on, then what
    /// the worker's own `PYTHONPATH` holds.
    pub fn python_path(&self, wandb: bool) -> String {
        let mut paths = vec![self.helper.clone()];
        if wandb {
            paths.push(self.stand_in.clone());
        }
        if let Some(inherited) = std::env::var_os("PYTHONPATH") {
            paths.extend(std::env::split_paths(&inherited));
        }
        std::env::join_paths(paths)
            .map(|p| p.to_string_lossy().into_owned())
            .unwrap_or_default()
    }
}

/// Write each file under `root` unless it is there with the same text (workers starting at
/// once each write whole files by rename, so none reads a half-written one).
fn write_all(root: &Path, files: &[(&str, &str)]) -> anyhow::Result<()> {
    for (path, text) in files {
        let path = root.join(path);
        if std::fs::read_to_string(&path).is_ok_and(|there| there == *text) {
            continue;
        }
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
        }
        crate::atomic_file::write_atomically(&path, text.as_bytes())
            .with_context(|| format!("writing {}", path.display()))?;
    }
    Ok(())
}
