//! Typed errors for bad user input to the data module.

use std::path::PathBuf;

use super::read::FilterCounts;

/// Typed errors for bad user input; the CLI maps any of these to exit code 2.
///
/// Failures that are not the user's fault (a full disk while writing the cache, say)
/// are reported as plain `anyhow` errors instead, so that they map to exit code 1.
#[derive(Debug, thiserror::Error)]
pub enum DataError {
    /// The data file could not be opened or read.
    #[error("cannot read {}", path.display())]
    Unreadable {
        /// The file at fault.
        path: PathBuf,
        /// What the operating system said.
        #[source]
        source: std::io::Error,
    },
    /// A line is not `SEQUENCE<TAB>EXPRESSION` with a finite expression.
    #[error("{}: line {line}: {reason}", path.display())]
    Malformed {
        /// The file at fault.
        path: PathBuf,
        /// 1-based line number.
        line: u64,
        /// What is wrong with the line, e.g. "expression `abc` is not a finite number".
        reason: String,
    },
    /// The file holds no lines at all.
    #[error("{}: the file is empty (expected SEQUENCE<TAB>EXPRESSION lines)", path.display())]
    Empty {
        /// The file at fault.
        path: PathBuf,
    },
    /// Every line was removed by the filter, so nothing is left to train on.
    #[error("{}: no usable rows: {counts}", path.display())]
    NothingKept {
        /// The file at fault.
        path: PathBuf,
        /// What the filter saw and removed.
        counts: FilterCounts,
    },
    /// More rows were kept than row indices (`u32`) can address.
    #[error("{}: more than {limit} usable rows; split the file", path.display())]
    TooManyRows {
        /// The file at fault.
        path: PathBuf,
        /// The largest number of rows supported.
        limit: u64,
    },
    /// An option given to a data command is out of range.
    #[error("{0}")]
    BadOption(String),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_name_the_file_and_line() {
        let e = DataError::Malformed {
            path: PathBuf::from("x/train.txt"),
            line: 12,
            reason: "expected SEQUENCE<TAB>EXPRESSION, found 3 fields".into(),
        };
        assert_eq!(
            e.to_string(),
            "x/train.txt: line 12: expected SEQUENCE<TAB>EXPRESSION, found 3 fields"
        );
        let e = DataError::Empty {
            path: PathBuf::from("e.txt"),
        };
        assert!(e.to_string().starts_with("e.txt: the file is empty"));
    }
}
