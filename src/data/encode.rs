//! Base codes and one-hot encoding.
//!
//! The cache stores one byte per base (0=A, 1=C, 2=G, 3=T); the model wants one-hot
//! `f32` channels. Expanding to one-hot is done per batch ([`one_hot_batch`]) because
//! the whole challenge set one-hot encoded would take 6.7 M x 440 x 4 bytes = 11.8 GB.

use super::cache::PreparedData;
use super::{CHANNELS, SEQ_LEN};

/// The bases in code order: code `c` stands for `BASES[c]`.
pub const BASES: [u8; 4] = *b"ACGT";

/// Code returned by [`encode_base`] for anything that is not A, C, G or T.
pub const INVALID: u8 = 4;

/// Byte -> code lookup: one table load per base keeps the 6.7 M-line parse fast.
///
/// Only uppercase A/C/G/T are valid. Lowercase is deliberately *not* accepted: the
/// challenge reference removed every sequence with a character other than `ACGT`, and
/// accepting soft-masked bases here would keep rows the reference dropped, making our
/// numbers incomparable with its. DREAM files are uppercase throughout, so in practice
/// this only matters for hand-edited input, which the filter then reports.
const CODE: [u8; 256] = {
    let mut t = [INVALID; 256];
    t[b'A' as usize] = 0;
    t[b'C' as usize] = 1;
    t[b'G' as usize] = 2;
    t[b'T' as usize] = 3;
    t
};

/// Code of one base: 0..=3 for A, C, G, T; [`INVALID`] for any other byte.
#[inline]
pub fn encode_base(b: u8) -> u8 {
    CODE[b as usize]
}

/// Encode a sequence of exactly [`SEQ_LEN`] bases into `out`; returns `false` (and leaves
/// `out` partly written) if any byte is not A/C/G/T.
#[inline]
pub fn encode_sequence(seq: &[u8; SEQ_LEN], out: &mut [u8; SEQ_LEN]) -> bool {
    // OR-ing the codes instead of branching per base lets the loop vectorize; the
    // INVALID bit (4) survives the OR exactly when some base was invalid.
    let mut any = 0u8;
    for (o, &b) in out.iter_mut().zip(seq.iter()) {
        let c = CODE[b as usize];
        *o = c;
        any |= c;
    }
    any & INVALID == 0
}

/// One-hot a batch into `out` (cleared, then filled) with layout `[batch, 4, 110]`
/// (channel-major: `out[b*440 + c*110 + pos]`), as Conv1d wants. Done per batch; never
/// the whole set.
///
/// # Panics
/// If a row index is out of range for `data`.
pub fn one_hot_batch(data: &PreparedData, rows: &[u32], out: &mut Vec<f32>) {
    one_hot_codes(rows.iter().map(|&row| data.sequence(row as usize)), out);
}

/// One-hot sequences of base codes (each [`SEQ_LEN`] long) into `out`, layout as
/// [`one_hot_batch`]. A code other than 0..=3 (an `N`, padding) leaves its position all-zero.
pub fn one_hot_codes<'a>(sequences: impl ExactSizeIterator<Item = &'a [u8]>, out: &mut Vec<f32>) {
    const PER_ROW: usize = CHANNELS * SEQ_LEN;
    out.clear();
    out.resize(sequences.len() * PER_ROW, 0.0);
    for (block, seq) in out.chunks_exact_mut(PER_ROW).zip(sequences) {
        for (pos, &code) in seq.iter().take(SEQ_LEN).enumerate() {
            if code < 4 {
                block[usize::from(code) * SEQ_LEN + pos] = 1.0;
            }
        }
    }
}

/// Reverse-complement one-hot rows in place (`rows` holds whole rows in the layout of
/// [`one_hot_batch`]). A row is `[A, C, G, T]` channels of [`SEQ_LEN`] positions, so value
/// `c·L + p` moving to `(3-c)·L + (L-1-p)` is simply the row read backwards: positions
/// reverse and A<->T, C<->G swap. An all-zero position stays all-zero.
pub fn reverse_complement_one_hot(rows: &mut [f32]) {
    for row in rows.chunks_exact_mut(CHANNELS * SEQ_LEN) {
        row.reverse();
    }
}

/// The reverse complement of a coded sequence: read backwards, A<->T and C<->G (code
/// `c` becomes `3 - c` in ACGT order); an invalid code stays invalid.
pub fn reverse_complement(codes: &[u8; SEQ_LEN]) -> [u8; SEQ_LEN] {
    let mut out = [INVALID; SEQ_LEN];
    for (o, &c) in out.iter_mut().zip(codes.iter().rev()) {
        *o = if c < 4 { 3 - c } else { INVALID };
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reverse_complement_reads_backwards_and_pairs_bases() {
        let mut seq = [0u8; SEQ_LEN];
        seq[0] = 1; // C at the start
        seq[1] = INVALID; // N
        let rc = reverse_complement(&seq);
        assert_eq!(rc[SEQ_LEN - 1], 2, "C pairs with G, now at the end");
        assert_eq!(rc[SEQ_LEN - 2], INVALID);
        assert!(rc[..SEQ_LEN - 2].iter().all(|&c| c == 3), "A pairs with T");
        assert_eq!(reverse_complement(&rc), seq);
    }

    #[test]
    fn reverse_complement_of_a_one_hot_batch_is_the_one_hot_of_the_reverse_complements() {
        // Three sequences with every base at varied places, one with an N.
        let mut seqs = [[0u8; SEQ_LEN]; 3];
        for (s, seq) in seqs.iter_mut().enumerate() {
            for (p, code) in seq.iter_mut().enumerate() {
                *code = ((p * (s + 3) + p / 7 + s) % 4) as u8;
            }
        }
        seqs[1][40] = INVALID;
        let mut batch = Vec::new();
        one_hot_codes(seqs.iter().map(|s| s.as_slice()), &mut batch);
        reverse_complement_one_hot(&mut batch);

        let reversed: Vec<[u8; SEQ_LEN]> = seqs.iter().map(reverse_complement).collect();
        let mut expected = Vec::new();
        one_hot_codes(reversed.iter().map(|s| s.as_slice()), &mut expected);
        assert_eq!(batch, expected);
        // And by hand: the first sequence's first base ends up last, complemented.
        let first = usize::from(seqs[0][0]);
        assert_eq!(batch[(3 - first) * SEQ_LEN + SEQ_LEN - 1], 1.0);
        let n_at = SEQ_LEN - 1 - 40;
        let row1 = &batch[CHANNELS * SEQ_LEN..2 * CHANNELS * SEQ_LEN];
        assert!((0..4).all(|c| row1[c * SEQ_LEN + n_at] == 0.0));
    }

    #[test]
    fn codes_follow_acgt_order_and_reject_everything_else() {
        for (i, &b) in BASES.iter().enumerate() {
            assert_eq!(usize::from(encode_base(b)), i);
        }
        for b in [b'N', b'a', b'c', b'g', b't', b'U', b'-', b'\t', 0, 255] {
            assert_eq!(encode_base(b), INVALID, "byte {b}");
        }
    }

    #[test]
    fn encode_sequence_flags_a_single_bad_base() {
        let mut seq = [b'A'; SEQ_LEN];
        let mut out = [9u8; SEQ_LEN];
        assert!(encode_sequence(&seq, &mut out));
        assert!(out.iter().all(|&c| c == 0));
        seq[109] = b'N';
        assert!(!encode_sequence(&seq, &mut out));
        seq[109] = b'g';
        assert!(!encode_sequence(&seq, &mut out));
    }
}
