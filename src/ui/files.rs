//! A trial's files: what its folder holds, the tails of its logs, and one file served from it,
//! never from anywhere outside the runs folder.

use std::fs::File;
use std::io::{BufRead, BufReader, Read, Seek, SeekFrom};
use std::path::{Component, Path, PathBuf};

use serde_json::{Value, json};

use super::api::ApiError;
use crate::runs::Runs;

/// How much of the end of a log the trial page shows.
const TAIL_BYTES: u64 = 32 * 1024;

/// Lines of a worker log about one trial that the trial page shows, the newest.
const WORKER_LINES: usize = 50;

/// The regular files of a trial's folder as the trial page lists them: `{name, bytes}`, by
/// name.
pub fn listing(dir: &Path) -> Vec<Value> {
    plain_files(dir)
        .into_iter()
        .map(|(name, bytes)| json!({"name": name, "bytes": bytes}))
        .collect()
}

/// The regular files of a folder, by name, with their sizes; empty when it has none.
fn plain_files(dir: &Path) -> Vec<(String, u64)> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut files: Vec<(String, u64)> = entries
        .flatten()
        .filter_map(|entry| {
            // `DirEntry::metadata` does not follow a link: only plain files are listed.
            let meta = entry.metadata().ok().filter(|m| m.is_file())?;
            Some((entry.file_name().to_str()?.to_string(), meta.len()))
        })
        .collect();
    files.sort();
    files
}

/// The last [`TAIL_BYTES`] of each `*.log` in a trial's folder (a program's `stdout.log` and
/// `stderr.log`), and the lines of the sweep's worker logs that name the trial.
pub fn log_tails(dir: &Path, workers: &Path, number: usize) -> Vec<Value> {
    let mut logs = Vec::new();
    for (name, _) in plain_files(dir) {
        if name.ends_with(".log")
            && let Some(text) = tail(&dir.join(&name))
        {
            logs.push(json!({"name": name, "text": text}));
        }
    }
    let mut lines = Vec::new();
    let me = format!("trial {number} ");
    let me_last = format!("trial {number}");
    for (name, _) in plain_files(workers) {
        let Ok(log) = File::open(workers.join(&name)) else {
            continue;
        };
        for line in BufReader::new(log).lines().map_while(Result::ok) {
            if line.contains(&me) || line.ends_with(&me_last) {
                lines.push(format!("{name}: {line}"));
            }
        }
    }
    if !lines.is_empty() {
        let from = lines.len().saturating_sub(WORKER_LINES);
        logs.push(json!({"name": "worker logs", "text": lines[from..].join("\n")}));
    }
    logs
}

/// The end of a text file (from a line start when it is cut), lossy UTF-8.
fn tail(path: &Path) -> Option<String> {
    let mut file = File::open(path).ok()?;
    let len = file.metadata().ok()?.len();
    let from = len.saturating_sub(TAIL_BYTES);
    file.seek(SeekFrom::Start(from)).ok()?;
    let mut bytes = Vec::new();
    file.read_to_end(&mut bytes).ok()?;
    let text = String::from_utf8_lossy(&bytes).into_owned();
    Some(match (from > 0, text.find('\n')) {
        (true, Some(newline)) => text[newline + 1..].to_string(),
        _ => text,
    })
}

/// The file `name` of trial `number` of sweep `sweep`, when it is a regular file inside the
/// runs folder: a name with a path separator or `..`, or a link that leads outside, is
/// refused, whatever the request says.
pub fn trial_file(
    runs: &Runs,
    sweep: &str,
    number: usize,
    name: &str,
) -> Result<PathBuf, ApiError> {
    let not_found =
        || ApiError::NotFound(format!("no file `{name}` in trial {number} of `{sweep}`"));
    if !is_one_name(sweep) || !is_one_name(name) {
        return Err(not_found());
    }
    let root = runs.dir().canonicalize().map_err(|_| not_found())?;
    let path = runs
        .trial_dir(sweep, number)
        .join(name)
        .canonicalize()
        .map_err(|_| not_found())?;
    if !path.starts_with(&root) || !path.is_file() {
        return Err(not_found());
    }
    Ok(path)
}

/// Whether `text` is one plain path component (no separator, not `.` or `..`, not empty).
fn is_one_name(text: &str) -> bool {
    let mut parts = Path::new(text).components();
    matches!((parts.next(), parts.next()), (Some(Component::Normal(part)), None) if part == text)
        && !text.contains('\\')
}

/// The media type a trial file is served as, and whether it is a download: logs, tables
/// and JSON as plain text (shown, never run as a page); anything else (checkpoints, weights,
/// images) as bytes to download.
pub fn media_type(name: &str) -> (&'static str, bool) {
    let extension = Path::new(name)
        .extension()
        .and_then(|e| e.to_str())
        .unwrap_or("");
    match extension {
        "log" | "txt" | "csv" | "tsv" | "json" | "jsonl" | "yaml" | "yml" | "out" | "err" => {
            ("text/plain; charset=utf-8", false)
        }
        _ => ("application/octet-stream", true),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_plain_names_inside_the_runs_folder_are_served() {
        let dir = tempfile::tempdir().expect("tempdir");
        let runs = Runs::sqlite(dir.path().join("runs").join("sweeps.db"));
        let trial = runs.trial_dir("demo", 1);
        std::fs::create_dir_all(&trial).expect("trial folder");
        std::fs::write(trial.join("stdout.log"), "hello\n").expect("log");
        std::fs::write(dir.path().join("secret.txt"), "secret").expect("outside");
        std::os::unix::fs::symlink(dir.path().join("secret.txt"), trial.join("link.txt"))
            .expect("link");
        assert!(trial_file(&runs, "demo", 1, "stdout.log").is_ok());
        for name in [
            "../../../secret.txt",
            "..",
            ".",
            "",
            "a/b",
            "link.txt",
            "missing.log",
        ] {
            assert!(
                trial_file(&runs, "demo", 1, name).is_err(),
                "{name} must be refused"
            );
        }
        assert!(trial_file(&runs, "..", 1, "stdout.log").is_err());
        assert!(trial_file(&runs, "../demo", 1, "stdout.log").is_err());
    }

    #[test]
    fn a_tail_starts_at_a_line() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("big.log");
        let line = "x".repeat(99);
        let text: String = (0..1000).map(|i| format!("{i} {line}\n")).collect();
        std::fs::write(&path, &text).expect("log");
        let end = tail(&path).expect("a tail");
        assert!(end.len() <= TAIL_BYTES as usize);
        assert!(end.starts_with(|c: char| c.is_ascii_digit()));
        assert!(end.ends_with(&format!("999 {line}\n")));
    }
}
