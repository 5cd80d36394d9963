//! Streaming parser and filter for DREAM-format files.
//!
//! The full challenge file has 6.7 M lines (about 0.8 GB), so the reader works on
//! bytes: one reused line buffer, no `String` per line, and the xxh3 hash of the
//! whole file computed on the same bytes as they stream past (the cache needs the
//! hash, and reading 0.8 GB twice would double the cost).

use std::fmt;
use std::fs::File;
use std::io::{self, BufRead, BufReader, Read};
use std::path::Path;

use serde::{Deserialize, Serialize};
use xxhash_rust::xxh3::Xxh3Default;

use super::SEQ_LEN;
use super::encode::encode_sequence;
use super::error::DataError;

/// Read buffer size: large enough that syscalls and refills vanish from the profile.
const READ_BUFFER: usize = 1 << 20;

/// The UTF-8 byte-order mark, tolerated at the start of a file.
const UTF8_BOM: &[u8] = b"\xEF\xBB\xBF";

/// How many lines the filter saw, kept and removed (by reason).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct FilterCounts {
    /// Lines read (every line of the file; a final line without newline counts).
    pub lines: u64,
    /// Lines kept: exactly [`SEQ_LEN`] nt, all A/C/G/T.
    pub kept: u64,
    /// Lines removed because the sequence is not [`SEQ_LEN`] nt long. A sequence of the
    /// wrong length is counted here even if it also holds a non-ACGT base.
    pub wrong_length: u64,
    /// Lines of the right length removed because a base is not A/C/G/T.
    pub non_acgt: u64,
}

impl FilterCounts {
    /// Lines removed for any reason.
    pub fn removed(&self) -> u64 {
        self.wrong_length + self.non_acgt
    }
}

impl fmt::Display for FilterCounts {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} lines read, {} kept; ", self.lines, self.kept)?;
        if self.removed() == 0 {
            return f.write_str("none removed");
        }
        write!(
            f,
            "removed: {} not {SEQ_LEN} nt, {} with a base other than A/C/G/T",
            self.wrong_length, self.non_acgt
        )
    }
}

/// What one line turned out to be, once it parsed.
#[derive(Clone, Debug, PartialEq)]
pub enum Line {
    /// A usable row: base codes and the expression.
    Kept([u8; SEQ_LEN], f32),
    /// Filtered out: the sequence is not [`SEQ_LEN`] nt.
    WrongLength,
    /// Filtered out: a base other than A/C/G/T.
    NonAcgt,
}

/// Parse one line (without its `\n`; a trailing `\r` is tolerated). `Err` is the reason
/// the line is malformed, for [`DataError::Malformed`].
///
/// The expression is parsed (and must be finite) even when the sequence is then
/// filtered out: a broken number means a broken file, whatever the sequence.
pub fn parse_line(line: &[u8]) -> Result<Line, String> {
    let line = line.strip_suffix(b"\r").unwrap_or(line);
    if line.is_empty() {
        return Err("empty line (expected SEQUENCE<TAB>EXPRESSION)".into());
    }
    let Some(tab) = line.iter().position(|&b| b == b'\t') else {
        return Err("expected SEQUENCE<TAB>EXPRESSION, found 1 field (no tab)".into());
    };
    let (seq, expr) = (&line[..tab], &line[tab + 1..]);
    let extra_tabs = expr.iter().filter(|&&b| b == b'\t').count();
    if extra_tabs > 0 {
        return Err(format!(
            "expected SEQUENCE<TAB>EXPRESSION, found {} fields",
            extra_tabs + 2
        ));
    }
    if seq.is_empty() {
        return Err("the sequence field is empty".into());
    }
    let value = parse_expression(expr)?;
    let Ok(seq) = <&[u8; SEQ_LEN]>::try_from(seq) else {
        return Ok(Line::WrongLength);
    };
    let mut codes = [0u8; SEQ_LEN];
    if encode_sequence(seq, &mut codes) {
        Ok(Line::Kept(codes, value))
    } else {
        Ok(Line::NonAcgt)
    }
}

