//! Which run database: a SQLite file or a PostgreSQL URL, shown with its password hidden.

use std::path::PathBuf;
use std::str::FromStr;

/// Which run database: a SQLite file, or a PostgreSQL database named by its URL.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Database {
    /// A SQLite file (created on first use).
    Sqlite(PathBuf),
    /// `postgres://user[:password]@host[:port]/dbname` (the database must exist).
    Postgres(String),
}

impl Database {
    /// A SQLite file.
    pub fn sqlite(path: impl Into<PathBuf>) -> Database {
        Database::Sqlite(path.into())
    }
}

impl FromStr for Database {
    type Err = std::convert::Infallible;

    /// A `postgres://` or `postgresql://` URL names a PostgreSQL database; anything else is
    /// the path of a SQLite file.
    fn from_str(text: &str) -> Result<Database, Self::Err> {
        Ok(
            if text.starts_with("postgres://") || text.starts_with("postgresql://") {
                Database::Postgres(text.to_string())
            } else {
                Database::Sqlite(PathBuf::from(text))
            },
        )
    }
}

impl std::fmt::Display for Database {
    /// The path, or the URL without its password (it ends up in logs and error messages).
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Database::Sqlite(path) => write!(f, "{}", path.display()),
            Database::Postgres(url) => write!(f, "{}", redacted(url)),
        }
    }
}

/// A URL with the password of its user part replaced by `***`.
pub(super) fn redacted(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_string();
    };
    let Some((user_part, host_part)) = rest.split_once('@') else {
        return url.to_string();
    };
    match user_part.split_once(':') {
        Some((user, _password)) => format!("{scheme}://{user}:***@{host_part}"),
        None => url.to_string(),
    }
}
