//! Predictions of a trained trial: read sequences (DREAM format, the expression column
//! optional), fit them to the model's 110 positions or say which lines do not fit, run the
//! best weights in batches, and return expression units through the sweep's scaler.
//!
//! `--pad` keeps both constant flanks in place: a sequence's last 13 nt (the 3' flank) stay at
//! the end, and the part before them (the 5' flank and the variable region) is cut or filled
//! with all-zero positions at its 3' end to 97 nt. So an indel in the variable region moves
//! neither flank, which is where the model learned them. Other bases than A/C/G/T are encoded
//! as all-zero positions.

use std::io::{BufRead, BufReader, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::Context;
use burn::module::Module;
use burn::tensor::Device;
use rayon::prelude::*;

use crate::atomic_file::TempFile;
use crate::data::encode::INVALID;
use crate::data::{self, CacheHeader, FLANK_3, PreparedData, SEQ_LEN, Scaler};
use crate::metric::Evaluation;
use crate::model::CnnBiLstm;
use crate::runs::Runs;
use crate::spec::ParamSet;
use crate::store::{Store, SweepRecord, TestEvaluation, TrialRecord, TrialState};
use crate::train::TrialParams;

/// Sequences per forward pass.
pub const PREDICT_BATCH: usize = 256;
/// How many offending line numbers an error lists.
const LINES_SHOWN: usize = 10;

/// Input the model cannot take. Bad user input: exit code 2.
#[derive(Debug, thiserror::Error)]
pub enum PredictError {
    /// The input file could not be read.
    #[error("cannot read {}", path.display())]
    Unreadable {
        /// The file.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// Sequences that are not 110 nt of A/C/G/T, without `--pad`.
    #[error(
        "{}: {count} sequence(s) the model cannot take (not {SEQ_LEN} nt, or a base other than \
         A/C/G/T), at line(s) {lines}; pass --pad to pad or trim them and encode other bases as zeros",
        path.display()
    )]
    Unfit {
        /// The file.
        path: PathBuf,
        /// How many.
        count: usize,
        /// The first line numbers.
        lines: String,
    },
    /// A line without a sequence.
    #[error("{}:{line}: an empty line where a sequence was expected", path.display())]
    EmptyLine {
        /// The file.
        path: PathBuf,
        /// 1-based line number.
        line: usize,
    },
    /// No sequences at all.
    #[error("{}: no sequences", path.display())]
    Empty {
        /// The file.
        path: PathBuf,
    },
}

/// A trial that cannot predict. Bad user input: exit code 2.
#[derive(Debug, thiserror::Error)]
pub enum TrialChoiceError {
    /// No trial of that number.
    #[error("sweep `{sweep}` has no trial {number}")]
    UnknownTrial {
        /// The sweep.
        sweep: String,
        /// The number asked for.
        number: usize,
    },
    /// Nothing completed yet.
    #[error("sweep `{0}` has no completed trial with a metric yet; pass --trial to use another")]
    NothingCompleted(String),
    /// No weights saved for the trial.
    #[error(
        "trial {number} of sweep `{sweep}` has no saved weights ({path}); it has not finished an epoch"
    )]
    WeightsMissing {
        /// The sweep.
        sweep: String,
        /// The trial.
        number: usize,
        /// Where they would be.
        path: String,
    },
    /// The sweep's data set is unknown (fake training) or gone, so there is no scaler.
    #[error(
        "sweep `{0}` has no recorded data set (run with the fake trainer, or its data file is gone), so its predictions cannot be put in expression units"
    )]
    ScalerMissing(String),
}

/// What to predict and how.
pub struct Request<'a> {
    /// Sequences, one per line.
    pub input: &'a Path,
    /// Where the predictions go.
    pub output: &'a Path,
    /// Pad, trim and zero instead of refusing unfit sequences.
    pub pad: bool,
    /// Average with the reverse complements' predictions (always done for a trial trained
    /// with `rc_average`).
    pub rc_average: bool,
}

