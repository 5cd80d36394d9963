//! What a program reports: the lines it appends to `$SWEEP_METRICS` (one JSON object each) and,
//! when the sweep file asks for it, `key=value` pairs on its stdout lines (Katib's format).
//!
//! Written by hand, not with a crate: the protocol is ours (DESIGN.md), and the parts are
//! serde_json for a line and a few rules for what a line means.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};

use crate::metric::EpochMetrics;

/// One line of a program's report, understood.
#[derive(Clone, Debug, PartialEq)]
pub struct Line {
    /// The step it names (`step`, else `epoch`, else `_step`); `None`: the next step.
    pub step: Option<usize>,
    /// Its metrics, by name.
    pub metrics: BTreeMap<String, f64>,
    /// `"_preempting": true`: the program says it was pre-empted (W&B's `mark_preempting`).
    pub preempting: bool,
    /// `"_attempt": N`: the worker's mark where attempt N of the trial starts.
    pub attempt: Option<usize>,
}

/// Why a line was not used.
#[derive(Clone, Debug, PartialEq)]
pub struct BadLine {
    /// 1-based line number in its file (0: a line of stdout).
    pub number: usize,
    /// What was wrong.
    pub why: String,
}

/// Keys that name the step rather than a metric, in the order they are looked for.
const STEP_KEYS: [&str; 3] = ["step", "epoch", "_step"];

/// Understand one line of `$SWEEP_METRICS`: a JSON object whose numeric values are metrics.
/// Keys starting with `_` are W&B's own (`_runtime`, `_timestamp`) and not metrics; a value
/// that is not a number makes the line bad (JSON has no NaN: a program that writes one writes
/// a line that is not JSON).
pub fn parse_json_line(text: &str) -> Result<Line, String> {
    let value: serde_json::Value =
        serde_json::from_str(text).map_err(|e| format!("not JSON ({e})"))?;
    let serde_json::Value::Object(object) = value else {
        return Err("not a JSON object".into());
    };
    // The first step key names the step; `epoch` beside a `step` is a metric like any other.
    let mut step = None;
    let mut step_key = None;
    for key in STEP_KEYS {
        if let Some(v) = object.get(key) {
            step = Some(step_number(key, v)?);
            step_key = Some(key);
            break;
        }
    }
    let mut line = Line {
        step,
        metrics: BTreeMap::new(),
        preempting: false,
        attempt: None,
    };
    for (key, value) in &object {
        if key == "_preempting" {
            line.preempting = value.as_bool().unwrap_or(false);
            continue;
        }
        if key == "_attempt" {
            line.attempt = value.as_u64().map(|n| n as usize);
            continue;
        }
        if step_key == Some(key.as_str()) || key.starts_with('_') {
            continue;
        }
        match value.as_f64() {
            Some(x) if x.is_finite() => {
                line.metrics.insert(key.clone(), x);
            }
            _ => return Err(format!("`{key}` is not a number: {value}")),
        }
    }
    if line.metrics.is_empty() && !line.preempting && line.attempt.is_none() {
        return Err("no metric in it".into());
    }
    Ok(line)
}

/// A step number: a whole number from 1 (a float with no fraction is accepted, as Python's
/// `json.dumps(3.0)` writes `3.0`).
fn step_number(key: &str, value: &serde_json::Value) -> Result<usize, String> {
    let bad = || format!("`{key}` must be a whole number from 1, not {value}");
    let x = value.as_f64().ok_or_else(bad)?;
    if x >= 1.0 && x.fract() == 0.0 && x <= u32::MAX as f64 {
        Ok(x as usize)
    } else {
        Err(bad())
    }
}

/// Understand one stdout line in Katib's format: `key=value` pairs (`epoch=3 loss=0.41
/// val_acc=0.88`, separated by spaces, commas or semicolons); `epoch`/`step` name the step.
/// `None` when the line holds no pair.
pub fn parse_stdout_line(text: &str) -> Option<Line> {
    let mut line = Line {
        step: None,
        metrics: BTreeMap::new(),
        preempting: false,
        attempt: None,
    };
    for token in text.split(|c: char| c.is_whitespace() || c == ',' || c == ';') {
        let Some((key, value)) = token.split_once('=') else {
            continue;
        };
        let key = key.trim();
        let valid_key = !key.is_empty()
            && key
                .chars()
                .all(|c| c.is_alphanumeric() || matches!(c, '_' | '-' | '/' | '.'));
        let Ok(x) = value.trim().parse::<f64>() else {
            continue;
        };
        if !valid_key || !x.is_finite() {
            continue;
        }
        if STEP_KEYS.contains(&key) {
            if x >= 1.0 && x.fract() == 0.0 {
                line.step = Some(x as usize);
            }
        } else {
            line.metrics.insert(key.to_string(), x);
        }
    }
    (!line.metrics.is_empty()).then_some(line)
}

