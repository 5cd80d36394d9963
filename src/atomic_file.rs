//! Write-to-temp-then-rename, so that no reader ever sees a half-written file (caches,
//! checkpoints, metrics). The one implementation every module uses.

use std::fs::{self, File};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use anyhow::Context;

/// Distinguishes temp files made by threads of one process (the pid already
/// distinguishes processes). Only ever incremented, so it holds no state to reason about.
static NEXT_TEMP: AtomicU64 = AtomicU64::new(0);

/// A temporary file beside its destination, removed on drop unless committed, so that a
/// failed write (a malformed line halfway through a build, say) leaves nothing behind.
pub(crate) struct TempFile {
    /// Where the temporary file is.
    pub(crate) path: PathBuf,
    committed: bool,
}

impl TempFile {
    /// Create a temporary file in the directory of `dest`; returns the guard and the
    /// open file to write.
    pub(crate) fn create(dest: &Path) -> anyhow::Result<(TempFile, File)> {
        let dir = match dest.parent() {
            Some(p) if !p.as_os_str().is_empty() => p,
            _ => Path::new("."),
        };
        let name = dest
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        // Same directory as `dest` so the rename stays on one filesystem (atomic);
        // the leading dot keeps it out of casual listings.
        let path = dir.join(format!(
            ".{name}.tmp-{}-{}",
            std::process::id(),
            NEXT_TEMP.fetch_add(1, Ordering::Relaxed)
        ));
        let file = File::options()
            .write(true)
            .create_new(true)
            .open(&path)
            .with_context(|| format!("creating {}", path.display()))?;
        Ok((
            TempFile {
                path,
                committed: false,
            },
            file,
        ))
    }

    /// Rename into place (the caller has flushed and closed its file).
    pub(crate) fn commit(mut self, dest: &Path) -> anyhow::Result<()> {
        fs::rename(&self.path, dest)
            .with_context(|| format!("renaming {} to {}", self.path.display(), dest.display()))?;
        self.committed = true;
        Ok(())
    }
}

/// Write `bytes` to `dest` through a temporary file beside it, synced before the rename.
pub(crate) fn write_atomically(dest: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    let (temp, mut file) = TempFile::create(dest)?;
    file.write_all(bytes)
        .and_then(|()| file.sync_all())
        .with_context(|| format!("writing {}", temp.path.display()))?;
    drop(file);
    temp.commit(dest)
}

impl Drop for TempFile {
    fn drop(&mut self) {
        if !self.committed {
            // Best effort: a leftover temp file is harmless, just untidy.
            let _ = fs::remove_file(&self.path);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    #[test]
    fn commit_renames_and_drop_cleans_up() {
        let dir = tempfile::tempdir().unwrap();
        let dest = dir.path().join("out.bin");
        let (tmp, mut f) = TempFile::create(&dest).unwrap();
        f.write_all(b"hello").unwrap();
        drop(f);
        assert!(!dest.exists());
        tmp.commit(&dest).unwrap();
        assert_eq!(fs::read(&dest).unwrap(), b"hello");

        let (tmp, _f) = TempFile::create(&dest).unwrap();
        let leftover = tmp.path.clone();
        assert!(leftover.exists());
        drop(tmp);
        assert!(!leftover.exists());
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 1);
    }
}