/// What a prediction run did.
#[derive(Clone, Copy, Debug)]
pub struct Predicted {
    /// Predictions written.
    pub sequences: usize,
    /// Sequences `--pad` changed, padded or trimmed, with other bases.
    pub changed: usize,
    /// Of those, padded or trimmed.
    pub resized: usize,
    /// Of those, with bases other than A/C/G/T.
    pub other_bases: usize,
    /// Whether predictions were averaged with the reverse complements' (asked for, or the
    /// trial trained with `rc_average`).
    pub rc_averaged: bool,
    /// Wall time from reading to the written file.
    pub seconds: f64,
}

impl Predicted {
    /// A line on what padding changed, if it changed anything.
    pub fn padding_note(&self) -> Option<String> {
        (self.changed > 0).then(|| {
            format!(
                "--pad changed {} sequence(s): {} padded or trimmed to 110 nt, {} with bases \
                 other than A/C/G/T encoded as zeros",
                self.changed, self.resized, self.other_bases
            )
        })
    }
}

/// Predict `request.input` with `trial`'s best weights into `request.output`, in expression
/// units (the sweep's scaler).
pub fn predict_file(
    runs: &Runs,
    sweep: &SweepRecord,
    trial: &TrialRecord,
    request: &Request,
) -> anyhow::Result<Predicted> {
    let dir = runs.trial_dir(&sweep.name, trial.number);
    if !dir.join(crate::train::checkpoint::BEST_MODEL_FILE).exists() {
        return Err(TrialChoiceError::WeightsMissing {
            sweep: sweep.name.clone(),
            number: trial.number,
            path: dir.display().to_string(),
        }
        .into());
    }
    let scaler = scaler_of(sweep, runs)?;
    let set = ParamSet::from_json(&trial.params_json)
        .with_context(|| format!("the stored parameters of trial {}", trial.number))?;
    let params = TrialParams::from_set(&set)?;
    let started = Instant::now();
    let sequences = read_sequences(request.input, request.pad)?;
    let device = crate::backend::training_device().inner();
    let model = load_model(&dir, &params.model, &device)?;
    // A trial validated on averaged predictions is scored the same way here.
    let rc_averaged = request.rc_average || params.rc_average;
    let standardized = predict(&model, &sequences.codes, rc_averaged, &device);
    write_predictions(request.output, &sequences, &standardized, &scaler)?;
    Ok(Predicted {
        sequences: sequences.codes.len(),
        changed: sequences.changed,
        resized: sequences.resized,
        other_bases: sequences.other_bases,
        rc_averaged,
        seconds: started.elapsed().as_secs_f64(),
    })
}

/// The scaler every trial of the sweep trained with: recorded with the sweep, or (for a sweep
/// recorded before that) read from its data set's cache.
pub fn scaler_of(sweep: &SweepRecord, runs: &Runs) -> anyhow::Result<Scaler> {
    if let Some(json) = &sweep.data_header {
        let header = CacheHeader::from_json(json)
            .with_context(|| format!("reading the data header of sweep `{}`", sweep.name))?;
        return Ok(header.scaler);
    }
    if !sweep.data_path.exists() {
        return Err(TrialChoiceError::ScalerMissing(sweep.name.clone()).into());
    }
    let (data, _) = PreparedData::open_or_prepare(&sweep.data_path, &runs.cache_dir())?;
    Ok(data.header().scaler)
}

/// The given trial, or the best completed one by the sweep's metric.
pub fn choose_trial(
    store: &Store,
    sweep: &SweepRecord,
    number: Option<usize>,
) -> anyhow::Result<TrialRecord> {
    if let Some(number) = number {
        return store.trial(sweep.id, number)?.ok_or_else(|| {
            TrialChoiceError::UnknownTrial {
                sweep: sweep.name.clone(),
                number,
            }
            .into()
        });
    }
    store
        .trials(sweep.id)?
        .into_iter()
        .filter(|t| t.state == TrialState::Completed)
        .filter_map(|t| t.best_metric.filter(|m| m.is_finite()).map(|m| (m, t)))
        .reduce(|best, next| {
            if sweep.goal.better(next.0, best.0) {
                next
            } else {
                best
            }
        })
        .map(|(_, t)| t)
        .ok_or_else(|| TrialChoiceError::NothingCompleted(sweep.name.clone()).into())
}

