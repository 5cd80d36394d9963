//! What can go wrong with the run database, and which of it is the user's to fix.

use super::*;

/// What can go wrong with the run database.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The file was written by a newer `sweep`.
    #[error(
        "database schema v{found} is newer than this sweep understands (v{known}); upgrade sweep"
    )]
    SchemaTooNew {
        /// The file's schema version.
        found: i64,
        /// The newest this build knows.
        known: i64,
    },
    /// A database made by an older `sweep`, opened by a reader that never upgrades it.
    #[error(
        "database schema v{found} is older than this sweep's (v{known}), and the dashboard never \
         writes to it; run `sweep status` once to bring it up to date"
    )]
    SchemaTooOld {
        /// The database's schema version.
        found: i64,
        /// The version this build writes.
        known: i64,
    },
    /// A read-only open of a file that does not exist.
    #[error("no run database at {0} (run a sweep first, or pass --db)")]
    Missing(PathBuf),
    /// No sweep of that name.
    #[error("no sweep named `{0}` in the run database")]
    NoSuchSweep(String),
    /// A copy into a database that already has a sweep of that name.
    #[error(
        "the destination already has a sweep named `{0}`; nothing was copied (copy it to \
         another database, or remove it there first)"
    )]
    SweepExists(String),
    /// The sweep file changed under an existing name.
    #[error(
        "sweep `{name}` already exists with a different sweep file (stored fingerprint {stored}, \
         this file {given}); give the changed sweep a new name, or run the original file to resume it"
    )]
    SpecChanged {
        /// The sweep.
        name: String,
        /// Fingerprint of the stored spec.
        stored: String,
        /// Fingerprint of the file given now.
        given: String,
    },
    /// A migration left rows whose foreign keys point nowhere (it is rolled back).
    #[error("migrating the run database would break {0} reference(s) between its tables")]
    BrokenReferences(usize),
    /// A write by a worker that no longer holds the trial (it was reclaimed or finished).
    #[error("trial {0} is no longer held by this worker")]
    NotHeld(TrialId),
    /// A PostgreSQL server that cannot be reached or refuses the login.
    #[error("cannot connect to the run database {url}: {source}")]
    Connect {
        /// The URL, password hidden.
        url: String,
        /// What the driver said.
        #[source]
        source: postgres::Error,
    },
    /// A stored value of the wrong kind (a corrupt or foreign database).
    #[error("unexpected value in column {column} of the run database: {message}")]
    Corrupt {
        /// The column of the row being read.
        column: usize,
        /// What was wrong.
        message: String,
    },
    /// A value that could not be written as JSON.
    #[error("cannot encode a value for the run database: {0}")]
    Encode(String),
    /// Anything SQLite reports.
    #[error(transparent)]
    Sqlite(#[from] rusqlite::Error),
    /// Anything PostgreSQL reports.
    #[error(transparent)]
    Postgres(#[from] postgres::Error),
}

impl StoreError {
    /// Whether the user can fix it by changing what they typed (exit code 2).
    pub fn is_bad_input(&self) -> bool {
        matches!(
            self,
            StoreError::Missing(_)
                | StoreError::SchemaTooOld { .. }
                | StoreError::NoSuchSweep(_)
                | StoreError::SpecChanged { .. }
                | StoreError::SweepExists(_)
                | StoreError::Connect { .. }
        )
    }
}