/// Reads the lines a program appends to its metrics file, as they arrive. Only whole lines
/// are read: a line without its newline is left for the next read (a program killed mid-write
/// leaves a torn last line, which is never read).
pub struct MetricsFile {
    path: PathBuf,
    /// Bytes of the file already read.
    offset: u64,
    /// A line read in part (no newline yet).
    partial: Vec<u8>,
    /// Lines read so far, counting those of earlier attempts.
    lines: usize,
}

impl MetricsFile {
    /// Start attempt `attempt` of a trial whose metrics file is `path`: the lines earlier
    /// attempts wrote are returned (the worker may have died before reading them all), a
    /// torn last line of theirs is ended with a newline, and a mark `{"_attempt": N}` starts
    /// this attempt's lines; reading goes on after it.
    pub fn open_for_attempt(
        path: &Path,
        attempt: usize,
    ) -> std::io::Result<(MetricsFile, Vec<(usize, String)>)> {
        use std::io::Write;
        let mut file = std::fs::OpenOptions::new()
            .create(true)
            .read(true)
            .append(true)
            .open(path)?;
        let mut text = Vec::new();
        file.read_to_end(&mut text)?;
        let torn = text.last().is_some_and(|&b| b != b'\n');
        let mark = format!(
            "{}{{\"_attempt\": {attempt}}}\n",
            if torn { "\n" } else { "" }
        );
        file.write_all(mark.as_bytes())?;
        let mut earlier = MetricsFile {
            path: path.to_path_buf(),
            offset: 0,
            partial: text,
            lines: 0,
        };
        // Only whole lines: a torn one is left out, as it would be while the program runs.
        let lines = earlier.whole_lines();
        let reader = MetricsFile {
            path: path.to_path_buf(),
            offset: file.metadata()?.len(),
            partial: Vec::new(),
            lines: earlier.lines + usize::from(torn) + 1,
        };
        Ok((reader, lines))
    }

    /// The whole lines appended since the last read, each with its line number.
    pub fn read_new_lines(&mut self) -> std::io::Result<Vec<(usize, String)>> {
        let mut file = File::open(&self.path)?;
        file.seek(SeekFrom::Start(self.offset))?;
        let mut bytes = Vec::new();
        file.read_to_end(&mut bytes)?;
        self.offset += bytes.len() as u64;
        self.partial.extend_from_slice(&bytes);
        Ok(self.whole_lines())
    }

    /// The whole lines held, each with its line number; a partial last line stays.
    fn whole_lines(&mut self) -> Vec<(usize, String)> {
        let mut out = Vec::new();
        while let Some(end) = self.partial.iter().position(|&b| b == b'\n') {
            let line: Vec<u8> = self.partial.drain(..=end).collect();
            self.lines += 1;
            let text = String::from_utf8_lossy(&line[..end]).trim().to_string();
            if !text.is_empty() {
                out.push((self.lines, text));
            }
        }
        out
    }
}

/// Turns reported lines into steps: numbers the lines with no step, and says whether a line
/// starts a step or adds to the one before.
pub struct Steps {
    /// The last step reported in this attempt (or recorded before it, for a first line with
    /// no step).
    last: Option<usize>,
    /// Whether `last` was reported in this attempt.
    reported: bool,
    /// Lines not used, with why (every one counted; the first few kept for messages).
    pub bad: Vec<BadLine>,
    /// How many lines were bad.
    pub bad_count: usize,
    /// Whether a line said the program was pre-empted.
    pub preempting: bool,
}

/// What to do with one step of a report.
#[derive(Clone, Debug, PartialEq)]
pub struct Step {
    /// The step and its metrics.
    pub metrics: EpochMetrics,
    /// True when it adds to the step reported just before (the same step number).
    pub again: bool,
}

/// The steps the lines of earlier attempts leave, as the worker would have recorded them had
/// it read every line: each attempt's first step replaces those from it on, a step again adds
/// to it, bad lines are left out. Returns them in order with the last step number (0: none).
pub fn replay(lines: &[(usize, String)]) -> (Vec<EpochMetrics>, usize) {
    let mut steps = Steps::after(0);
    let mut rows: Vec<EpochMetrics> = Vec::new();
    for (_, text) in lines {
        let Ok(Some(step)) = parse_json_line(text).and_then(|line| steps.step_of(line)) else {
            continue;
        };
        match rows.last_mut() {
            Some(last) if step.again && last.epoch == step.metrics.epoch => {
                last.merge(&step.metrics);
            }
            _ => {
                rows.retain(|m| m.epoch < step.metrics.epoch);
                rows.push(step.metrics);
            }
        }
    }
    let last = steps.last.unwrap_or(0);
    (rows, last)
}