/// Parse an expression field as a finite number that fits an `f32`.
fn parse_expression(field: &[u8]) -> Result<f32, String> {
    if field.is_empty() {
        return Err("the expression field is empty".into());
    }
    let shown = || String::from_utf8_lossy(field).into_owned();
    let parsed = std::str::from_utf8(field)
        .ok()
        .and_then(|s| s.parse::<f64>().ok());
    match parsed {
        Some(v) if v.is_finite() => {
            let v32 = v as f32;
            if v32.is_finite() {
                Ok(v32)
            } else {
                Err(format!("expression `{}` is out of range", shown()))
            }
        }
        _ => Err(format!("expression `{}` is not a finite number", shown())),
    }
}

/// Totals of one pass over a file.
#[derive(Clone, Debug, PartialEq)]
pub struct ReadSummary {
    /// What the filter saw.
    pub counts: FilterCounts,
    /// Bytes read (the file's size as it was read).
    pub bytes: u64,
    /// xxh3-64 of every byte read.
    pub hash: u64,
}

/// A reader that hashes and counts everything read through it, so that parsing and
/// hashing share one pass over the file.
struct HashingReader<R> {
    inner: R,
    hasher: Box<Xxh3Default>,
    bytes: u64,
}

impl<R: Read> HashingReader<R> {
    fn new(inner: R) -> Self {
        HashingReader {
            inner,
            hasher: Box::new(Xxh3Default::new()),
            bytes: 0,
        }
    }
}

impl<R: Read> Read for HashingReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.hasher.update(&buf[..n]);
        self.bytes += n as u64;
        Ok(n)
    }
}

/// Stream `path`, calling `on_row` with the codes and expression of every kept row,
/// in file order. Returns the filter counts and the size and hash of the file.
///
/// A malformed line stops the read with [`DataError::Malformed`] (1-based line); an
/// error from `on_row` (e.g. writing the cache) is passed through unchanged.
pub fn read_dream<F>(path: &Path, mut on_row: F) -> anyhow::Result<ReadSummary>
where
    F: FnMut(&[u8; SEQ_LEN], f32) -> anyhow::Result<()>,
{
    let unreadable = |source| DataError::Unreadable {
        path: path.to_path_buf(),
        source,
    };
    let file = File::open(path).map_err(unreadable)?;
    let mut reader = BufReader::with_capacity(READ_BUFFER, HashingReader::new(file));
    let mut line = Vec::with_capacity(256);
    let mut counts = FilterCounts::default();
    loop {
        line.clear();
        if reader.read_until(b'\n', &mut line).map_err(unreadable)? == 0 {
            break;
        }
        counts.lines += 1;
        let mut body = line.strip_suffix(b"\n").unwrap_or(&line);
        if counts.lines == 1 {
            // A UTF-8 byte-order mark (left by some Windows editors) would otherwise
            // turn the first sequence into a silently filtered non-ACGT one.
            body = body.strip_prefix(UTF8_BOM).unwrap_or(body);
        }
        match parse_line(body) {
            Ok(Line::Kept(codes, value)) => {
                counts.kept += 1;
                on_row(&codes, value)?;
            }
            Ok(Line::WrongLength) => counts.wrong_length += 1,
            Ok(Line::NonAcgt) => counts.non_acgt += 1,
            Err(reason) => {
                return Err(DataError::Malformed {
                    path: path.to_path_buf(),
                    line: counts.lines,
                    reason,
                }
                .into());
            }
        }
    }
    let hashing = reader.into_inner();
    Ok(ReadSummary {
        counts,
        bytes: hashing.bytes,
        hash: hashing.hasher.digest(),
    })
}

/// Size and xxh3-64 of a whole file, without parsing it (to check a cache is fresh).
pub fn hash_file(path: &Path) -> Result<(u64, u64), DataError> {
    let unreadable = |source| DataError::Unreadable {
        path: path.to_path_buf(),
        source,
    };
    let mut reader = HashingReader::new(File::open(path).map_err(unreadable)?);
    let mut buf = vec![0u8; READ_BUFFER];
    loop {
        match reader.read(&mut buf) {
            Ok(0) => break,
            Ok(_) => {}
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(unreadable(e)),
        }
    }
    Ok((reader.bytes, reader.hasher.digest()))
}