/// Score the sweep's best completed trial on a held-out test file (DREAM format with measured
/// expression, optionally a subset column): predict it (`--pad` rules, so no line is refused),
/// write the predictions beside the sweep's trials, score them and record the scores in the
/// store. Done once per trial and file; `None` when no trial has completed.
pub fn score_best_on_test(
    runs: &Runs,
    sweep: &SweepRecord,
    test: &Path,
) -> anyhow::Result<Option<TestEvaluation>> {
    let mut store = runs.open()?;
    let trial = match choose_trial(&store, sweep, None) {
        Ok(trial) => trial,
        Err(e) if e.is::<TrialChoiceError>() => return Ok(None),
        Err(e) => return Err(e),
    };
    let done = store
        .evaluations(sweep.id)?
        .into_iter()
        .find(|e| e.trial == trial.number && e.test_path == test);
    if done.is_some() {
        return Ok(done);
    }
    let output = runs
        .sweep_dir(&sweep.name)
        .join(format!("test-predictions-trial-{:04}.txt", trial.number));
    let request = Request {
        input: test,
        output: &output,
        pad: true,
        rc_average: false,
    };
    predict_file(runs, sweep, &trial, &request)?;
    let evaluation = Evaluation::of_files(&output, test)?;
    store.record_evaluation(trial.id, test, &evaluation)?;
    Ok(store
        .evaluations(sweep.id)?
        .into_iter()
        .find(|e| e.trial == trial.number && e.test_path == test))
}

