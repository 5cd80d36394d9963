//! Scoring predictions against measured expression (`sweep evaluate`): Pearson's r, two r²,
//! Spearman's ρ and the MSE, over all rows and per subset of the test set.
//!
//! Inputs: a predictions file, `SEQUENCE<TAB>PREDICTION` per line (what `sweep predict`
//! writes, in input order), and a truth file in DREAM format, `SEQUENCE<TAB>EXPRESSION` with an
//! optional third column naming a subset (the challenge's test file names `high_exp`, `yeast`,
//! `random`, `SNVs`, ...). Rows pair up by line order and each pair must name the same
//! sequence, so a file that was shuffled or filtered on the way is an error, not a bad score.
//!
//! Both files are streamed a line at a time, in lockstep: the challenge's test set has 71,103
//! lines and a training-size file millions, and only the two numbers of a row and its subset
//! are kept. The statistics are [`Agreement`](crate::metric::Agreement)'s, the ones training reports, run in f64 on the
//! numbers as written.
//!
//! Two r² are reported because they answer different questions: `pearson_r2`, Pearson's r
//! squared, is what the DREAM challenge scored (it ignores scale and offset); `r2`, the
//! coefficient of determination 1 - SSE/SST, is what training reports as `val_r2` (it rewards
//! only predictions in the right units).

use std::collections::BTreeMap;
use std::fs::File;
use std::io::{self, BufRead, BufReader};
use std::path::{Path, PathBuf};

use crate::metric::{Evaluation, Scores};
use crate::text::{Align, Table};

/// Read buffer size: large enough that refills vanish next to parsing.
const READ_BUFFER: usize = 1 << 20;

/// The UTF-8 byte-order mark, tolerated at the start of a file (as the data reader does).
const UTF8_BOM: &[u8] = b"\xEF\xBB\xBF";

/// What the table says under its rows, so that nobody mistakes one r² for the other.
const R2_NOTE: &str = "pearson_r2: Pearson's r squared (the DREAM challenge's r²); \
                       r2: 1 - SSE/SST (the coefficient of determination)";

/// Bad input to `sweep evaluate`. Each names the file, and the line where there is one; the
/// CLI maps any of these to exit code 2.
#[derive(Debug, thiserror::Error)]
pub enum EvaluateError {
    /// A file could not be opened or read.
    #[error("cannot read {}", path.display())]
    Unreadable {
        /// The file at fault.
        path: PathBuf,
        /// What the operating system said.
        #[source]
        source: io::Error,
    },
    /// A line that is not what its file should hold.
    #[error("{}: line {line}: {reason}", path.display())]
    Malformed {
        /// The file at fault.
        path: PathBuf,
        /// 1-based line number.
        line: u64,
        /// What is wrong, e.g. "prediction `abc` is not a finite number".
        reason: String,
    },
    /// The two lines of a pair name different sequences.
    #[error(
        "{} and {}: line {line}: the sequences differ (first at base {first_difference}); \
         rows pair up by line order, so both files must list the same sequences in the same order",
        predictions.display(),
        truth.display()
    )]
    SequenceMismatch {
        /// The predictions file.
        predictions: PathBuf,
        /// The truth file.
        truth: PathBuf,
        /// 1-based line number (the same in both files).
        line: u64,
        /// 1-based position of the first base that differs.
        first_difference: usize,
    },
    /// One file has more rows than the other.
    #[error(
        "{} has {longer_rows} rows but {} has {shorter_rows}: line {} of {} has no partner \
         (rows pair up by line order)",
        longer.display(),
        shorter.display(),
        shorter_rows + 1,
        longer.display()
    )]
    RowCounts {
        /// The file with more rows.
        longer: PathBuf,
        /// Its rows.
        longer_rows: u64,
        /// The file with fewer rows.
        shorter: PathBuf,
        /// Its rows.
        shorter_rows: u64,
    },
    /// Both files are empty.
    #[error("nothing to evaluate: {} and {} have no rows", predictions.display(), truth.display())]
    NoRows {
        /// The predictions file.
        predictions: PathBuf,
        /// The truth file.
        truth: PathBuf,
    },
}

impl Evaluation {
    /// Score the predictions file against the truth file.
    pub fn of_files(predictions: &Path, truth: &Path) -> Result<Evaluation, EvaluateError> {
        let pairs = read_pairs(Lines::open(predictions)?, Lines::open(truth)?)?;
        Ok(pairs.evaluation())
    }

