//! Synthetic DREAM-format data with a known noise ceiling.
//!
//! Each line is the 17 nt 5' flank, 80 uniformly random nt, the 13 nt 3' flank, a tab
//! and an expression. The expression is a noise-free *signal* computed from the random
//! region plus Gaussian noise, clipped to [0, 17] like the real sorting bins. The signal
//! comes from four planted motifs, kept simple enough that a small CNN learns a good
//! part of it within a few epochs on 10-20 k rows:
//!
//! * an activator (`TGACTC`, a GCN4-like site): each copy adds 0.8 at the 5' end of the
//!   region rising linearly to 2.0 at the 3' end, so its effect grows with copies and
//!   with closeness to the 3' end (nearer the transcription start, as in real promoters);
//! * a repressor (`CACGTG`, an E-box): each copy subtracts 1.5;
//! * a pair (`CCAAT`, `TATAA`): each present alone adds 0.3; both present add 1.5 more
//!   (the interaction);
//! * a mild GC term: -2 x (GC fraction - 0.5).
//!
//! Six-mers occur by chance in only ~2 % of 80 nt regions, so motifs are *planted*
//! (copied over random positions with the probabilities in [`MOTIFS`]); the signal is then
//! computed by scanning the final sequence, so chance copies count too. The raw score is
//! mapped linearly to a mean near 10.5 and an sd near 2.2; noise of sd [`NOISE_SD`] brings
//! the total sd to ~2.5 (the real data: mean 11.1, sd 2.35) and the noise ceiling (r^2
//! between signal and final values) to ~0.78.

use std::fs;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use anyhow::Context;
use rand::rngs::StdRng;
use rand::{Rng, RngExt, SeedableRng};
use rand_distr::{Distribution, Normal};
use serde::Serialize;

use super::encode::BASES;
use super::error::DataError;
use super::{FLANK_3, FLANK_5, RANDOM_LEN, SEQ_LEN};
use crate::atomic_file::TempFile;

/// Standard deviation of the Gaussian noise added to the signal (expression units).
pub const NOISE_SD: f64 = 1.15;

/// Expressions are clipped to this range, like the real sorting bins.
pub const EXPRESSION_RANGE: (f64, f64) = (0.0, 17.0);

/// Fraction of lines corrupted (indel or N) with `messy: true`, as real data has some.
pub const MESSY_FRACTION: f64 = 0.01;

/// Raw score -> expression: `OFFSET + GAIN * score`. Calibrated once on 10^6 rows so that
/// the signal has mean ~10.5 and sd ~2.2 (see the module docs).
const OFFSET: f64 = 9.5;
const GAIN: f64 = 1.2;

/// Activator effect per copy: `ACT_BASE` at region position 0 rising to
/// `ACT_BASE + ACT_SLOPE` at the last possible start.
const ACT_BASE: f64 = 0.8;
const ACT_SLOPE: f64 = 1.2;
const REPRESSOR_EFFECT: f64 = -1.5;
const PAIR_SINGLE_EFFECT: f64 = 0.3;
const PAIR_JOINT_EFFECT: f64 = 1.5;
const GC_EFFECT: f64 = -2.0;

/// One planted motif.
#[derive(Clone, Copy, Debug, Serialize)]
pub struct Motif {
    /// Short name.
    pub name: &'static str,
    /// The motif (forward strand only).
    pub sequence: &'static str,
    /// `copies[k]` = probability of planting exactly `k` copies in a row.
    pub copies: &'static [f64],
    /// What it does to the signal, in words (for the `.meta.json`).
    pub effect: &'static str,
}

/// The planted motifs, in planting order (a later motif may overwrite an earlier one;
/// the signal reads the final sequence, so that is fine).
pub const MOTIFS: [Motif; 4] = [
    Motif {
        name: "activator",
        sequence: "TGACTC",
        copies: &[0.4, 0.3, 0.2, 0.1],
        effect: "+0.8 per copy at region position 0 rising linearly to +2.0 at the 3' end \
                 (score units; expression = 9.5 + 1.2 * score)",
    },
    Motif {
        name: "repressor",
        sequence: "CACGTG",
        copies: &[0.6, 0.3, 0.1],
        effect: "-1.5 per copy",
    },
    Motif {
        name: "pair_a",
        sequence: "CCAAT",
        copies: &[0.7, 0.3],
        effect: "+0.3 if present; +1.5 more if pair_b is present too",
    },
    Motif {
        name: "pair_b",
        sequence: "TATAA",
        copies: &[0.7, 0.3],
        effect: "+0.3 if present; +1.5 more if pair_a is present too",
    },
];

