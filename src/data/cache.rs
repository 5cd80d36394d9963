//! The on-disk cache of a prepared data set.
//!
//! For a source `DIR/train.txt` the cache directory holds two files, named after the
//! source's file name plus 8 hex digits of the hash of its canonical path (so that two
//! sources called `train.txt` in different folders do not collide):
//!
//! * `train.txt-<hash8>.seqs`: the rows, little-endian, no padding:
//!   `rows * 110` base codes (one byte per base, 0=A 1=C 2=G 3=T), then `rows` `f32`
//!   expressions, then a 16-byte trailer: the magic `SWPSEQ01` and the xxh3-64 of the
//!   source. The trailer ties the file to its header and exposes truncation.
//! * `train.txt-<hash8>.json`: the [`CacheHeader`], pretty JSON.
//!
//! Both are written to a temporary file in the same directory and renamed into place,
//! the JSON last: it is the commit. A reader that finds a JSON therefore finds a
//! complete `.seqs`, and a process killed mid-build leaves the old cache (or none).
//! Whatever fails validation on open (wrong version, sizes, trailer, or a source that
//! changed) is rebuilt, never trusted.

use std::ffi::OsString;
use std::fs::{self, File};
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use anyhow::Context;
use memmap2::Mmap;
use serde::{Deserialize, Serialize};

use super::SEQ_LEN;
use super::error::DataError;
use super::read::{FilterCounts, hash_file, hash_hex, read_dream};
use super::scale::Scaler;
use super::split::{Split, split};
use crate::atomic_file::TempFile;

/// Version of the cache layout; a cache with another version is rebuilt.
pub const CACHE_FORMAT_VERSION: u32 = 1;

/// The split seed recorded in every new cache header; the trainer splits with
/// `header.split_seed`, so every trial on a data set sees the same split.
pub const DEFAULT_SPLIT_SEED: u64 = 20220101;

/// Magic at the start of the `.seqs` trailer (the format version is in it too).
const TRAILER_MAGIC: [u8; 8] = *b"SWPSEQ01";
const TRAILER_LEN: usize = 16;

/// Bytes per row in the `.seqs` file: the codes plus one `f32`.
const ROW_BYTES: u64 = SEQ_LEN as u64 + 4;

/// How far a source's mtime must lie in the past, when it is hashed, before the mtime
/// may vouch for its content later. Within this window the file could still be
/// rewritten without its mtime changing (coarse timestamps, clock skew on shared
/// filesystems): the "racily clean" problem git's index has. Such a source is re-hashed
/// on every open until its mtime is old enough to be trusted.
const MTIME_SETTLE: Duration = Duration::from_secs(2);

/// Write buffer for the `.seqs` file.
const WRITE_BUFFER: usize = 1 << 20;

/// The JSON header of a cache: where the data came from, what the filter did, and the
/// scaler and split seed every trial on this data shares.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CacheHeader {
    /// [`CACHE_FORMAT_VERSION`] of the writer.
    pub format_version: u32,
    /// Canonical path of the source file.
    pub source: PathBuf,
    /// Size in bytes of the source when it was read.
    pub source_size: u64,
    /// xxh3-64 (16 hex digits) of the whole source file.
    pub source_hash: String,
    /// The source's mtime (ns since the Unix epoch) when it can vouch for the content
    /// (it must be 2 s older than the read that hashed it, against coarse timestamps);
    /// `None` means "hash the source to check freshness".
    #[serde(default)]
    pub source_mtime_ns: Option<i64>,
    /// What the filter saw, kept and removed.
    pub counts: FilterCounts,
    /// Scaler fitted on all kept rows.
    pub scaler: Scaler,
    /// Rows in the cache (= `counts.kept`).
    pub rows: u64,
    /// Bases per row ([`SEQ_LEN`]).
    pub seq_len: usize,
    /// Seed of the train/validation split ([`DEFAULT_SPLIT_SEED`]).
    pub split_seed: u64,
}

impl CacheHeader {
    /// The header as JSON, as the run database records it with a sweep.
    pub fn to_json(&self) -> Result<String, serde_json::Error> {
        serde_json::to_string(self)
    }