    /// The evaluation in `format`, ready to write.
    pub fn render(&self, format: Format) -> anyhow::Result<Vec<u8>> {
        match format {
            Format::Table => Ok(self.table().into_bytes()),
            Format::Json => {
                // serde_json writes the shortest text that reads back to the same f64, and
                // `null` for NaN (JSON has no NaN).
                let mut bytes = serde_json::to_vec_pretty(self)?;
                bytes.push(b'\n');
                Ok(bytes)
            }
        }
    }

    /// One aligned row per group (`all`, then the subsets by name), then what the two r² are.
    fn table(&self) -> String {
        let mut table = Table::new([
            ("subset", Align::Left),
            ("n", Align::Right),
            ("pearson_r", Align::Right),
            ("pearson_r2", Align::Right),
            ("r2", Align::Right),
            ("spearman", Align::Right),
            ("mse", Align::Right),
        ]);
        table.push(table_row("all", &self.all));
        for (name, scores) in &self.subsets {
            table.push(table_row(name, scores));
        }
        format!("{}\n{R2_NOTE}\n", table.render())
    }
}

/// The cells of one group.
fn table_row(name: &str, scores: &Scores) -> Vec<String> {
    let figures = [
        scores.pearson_r,
        scores.pearson_r2,
        scores.r2,
        scores.spearman,
        scores.mse,
    ];
    [name.to_string(), scores.n.to_string()]
        .into_iter()
        .chain(figures.map(figure))
        .collect()
}

/// A figure for the table: four decimals, or `NaN` where there is no number.
fn figure(x: f64) -> String {
    if x.is_finite() {
        format!("{x:.4}")
    } else {
        x.to_string()
    }
}

/// The output formats of `sweep evaluate`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// Aligned columns for a terminal, one row per group.
    Table,
    /// `{"all": {...}, "subsets": {"name": {...}}}`, numbers at full precision.
    Json,
}

/// Every row's prediction and measurement, and which rows each subset holds.
#[derive(Debug, Default)]
struct Pairs {
    predicted: Vec<f64>,
    measured: Vec<f64>,
    subsets: BTreeMap<String, Vec<usize>>,
}

impl Pairs {
    /// Add a row.
    fn push(&mut self, predicted: f64, measured: f64, subset: Option<&str>) {
        let row = self.measured.len();
        self.predicted.push(predicted);
        self.measured.push(measured);
        if let Some(name) = subset {
            // Look up by `&str` first: a new `String` only for a new subset, not per row.
            match self.subsets.get_mut(name) {
                Some(rows) => rows.push(row),
                None => {
                    self.subsets.insert(name.to_string(), vec![row]);
                }
            }
        }
    }

    /// Rows so far.
    fn len(&self) -> u64 {
        self.measured.len() as u64
    }

    /// The scores of all rows and of each subset; there must be at least one row.
    fn evaluation(&self) -> Evaluation {
        let subsets = self
            .subsets
            .iter()
            .map(|(name, rows)| {
                let (predicted, measured): (Vec<f64>, Vec<f64>) = rows
                    .iter()
                    .map(|&row| (self.predicted[row], self.measured[row]))
                    .unzip();
                (name.clone(), Scores::of(&predicted, &measured))
            })
            .collect();
        Evaluation {
            all: Scores::of(&self.predicted, &self.measured),
            subsets,
        }
    }
}

/// Read both files in lockstep, pairing line k of one with line k of the other.
fn read_pairs<P: BufRead, T: BufRead>(
    mut predictions: Lines<'_, P>,
    mut truth: Lines<'_, T>,
) -> Result<Pairs, EvaluateError> {
    let (predictions_path, truth_path) = (predictions.path, truth.path);
    let mut pairs = Pairs::default();
    loop {
        match (predictions.next_line()?, truth.next_line()?) {
            (Some(predicted), Some(measured)) => {
                let (value, row) =
                    parse_pair((predictions_path, &predicted), (truth_path, &measured))?;
                pairs.push(value, row.expression, row.subset);
            }
            (None, None) => break,
            (Some(_), None) => return Err(row_counts(&mut predictions, &pairs, truth_path)?),
            (None, Some(_)) => return Err(row_counts(&mut truth, &pairs, predictions_path)?),
        }
    }
    if pairs.len() == 0 {
        return Err(EvaluateError::NoRows {
            predictions: predictions_path.to_path_buf(),
            truth: truth_path.to_path_buf(),
        });
    }
    Ok(pairs)
}