/// What to generate.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SynthOptions {
    /// Number of lines.
    pub rows: u64,
    /// Seed of every random choice: the same seed gives a byte-identical file.
    pub seed: u64,
    /// Corrupt about 1 % of lines the way real data is (indels of 1-20 nt, an `N`) so
    /// that the filter has something to remove. Never a line the parser rejects.
    pub messy: bool,
}

/// What was generated.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct SynthSummary {
    /// Lines written.
    pub rows: u64,
    /// Squared Pearson r between the noise-free signal and the written (noisy, clipped,
    /// rounded) expressions, over all rows: what a perfect model could reach.
    pub noise_ceiling_r2: f64,
    /// Lines corrupted so that the filter removes them (0 unless `messy`).
    pub messy_rows: u64,
    /// Standard deviation of the added noise.
    pub noise_sd: f64,
    /// Mean of the written expressions.
    pub expression_mean: f64,
    /// Population sd of the written expressions.
    pub expression_sd: f64,
    /// Where the `.meta.json` went.
    pub meta_path: PathBuf,
}

/// Everything about a synthetic file, written beside it as `FILE.meta.json`.
#[derive(Serialize)]
struct SynthMeta<'a> {
    path: &'a Path,
    rows: u64,
    seed: u64,
    messy: bool,
    messy_rows: u64,
    noise_ceiling_r2: f64,
    noise_sd: f64,
    expression_mean: f64,
    expression_sd: f64,
    expression_range: (f64, f64),
    flank_5: &'static str,
    flank_3: &'static str,
    random_region_len: usize,
    signal: &'static str,
    gc_term: &'static str,
    motifs: &'static [Motif],
}

/// The synthetic data file of (rows, seed) in `cache_dir`, written on first use. Returns the
/// path and, when it was written now, its summary.
pub fn cached_synthetic_file(
    cache_dir: &Path,
    rows: u64,
    seed: u64,
) -> anyhow::Result<(PathBuf, Option<SynthSummary>)> {
    let path = cache_dir.join(format!("synthetic-{rows}-seed{seed}.txt"));
    // write_synthetic writes to a temporary file and renames: a file that exists is whole.
    if path.exists() {
        return Ok((path, None));
    }
    let options = SynthOptions {
        rows,
        seed,
        messy: false,
    };
    let summary = write_synthetic(&path, &options)?;
    Ok((path, Some(summary)))
}

