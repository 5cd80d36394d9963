//! DREAM-format promoter data: read, filter, encode, cache, split and scale.
//!
//! A DREAM file holds one `SEQUENCE<TAB>EXPRESSION` pair per line and no header.
//! [`PreparedData::open_or_prepare`] parses and filters it once (as the challenge
//! reference did: only sequences of exactly [`SEQ_LEN`] nt made of A/C/G/T are kept),
//! stores the encoded rows in a memory-mapped cache next to a JSON [`CacheHeader`], and
//! reopens that cache on later calls, so that every worker of a sweep sees the same rows,
//! the same [`Scaler`] and (through [`CacheHeader::split_seed`] and [`split()`]) the same
//! train/validation split.
//!
//! Layout of the module: [`read`] (streaming parser and filter), [`encode`] (base codes,
//! one-hot batches), [`cache`] (the on-disk cache), [`split`](mod@split) (train/validation
//! split), [`scale`] (the expression scaler), [`synth`] (synthetic data with a known noise
//! ceiling), [`error`] (the typed input errors).

pub mod cache;
pub mod encode;
pub mod error;
pub mod read;
pub mod scale;
pub mod split;
pub mod synth;

pub use cache::{CACHE_FORMAT_VERSION, CacheHeader, DEFAULT_SPLIT_SEED, PreparedData};
pub use encode::{
    BASES, encode_base, one_hot_batch, one_hot_codes, reverse_complement,
    reverse_complement_one_hot,
};
pub use error::DataError;
pub use read::FilterCounts;
pub use scale::Scaler;
pub use split::{Split, split};

/// Length in nucleotides of every sequence the model sees; longer or shorter ones are
/// filtered out, as the challenge reference did.
pub const SEQ_LEN: usize = 110;

/// The constant 5' flank (17 nt) that precedes the 80 nt random region in DREAM
/// training sequences.
pub const FLANK_5: &str = "TGCATTTTTTTCACATC";

/// The constant 3' flank (13 nt) that follows the 80 nt random region.
pub const FLANK_3: &str = "GGTTACGGCTGTT";

/// Length of the random region between the two flanks (80 nt).
pub const RANDOM_LEN: usize = SEQ_LEN - FLANK_5.len() - FLANK_3.len();

/// Number of channels of a one-hot encoded base (A, C, G, T).
pub const CHANNELS: usize = 4;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flanks_and_region_add_up_to_seq_len() {
        assert_eq!(FLANK_5.len(), 17);
        assert_eq!(FLANK_3.len(), 13);
        assert_eq!(RANDOM_LEN, 80);
        assert!(
            FLANK_5
                .bytes()
                .chain(FLANK_3.bytes())
                .all(|b| encode_base(b) < 4)
        );
    }
}