/// The hex form of a hash as stored in [`super::CacheHeader::source_hash`].
pub fn hash_hex(hash: u64) -> String {
    format!("{hash:016x}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn seq(fill: u8) -> String {
        String::from_utf8(vec![fill; SEQ_LEN]).unwrap()
    }

    fn file_with(content: &[u8]) -> tempfile::NamedTempFile {
        let mut f = tempfile::NamedTempFile::new().unwrap();
        f.write_all(content).unwrap();
        f.flush().unwrap();
        f
    }

    /// Read `content`, returning the kept rows and counts, or the error.
    fn read(content: &[u8]) -> anyhow::Result<(Vec<f32>, ReadSummary)> {
        let f = file_with(content);
        let mut values = Vec::new();
        let summary = read_dream(f.path(), |_, v| {
            values.push(v);
            Ok(())
        })?;
        Ok((values, summary))
    }

    /// The line number and reason of a malformed-line error.
    fn malformed(content: &[u8]) -> (u64, String) {
        let err = read(content).expect_err("should be malformed");
        match err.downcast_ref::<DataError>() {
            Some(DataError::Malformed { line, reason, .. }) => (*line, reason.clone()),
            other => panic!("expected Malformed, got {other:?} ({err:#})"),
        }
    }

    #[test]
    fn crlf_and_missing_final_newline_are_tolerated() {
        let a = seq(b'A');
        let text = format!("{a}\t1.5\r\n{a}\t2\r\n{a}\t3.25");
        let (values, summary) = read(text.as_bytes()).unwrap();
        assert_eq!(values, vec![1.5, 2.0, 3.25]);
        assert_eq!(summary.counts.lines, 3);
        assert_eq!(summary.counts.kept, 3);
        assert_eq!(summary.bytes, text.len() as u64);
        assert_eq!(summary.hash, xxhash_rust::xxh3::xxh3_64(text.as_bytes()));
    }

    #[test]
    fn a_leading_byte_order_mark_is_ignored() {
        let text = format!("\u{feff}{}\t4\n{}\t5\n", seq(b'A'), seq(b'C'));
        let (values, summary) = read(text.as_bytes()).unwrap();
        assert_eq!(values, vec![4.0, 5.0]);
        assert_eq!(summary.counts.kept, 2);
    }

    #[test]
    fn hash_covers_the_whole_file_across_buffer_refills() {
        let line = format!("{}\t10.125\n", seq(b'C'));
        let text = line.repeat(3 * READ_BUFFER / line.len() + 7);
        let f = file_with(text.as_bytes());
        let summary = read_dream(f.path(), |_, _| Ok(())).unwrap();
        let expected = xxhash_rust::xxh3::xxh3_64(text.as_bytes());
        assert_eq!(summary.hash, expected);
        assert_eq!(hash_file(f.path()).unwrap(), (text.len() as u64, expected));
    }

    #[test]
    fn three_fields_name_the_line() {
        let a = seq(b'A');
        let text = format!("{a}\t1\n{a}\t2\n{a}\t3\textra\n");
        let (line, reason) = malformed(text.as_bytes());
        assert_eq!(line, 3);
        assert_eq!(reason, "expected SEQUENCE<TAB>EXPRESSION, found 3 fields");
    }

    #[test]
    fn a_line_without_tab_is_one_field() {
        let text = format!("{}\t1\nACGT\n", seq(b'G'));
        let (line, reason) = malformed(text.as_bytes());
        assert_eq!(line, 2);
        assert!(reason.contains("found 1 field"), "{reason}");
    }

    #[test]
    fn non_finite_and_non_numbers_are_rejected_with_their_line() {
        let a = seq(b'A');
        for (bad, expect) in [
            ("nan", "expression `nan` is not a finite number"),
            ("NaN", "expression `NaN` is not a finite number"),
            ("inf", "expression `inf` is not a finite number"),
            ("-infinity", "expression `-infinity` is not a finite number"),
            ("abc", "expression `abc` is not a finite number"),
            ("1.2.3", "expression `1.2.3` is not a finite number"),
            (" 4", "expression ` 4` is not a finite number"),
            ("", "the expression field is empty"),
            ("1e300", "expression `1e300` is out of range"),
        ] {
            let text = format!("{a}\t1\n{a}\t2\n{a}\t3\n{a}\t{bad}\n{a}\t5\n");
            let (line, reason) = malformed(text.as_bytes());
            assert_eq!(line, 4, "{bad:?}");
            assert_eq!(reason, expect, "{bad:?}");
        }
    }

    #[test]
    fn a_bad_expression_is_an_error_even_on_a_filtered_sequence() {
        let (line, reason) = malformed(b"ACGT\tx\n");
        assert_eq!(line, 1);
        assert!(reason.contains("`x`"));
    }

    #[test]
    fn empty_lines_are_errors_with_their_line() {
        let a = seq(b'A');
        assert_eq!(malformed(format!("{a}\t1\n\n{a}\t2\n").as_bytes()).0, 2);
        assert_eq!(malformed(format!("{a}\t1\n{a}\t2\n\r\n").as_bytes()).0, 3);
        // A trailing blank line after the last newline is a line too.
        assert_eq!(malformed(format!("{a}\t1\n\n").as_bytes()).0, 2);
        let (line, reason) = malformed(format!("{a}\t1\n\t7\n").as_bytes());
        assert_eq!((line, reason.as_str()), (2, "the sequence field is empty"));
    }

    #[test]
    fn numbers_in_the_forms_real_files_use_parse() {
        let a = seq(b'T');
        let text = format!("{a}\t12\n{a}\t15.1823836007871\n{a}\t-0.5\n{a}\t1e1\n{a}\t+3\n");
        let (values, _) = read(text.as_bytes()).unwrap();
        assert_eq!(values, vec![12.0, 15.182_384, -0.5, 10.0, 3.0]);
    }

    #[test]
    fn filter_counts_by_reason_with_length_first() {
        let mut text = String::new();
        let good = seq(b'A');
        let mut with_n = good.clone();
        with_n.replace_range(50..51, "N");
        let mut lower = good.clone();
        lower.replace_range(0..1, "a");
        for line in [
            good.clone(),           // kept
            good[..109].into(),     // wrong length
            format!("{good}C"),     // wrong length
            format!("{with_n}G"),   // wrong length and an N: counted as wrong length
            with_n.clone(),         // non-ACGT
            lower,                  // lowercase is non-ACGT (see encode.rs)
            good.replace('A', "C"), // kept
        ] {
            text.push_str(&line);
            text.push_str("\t1\n");
        }
        let (values, summary) = read(text.as_bytes()).unwrap();
        let counts = summary.counts;
        assert_eq!(values.len(), 2);
        assert_eq!(
            counts,
            FilterCounts {
                lines: 7,
                kept: 2,
                wrong_length: 3,
                non_acgt: 2
            }
        );
        assert_eq!(
            counts.to_string(),
            "7 lines read, 2 kept; removed: 3 not 110 nt, 2 with a base other than A/C/G/T"
        );
    }

    #[test]
    fn display_without_removals() {
        let c = FilterCounts {
            lines: 3,
            kept: 3,
            ..FilterCounts::default()
        };
        assert_eq!(c.to_string(), "3 lines read, 3 kept; none removed");
    }

    #[test]
    fn kept_rows_carry_their_codes() {
        let s: String = "ACGT".repeat(28)[..SEQ_LEN].to_string();
        match parse_line(format!("{s}\t9.5").as_bytes()).unwrap() {
            Line::Kept(codes, v) => {
                assert_eq!(v, 9.5);
                assert_eq!(&codes[..6], &[0, 1, 2, 3, 0, 1]);
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn a_missing_file_is_unreadable() {
        let dir = tempfile::tempdir().unwrap();
        let err = read_dream(&dir.path().join("nope.txt"), |_, _| Ok(())).unwrap_err();
        assert!(matches!(
            err.downcast_ref::<DataError>(),
            Some(DataError::Unreadable { .. })
        ));
    }
}
