//! Opening a run database and bringing its schema up to date, for each kind of database.
//!
//! SQLite counts applied migrations in `PRAGMA user_version` and runs them in one
//! `BEGIN IMMEDIATE` transaction; PostgreSQL keeps the count in `schema_version` and runs them
//! in one transaction under an advisory lock. Either way, many processes opening a new
//! database at once create the schema exactly once.

use std::cell::RefCell;
use std::path::Path;
use std::time::Duration;

use rusqlite::{Connection, OpenFlags, TransactionBehavior};

use super::sql::{Conn, Lock, Sql, params};
use super::{Database, StoreError};

/// SQLite's forward migrations, applied in order; `PRAGMA user_version` counts those applied.
pub(super) const SQLITE_MIGRATIONS: &[&str] = &[
    include_str!("migrations/0001_init.sql"),
    include_str!("migrations/0002_data_header.sql"),
    include_str!("migrations/0003_evaluations.sql"),
    include_str!("migrations/0004_pruned.sql"),
    include_str!("migrations/0005_sampled_from.sql"),
    include_str!("migrations/0006_jobs.sql"),
    include_str!("migrations/0007_program_trials.sql"),
];

/// PostgreSQL's migrations: the schema version each brings the database to, and its SQL.
/// Support began at version 5, so the first file makes all of it.
pub(super) const POSTGRES_MIGRATIONS: &[(i64, &str)] = &[
    (5, include_str!("migrations/postgres/0005_schema.sql")),
    (6, include_str!("migrations/postgres/0006_jobs.sql")),
    (
        7,
        include_str!("migrations/postgres/0007_program_trials.sql"),
    ),
];

/// The newest schema version this build knows (the same for both databases).
pub const SCHEMA_VERSION: i64 = SQLITE_MIGRATIONS.len() as i64;

/// How long a SQLite write waits for another process's transaction before giving up.
const BUSY_TIMEOUT: Duration = Duration::from_secs(30);

/// Open (creating if needed) and migrate.
pub fn open(db: &Database) -> Result<Conn, StoreError> {
    match db {
        Database::Sqlite(path) => {
            if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
                // A missing folder surfaces as SQLite's "unable to open" below, with the path.
                let _ = std::fs::create_dir_all(parent);
            }
            prepare_sqlite(Connection::open(path)?)
        }
        Database::Postgres(url) => {
            let mut conn = Conn::Postgres(RefCell::new(connect(url)?));
            migrate_postgres(&mut conn)?;
            Ok(conn)
        }
    }
}

/// Open an existing database to read: a SQLite file read-only (a newer schema refused, an
/// older one migrated first); a PostgreSQL database migrated if it is older, then with every
/// transaction of the session read-only, so that a write through it fails as SQLite's does.
pub fn open_read_only(db: &Database) -> Result<Conn, StoreError> {
    open_to_read(db, Upgrade::Once)
}

/// Whether a read-only open may bring an older schema up to date first.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Upgrade {
    /// Apply the missing migrations once, then read (the command-line views).
    Once,
    /// Refuse an older schema: the caller promises never to write (the dashboard, which
    /// may run beside an older `sweep` still writing to the same database).
    Never,
}

/// Open an existing database to read, upgrading an older schema only when `upgrade` allows.
pub fn open_to_read(db: &Database, upgrade: Upgrade) -> Result<Conn, StoreError> {
    match db {
        Database::Sqlite(path) => open_sqlite_to_read(db, path, upgrade),
        Database::Postgres(url) => {
            let conn = match upgrade {
                Upgrade::Once => open(db)?,
                Upgrade::Never => {
                    let conn = Conn::Postgres(RefCell::new(connect(url)?));
                    check_current(postgres_version(&conn)?)?;
                    conn
                }
            };
            if let Conn::Postgres(client) = &conn {
                client
                    .borrow_mut()
                    .batch_execute("SET SESSION CHARACTERISTICS AS TRANSACTION READ ONLY")?;
            }
            Ok(conn)
        }
    }
}

/// A SQLite file opened read-only; an older schema migrated first (through a connection
/// that writes) or refused, as `upgrade` says.
fn open_sqlite_to_read(db: &Database, path: &Path, upgrade: Upgrade) -> Result<Conn, StoreError> {
    if !path.exists() {
        return Err(StoreError::Missing(path.to_path_buf()));
    }
    let conn = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )?;
    conn.busy_timeout(BUSY_TIMEOUT)?;
    let found: i64 = conn.pragma_query_value(None, "user_version", |r| r.get(0))?;
    match upgrade {
        Upgrade::Never => check_current(found)?,
        Upgrade::Once => check_not_newer(found)?,
    }
    if found < SCHEMA_VERSION {
        drop(conn);
        drop(open(db)?);
        return open_sqlite_to_read(db, path, upgrade);
    }
    Ok(Conn::Sqlite(conn))
}

/// The schema version of a PostgreSQL database opened without migrating: 0 for one no
/// `sweep` has used yet (it has no schema at all, so it is older than any).
fn postgres_version(conn: &Conn) -> Result<i64, StoreError> {
    let made = conn
        .query_one(
            "SELECT COUNT(*) FROM pg_tables WHERE tablename = 'schema_version'",
            &[],
        )?
        .count(0)?;
    if made > 0 {
        schema_version(conn)
    } else {
        Ok(0)
    }
}