/// Write `opts.rows` synthetic DREAM lines to `path` (atomically: a temp file renamed
/// into place; missing parent folders are created) and `path.meta.json` beside it.
pub fn write_synthetic(path: &Path, opts: &SynthOptions) -> anyhow::Result<SynthSummary> {
    if opts.rows == 0 {
        return Err(DataError::BadOption("synthetic data needs at least 1 row".into()).into());
    }
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    }
    let mut rng = StdRng::seed_from_u64(opts.seed);
    let noise = Normal::new(0.0, NOISE_SD).context("noise distribution")?;
    let (tmp, file) = TempFile::create(path)?;
    let write_err = || format!("writing {}", tmp.path.display());
    let mut out = BufWriter::with_capacity(1 << 20, file);
    let mut line: Vec<u8> = Vec::with_capacity(SEQ_LEN + 40);
    let mut ceiling = Correlation::default();
    let mut messy_rows = 0u64;

    for _ in 0..opts.rows {
        let region = random_region(&mut rng);
        let signal = signal_of_region(&region);
        let noisy = (signal + noise.sample(&mut rng)).clamp(EXPRESSION_RANGE.0, EXPRESSION_RANGE.1);
        // Round to 4 decimals as printed, so the ceiling describes the file's values.
        let ticks = (noisy * 1e4).round() as u32;
        ceiling.add(signal, f64::from(ticks) / 1e4);

        line.clear();
        line.extend_from_slice(FLANK_5.as_bytes());
        line.extend(region.iter().map(|&c| BASES[usize::from(c)]));
        line.extend_from_slice(FLANK_3.as_bytes());
        if opts.messy && rng.random_bool(MESSY_FRACTION) {
            corrupt(&mut line, &mut rng);
            messy_rows += 1;
        }
        line.push(b'\t');
        push_fixed4(&mut line, ticks);
        line.push(b'\n');
        out.write_all(&line).with_context(write_err)?;
    }
    let file = out
        .into_inner()
        .map_err(|e| e.into_error())
        .with_context(write_err)?;
    drop(file);
    tmp.commit(path)?;

    let mut meta_path = path.as_os_str().to_owned();
    meta_path.push(".meta.json");
    let meta_path = PathBuf::from(meta_path);
    let summary = SynthSummary {
        rows: opts.rows,
        noise_ceiling_r2: ceiling.r2(),
        messy_rows,
        noise_sd: NOISE_SD,
        expression_mean: ceiling.mean_y,
        expression_sd: ceiling.sd_y(),
        meta_path: meta_path.clone(),
    };
    let meta = SynthMeta {
        path,
        rows: opts.rows,
        seed: opts.seed,
        messy: opts.messy,
        messy_rows,
        noise_ceiling_r2: summary.noise_ceiling_r2,
        noise_sd: NOISE_SD,
        expression_mean: summary.expression_mean,
        expression_sd: summary.expression_sd,
        expression_range: EXPRESSION_RANGE,
        flank_5: FLANK_5,
        flank_3: FLANK_3,
        random_region_len: RANDOM_LEN,
        signal: "expression = clip(9.5 + 1.2 * score + N(0, noise_sd), 0, 17), \
                 score = activator + repressor + pair + gc terms over the 80 nt random region",
        gc_term: "-2.0 * (GC fraction of the random region - 0.5)",
        motifs: &MOTIFS,
    };
    let (tmp, mut file) = TempFile::create(&meta_path)?;
    let mut text = serde_json::to_vec_pretty(&meta).context("serializing synthetic metadata")?;
    text.push(b'\n');
    file.write_all(&text)
        .with_context(|| format!("writing {}", tmp.path.display()))?;
    drop(file);
    tmp.commit(&meta_path)?;
    Ok(summary)
}

/// Base codes (0..=3) of a random region with planted motifs.
fn random_region(rng: &mut StdRng) -> [u8; RANDOM_LEN] {
    let mut region = [0u8; RANDOM_LEN];
    // 32 bases from each 64-bit draw.
    for chunk in region.chunks_mut(32) {
        let mut bits = rng.next_u64();
        for c in chunk {
            *c = (bits & 3) as u8;
            bits >>= 2;
        }
    }
    for motif in &MOTIFS {
        let copies = pick(motif.copies, rng.random::<f64>());
        let codes = motif.sequence.as_bytes();
        for _ in 0..copies {
            let at = rng.random_range(0..=RANDOM_LEN - codes.len());
            for (dst, &b) in region[at..].iter_mut().zip(codes) {
                *dst = super::encode::encode_base(b);
            }
        }
    }
    region
}

/// Index `k` such that the cumulative probability of `probs[..=k]` exceeds `u`.
fn pick(probs: &[f64], u: f64) -> usize {
    let mut acc = 0.0;
    for (k, p) in probs.iter().enumerate() {
        acc += p;
        if u < acc {
            return k;
        }
    }
    probs.len().saturating_sub(1)
}

/// 2-bit packed k-mer of a motif, for the rolling scan.
const fn packed(motif: &str) -> u32 {
    let b = motif.as_bytes();
    let mut v = 0u32;
    let mut i = 0;
    while i < b.len() {
        let c = match b[i] {
            b'A' => 0,
            b'C' => 1,
            b'G' => 2,
            _ => 3,
        };
        v = (v << 2) | c;
        i += 1;
    }
    v
}