    /// A header recorded with [`CacheHeader::to_json`].
    pub fn from_json(text: &str) -> Result<CacheHeader, serde_json::Error> {
        serde_json::from_str(text)
    }
}

/// The filtered, encoded data set, memory-mapped from the cache. Sequences: one byte
/// per base (0=A, 1=C, 2=G, 3=T), `rows*110` bytes, read straight from the map.
///
/// Expressions are copied out of the map into a `Vec<f32>` on open: their block starts
/// at `rows*110`, which is not 4-byte aligned, so they cannot be viewed as `&[f32]` in
/// place without unsafe casts; a copy costs 4 bytes a row (27 MB for the full 6.7 M-row
/// challenge set, against 737 MB of sequences left on disk) and gives an aligned,
/// endian-independent slice ([`PreparedData::expressions`]) for computing targets.
pub struct PreparedData {
    header: CacheHeader,
    map: Mmap,
    expressions: Vec<f32>,
    cache_file: PathBuf,
}

impl std::fmt::Debug for PreparedData {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PreparedData")
            .field("header", &self.header)
            .field("cache_file", &self.cache_file)
            .finish_non_exhaustive()
    }
}

impl PreparedData {
    /// Open the cache for `source` in `cache_dir`, building it first when missing or
    /// stale (source size/hash changed; a fast path on size+mtime is fine but a changed
    /// file must be detected). Returns whether it was (re)built.
    ///
    /// Errors about the source (unreadable, malformed line, empty, nothing kept) are
    /// [`DataError`]s; failures writing the cache are plain errors with context.
    pub fn open_or_prepare(
        source: &Path,
        cache_dir: &Path,
    ) -> anyhow::Result<(PreparedData, bool)> {
        let unreadable = |source_err| DataError::Unreadable {
            path: source.to_path_buf(),
            source: source_err,
        };
        let canonical = fs::canonicalize(source).map_err(unreadable)?;
        let meta = fs::metadata(&canonical).map_err(unreadable)?;
        if !meta.is_file() {
            return Err(unreadable(std::io::Error::new(
                std::io::ErrorKind::InvalidInput,
                "not a regular file",
            ))
            .into());
        }
        fs::create_dir_all(cache_dir)
            .with_context(|| format!("creating cache directory {}", cache_dir.display()))?;
        let paths = CachePaths::new(&canonical, cache_dir);
        if let Some(data) = try_open_fresh(&paths, &canonical, &meta)? {
            return Ok((data, false));
        }
        build(source, &canonical, &paths)?;
        // Reopen through the JSON just written rather than keep the in-memory header:
        // serde_json's default float parsing may differ from the printed f64 in the last
        // bit, and the builder must see the very scaler every other worker will read.
        let reopened = match read_header(&paths.json) {
            Some(header) => open_cache(&paths, header)?,
            None => None,
        };
        let data = reopened.ok_or_else(|| {
            anyhow::anyhow!(
                "the cache just built at {} does not validate (replaced concurrently?)",
                paths.seqs.display()
            )
        })?;
        Ok((data, true))
    }

    /// Number of rows.
    pub fn len(&self) -> usize {
        self.expressions.len()
    }

    /// Whether there are no rows (never true for an opened cache: an input with no
    /// usable row is an error).
    pub fn is_empty(&self) -> bool {
        self.expressions.is_empty()
    }

    /// The [`SEQ_LEN`] base codes of `row`.
    ///
    /// # Panics
    /// If `row >= self.len()`.
    #[inline]
    pub fn sequence(&self, row: usize) -> &[u8] {
        &self.map[row * SEQ_LEN..(row + 1) * SEQ_LEN]
    }

    /// The expression of `row`, in raw (unscaled) units.
    ///
    /// # Panics
    /// If `row >= self.len()`.
    #[inline]
    pub fn expression(&self, row: usize) -> f32 {
        self.expressions[row]
    }

    /// All expressions in row order, raw units.
    pub fn expressions(&self) -> &[f32] {
        &self.expressions
    }

    /// The cache header (counts, scaler, split seed, source identity).
    pub fn header(&self) -> &CacheHeader {
        &self.header
    }

