//! Where sweeps are recorded: the run database, and the folder of the files its trials make
//! (checkpoints, best weights, worker logs, prepared data caches).
//!
//! With SQLite the folder is the database file's own (`runs/sweeps.db` beside `runs/NAME/`);
//! a PostgreSQL database has no folder, so it is `--runs` (default `./runs`): on a cluster, a
//! folder every node mounts, so that a job on another node resumes a trial's checkpoint.

use std::ffi::OsString;
use std::path::{Path, PathBuf};

use crate::store::{Database, Store, StoreError};

/// The run database and the folder of trial files that goes with it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Runs {
    db: Database,
    dir: PathBuf,
}

/// The folder of trial files for a PostgreSQL database when `--runs` is not given.
const DEFAULT_RUNS_DIR: &str = "runs";

impl Runs {
    /// `db` with its files in `dir`, or where `db` implies.
    pub fn new(db: Database, dir: Option<PathBuf>) -> Runs {
        let dir = dir.unwrap_or_else(|| match &db {
            Database::Sqlite(path) => match path.parent() {
                Some(parent) if !parent.as_os_str().is_empty() => parent.to_path_buf(),
                _ => PathBuf::from("."),
            },
            Database::Postgres(_) => PathBuf::from(DEFAULT_RUNS_DIR),
        });
        Runs { db, dir }
    }

    /// A SQLite file with its files beside it.
    pub fn sqlite(path: impl Into<PathBuf>) -> Runs {
        Runs::new(Database::sqlite(path), None)
    }

    /// The run database.
    pub fn db(&self) -> &Database {
        &self.db
    }

    /// The folder of trial files.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// A sweep's folder: `<runs>/NAME`.
    pub fn sweep_dir(&self, sweep: &str) -> PathBuf {
        self.dir.join(sweep)
    }

    /// A trial's folder: `<runs>/NAME/trial-NNNN`.
    pub fn trial_dir(&self, sweep: &str, number: usize) -> PathBuf {
        self.sweep_dir(sweep).join(format!("trial-{number:04}"))
    }

    /// The logs of a sweep's workers: `<runs>/NAME/workers`.
    pub fn workers_dir(&self, sweep: &str) -> PathBuf {
        self.sweep_dir(sweep).join("workers")
    }

    /// Prepared data caches: `<runs>/cache`.
    pub fn cache_dir(&self) -> PathBuf {
        self.dir.join("cache")
    }

    /// Open the database to write (creating a SQLite file, migrating either).
    pub fn open(&self) -> Result<Store, StoreError> {
        Store::open(&self.db)
    }

    /// Open the database to read.
    pub fn open_read_only(&self) -> Result<Store, StoreError> {
        Store::open_read_only(&self.db)
    }

    /// Open the database to read and never write (the dashboard): an older schema is refused.
    pub fn open_to_watch(&self) -> Result<Store, StoreError> {
        Store::open_to_watch(&self.db)
    }

    /// The arguments that give a child `sweep` process (a worker) this database and folder,
    /// absolute, so that it finds them from any working directory (a Slurm job's included).
    pub fn args(&self) -> std::io::Result<Vec<OsString>> {
        let db = match &self.db {
            Database::Sqlite(path) => std::path::absolute(path)?.into_os_string(),
            Database::Postgres(url) => OsString::from(url),
        };
        Ok(vec![
            "--db".into(),
            db,
            "--runs".into(),
            std::path::absolute(&self.dir)?.into_os_string(),
        ])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trial_files_go_beside_a_sqlite_file_or_under_runs_for_postgres() {
        let sqlite = Runs::sqlite("x/sweeps.db");
        assert_eq!(sqlite.trial_dir("s", 7), Path::new("x/s/trial-0007"));
        assert_eq!(Runs::sqlite("sweeps.db").dir(), Path::new("."));
        let pg = Runs::new("postgres://u@h/db".parse().expect("url"), None);
        assert_eq!(pg.cache_dir(), Path::new("runs/cache"));
        let pg = Runs::new(
            "postgresql://u@h/db".parse().expect("url"),
            Some("/shared/runs".into()),
        );
        assert_eq!(pg.workers_dir("s"), Path::new("/shared/runs/s/workers"));
    }
}