/// Bad lines kept for the message (all are counted).
const BAD_KEPT: usize = 3;

impl Steps {
    /// Steps of an attempt of a trial whose last recorded step is `recorded` (0: none).
    pub fn after(recorded: usize) -> Steps {
        Steps {
            last: (recorded > 0).then_some(recorded),
            reported: false,
            bad: Vec::new(),
            bad_count: 0,
            preempting: false,
        }
    }

    /// Count a bad line.
    pub fn bad_line(&mut self, number: usize, why: String) {
        self.bad_count += 1;
        if self.bad.len() < BAD_KEPT {
            self.bad.push(BadLine { number, why });
        }
    }

    /// The step a good line reports: `Ok(None)` for a line that only says it was pre-empted,
    /// an error for a step before one this attempt already reported (steps only go forward
    /// within an attempt, as W&B ignores a `step=` below the run's current one).
    pub fn step_of(&mut self, line: Line) -> Result<Option<Step>, String> {
        if line.attempt.is_some() {
            // A new attempt: its first step replaces, whatever came before.
            self.reported = false;
            self.preempting = false;
            return Ok(None);
        }
        self.preempting |= line.preempting;
        if line.metrics.is_empty() {
            return Ok(None);
        }
        let number = line
            .step
            .unwrap_or_else(|| self.last.map_or(1, |last| last + 1));
        if let Some(last) = self.last.filter(|&last| self.reported && number < last) {
            return Err(format!(
                "step {number} comes after step {last}: steps only go forward within a run"
            ));
        }
        let again = self.reported && self.last == Some(number);
        self.last = Some(number);
        self.reported = true;
        let mut metrics = EpochMetrics::empty(number);
        for (name, value) in line.metrics {
            metrics.set(&name, value);
        }
        Ok(Some(Step { metrics, again }))
    }