    /// The scaler shared by every trial on this data (`header().scaler`).
    pub fn scaler(&self) -> Scaler {
        self.header.scaler
    }

    /// The train/validation split every trial on this data shares: [`split`] with the
    /// header's split seed.
    pub fn split(&self, val_fraction: f64) -> Split {
        split(self.len(), val_fraction, self.header.split_seed)
    }

    /// Path of the `.seqs` cache file (for messages).
    pub fn cache_file(&self) -> &Path {
        &self.cache_file
    }
}

/// The two cache files of one source.
struct CachePaths {
    seqs: PathBuf,
    json: PathBuf,
}

impl CachePaths {
    fn new(canonical: &Path, cache_dir: &Path) -> CachePaths {
        let path_hash = xxhash_rust::xxh3::xxh3_64(canonical.as_os_str().as_encoded_bytes());
        let mut stem: OsString = canonical
            .file_name()
            .map(OsString::from)
            .unwrap_or_else(|| OsString::from("data"));
        stem.push(format!("-{:08x}", path_hash >> 32));
        let with = |ext: &str| {
            let mut name = stem.clone();
            name.push(ext);
            cache_dir.join(name)
        };
        CachePaths {
            seqs: with(".seqs"),
            json: with(".json"),
        }
    }
}

/// Return the cache if it is valid and matches the source as it is now; `None` means
/// "rebuild". Any problem with the cache itself is a reason to rebuild, not an error.
fn try_open_fresh(
    paths: &CachePaths,
    canonical: &Path,
    meta: &fs::Metadata,
) -> anyhow::Result<Option<PreparedData>> {
    let Some(mut header) = read_header(&paths.json) else {
        return Ok(None);
    };
    if header.source != canonical || header.source_size != meta.len() {
        return Ok(None);
    }
    let mtime = mtime_ns(meta);
    let mtime_vouches = mtime.is_some() && header.source_mtime_ns == mtime;
    if !mtime_vouches {
        // Same size, other (or untrusted) mtime: the content decides.
        let hashed_at = SystemTime::now();
        let (size, hash) = hash_file(canonical)?;
        if size != header.source_size || hash_hex(hash) != header.source_hash {
            return Ok(None);
        }
        // Content unchanged. Record the mtime if it can now vouch, so later opens skip
        // the hash; best effort only, as a read-only cache directory works without it.
        let settled = settled_mtime(meta, hashed_at);
        if settled.is_some() && settled != header.source_mtime_ns {
            header.source_mtime_ns = settled;
            let _ = write_header(paths, &header);
        }
    }
    open_cache(paths, header)
}

/// Read and parse a header; `None` when missing, unreadable, unparsable or of another
/// layout version.
fn read_header(json: &Path) -> Option<CacheHeader> {
    let text = fs::read(json).ok()?;
    let header: CacheHeader = serde_json::from_slice(&text).ok()?;
    let valid = header.format_version == CACHE_FORMAT_VERSION
        && header.seq_len == SEQ_LEN
        && header.rows == header.counts.kept
        && header.rows > 0
        && u32::try_from(header.rows).is_ok();
    valid.then_some(header)
}

/// Map the `.seqs` file and check it against `header`; `None` when it does not match
/// (missing, truncated, from another source).
fn open_cache(paths: &CachePaths, header: CacheHeader) -> anyhow::Result<Option<PreparedData>> {
    let Ok(file) = File::open(&paths.seqs) else {
        return Ok(None);
    };
    let expected = header.rows * ROW_BYTES + TRAILER_LEN as u64;
    match file.metadata() {
        Ok(m) if m.len() == expected => {}
        _ => return Ok(None),
    }
    // SAFETY: the map is read-only and this module never modifies a cache file in
    // place: it only writes new files and renames them over old ones, which leaves
    // existing maps pointing at the old, intact file. Only an outside process
    // truncating the file under us could break the map (as it would any mmap user).
    let map = unsafe { Mmap::map(&file) }
        .with_context(|| format!("memory-mapping {}", paths.seqs.display()))?;
    let len = map.len();
    let trailer = &map[len - TRAILER_LEN..];
    let Ok(source_hash) = u64::from_str_radix(&header.source_hash, 16) else {
        return Ok(None);
    };
    if trailer[..8] != TRAILER_MAGIC || trailer[8..] != source_hash.to_le_bytes() {
        return Ok(None);
    }
    let rows = header.rows as usize;
    let values = &map[rows * SEQ_LEN..rows * SEQ_LEN + rows * 4];
    let expressions = values
        .chunks_exact(4)
        .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
        .collect();
    Ok(Some(PreparedData {
        header,
        map,
        expressions,
        cache_file: paths.seqs.clone(),
    }))
}