/// Parse line k of each file (each with its file's name, for messages): the prediction, and
/// the measurement of the same sequence.
fn parse_pair<'t>(
    (predictions, predicted): (&Path, &Line<'_>),
    (truth, measured): (&Path, &Line<'t>),
) -> Result<(f64, Measurement<'t>), EvaluateError> {
    let (sequence, value) = parse_prediction(predicted.text)
        .map_err(|reason| malformed(predictions, predicted.number, reason))?;
    let row =
        parse_truth(measured.text).map_err(|reason| malformed(truth, measured.number, reason))?;
    match first_difference(sequence, row.sequence) {
        None => Ok((value, row)),
        Some(first_difference) => Err(EvaluateError::SequenceMismatch {
            predictions: predictions.to_path_buf(),
            truth: truth.to_path_buf(),
            line: predicted.number,
            first_difference,
        }),
    }
}

/// The error for files of different lengths, found when `shorter` ended and `longer` had one
/// more row: counts the rest of `longer`, so that the message gives both totals.
fn row_counts<R: BufRead>(
    longer: &mut Lines<'_, R>,
    pairs: &Pairs,
    shorter: &Path,
) -> Result<EvaluateError, EvaluateError> {
    let paired = pairs.len();
    let mut longer_rows = paired + 1;
    while longer.next_line()?.is_some() {
        longer_rows += 1;
    }
    Ok(EvaluateError::RowCounts {
        longer: longer.path.to_path_buf(),
        longer_rows,
        shorter: shorter.to_path_buf(),
        shorter_rows: paired,
    })
}

/// 1-based position of the first base where two sequences differ; `None` if they are equal.
fn first_difference(a: &[u8], b: &[u8]) -> Option<usize> {
    if a == b {
        return None;
    }
    let same = a.iter().zip(b).take_while(|(x, y)| x == y).count();
    Some(same + 1)
}

/// A [`EvaluateError::Malformed`] for line `line` of `path`.
fn malformed(path: &Path, line: u64, reason: impl Into<String>) -> EvaluateError {
    EvaluateError::Malformed {
        path: path.to_path_buf(),
        line,
        reason: reason.into(),
    }
}

/// A file read one line at a time into one reused buffer (no `String` per line).
struct Lines<'p, R> {
    path: &'p Path,
    reader: R,
    buffer: Vec<u8>,
    number: u64,
}

/// One non-empty line, without its line ending.
struct Line<'a> {
    /// 1-based line number.
    number: u64,
    text: &'a [u8],
}

impl<'p> Lines<'p, BufReader<File>> {
    /// Open `path` for reading.
    fn open(path: &'p Path) -> Result<Self, EvaluateError> {
        let file = File::open(path).map_err(|source| EvaluateError::Unreadable {
            path: path.to_path_buf(),
            source,
        })?;
        Ok(Lines::new(
            path,
            BufReader::with_capacity(READ_BUFFER, file),
        ))
    }
}

impl<'p, R: BufRead> Lines<'p, R> {
    /// Lines of `reader`, named `path` in messages.
    fn new(path: &'p Path, reader: R) -> Self {
        Lines {
            path,
            reader,
            buffer: Vec::with_capacity(256),
            number: 0,
        }
    }

    /// The next line, or `None` at the end of the file. Empty lines may end a file (editors
    /// leave them); an empty line with more lines after it is an error naming it, since it
    /// would shift the pairing by line order.
    fn next_line(&mut self) -> Result<Option<Line<'_>>, EvaluateError> {
        let mut first_empty = None;
        loop {
            self.buffer.clear();
            let read = self
                .reader
                .read_until(b'\n', &mut self.buffer)
                .map_err(|source| EvaluateError::Unreadable {
                    path: self.path.to_path_buf(),
                    source,
                })?;
            if read == 0 {
                return Ok(None);
            }
            self.number += 1;
            let end = self.text_end();
            if end == 0 {
                first_empty.get_or_insert(self.number);
                continue;
            }
            if let Some(empty) = first_empty {
                let reason = "empty line (empty lines may only end the file)";
                return Err(malformed(self.path, empty, reason));
            }
            self.buffer.truncate(end);
            if self.number == 1 && self.buffer.starts_with(UTF8_BOM) {
                self.buffer.drain(..UTF8_BOM.len());
            }
            return Ok(Some(Line {
                number: self.number,
                text: &self.buffer,
            }));
        }
    }

    /// Where the line in the buffer ends, before `\n` or `\r\n`.
    fn text_end(&self) -> usize {
        let text = self.buffer.strip_suffix(b"\n").unwrap_or(&self.buffer);
        text.strip_suffix(b"\r").unwrap_or(text).len()
    }
}