    /// A sentence on the bad lines, if any: how many, and the first few with why.
    pub fn bad_summary(&self, file: &str) -> Option<String> {
        if self.bad_count == 0 {
            return None;
        }
        let shown: Vec<String> = self
            .bad
            .iter()
            .map(|b| match b.number {
                0 => b.why.clone(),
                n => format!("line {n}: {}", b.why),
            })
            .collect();
        Some(format!(
            "{} bad line{} in {file} (left out): {}",
            self.bad_count,
            if self.bad_count == 1 { "" } else { "s" },
            shown.join("; ")
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_lines_give_steps_and_metrics() {
        let line = parse_json_line(r#"{"step": 3, "val_loss": 0.47, "val_r2": 0.52}"#).unwrap();
        assert_eq!(line.step, Some(3));
        assert_eq!(line.metrics.len(), 2);
        let epoch = parse_json_line(r#"{"epoch": 2.0, "acc": 1, "_runtime": 4.2}"#).unwrap();
        assert_eq!(epoch.step, Some(2));
        assert_eq!(epoch.metrics.keys().collect::<Vec<_>>(), ["acc"]);
        let both = parse_json_line(r#"{"step": 7, "epoch": 1, "loss": 0.5}"#).unwrap();
        assert_eq!(both.step, Some(7));
        assert_eq!(both.metrics.keys().collect::<Vec<_>>(), ["epoch", "loss"]);
        let free = parse_json_line(r#"{"epoch/val_loss": 0.5}"#).unwrap();
        assert_eq!(free.step, None);
        assert!(
            parse_json_line(r#"{"_preempting": true}"#)
                .unwrap()
                .preempting
        );
    }

    #[test]
    fn bad_json_lines_say_why() {
        for (text, why) in [
            ("loss=0.4", "not JSON"),
            (r#"{"loss": NaN}"#, "not JSON"),
            (r#"[1, 2]"#, "not a JSON object"),
            (r#"{"loss": "low"}"#, "`loss` is not a number"),
            (r#"{"step": 0, "loss": 1}"#, "`step` must be a whole number"),
            (
                r#"{"step": 1.5, "loss": 1}"#,
                "`step` must be a whole number",
            ),
            (r#"{"step": 2}"#, "no metric"),
        ] {
            let err = parse_json_line(text).unwrap_err();
            assert!(err.contains(why), "{text}: {err}");
        }
    }

    #[test]
    fn earlier_attempts_replay_as_the_worker_records() {
        let lines: Vec<(usize, String)> = [
            r#"{"_attempt": 1}"#,
            r#"{"step": 1, "loss": 1}"#,
            r#"{"step": 2, "loss": 0.9}"#,
            r#"{"step": 2, "acc": 0.1}"#,
            r#"{"step": 3, "loss": 0.8}"#,
            "torn or bad",
            r#"{"_attempt": 2}"#,
            r#"{"step": 2, "loss": 0.7}"#,
        ]
        .iter()
        .enumerate()
        .map(|(i, t)| (i + 1, t.to_string()))
        .collect();
        let (rows, last) = replay(&lines);
        assert_eq!(last, 2);
        assert_eq!(rows.iter().map(|m| m.epoch).collect::<Vec<_>>(), [1, 2]);
        assert_eq!(rows[1].value("loss"), Some(0.7));
        assert_eq!(rows[1].value("acc"), None, "attempt 2 replaced step 2");
        let (merged, _) = replay(&lines[..5]);
        assert_eq!(merged[1].value("acc"), Some(0.1));
    }

    #[test]
    fn stdout_lines_in_katib_format() {
        let line = parse_stdout_line("epoch=3 loss=0.41, val_acc=8.8e-1 note=fast").unwrap();
        assert_eq!(line.step, Some(3));
        assert_eq!(line.metrics["loss"], 0.41);
        assert_eq!(line.metrics["val_acc"], 0.88);
        assert!(!line.metrics.contains_key("note"));
        assert_eq!(parse_stdout_line("Epoch 3/10 done"), None);
        assert_eq!(parse_stdout_line("x=nan"), None);
    }

    #[test]
    fn steps_number_merge_and_restart() {
        let mut steps = Steps::after(4);
        let line = |s: &str| parse_json_line(s).unwrap();
        let first = steps.step_of(line(r#"{"loss": 1}"#)).unwrap().unwrap();
        assert_eq!((first.metrics.epoch, first.again), (5, false));
        let same = steps
            .step_of(line(r#"{"step": 5, "val": 2}"#))
            .unwrap()
            .unwrap();
        assert_eq!((same.metrics.epoch, same.again), (5, true));
        let next = steps.step_of(line(r#"{"loss": 0.5}"#)).unwrap().unwrap();
        assert_eq!((next.metrics.epoch, next.again), (6, false));
        let back = steps.step_of(line(r#"{"step": 2, "loss": 0.9}"#));
        assert!(back.unwrap_err().contains("step 2 comes after step 6"));
        assert_eq!(steps.step_of(line(r#"{"_preempting": true}"#)), Ok(None));
        assert!(steps.preempting);
        // A resumed attempt's first line at an earlier step replaces the rows from it on.
        let mut resumed = Steps::after(4);
        let again = resumed
            .step_of(line(r#"{"step": 2, "loss": 1}"#))
            .unwrap()
            .unwrap();
        assert!(!again.again && again.metrics.epoch == 2);
        assert_eq!(again.metrics.value("loss"), Some(1.0));
    }

    #[test]
    fn only_whole_lines_are_read_and_a_torn_line_is_ended() {
        let dir = std::env::temp_dir().join(format!("sweep-report-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("metrics.jsonl");
        std::fs::write(&path, "{\"step\": 1, \"loss\": 1}\n{\"step\": 2, \"lo").unwrap();
        let (mut file, earlier) = MetricsFile::open_for_attempt(&path, 2).unwrap();
        assert_eq!(earlier, vec![(1, "{\"step\": 1, \"loss\": 1}".to_string())]);
        assert!(file.read_new_lines().unwrap().is_empty());
        use std::io::Write;
        let mut append = std::fs::OpenOptions::new()
            .append(true)
            .open(&path)
            .unwrap();
        append
            .write_all(b"{\"step\": 2, \"loss\": 0.5}\n{\"step\"")
            .unwrap();
        assert_eq!(
            file.read_new_lines().unwrap(),
            vec![(4, "{\"step\": 2, \"loss\": 0.5}".to_string())]
        );
        append.write_all(b": 3, \"loss\": 0.2}\n").unwrap();
        assert_eq!(file.read_new_lines().unwrap()[0].0, 5);
        let text = std::fs::read_to_string(&path).unwrap();
        assert_eq!(text.lines().nth(2), Some("{\"_attempt\": 2}"));
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