/// The schema version of an open database.
pub fn schema_version(conn: &Conn) -> Result<i64, StoreError> {
    match conn {
        Conn::Sqlite(conn) => Ok(conn.pragma_query_value(None, "user_version", |r| r.get(0))?),
        Conn::Postgres(_) => conn
            .query_one("SELECT version FROM schema_version", &[])?
            .int(0),
    }
}

/// An error unless `found` is the schema this build writes.
fn check_current(found: i64) -> Result<(), StoreError> {
    check_not_newer(found)?;
    if found < SCHEMA_VERSION {
        return Err(StoreError::SchemaTooOld {
            found,
            known: SCHEMA_VERSION,
        });
    }
    Ok(())
}

fn check_not_newer(found: i64) -> Result<(), StoreError> {
    if found > SCHEMA_VERSION {
        return Err(StoreError::SchemaTooNew {
            found,
            known: SCHEMA_VERSION,
        });
    }
    Ok(())
}

fn prepare_sqlite(mut conn: Connection) -> Result<Conn, StoreError> {
    conn.busy_timeout(BUSY_TIMEOUT)?;
    set_wal(&conn)?;
    conn.pragma_update(None, "synchronous", "NORMAL")?;
    // Migrations run with foreign keys off (a table rebuild must not cascade), then on.
    migrate_sqlite(&mut conn)?;
    conn.pragma_update(None, "foreign_keys", true)?;
    Ok(Conn::Sqlite(conn))
}

/// Switch to WAL. Changing the journal mode needs a moment of exclusive access, which the busy
/// handler does not wait for, so a crowd of processes opening a new file retries briefly.
fn set_wal(conn: &Connection) -> Result<(), StoreError> {
    let mut attempt = 0;
    loop {
        match conn.pragma_update_and_check(None, "journal_mode", "WAL", |r| r.get::<_, String>(0)) {
            Ok(_) => return Ok(()),
            Err(rusqlite::Error::SqliteFailure(e, _))
                if e.code == rusqlite::ErrorCode::DatabaseBusy && attempt < 200 =>
            {
                attempt += 1;
                std::thread::sleep(Duration::from_millis(25));
            }
            Err(e) => return Err(e.into()),
        }
    }
}

/// Apply the migrations this file lacks, all in one `BEGIN IMMEDIATE` transaction, so that
/// processes opening a new database at once create the schema exactly once.
///
/// Foreign keys are off while they run: 0004 rebuilds `trials`, and dropping the old table
/// with them on would delete every epoch (ON DELETE CASCADE). `PRAGMA foreign_keys` is a
/// no-op inside a transaction, so it is set before; `foreign_key_check` runs before the commit.
fn migrate_sqlite(conn: &mut Connection) -> Result<(), StoreError> {
    conn.pragma_update(None, "foreign_keys", false)?;
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let found: i64 = tx.pragma_query_value(None, "user_version", |r| r.get(0))?;
    check_not_newer(found)?;
    for (i, sql) in SQLITE_MIGRATIONS.iter().enumerate().skip(found as usize) {
        tx.execute_batch(sql)?;
        tx.pragma_update(None, "user_version", i as i64 + 1)?;
    }
    if found < SCHEMA_VERSION {
        let broken = broken_references(&tx)?;
        if broken > 0 {
            return Err(StoreError::BrokenReferences(broken));
        }
    }
    tx.commit()?;
    Ok(())
}

/// Rows whose foreign keys point nowhere (`PRAGMA foreign_key_check`).
pub(super) fn broken_references(conn: &Connection) -> Result<usize, StoreError> {
    let mut check = conn.prepare("PRAGMA foreign_key_check")?;
    let mut rows = check.query([])?;
    let mut broken = 0;
    while rows.next()?.is_some() {
        broken += 1;
    }
    Ok(broken)
}

/// Connect to a PostgreSQL server (no TLS: a cluster's database sits on its own network;
/// `sslmode=require` in the URL is refused by the driver rather than ignored).
fn connect(url: &str) -> Result<postgres::Client, StoreError> {
    postgres::Client::connect(url, postgres::NoTls).map_err(|source| StoreError::Connect {
        url: super::database::redacted(url),
        source,
    })
}

/// Apply the migrations a PostgreSQL database lacks, in one transaction under an advisory
/// lock (a new database is an empty one: `schema_version` missing means version 0).
fn migrate_postgres(conn: &mut Conn) -> Result<(), StoreError> {
    let tx = conn.transaction(Lock::Database)?;
    let exists = tx
        .query_one("SELECT to_regclass('schema_version') IS NOT NULL", &[])?
        .int(0)?
        != 0;
    let found = if exists {
        tx.query_one("SELECT version FROM schema_version", &[])?
            .int(0)?
    } else {
        0
    };
    check_not_newer(found)?;
    for (version, sql) in POSTGRES_MIGRATIONS.iter().filter(|(v, _)| *v > found) {
        tx.batch(sql)?;
        tx.execute("UPDATE schema_version SET version = ?1", params![*version])?;
    }
    tx.commit()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_databases_reach_the_same_schema_version() {
        let last = POSTGRES_MIGRATIONS.last().map(|(version, _)| *version);
        assert_eq!(last, Some(SCHEMA_VERSION));
        let versions: Vec<i64> = POSTGRES_MIGRATIONS.iter().map(|(v, _)| *v).collect();
        assert!(
            versions.windows(2).all(|w| w[1] == w[0] + 1),
            "PostgreSQL migrations are numbered in turn: {versions:?}"
        );
    }
}