/// Whether an error is one of this module's bad-input errors (exit code 2).
pub fn is_bad_input(cause: &(dyn std::error::Error + 'static)) -> bool {
    cause.is::<PredictError>() || cause.is::<TrialChoiceError>()
}

/// Sequences read for prediction, in input order.
#[derive(Debug, Default)]
pub struct Sequences {
    /// Each sequence as written in the input.
    pub text: Vec<String>,
    /// Each sequence fitted to the model: base codes, [`INVALID`] for an all-zero position.
    pub codes: Vec<[u8; SEQ_LEN]>,
    /// Sequences `--pad` changed (padded, trimmed or with other bases zeroed).
    pub changed: usize,
    /// Sequences `--pad` padded or trimmed.
    pub resized: usize,
    /// Sequences with a base other than A/C/G/T (encoded as all-zero positions).
    pub other_bases: usize,
}

/// Read `path`: one sequence per line, first tab-separated field; anything after it (an
/// expression, a placeholder) is ignored. Without `pad`, a sequence the model cannot take is
/// an error that lists the lines.
pub fn read_sequences(path: &Path, pad: bool) -> Result<Sequences, PredictError> {
    let unreadable = |source| PredictError::Unreadable {
        path: path.to_path_buf(),
        source,
    };
    let file = std::fs::File::open(path).map_err(unreadable)?;
    let mut sequences = Sequences::default();
    let mut unfit = Vec::new();
    let mut pending_empty = None;
    for (index, line) in BufReader::new(file).lines().enumerate() {
        let line = line.map_err(unreadable)?;
        let sequence = line.split('\t').next().unwrap_or("").trim();
        if sequence.is_empty() {
            pending_empty.get_or_insert(index + 1);
            continue;
        }
        // An empty line is fine at the end of a file, not before a sequence.
        if let Some(line) = pending_empty.take() {
            return Err(PredictError::EmptyLine {
                path: path.to_path_buf(),
                line,
            });
        }
        let fitted = fit(sequence.as_bytes());
        if fitted.resized || fitted.other_bases {
            if !pad {
                unfit.push(index + 1);
                continue;
            }
            sequences.changed += 1;
            sequences.resized += usize::from(fitted.resized);
            sequences.other_bases += usize::from(fitted.other_bases);
        }
        sequences.text.push(sequence.to_string());
        sequences.codes.push(fitted.codes);
    }
    if !unfit.is_empty() {
        return Err(unfit_error(path, &unfit));
    }
    if sequences.codes.is_empty() {
        return Err(PredictError::Empty {
            path: path.to_path_buf(),
        });
    }
    Ok(sequences)
}

fn unfit_error(path: &Path, lines: &[usize]) -> PredictError {
    let mut shown: Vec<String> = lines
        .iter()
        .take(LINES_SHOWN)
        .map(usize::to_string)
        .collect();
    if lines.len() > LINES_SHOWN {
        shown.push("...".to_string());
    }
    PredictError::Unfit {
        path: path.to_path_buf(),
        count: lines.len(),
        lines: shown.join(", "),
    }
}

/// A sequence fitted to [`SEQ_LEN`] positions.
struct Fitted {
    codes: [u8; SEQ_LEN],
    resized: bool,
    other_bases: bool,
}

/// Fit a sequence to the model (see the module docs for the padding rule).
fn fit(sequence: &[u8]) -> Fitted {
    let codes_of = |bases: &[u8]| {
        bases
            .iter()
            .map(|&b| data::encode_base(b))
            .collect::<Vec<_>>()
    };
    let all = codes_of(sequence);
    let other_bases = all.contains(&INVALID);
    let mut codes = [INVALID; SEQ_LEN];
    if all.len() == SEQ_LEN {
        codes.copy_from_slice(&all);
        return Fitted {
            codes,
            resized: false,
            other_bases,
        };
    }
    let tail_len = FLANK_3.len().min(all.len());
    let (head, tail) = all.split_at(all.len() - tail_len);
    let head_room = SEQ_LEN - tail_len;
    let kept = head.len().min(head_room);
    codes[..kept].copy_from_slice(&head[..kept]);
    codes[SEQ_LEN - tail_len..].copy_from_slice(tail);
    Fitted {
        codes,
        resized: true,
        other_bases,
    }
}

/// Standardized predictions of `codes`, in order; with `rc_average`, each the mean of the
/// prediction for the sequence and for its reverse complement. `model` must be in validation
/// mode on a device without autodiff.
pub fn predict(
    model: &CnnBiLstm,
    codes: &[[u8; SEQ_LEN]],
    rc_average: bool,
    device: &Device,
) -> Vec<f32> {
    // Batches are independent: running several at once keeps every core busy through the
    // LSTM's step-by-step loop, which alone leaves cores idle.
    let batches: Vec<Vec<f32>> = codes
        .par_chunks(PREDICT_BATCH)
        .map(|batch| predict_batch(model, batch, rc_average, device))
        .collect();
    batches.concat()
}

fn predict_batch(
    model: &CnnBiLstm,
    batch: &[[u8; SEQ_LEN]],
    rc_average: bool,
    device: &Device,
) -> Vec<f32> {
    let forward = |rows: &[[u8; SEQ_LEN]]| {
        let mut one_hot = Vec::new();
        data::one_hot_codes(rows.iter().map(|c| c.as_slice()), &mut one_hot);
        model.predict_one_hot(one_hot, rows.len(), SEQ_LEN, device)
    };
    let plain = forward(batch);
    if !rc_average {
        return plain;
    }
    let reversed: Vec<[u8; SEQ_LEN]> = batch.iter().map(data::reverse_complement).collect();
    let rc = forward(&reversed);
    plain.iter().zip(&rc).map(|(a, b)| (a + b) / 2.0).collect()
}

/// A trial's best weights, ready for inference on `device` (no autodiff).
pub fn load_model(
    trial_dir: &Path,
    config: &crate::model::ModelConfig,
    device: &Device,
) -> anyhow::Result<CnnBiLstm> {
    let model = config.init(device);
    Ok(crate::train::checkpoint::load_best_model(trial_dir, model)?.valid())
}

/// Write `SEQUENCE<TAB>PREDICTION` lines, predictions in expression units, to `path`
/// (through a temporary file renamed into place: a reader never sees half a file).
pub fn write_predictions(
    path: &Path,
    sequences: &Sequences,
    standardized: &[f32],
    scaler: &Scaler,
) -> anyhow::Result<()> {
    let (temp, file) = TempFile::create(path)?;
    let mut out = BufWriter::new(file);
    for (sequence, &z) in sequences.text.iter().zip(standardized) {
        writeln!(out, "{sequence}\t{}", scaler.unscale(z))
            .with_context(|| format!("writing {}", path.display()))?;
    }
    out.into_inner()
        .map_err(|e| e.into_error())
        .and_then(|f| f.sync_all())
        .with_context(|| format!("writing {}", path.display()))?;
    temp.commit(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(codes: &[u8]) -> String {
        codes
            .iter()
            .map(|&c| {
                if c < 4 {
                    data::BASES[c as usize] as char
                } else {
                    'N'
                }
            })
            .collect()
    }

    fn sequence(random: &str) -> String {
        format!("{}{random}{FLANK_3}", data::FLANK_5)
    }

    #[test]
    fn a_fitting_sequence_is_kept_as_it_is() {
        let seq = sequence(&"ACGT".repeat(20));
        let fitted = fit(seq.as_bytes());
        assert!(!fitted.resized && !fitted.other_bases);
        assert_eq!(text(&fitted.codes), seq);
    }

    #[test]
    fn padding_and_trimming_keep_both_flanks_in_place() {
        let short = sequence(&"A".repeat(78));
        let fitted = fit(short.as_bytes());
        assert!(fitted.resized);
        let padded = text(&fitted.codes);
        assert!(padded.starts_with(data::FLANK_5) && padded.ends_with(FLANK_3));
        assert_eq!(
            &padded[95..97],
            "NN",
            "the missing positions sit before the 3' flank"
        );

        let long = sequence(&"C".repeat(83));
        let trimmed = text(&fit(long.as_bytes()).codes);
        assert!(trimmed.starts_with(data::FLANK_5) && trimmed.ends_with(FLANK_3));
        assert_eq!(&trimmed[17..97], "C".repeat(80));
    }

    #[test]
    fn other_bases_are_all_zero_positions() {
        let seq = sequence(&format!("N{}", "A".repeat(79)));
        let fitted = fit(seq.as_bytes());
        assert!(fitted.other_bases && !fitted.resized);
        assert_eq!(fitted.codes[17], INVALID);
    }

    #[test]
    fn unfit_lines_are_listed_unless_padding() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("in.txt");
        let good = sequence(&"G".repeat(80));
        let text = format!("{good}\t1.0\n{}\t0\n{good}\nACGN\n\n", &good[..100]);
        std::fs::write(&path, text).expect("write");
        let error = read_sequences(&path, false).err().map(|e| e.to_string());
        assert!(
            error
                .as_deref()
                .is_some_and(|e| e.contains("2 sequence(s)") && e.contains("line(s) 2, 4")),
            "{error:?}"
        );
        let read = read_sequences(&path, true).expect("padded");
        assert_eq!(
            (read.codes.len(), read.resized, read.other_bases),
            (4, 2, 1)
        );
        assert_eq!(read.text[1], &good[..100]);
    }

    #[test]
    fn an_empty_line_before_a_sequence_is_an_error() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("in.txt");
        std::fs::write(
            &path,
            format!(
                "{}\n\n{}\n",
                sequence(&"A".repeat(80)),
                sequence(&"A".repeat(80))
            ),
        )
        .expect("write");
        let error = read_sequences(&path, false).err().map(|e| e.to_string());
        assert!(error.is_some_and(|e| e.contains(":2: an empty line")));
    }
}