const ACTIVATOR: u32 = packed(MOTIFS[0].sequence);
const REPRESSOR: u32 = packed(MOTIFS[1].sequence);
const PAIR_A: u32 = packed(MOTIFS[2].sequence);
const PAIR_B: u32 = packed(MOTIFS[3].sequence);

/// The noise-free signal (expression units, before noise and clipping) of a random
/// region given as base codes (0=A, 1=C, 2=G, 3=T).
pub fn signal_of_region(region: &[u8; RANDOM_LEN]) -> f64 {
    // One pass with rolling 2-bit 5-mer and 6-mer codes instead of comparing slices
    // at every position: this runs for every one of millions of rows.
    const LAST_START_6: f64 = (RANDOM_LEN - 6) as f64;
    let (mut k5, mut k6) = (0u32, 0u32);
    let (mut score, mut gc) = (0.0f64, 0u32);
    let (mut has_a, mut has_b) = (false, false);
    for (i, &c) in region.iter().enumerate() {
        let c = u32::from(c & 3);
        gc += u32::from(c == 1 || c == 2);
        k5 = ((k5 << 2) | c) & 0x3FF;
        k6 = ((k6 << 2) | c) & 0xFFF;
        if i >= 5 {
            let start = (i - 5) as f64;
            if k6 == ACTIVATOR {
                score += ACT_BASE + ACT_SLOPE * start / LAST_START_6;
            } else if k6 == REPRESSOR {
                score += REPRESSOR_EFFECT;
            }
        }
        if i >= 4 {
            has_a |= k5 == PAIR_A;
            has_b |= k5 == PAIR_B;
        }
    }
    score += PAIR_SINGLE_EFFECT * (f64::from(u8::from(has_a)) + f64::from(u8::from(has_b)));
    if has_a && has_b {
        score += PAIR_JOINT_EFFECT;
    }
    score += GC_EFFECT * (f64::from(gc) / RANDOM_LEN as f64 - 0.5);
    OFFSET + GAIN * score
}

/// The signal of a full 110 nt ASCII sequence with the DREAM flanks; `None` if it is not
/// 110 nt of A/C/G/T.
pub fn signal_of_sequence(seq: &[u8]) -> Option<f64> {
    if seq.len() != SEQ_LEN {
        return None;
    }
    let mut region = [0u8; RANDOM_LEN];
    for (dst, &b) in region.iter_mut().zip(&seq[FLANK_5.len()..]) {
        let c = super::encode::encode_base(b);
        if c > 3 {
            return None;
        }
        *dst = c;
    }
    Some(signal_of_region(&region))
}

/// Make the sequence in `line` (ASCII, no tab yet) one the filter removes: 3 times in 4
/// an indel of 1-20 nt in the random region (in real data most removed lines are indels),
/// otherwise an `N` somewhere.
fn corrupt(line: &mut Vec<u8>, rng: &mut StdRng) {
    let region = FLANK_5.len()..FLANK_5.len() + RANDOM_LEN;
    if rng.random_bool(0.75) {
        let len = rng.random_range(1..=20usize);
        if rng.random_bool(0.5) {
            let at = rng.random_range(region.start..=region.end);
            let inserted: Vec<u8> = (0..len)
                .map(|_| BASES[rng.random_range(0..4usize)])
                .collect();
            line.splice(at..at, inserted);
        } else {
            let at = rng.random_range(region.start..=region.end - len);
            line.drain(at..at + len);
        }
    } else {
        let at = rng.random_range(0..line.len());
        line[at] = b'N';
    }
}