/// Parse and filter `source` into a new cache and commit it. `source` is the path as
/// the user gave it (for messages); `canonical` identifies it in the header.
fn build(source: &Path, canonical: &Path, paths: &CachePaths) -> anyhow::Result<()> {
    let started = SystemTime::now();
    let before = fs::metadata(source).map_err(|e| DataError::Unreadable {
        path: source.to_path_buf(),
        source: e,
    })?;
    let (tmp, file) = TempFile::create(&paths.seqs)?;
    let mut out = BufWriter::with_capacity(WRITE_BUFFER, file);
    let mut expressions: Vec<f32> = Vec::new();
    let summary = read_dream(source, |codes, value| {
        if expressions.len() == u32::MAX as usize {
            return Err(DataError::TooManyRows {
                path: source.to_path_buf(),
                limit: u64::from(u32::MAX),
            }
            .into());
        }
        expressions.push(value);
        out.write_all(codes)
            .with_context(|| format!("writing {}", tmp.path.display()))
    })?;
    let counts = summary.counts;
    if counts.lines == 0 {
        return Err(DataError::Empty {
            path: source.to_path_buf(),
        }
        .into());
    }
    if counts.kept == 0 {
        return Err(DataError::NothingKept {
            path: source.to_path_buf(),
            counts,
        }
        .into());
    }
    let write_err = || format!("writing {}", tmp.path.display());
    // Expressions go out in 64 KiB pieces rather than one 4-byte write per row.
    let mut bytes = Vec::with_capacity(1 << 16);
    for chunk in expressions.chunks(1 << 14) {
        bytes.clear();
        bytes.extend(chunk.iter().flat_map(|v| v.to_le_bytes()));
        out.write_all(&bytes).with_context(write_err)?;
    }
    out.write_all(&TRAILER_MAGIC).with_context(write_err)?;
    out.write_all(&summary.hash.to_le_bytes())
        .with_context(write_err)?;
    let file = out
        .into_inner()
        .map_err(|e| e.into_error())
        .with_context(write_err)?;
    drop(file);
    // No fsync: a process killed at any point leaves either no cache or a complete
    // one (rename is atomic), and after a power loss a short or zeroed `.seqs` fails
    // the size/trailer checks on open and is rebuilt.

    let settled = fs::metadata(source)
        .ok()
        .filter(|after| after.len() == before.len() && mtime_ns(after) == mtime_ns(&before))
        .and_then(|_| settled_mtime(&before, started));
    let header = CacheHeader {
        format_version: CACHE_FORMAT_VERSION,
        source: canonical.to_path_buf(),
        source_size: summary.bytes,
        source_hash: hash_hex(summary.hash),
        source_mtime_ns: settled,
        counts,
        scaler: Scaler::fit(&expressions),
        rows: expressions.len() as u64,
        seq_len: SEQ_LEN,
        split_seed: DEFAULT_SPLIT_SEED,
    };
    tmp.commit(&paths.seqs)?;
    write_header(paths, &header)
}

/// Write the header atomically (temp file + rename): the commit of a cache build.
fn write_header(paths: &CachePaths, header: &CacheHeader) -> anyhow::Result<()> {
    let (tmp, mut file) = TempFile::create(&paths.json)?;
    let mut text = serde_json::to_vec_pretty(header).context("serializing the cache header")?;
    text.push(b'\n');
    file.write_all(&text)
        .with_context(|| format!("writing {}", tmp.path.display()))?;
    drop(file);
    tmp.commit(&paths.json)
}

