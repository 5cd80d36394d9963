//! What an epoch trains on: its samples (a row, forward or reverse-complemented), in batches
//! one-hot encoded on a helper thread ahead of the step that needs them.

use super::*;

/// Copies of every training sequence an epoch sees: 2 with reverse-complement augmentation.
pub(super) fn strands(params: &TrialParams) -> usize {
    if params.rc_augment { 2 } else { 1 }
}

/// One training example of an epoch: a row, read forward or as its reverse complement.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(super) struct Sample {
    row: u32,
    reverse: bool,
}

/// An epoch's examples before shuffling: every training row, then (with `rc_augment`) every
/// row's reverse complement. One shuffle mixes them, so a batch holds both strands.
pub(super) fn epoch_samples(train_rows: &[u32], rc_augment: bool) -> Vec<Sample> {
    let forward = train_rows.iter().map(|&row| Sample {
        row,
        reverse: false,
    });
    let reverse = train_rows
        .iter()
        .filter(|_| rc_augment)
        .map(|&row| Sample { row, reverse: true });
    forward.chain(reverse).collect()
}

/// Training batches buffered ahead of the one computing.
pub(super) const PREFETCH_BATCHES: usize = 2;

/// One training batch, encoded on the host.
pub(super) struct HostBatch {
    /// One-hot sequences, `[rows, 4, seq_len]`.
    pub(super) one_hot: Vec<f32>,
    /// Standardized targets, `[rows, 1]`.
    pub(super) targets: Vec<f32>,
    /// Sequences in the batch.
    pub(super) rows: usize,
}

/// The epoch's batches, in `order`, encoded on a thread of their own while earlier batches
/// compute, so that the device never waits for the one-hot encoding. The thread stops when
/// the receiver is dropped (a stop, a diverged loss). The batches are exactly those the
/// training loop would encode itself, so results do not change.
pub(super) fn prefetch<'scope>(
    scope: &'scope std::thread::Scope<'scope, '_>,
    data: &'scope PreparedData,
    order: &'scope [Sample],
    batch_size: usize,
) -> std::sync::mpsc::Receiver<HostBatch> {
    let (sender, receiver) = std::sync::mpsc::sync_channel(PREFETCH_BATCHES);
    scope.spawn(move || {
        let mut rows = Vec::with_capacity(batch_size);
        for samples in order.chunks(batch_size) {
            rows.clear();
            rows.extend(samples.iter().map(|s| s.row));
            let batch = HostBatch {
                one_hot: batch_one_hot(data, samples, &rows),
                targets: scaled_targets(data, &rows),
                rows: rows.len(),
            };
            if sender.send(batch).is_err() {
                break;
            }
        }
    });
    receiver
}

/// The one-hot input of a batch, `[rows, 4, seq_len]`; `rows` are the samples' rows, in
/// order.
pub(super) fn batch_one_hot(data: &PreparedData, samples: &[Sample], rows: &[u32]) -> Vec<f32> {
    let mut one_hot = Vec::new();
    data::one_hot_batch(data, rows, &mut one_hot);
    let per_row = data::CHANNELS * data::SEQ_LEN;
    for (sample, row) in samples.iter().zip(one_hot.chunks_exact_mut(per_row)) {
        if sample.reverse {
            data::reverse_complement_one_hot(row);
        }
    }
    one_hot
}

pub(super) fn scaled_targets(data: &PreparedData, rows: &[u32]) -> Vec<f32> {
    let scaler = data.header().scaler;
    rows.iter()
        .map(|&r| scaler.scale(data.expression(r as usize)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn augmented_epochs_hold_both_strands_of_every_row() {
        let rows = [4u32, 9, 2];
        let plain = epoch_samples(&rows, false);
        assert_eq!(plain.len(), 3);
        assert!(plain.iter().all(|s| !s.reverse));
        let both = epoch_samples(&rows, true);
        assert_eq!(both.len(), 6);
        for &row in &rows {
            for reverse in [false, true] {
                assert!(both.contains(&Sample { row, reverse }));
            }
        }
    }
}