/// Append `ticks / 10^4` with exactly four decimals ("12.0500"); hand-rolled because
/// float formatting is a visible share of writing 6.7 M lines.
fn push_fixed4(out: &mut Vec<u8>, ticks: u32) {
    let (int, frac) = (ticks / 10_000, ticks % 10_000);
    let mut digits = [0u8; 10];
    let mut n = int;
    let mut i = digits.len();
    loop {
        i -= 1;
        digits[i] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    out.extend_from_slice(&digits[i..]);
    out.push(b'.');
    out.extend_from_slice(&[
        b'0' + (frac / 1000) as u8,
        b'0' + (frac / 100 % 10) as u8,
        b'0' + (frac / 10 % 10) as u8,
        b'0' + (frac % 10) as u8,
    ]);
}

/// Streaming Pearson correlation (Welford-style co-moments: stable over millions of
/// rows, unlike raw sums of squares).
#[derive(Default)]
struct Correlation {
    n: f64,
    mean_x: f64,
    mean_y: f64,
    m2_x: f64,
    m2_y: f64,
    c_xy: f64,
}

impl Correlation {
    fn add(&mut self, x: f64, y: f64) {
        self.n += 1.0;
        let dx = x - self.mean_x;
        self.mean_x += dx / self.n;
        let dy = y - self.mean_y;
        self.mean_y += dy / self.n;
        self.m2_x += dx * (x - self.mean_x);
        self.m2_y += dy * (y - self.mean_y);
        self.c_xy += dx * (y - self.mean_y);
    }

    fn r2(&self) -> f64 {
        let denom = self.m2_x * self.m2_y;
        if denom > 0.0 {
            self.c_xy * self.c_xy / denom
        } else {
            0.0
        }
    }

    fn sd_y(&self) -> f64 {
        if self.n > 0.0 {
            (self.m2_y / self.n).sqrt()
        } else {
            0.0
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::PreparedData;
    use crate::data::read::{Line, parse_line};

    fn synth(dir: &Path, name: &str, rows: u64, seed: u64, messy: bool) -> (PathBuf, SynthSummary) {
        let path = dir.join(name);
        let s = write_synthetic(&path, &SynthOptions { rows, seed, messy }).unwrap();
        (path, s)
    }

    #[test]
    fn same_seed_same_bytes_other_seed_other_bytes() {
        let dir = tempfile::tempdir().unwrap();
        let (a, _) = synth(dir.path(), "a.txt", 2000, 5, true);
        let (b, _) = synth(dir.path(), "b.txt", 2000, 5, true);
        let (c, _) = synth(dir.path(), "c.txt", 2000, 6, true);
        let a = std::fs::read(a).unwrap();
        assert_eq!(a, std::fs::read(b).unwrap());
        assert_ne!(a, std::fs::read(c).unwrap());
    }

    #[test]
    fn clean_lines_have_flanks_and_parse_back_to_their_signal() {
        let dir = tempfile::tempdir().unwrap();
        let (path, s) = synth(dir.path(), "clean.txt", 3000, 1, false);
        assert_eq!(s.messy_rows, 0);
        let text = std::fs::read(&path).unwrap();
        let mut n = 0;
        for line in text.split(|&b| b == b'\n').filter(|l| !l.is_empty()) {
            n += 1;
            assert!(line.starts_with(FLANK_5.as_bytes()));
            let tab = line.iter().position(|&b| b == b'\t').unwrap();
            assert!(line[..tab].ends_with(FLANK_3.as_bytes()));
            assert!(signal_of_sequence(&line[..tab]).is_some());
            match parse_line(line).unwrap() {
                Line::Kept(_, v) => assert!((0.0..=17.0).contains(&v)),
                other => panic!("{other:?}"),
            }
            // Four decimals, always.
            assert_eq!(
                line.len() - line.iter().rposition(|&b| b == b'.').unwrap(),
                5
            );
        }
        assert_eq!(n, 3000);
    }

    #[test]
    fn ceiling_mean_and_spread_are_in_range() {
        let dir = tempfile::tempdir().unwrap();
        let (_, s) = synth(dir.path(), "big.txt", 100_000, 11, false);
        eprintln!("{s:?}");
        assert!((0.7..=0.85).contains(&s.noise_ceiling_r2), "{s:?}");
        assert!((10.0..=11.0).contains(&s.expression_mean), "{s:?}");
        assert!((2.0..=3.0).contains(&s.expression_sd), "{s:?}");
    }

    #[test]
    fn messy_lines_are_filtered_and_counted_never_rejected() {
        let dir = tempfile::tempdir().unwrap();
        let (path, s) = synth(dir.path(), "messy.txt", 20_000, 3, true);
        assert!((120..=280).contains(&s.messy_rows), "{s:?}");
        let (data, built) = PreparedData::open_or_prepare(&path, &dir.path().join("c")).unwrap();
        assert!(built);
        let c = &data.header().counts;
        assert_eq!(c.lines, 20_000);
        assert_eq!(c.removed(), s.messy_rows);
        assert!(c.wrong_length > 0 && c.non_acgt > 0, "{c:?}");
        assert_eq!(c.kept as usize, data.len());
    }

    #[test]
    fn meta_json_describes_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let (path, s) = synth(&dir.path().join("new/folder"), "m.txt", 500, 9, true);
        assert_eq!(s.meta_path, dir.path().join("new/folder/m.txt.meta.json"));
        let meta: serde_json::Value =
            serde_json::from_slice(&std::fs::read(&s.meta_path).unwrap()).unwrap();
        assert_eq!(meta["rows"], 500);
        assert_eq!(meta["seed"], 9);
        assert_eq!(meta["messy"], true);
        assert_eq!(meta["noise_sd"], NOISE_SD);
        assert_eq!(meta["noise_ceiling_r2"], s.noise_ceiling_r2);
        assert_eq!(meta["motifs"].as_array().unwrap().len(), MOTIFS.len());
        assert_eq!(meta["motifs"][0]["sequence"], "TGACTC");
        assert_eq!(meta["path"], path.to_str().unwrap());
    }

    #[test]
    fn zero_rows_is_a_data_error() {
        let dir = tempfile::tempdir().unwrap();
        let err = write_synthetic(
            &dir.path().join("z.txt"),
            &SynthOptions {
                rows: 0,
                seed: 1,
                messy: false,
            },
        )
        .unwrap_err();
        assert!(err.downcast_ref::<DataError>().is_some());
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
    }

    #[test]
    fn signal_follows_the_planted_rules() {
        // A neutral region: alternating AT/GC keeps GC at 0.5 and holds no motif.
        let mut region = [0u8; RANDOM_LEN];
        for (i, c) in region.iter_mut().enumerate() {
            *c = [0, 1][i % 2]; // ACAC... : GC fraction 0.5
        }
        let base = signal_of_region(&region);
        assert!((base - OFFSET).abs() < 1e-12);
        let put = |r: &mut [u8; RANDOM_LEN], at: usize, m: &str| {
            for (i, b) in m.bytes().enumerate() {
                r[at + i] = crate::data::encode_base(b);
            }
        };
        let mut early = region;
        put(&mut early, 0, "TGACTC");
        let mut late = region;
        put(&mut late, RANDOM_LEN - 6, "TGACTC");
        let mut two = early;
        put(&mut two, 40, "TGACTC");
        let gc = |r: &[u8; RANDOM_LEN]| {
            GAIN * GC_EFFECT * (r.iter().filter(|&&c| c == 1 || c == 2).count() as f64 / 80.0 - 0.5)
        };
        let e = signal_of_region(&early) - base - gc(&early);
        let l = signal_of_region(&late) - base - gc(&late);
        let t = signal_of_region(&two) - base - gc(&two);
        assert!((e - GAIN * ACT_BASE).abs() < 1e-9, "{e}");
        assert!((l - GAIN * (ACT_BASE + ACT_SLOPE)).abs() < 1e-9, "{l}");
        assert!(t > e && l > e);
        let mut pair = region;
        put(&mut pair, 10, "CCAAT");
        let one = signal_of_region(&pair) - gc(&pair) - base;
        put(&mut pair, 50, "TATAA");
        let both = signal_of_region(&pair) - gc(&pair) - base;
        assert!((one - GAIN * PAIR_SINGLE_EFFECT).abs() < 1e-9);
        assert!((both - GAIN * (2.0 * PAIR_SINGLE_EFFECT + PAIR_JOINT_EFFECT)).abs() < 1e-9);
    }

    #[test]
    fn fixed4_formatting() {
        let mut v = Vec::new();
        for t in [0u32, 5, 120_000, 170_000, 105_001, 99_999] {
            push_fixed4(&mut v, t);
            v.push(b' ');
        }
        assert_eq!(v, b"0.0000 0.0005 12.0000 17.0000 10.5001 9.9999 ");
    }
}