/// The source's mtime in ns since the epoch, if the platform reports one.
fn mtime_ns(meta: &fs::Metadata) -> Option<i64> {
    let t = meta.modified().ok()?;
    let ns = t.duration_since(UNIX_EPOCH).ok()?.as_nanos();
    i64::try_from(ns).ok()
}

/// `meta`'s mtime if it may vouch for the content read (or hashed) from `started` on:
/// the mtime must be at least [`MTIME_SETTLE`] older than `started`, so that any later
/// write to the file gives it a different mtime.
fn settled_mtime(meta: &fs::Metadata, started: SystemTime) -> Option<i64> {
    let modified = meta.modified().ok()?;
    let age = started.duration_since(modified).ok()?;
    if age < MTIME_SETTLE {
        return None;
    }
    mtime_ns(meta)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::one_hot_batch;

    const A110: &str = "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";

    fn seq_of(pattern: &str) -> String {
        pattern.repeat(SEQ_LEN / pattern.len() + 1)[..SEQ_LEN].to_string()
    }

    fn small_file(dir: &Path, name: &str) -> PathBuf {
        let path = dir.join(name);
        let text = format!(
            "{}\t1.0\n{}\t2.0\nACGT\t5\n{}\t3.0\r\n{}N\t4\n{}\t6.0",
            seq_of("ACGT"),
            seq_of("GATTACA"),
            seq_of("CCG"),
            &A110[..109],
            seq_of("T")
        );
        fs::write(&path, text).unwrap();
        path
    }

    fn cache_files(dir: &Path) -> Vec<String> {
        let mut names: Vec<String> = fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    }

    #[test]
    fn round_trip_and_reopen_without_rebuild() {
        let dir = tempfile::tempdir().unwrap();
        let src = small_file(dir.path(), "train.txt");
        let cache = dir.path().join("cache");
        let (data, built) = PreparedData::open_or_prepare(&src, &cache).unwrap();
        assert!(built);
        assert_eq!(data.len(), 4);
        assert!(!data.is_empty());
        let h = data.header();
        assert_eq!(
            h.counts,
            FilterCounts {
                lines: 6,
                kept: 4,
                wrong_length: 1,
                non_acgt: 1
            }
        );
        assert_eq!(h.rows, 4);
        assert_eq!(h.seq_len, SEQ_LEN);
        assert_eq!(h.split_seed, DEFAULT_SPLIT_SEED);
        assert_eq!(h.format_version, CACHE_FORMAT_VERSION);
        assert_eq!(h.source, fs::canonicalize(&src).unwrap());
        let bytes = fs::read(&src).unwrap();
        assert_eq!(h.source_size, bytes.len() as u64);
        assert_eq!(h.source_hash, hash_hex(xxhash_rust::xxh3::xxh3_64(&bytes)));
        assert_eq!(data.expressions(), &[1.0, 2.0, 3.0, 6.0]);
        assert_eq!(data.expression(3), 6.0);
        assert_eq!(&data.sequence(0)[..5], &[0, 1, 2, 3, 0]);
        assert_eq!(&data.sequence(1)[..7], &[2, 0, 3, 3, 0, 1, 0]);
        assert!(data.sequence(3).iter().all(|&c| c == 3));
        let fitted = Scaler::fit(&[1.0, 2.0, 3.0, 6.0]);
        assert!((data.scaler().mean - fitted.mean).abs() < 1e-12);
        assert!((data.scaler().std - fitted.std).abs() < 1e-12);

        let names = cache_files(&cache);
        assert_eq!(names.len(), 2, "{names:?}");
        assert!(names[0].starts_with("train.txt-") && names[0].ends_with(".json"));
        assert!(names[1].starts_with("train.txt-") && names[1].ends_with(".seqs"));
        assert_eq!(names[0].len(), "train.txt-".len() + 8 + ".json".len());

        let (again, built) = PreparedData::open_or_prepare(&src, &cache).unwrap();
        assert!(!built);
        assert_eq!(again.header(), data.header());
        assert_eq!(again.sequence(2), data.sequence(2));
        drop(data);
        drop(again);
        assert_eq!(cache_files(&cache).len(), 2, "no temp files left");
    }

    #[test]
    fn same_name_in_two_folders_does_not_collide() {
        let dir = tempfile::tempdir().unwrap();
        fs::create_dir(dir.path().join("a")).unwrap();
        fs::create_dir(dir.path().join("b")).unwrap();
        let a = small_file(&dir.path().join("a"), "train.txt");
        let b = dir.path().join("b/train.txt");
        fs::write(&b, format!("{}\t9\n", seq_of("CA"))).unwrap();
        let cache = dir.path().join("cache");
        let (da, _) = PreparedData::open_or_prepare(&a, &cache).unwrap();
        let (db, _) = PreparedData::open_or_prepare(&b, &cache).unwrap();
        assert_eq!(da.len(), 4);
        assert_eq!(db.len(), 1);
        assert_ne!(da.cache_file(), db.cache_file());
        assert!(!PreparedData::open_or_prepare(&a, &cache).unwrap().1);
        assert!(!PreparedData::open_or_prepare(&b, &cache).unwrap().1);
    }

    #[test]
    fn a_changed_source_of_the_same_size_is_rebuilt() {
        let dir = tempfile::tempdir().unwrap();
        let src = dir.path().join("t.txt");
        fs::write(&src, format!("{}\t1.0\n", seq_of("AC"))).unwrap();
        let cache = dir.path().join("cache");
        let (d1, built) = PreparedData::open_or_prepare(&src, &cache).unwrap();
        assert!(built);
        // Same length, different content, written immediately: the mtime may well be
        // unchanged on a coarse-timestamp filesystem, so only the hash can tell.
        fs::write(&src, format!("{}\t2.0\n", seq_of("AC"))).unwrap();
        let (d2, built) = PreparedData::open_or_prepare(&src, &cache).unwrap();
        assert!(built);
        assert_eq!(d1.expression(0), 1.0, "the old map stays intact");
        assert_eq!(d2.expression(0), 2.0);
        assert_ne!(d1.header().source_hash, d2.header().source_hash);
    }

    #[test]
    fn a_grown_source_is_rebuilt() {
        let dir = tempfile::tempdir().unwrap();
        let src = dir.path().join("t.txt");
        fs::write(&src, format!("{}\t1.0\n", seq_of("AC"))).unwrap();
        let cache = dir.path().join("cache");
        PreparedData::open_or_prepare(&src, &cache).unwrap();
        fs::write(&src, format!("{0}\t1.0\n{0}\t4.0\n", seq_of("AC"))).unwrap();
        let (d, built) = PreparedData::open_or_prepare(&src, &cache).unwrap();
        assert!(built);
        assert_eq!(d.len(), 2);
    }

    #[test]
    fn an_old_settled_mtime_takes_the_fast_path_and_a_new_one_is_noticed() {
        let dir = tempfile::tempdir().unwrap();
        let src = dir.path().join("t.txt");
        fs::write(&src, format!("{}\t1.0\n", seq_of("AC"))).unwrap();
        let old = SystemTime::now() - Duration::from_secs(3600);
        File::options()
            .write(true)
            .open(&src)
            .unwrap()
            .set_modified(old)
            .unwrap();
        let cache = dir.path().join("cache");
        let (d, built) = PreparedData::open_or_prepare(&src, &cache).unwrap();
        assert!(built);
        assert!(
            d.header().source_mtime_ns.is_some(),
            "an hour-old mtime can vouch"
        );
        // A rewrite of the same size gets a new mtime, which sends the open to the hash.
        fs::write(&src, format!("{}\t7.0\n", seq_of("AC"))).unwrap();
        let (d, built) = PreparedData::open_or_prepare(&src, &cache).unwrap();
        assert!(built);
        assert_eq!(d.expression(0), 7.0);
    }

    #[test]
    fn a_fresh_source_is_rehashed_and_upgraded_once_its_mtime_settles() {
        let dir = tempfile::tempdir().unwrap();
        let src = dir.path().join("t.txt");
        fs::write(&src, format!("{}\t1.0\n", seq_of("AC"))).unwrap();
        let cache = dir.path().join("cache");
        let (d, _) = PreparedData::open_or_prepare(&src, &cache).unwrap();
        assert_eq!(d.header().source_mtime_ns, None, "just written: racy");
        // Age the file without changing it: the next open hashes, finds it unchanged,
        // and records the (now settled) mtime.
        File::options()
            .write(true)
            .open(&src)
            .unwrap()
            .set_modified(SystemTime::now() - Duration::from_secs(60))
            .unwrap();
        let (d, built) = PreparedData::open_or_prepare(&src, &cache).unwrap();
        assert!(!built);
        let settled = d.header().source_mtime_ns;
        assert!(settled.is_some());
        let json = d.cache_file().with_extension("json");
        let on_disk: CacheHeader = serde_json::from_slice(&fs::read(json).unwrap()).unwrap();
        assert_eq!(
            on_disk.source_mtime_ns, settled,
            "recorded for the next open"
        );
        let (_, built) = PreparedData::open_or_prepare(&src, &cache).unwrap();
        assert!(!built);
    }

    #[test]
    fn a_truncated_cache_is_rebuilt() {
        let dir = tempfile::tempdir().unwrap();
        let src = small_file(dir.path(), "train.txt");
        let cache = dir.path().join("cache");
        let (d, _) = PreparedData::open_or_prepare(&src, &cache).unwrap();
        let seqs = d.cache_file().to_path_buf();
        let full = fs::metadata(&seqs).unwrap().len();
        drop(d);
        File::options()
            .write(true)
            .open(&seqs)
            .unwrap()
            .set_len(full - 5)
            .unwrap();
        let (d, built) = PreparedData::open_or_prepare(&src, &cache).unwrap();
        assert!(built);
        assert_eq!(d.len(), 4);
        assert_eq!(fs::metadata(&seqs).unwrap().len(), full);
    }

    #[test]
    fn a_corrupt_header_or_trailer_or_missing_seqs_is_rebuilt() {
        let dir = tempfile::tempdir().unwrap();
        let src = small_file(dir.path(), "train.txt");
        let cache = dir.path().join("cache");
        let (d, _) = PreparedData::open_or_prepare(&src, &cache).unwrap();
        let seqs = d.cache_file().to_path_buf();
        let json = seqs.with_extension("json");
        drop(d);

        fs::write(&json, b"{ not json").unwrap();
        assert!(PreparedData::open_or_prepare(&src, &cache).unwrap().1);

        let text = fs::read_to_string(&json).unwrap();
        fs::write(
            &json,
            text.replace("\"format_version\": 1", "\"format_version\": 999"),
        )
        .unwrap();
        assert!(PreparedData::open_or_prepare(&src, &cache).unwrap().1);

        let mut bytes = fs::read(&seqs).unwrap();
        let n = bytes.len();
        bytes[n - 1] ^= 0xff;
        fs::write(&seqs, &bytes).unwrap();
        assert!(PreparedData::open_or_prepare(&src, &cache).unwrap().1);

        fs::remove_file(&seqs).unwrap();
        let (d, built) = PreparedData::open_or_prepare(&src, &cache).unwrap();
        assert!(built);
        assert_eq!(d.len(), 4);
    }

    #[test]
    fn bad_sources_are_data_errors_and_leave_no_files() {
        let dir = tempfile::tempdir().unwrap();
        let cache = dir.path().join("cache");
        let cases: [(&str, &str); 3] = [
            ("empty.txt", ""),
            ("filtered.txt", "ACGT\t1\nAC\t2\n"),
            ("broken.txt", "ACGT\t1\nACGT\t2\t3\n"),
        ];
        for (name, text) in cases {
            let path = dir.path().join(name);
            fs::write(&path, text).unwrap();
            let err = PreparedData::open_or_prepare(&path, &cache).unwrap_err();
            let data_err = err.downcast_ref::<DataError>();
            match (name, data_err) {
                ("empty.txt", Some(DataError::Empty { .. })) => {}
                ("filtered.txt", Some(DataError::NothingKept { counts, .. })) => {
                    assert_eq!(counts.wrong_length, 2)
                }
                ("broken.txt", Some(DataError::Malformed { line: 2, .. })) => {}
                _ => panic!("{name}: {err:#}"),
            }
        }
        let missing = PreparedData::open_or_prepare(&dir.path().join("nope"), &cache).unwrap_err();
        assert!(matches!(
            missing.downcast_ref::<DataError>(),
            Some(DataError::Unreadable { .. })
        ));
        let a_dir = PreparedData::open_or_prepare(dir.path(), &cache).unwrap_err();
        assert!(matches!(
            a_dir.downcast_ref::<DataError>(),
            Some(DataError::Unreadable { .. })
        ));
        assert!(cache_files(&cache).is_empty(), "{:?}", cache_files(&cache));
    }

    #[test]
    fn one_hot_layout_is_channel_major() {
        let dir = tempfile::tempdir().unwrap();
        let src = small_file(dir.path(), "train.txt");
        let (d, _) = PreparedData::open_or_prepare(&src, &dir.path().join("c")).unwrap();
        let mut out = vec![7.0; 3]; // stale content must go
        one_hot_batch(&d, &[1, 0], &mut out);
        assert_eq!(out.len(), 2 * 4 * SEQ_LEN);
        // Every position of every row has exactly one hot channel.
        for b in 0..2 {
            for pos in 0..SEQ_LEN {
                let hot: f32 = (0..4).map(|c| out[b * 440 + c * SEQ_LEN + pos]).sum();
                assert_eq!(hot, 1.0, "row {b} pos {pos}");
            }
        }
        // Batch item 0 is row 1 ("GATTACA..."): G at 0, A at 1, T at 2.
        assert_eq!(out[2 * SEQ_LEN], 1.0); // G, pos 0
        assert_eq!(out[1], 1.0); // A, pos 1
        assert_eq!(out[3 * SEQ_LEN + 2], 1.0); // T, pos 2
        // Batch item 1 is row 0 ("ACGT..."): C at 1, T at 3.
        assert_eq!(out[440 + SEQ_LEN + 1], 1.0);
        assert_eq!(out[440 + 3 * SEQ_LEN + 3], 1.0);
        assert_eq!(out[440 + 3 * SEQ_LEN + 2], 0.0);
        one_hot_batch(&d, &[], &mut out);
        assert!(out.is_empty());
    }

    #[test]
    fn split_of_prepared_rows() {
        let dir = tempfile::tempdir().unwrap();
        let src = small_file(dir.path(), "train.txt");
        let (d, _) = PreparedData::open_or_prepare(&src, &dir.path().join("c")).unwrap();
        let s = d.split(0.25);
        assert_eq!(s, split(4, 0.25, DEFAULT_SPLIT_SEED));
        assert_eq!(s.validation.len(), 1);
        assert_eq!(s.train.len(), 3);
    }

    /// The real challenge sample: 6,370 lines (the last has no newline, so `wc -l`
    /// says 6,369), of which the reference filter keeps 5,197.
    #[test]
    fn real_sample_filter_counts() {
        let sample = Path::new(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../shared/data/dream_train_sample.txt"
        ));
        if !sample.exists() {
            // Set in CI: there a missing sample fails, as in `tests/common/shared_data.rs`.
            assert!(
                std::env::var_os("SWEEP_REQUIRE_SHARED_DATA").is_none(),
                "SWEEP_REQUIRE_SHARED_DATA is set but {} is absent",
                sample.display()
            );
            eprintln!(
                "SKIPPED real_sample_filter_counts: {} is absent (it ships in the project's \
                 shared/ folder, next to the crate); the real-data check did not run",
                sample.display()
            );
            return;
        }
        let dir = tempfile::tempdir().unwrap();
        let (d, built) = PreparedData::open_or_prepare(sample, dir.path()).unwrap();
        assert!(built);
        let c = &d.header().counts;
        eprintln!("real sample: {c}");
        assert_eq!(c.lines, 6370);
        assert_eq!(c.kept, 5197);
        assert_eq!(c.wrong_length, 1151);
        assert_eq!(c.non_acgt, 22);
        assert_eq!(d.len(), 5197);
        let s = d.scaler();
        assert!(
            (10.0..12.5).contains(&s.mean) && (1.5..3.5).contains(&s.std),
            "{s:?}"
        );
    }
}
