//! What the layers written for burn's `flex` CPU backend share (src/model/conv.rs,
//! src/model/batch_norm.rs, src/model/lstm/recurrence.rs): telling whether a tensor lives
//! there, moving `f32` values in and out of its tensors, and a bounds-checked matrix product.

use burn::backend::DispatchDevice;
use burn::backend::flex::FlexTensor;
use burn::tensor::{Device, TensorData};
use gemm::{Parallelism, gemm};
use rayon::prelude::*;

/// Whether `device` is burn's `flex` CPU backend, with or without autodiff.
pub(super) fn runs_on_flex(device: &Device) -> bool {
    matches!(
        device.clone().without_autodiff().as_dispatch(),
        DispatchDevice::Flex(_)
    )
}

/// A tensor's values in row-major order (a copy only when its layout is not contiguous).
pub(super) struct F32s(FlexTensor);

impl F32s {
    pub(super) fn as_slice(&self) -> &[f32] {
        self.0
            .as_slice::<f32>()
            .expect("a contiguous f32 tensor (the layers check the dtype first)")
    }
}

/// `tensor`'s values, contiguous.
pub(super) fn f32s(tensor: &FlexTensor) -> F32s {
    F32s(tensor.to_contiguous())
}

/// A tensor of `shape` holding `values` in row-major order.
pub(super) fn tensor<const D: usize>(values: Vec<f32>, shape: [usize; D]) -> FlexTensor {
    FlexTensor::from_data(TensorData::new(values, shape))
}

/// `Σ f(v)` over `values` in sixteen interleaved lanes, which the compiler turns into
/// vector arithmetic (a plain `sum` must add in order, one value at a time).
pub(super) fn lane_sum(values: &[f32], f: impl Fn(f32) -> f32) -> f32 {
    lane_sum2(values, values, |v, _| f(v))
}

/// `Σ f(a, b)` over two equally long slices, in lanes as [`lane_sum`].
pub(super) fn lane_sum2(a: &[f32], b: &[f32], f: impl Fn(f32, f32) -> f32) -> f32 {
    const LANES: usize = 16;
    assert_eq!(a.len(), b.len());
    let mut lanes = [0f32; LANES];
    let (a_chunks, b_chunks) = (a.chunks_exact(LANES), b.chunks_exact(LANES));
    let tail: f32 = a_chunks
        .remainder()
        .iter()
        .zip(b_chunks.remainder())
        .map(|(&x, &y)| f(x, y))
        .sum();
    for (a, b) in a_chunks.zip(b_chunks) {
        for lane in 0..LANES {
            lanes[lane] += f(a[lane], b[lane]);
        }
    }
    lanes.iter().sum::<f32>() + tail
}

/// For a `[batch, channels, length]` buffer: `reduce(channel, range)` over each channel's
/// range of values in every sequence, summed
/// over the sequences in order (so the result does not depend on the thread count); channels
/// in parallel.
pub(super) fn par_channel_sums<T, F>([batch, channels, length]: [usize; 3], reduce: F) -> Vec<T>
where
    T: Send + Default + ChannelSum,
    F: Fn(usize, std::ops::Range<usize>) -> T + Sync,
{
    (0..channels)
        .into_par_iter()
        .map(|c| {
            (0..batch).fold(T::default(), |total, b| {
                let start = (b * channels + c) * length;
                total.plus(reduce(c, start..start + length))
            })
        })
        .collect()
}

/// What [`par_channel_sums`] adds up: a sum (`f32` or `f64`) or a pair of `f64` sums.
pub(super) trait ChannelSum {
    fn plus(self, other: Self) -> Self;
}

impl ChannelSum for f32 {
    fn plus(self, other: Self) -> Self {
        self + other
    }
}

impl ChannelSum for f64 {
    fn plus(self, other: Self) -> Self {
        self + other
    }
}

impl ChannelSum for (f64, f64) {
    fn plus(self, other: Self) -> Self {
        (self.0 + other.0, self.1 + other.1)
    }
}

/// A matrix read from a slice with any strides: element `(i, j)` is `values[i · row + j · col]`.
/// Rows may overlap (the convolutions read an unfolded input this way) and strides may
/// transpose.
#[derive(Clone, Copy)]
pub(super) struct Strided<'a> {
    pub values: &'a [f32],
    pub row: usize,
    pub col: usize,
}

impl<'a> Strided<'a> {
    /// A row-major matrix with `cols` columns.
    pub fn rows(values: &'a [f32], cols: usize) -> Self {
        Self {
            values,
            row: cols,
            col: 1,
        }
    }

    /// Whether every element of an `m × n` matrix lies inside `values`.
    fn holds(&self, m: usize, n: usize) -> bool {
        m == 0 || n == 0 || self.values.len() > (m - 1) * self.row + (n - 1) * self.col
    }
}

/// `out[m, n] = lhs[m, k] · rhs[k, n]`, or `+=` when `accumulate`, with `out` row-major; on
/// this thread, or split over the pool's threads when `parallel`.
pub(super) fn product(
    (m, n, k): (usize, usize, usize),
    out: &mut [f32],
    accumulate: bool,
    lhs: Strided,
    rhs: Strided,
    parallel: bool,
) {
    if m == 0 || n == 0 {
        return;
    }
    assert!(out.len() >= m * n, "product: output too small");
    assert!(
        lhs.holds(m, k) && rhs.holds(k, n),
        "product: operand too small"
    );
    let parallelism = if parallel {
        Parallelism::Rayon(rayon::current_num_threads())
    } else {
        Parallelism::None
    };
    // SAFETY: the asserts above keep every element `gemm` reads (`lhs` and `rhs` through
    // their strides) and writes (`out`, row-major `m × n`) inside the slices.
    unsafe {
        gemm(
            m,
            n,
            k,
            out.as_mut_ptr(),
            1,
            n as isize,
            accumulate,
            lhs.values.as_ptr(),
            lhs.col as isize,
            lhs.row as isize,
            rhs.values.as_ptr(),
            rhs.col as isize,
            rhs.row as isize,
            1.0,
            1.0,
            false,
            false,
            false,
            parallelism,
        );
    }
}

/// What the layers' tests share: they compare a layer with burn's own on random input.
#[cfg(test)]
pub(super) mod test_support {
    use burn::tensor::TensorData;

    /// How far a layer may be from burn's: relative to the largest value of burn's result.
    pub const TOLERANCE: f32 = 1e-4;

    /// The largest absolute difference, relative to the largest absolute value of `expected`.
    pub fn relative_error(actual: TensorData, expected: TensorData) -> f32 {
        let actual = actual.try_to_vec::<f32>().expect("f32 values");
        let expected = expected.try_to_vec::<f32>().expect("f32 values");
        assert_eq!(actual.len(), expected.len(), "different sizes");
        let scale = expected.iter().fold(0f32, |m, v| m.max(v.abs())).max(1e-6);
        let worst = actual
            .iter()
            .zip(&expected)
            .fold(0f32, |m, (a, e)| m.max((a - e).abs()));
        worst / scale
    }
}