/// One line of the truth file.
#[derive(Debug, PartialEq)]
struct Measurement<'a> {
    sequence: &'a [u8],
    expression: f64,
    /// The third column; `None` when there is none or it is empty.
    subset: Option<&'a str>,
}

/// Parse a line of the predictions file: `SEQUENCE<TAB>PREDICTION`. `Err` is the reason it
/// is malformed.
fn parse_prediction(line: &[u8]) -> Result<(&[u8], f64), String> {
    let ([sequence, value], count) = fields::<2>(line);
    if count != 2 {
        return Err(format!(
            "expected SEQUENCE<TAB>PREDICTION, found {}",
            fields_found(count)
        ));
    }
    Ok((nonempty_sequence(sequence)?, number(value, "prediction")?))
}

/// Parse a line of the truth file: `SEQUENCE<TAB>EXPRESSION[<TAB>SUBSET]`. `Err` is the
/// reason it is malformed.
fn parse_truth(line: &[u8]) -> Result<Measurement<'_>, String> {
    let ([sequence, expression, subset], count) = fields::<3>(line);
    if !(2..=3).contains(&count) {
        return Err(format!(
            "expected SEQUENCE<TAB>EXPRESSION or SEQUENCE<TAB>EXPRESSION<TAB>SUBSET, found {}",
            fields_found(count)
        ));
    }
    let subset = match subset {
        [] => None,
        name => Some(std::str::from_utf8(name).map_err(|_| "the subset name is not UTF-8 text")?),
    };
    Ok(Measurement {
        sequence: nonempty_sequence(sequence)?,
        expression: number(expression, "expression")?,
        subset,
    })
}

/// The first `N` tab-separated fields of `line` (empty where it has fewer), and how many
/// fields it has in all.
fn fields<const N: usize>(line: &[u8]) -> ([&[u8]; N], usize) {
    let mut first: [&[u8]; N] = [&[]; N];
    let mut count = 0;
    for (i, field) in line.split(|&b| b == b'\t').enumerate() {
        if let Some(slot) = first.get_mut(i) {
            *slot = field;
        }
        count = i + 1;
    }
    (first, count)
}

/// "1 field (no tab)" or "4 fields", for messages.
fn fields_found(count: usize) -> String {
    if count == 1 {
        "1 field (no tab)".to_string()
    } else {
        format!("{count} fields")
    }
}

/// A sequence field, which must not be empty (it is what pairs the rows).
fn nonempty_sequence(field: &[u8]) -> Result<&[u8], String> {
    if field.is_empty() {
        Err("the sequence field is empty".to_string())
    } else {
        Ok(field)
    }
}

/// A field that must hold a finite number; `what` names it in the message.
fn number(field: &[u8], what: &str) -> Result<f64, String> {
    if field.is_empty() {
        return Err(format!("the {what} field is empty"));
    }
    let parsed = std::str::from_utf8(field)
        .ok()
        .and_then(|text| text.parse::<f64>().ok());
    match parsed {
        Some(value) if value.is_finite() => Ok(value),
        _ => Err(format!(
            "{what} `{}` is not a finite number",
            String::from_utf8_lossy(field)
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs_of(predictions: &str, truth: &str) -> Result<Pairs, EvaluateError> {
        read_pairs(
            Lines::new(Path::new("p.tsv"), predictions.as_bytes()),
            Lines::new(Path::new("t.tsv"), truth.as_bytes()),
        )
    }

    fn error_of(predictions: &str, truth: &str) -> String {
        match pairs_of(predictions, truth) {
            Ok(pairs) => panic!("expected an error, got {pairs:?}"),
            Err(error) => error.to_string(),
        }
    }

    #[test]
    fn a_prediction_line_is_a_sequence_and_a_number() {
        assert_eq!(parse_prediction(b"ACGT\t1.5"), Ok((&b"ACGT"[..], 1.5)));
        assert_eq!(parse_prediction(b"ACGT\t-2e-3"), Ok((&b"ACGT"[..], -0.002)));
        let no_tab = parse_prediction(b"ACGT 1.5");
        assert_eq!(
            no_tab,
            Err("expected SEQUENCE<TAB>PREDICTION, found 1 field (no tab)".to_string())
        );
        let three = parse_prediction(b"ACGT\t1.5\thigh_exp");
        assert_eq!(
            three,
            Err("expected SEQUENCE<TAB>PREDICTION, found 3 fields".to_string())
        );
    }

    #[test]
    fn numbers_must_be_finite() {
        for bad in [
            "nan",
            "NaN",
            "inf",
            "-infinity",
            "1e400",
            "abc",
            "1,5",
            " 1",
        ] {
            let line = format!("ACGT\t{bad}");
            assert_eq!(
                parse_prediction(line.as_bytes()),
                Err(format!("prediction `{bad}` is not a finite number")),
                "{bad}"
            );
        }
        assert_eq!(
            parse_truth(b"ACGT\t"),
            Err("the expression field is empty".to_string())
        );
        assert_eq!(
            parse_prediction(b"\t1"),
            Err("the sequence field is empty".to_string())
        );
    }

    #[test]
    fn a_truth_line_may_name_a_subset() {
        let plain = parse_truth(b"ACGT\t7").expect("two fields");
        assert_eq!((plain.expression, plain.subset), (7.0, None));
        let named = parse_truth(b"ACGT\t7.25\thigh_exp").expect("three fields");
        assert_eq!((named.expression, named.subset), (7.25, Some("high_exp")));
        // A trailing tab names no subset: the row counts in "all" only.
        assert_eq!(parse_truth(b"ACGT\t7\t").map(|m| m.subset), Ok(None));
        let four = parse_truth(b"ACGT\t7\ta\tb");
        assert_eq!(
            four,
            Err(
                "expected SEQUENCE<TAB>EXPRESSION or SEQUENCE<TAB>EXPRESSION<TAB>SUBSET, \
                 found 4 fields"
                    .to_string()
            )
        );
        assert_eq!(
            parse_truth(b"ACGT\t7\t\xff"),
            Err("the subset name is not UTF-8 text".to_string())
        );
    }

    #[test]
    fn rows_pair_up_by_line_order_with_their_subsets() {
        let pairs = pairs_of(
            "AA\t1\nCC\t2\r\nGG\t3\n",
            "\u{feff}AA\t1.5\tb\nCC\t2.5\nGG\t3.5\ta\n",
        )
        .expect("pairs");
        assert_eq!(pairs.predicted, [1.0, 2.0, 3.0]);
        assert_eq!(pairs.measured, [1.5, 2.5, 3.5]);
        let subsets: Vec<(&str, &[usize])> = pairs
            .subsets
            .iter()
            .map(|(name, rows)| (name.as_str(), rows.as_slice()))
            .collect();
        assert_eq!(subsets, [("a", &[2][..]), ("b", &[0][..])]);
    }

    #[test]
    fn empty_lines_may_end_a_file_only() {
        let pairs = pairs_of("AA\t1\nCC\t2\n\n\n", "AA\t1\nCC\t2").expect("pairs");
        assert_eq!(pairs.len(), 2);
        assert_eq!(
            error_of("AA\t1\n\nCC\t2\n", "AA\t1\nCC\t2\n"),
            "p.tsv: line 2: empty line (empty lines may only end the file)"
        );
        assert_eq!(
            error_of("AA\t1\nCC\t2\n", "AA\t1\n\r\n\nCC\t2\n"),
            "t.tsv: line 2: empty line (empty lines may only end the file)"
        );
    }

    #[test]
    fn bad_lines_name_their_file_and_line() {
        assert_eq!(
            error_of("AA\t1\nCC\tx\n", "AA\t1\nCC\t2\n"),
            "p.tsv: line 2: prediction `x` is not a finite number"
        );
        assert_eq!(
            error_of("AA\t1\nCC\t2\n", "AA\t1\nCC\tnan\n"),
            "t.tsv: line 2: expression `nan` is not a finite number"
        );
    }

    #[test]
    fn sequences_of_a_pair_must_match() {
        assert_eq!(
            error_of("AAAA\t1\nACGT\t2\n", "AAAA\t1\nACCT\t2\n"),
            "p.tsv and t.tsv: line 2: the sequences differ (first at base 3); rows pair up by \
             line order, so both files must list the same sequences in the same order"
        );
        assert_eq!(first_difference(b"ACG", b"ACGT"), Some(4));
        assert_eq!(first_difference(b"ACG", b"ACG"), None);
    }

    #[test]
    fn files_of_different_lengths_are_an_error_giving_both_counts() {
        assert_eq!(
            error_of("AA\t1\nCC\t2\nGG\t3\n\n", "AA\t1\n"),
            "p.tsv has 3 rows but t.tsv has 1: line 2 of p.tsv has no partner \
             (rows pair up by line order)"
        );
        assert_eq!(
            error_of("AA\t1\n", "AA\t1\nCC\t2\n"),
            "t.tsv has 2 rows but p.tsv has 1: line 2 of t.tsv has no partner \
             (rows pair up by line order)"
        );
    }

    #[test]
    fn empty_files_have_nothing_to_evaluate() {
        assert_eq!(
            error_of("", "\n"),
            "nothing to evaluate: p.tsv and t.tsv have no rows"
        );
    }

    #[test]
    fn a_missing_file_is_named() {
        let error = Evaluation::of_files(Path::new("no/such/p.tsv"), Path::new("t.tsv"))
            .expect_err("missing file");
        assert_eq!(error.to_string(), "cannot read no/such/p.tsv");
    }

    #[test]
    fn groups_of_one_row_or_constant_truth_have_no_correlation_but_no_panic() {
        let pairs = pairs_of(
            "AA\t1\nCC\t2\nGG\t3\nTT\t4\n",
            "AA\t1\tone\nCC\t5\tflat\nGG\t5\tflat\nTT\t6\n",
        )
        .expect("pairs");
        let evaluation = pairs.evaluation();
        let one = evaluation.subsets["one"];
        assert_eq!(
            (one.n, one.pearson_r, one.spearman, one.mse),
            (1, 0.0, 0.0, 0.0)
        );
        assert!(one.r2.is_nan());
        let flat = evaluation.subsets["flat"];
        assert_eq!((flat.n, flat.pearson_r, flat.pearson_r2), (2, 0.0, 0.0));
        assert!(flat.r2.is_nan());
        assert_eq!(evaluation.all.n, 4);
    }

    #[test]
    fn json_has_all_and_subsets_with_null_for_nan() {
        let evaluation = pairs_of("AA\t1\nCC\t2\n", "AA\t1\tx\nCC\t3\n")
            .expect("pairs")
            .evaluation();
        let bytes = evaluation.render(Format::Json).expect("JSON");
        let json: serde_json::Value = serde_json::from_slice(&bytes).expect("valid JSON");
        assert_eq!(json["all"]["n"], 2);
        assert_eq!(json["all"]["pearson_r"], 1.0);
        assert_eq!(json["all"]["mse"], 0.5);
        assert_eq!(json["subsets"]["x"]["r2"], serde_json::Value::Null);
        let mut keys: Vec<&str> = json["all"]
            .as_object()
            .expect("an object")
            .keys()
            .map(String::as_str)
            .collect();
        keys.sort_unstable();
        assert_eq!(
            keys,
            ["mse", "n", "pearson_r", "pearson_r2", "r2", "spearman"]
        );
    }

    #[test]
    fn table_has_a_row_per_group_and_says_which_r2_is_which() {
        let evaluation = pairs_of("AA\t1\nCC\t2\nGG\t4\n", "AA\t1\tz\nCC\t3\tz\nGG\t3\ta\n")
            .expect("pairs")
            .evaluation();
        let table =
            String::from_utf8(evaluation.render(Format::Table).expect("table")).expect("UTF-8");
        let lines: Vec<&str> = table.lines().collect();
        assert_eq!(
            lines[..4],
            [
                "subset  n  pearson_r  pearson_r2      r2  spearman     mse",
                "all     3     0.7559      0.5714  0.2500    0.8660  0.6667",
                "a       1     0.0000      0.0000     NaN    0.0000  1.0000",
                "z       2     1.0000      1.0000  0.5000    1.0000  0.5000",
            ]
        );
        assert_eq!(lines[5], R2_NOTE);
    }
}
