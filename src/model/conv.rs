//! The network's "same"-padded convolutions on burn's `flex` CPU backend, forward and
//! backward, each as large matrix products (issue 8).
//!
//! burn's own path builds an unfolded (im2col) copy of the input for every sequence, runs a
//! small matrix product per sequence, and computes the gradients through a general transposed
//! convolution and a convolution over the batch, with single-threaded layout copies in
//! between. Here the input is copied once into a zero-padded channels-last layout
//! `[batch, length + kernel − 1, channels]`. In that layout the unfolded input needs no copy:
//! row `t` of a sequence's im2col matrix, the `kernel · channels` values under the kernel at
//! output position `t`, is the contiguous run starting at padded row `t`, so the im2col matrix
//! is the padded buffer read with a row stride of `channels` (rows overlap). `gemm` takes
//! arbitrary strides, so all three products (output, input gradient, weight gradient) read the
//! padded buffers in place:
//!
//! - output, per sequence: `out[c_out, t] = Σ_(k, c_in) w[c_out, (k, c_in)] · x_pad[t + k, c_in]`;
//! - input gradient, per sequence: the same product on the padded channels-last output
//!   gradient with the kernel flipped;
//! - weight gradient: one product over every position of the batch at once, reading the
//!   batch's padded buffers as one matrix (the rows that straddle two sequences meet zero
//!   output gradient, so they add nothing).
//!
//! Only `f32` on `flex` takes this path; other backends (LibTorch) and dtypes use burn's
//! `conv1d`, and the tests beside this file check that both give the same outputs and
//! gradients.

use std::sync::Arc;

use burn::backend::autodiff::checkpoint::base::Checkpointer;
use burn::backend::autodiff::checkpoint::strategy::CheckpointStrategy;
use burn::backend::autodiff::grads::Gradients;
use burn::backend::autodiff::ops::{Backward, Ops, OpsKind};
use burn::backend::flex::FlexTensor;
use burn::backend::ops::ModuleOps;
use burn::backend::tensor::FloatTensor;
use burn::backend::{Autodiff, Backend, Dispatch, Flex, backend_extension};
use burn::tensor::ops::ConvOptions;
use burn::tensor::{DType, Tensor};

use super::flex::{f32s, runs_on_flex, tensor};
/// A backend that can run a stride-1, "same"-padded 1-D convolution with bias (Keras'
/// padding: for an even kernel the extra zero goes on the right).
#[backend_extension(Flex, Autodiff)]
pub trait SameConvBackend: Backend {
    /// `x [batch, c_in, length]`, `weight [c_out, c_in, kernel]`, `bias [c_out]` ->
    /// `[batch, c_out, length]`.
    fn same_conv1d(
        x: FloatTensor<Self>,
        weight: FloatTensor<Self>,
        bias: FloatTensor<Self>,
    ) -> FloatTensor<Self>;
}

/// The convolution of [`SameConvBackend`] on any tensor: the matrix-product path on `flex`,
/// burn's `conv1d` elsewhere.
pub fn same_conv1d(x: Tensor<3>, weight: Tensor<3>, bias: Tensor<1>) -> Tensor<3> {
    if runs_on_flex(&x.device()) {
        Tensor::from_dispatch(<Dispatch as SameConvBackend>::same_conv1d(
            x.into_dispatch(),
            weight.into_dispatch(),
            bias.into_dispatch(),
        ))
    } else {
        let kernel = weight.dims()[2];
        burn::tensor::module::conv1d(x, weight, Some(bias), same_options(kernel))
    }
}

/// Zeros before and after a sequence for a stride-1 "same" convolution (burn's
/// `PaddingConfig1d::Same` and Keras' `padding="same"`: the extra one after).
fn same_padding(kernel: usize) -> (usize, usize) {
    let before = (kernel - 1) / 2;
    (before, kernel - 1 - before)
}

/// burn's options for the same convolution (its fallback path).
fn same_options(kernel: usize) -> ConvOptions<1> {
    let (before, after) = same_padding(kernel);
    ConvOptions::new_with_padding([1], [(before, after)], [1], 1)
}

/// The sizes of one convolution call.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct ConvShape {
    batch: usize,
    channels_in: usize,
    channels_out: usize,
    kernel: usize,
    length: usize,
}

impl ConvShape {
    fn of(x: &FlexTensor, weight: &FlexTensor) -> Self {
        let x_dims = x.layout().shape();
        let w_dims = weight.layout().shape();
        assert_eq!(x_dims[1], w_dims[1], "convolution: input channels differ");
        Self {
            batch: x_dims[0],
            channels_in: x_dims[1],
            channels_out: w_dims[0],
            kernel: w_dims[2],
            length: x_dims[2],
        }
    }

    /// Rows of a padded sequence.
    fn padded_length(&self) -> usize {
        self.length + self.kernel - 1
    }

    fn before(&self) -> usize {
        same_padding(self.kernel).0
    }

    fn after(&self) -> usize {
        same_padding(self.kernel).1
    }
}

impl SameConvBackend for Flex {
    fn same_conv1d(x: FlexTensor, weight: FlexTensor, bias: FlexTensor) -> FlexTensor {
        if x.dtype() != DType::F32 {
            let kernel = weight.layout().shape()[2];
            return Flex::conv1d(x, weight, Some(bias), same_options(kernel));
        }
        let shape = ConvShape::of(&x, &weight);
        forward(&padded_input(&x, shape), &weight, &bias, shape)
    }
}

/// The input `[batch, c_in, length]` as the products read it: zero-padded channels-last.
fn padded_input(x: &FlexTensor, shape: ConvShape) -> Vec<f32> {
    kernels::padded_channels_last(
        f32s(x).as_slice(),
        shape.batch,
        shape.channels_in,
        shape.length,
        shape.before(),
        shape.after(),
    )
}

fn forward(x_pad: &[f32], weight: &FlexTensor, bias: &FlexTensor, shape: ConvShape) -> FlexTensor {
    let out = kernels::forward(x_pad, f32s(weight).as_slice(), f32s(bias).as_slice(), shape);
    tensor(out, [shape.batch, shape.channels_out, shape.length])
}

/// The backward step of [`SameConvBackend::same_conv1d`] under autodiff.
#[derive(Debug)]
struct SameConvBackward;

/// What the backward step keeps from the forward: the padded channels-last input (so it is
/// not built again; shared, not copied, when autodiff clones the state), the weight, and the
/// sizes.
type SavedForBackward = (Arc<Vec<f32>>, FlexTensor, ConvShape);

impl Backward<Flex, 3> for SameConvBackward {
    type State = SavedForBackward;

    fn backward(self, ops: Ops<Self::State, 3>, grads: &mut Gradients, _: &mut Checkpointer) {
        let [node_x, node_weight, node_bias] = ops.parents;
        let grad = grads.consume::<Flex>(&ops.node);
        let (x_pad, weight, shape) = ops.state;
        let grad = f32s(&grad);
        // The output gradient padded so that the input gradient is a "same" convolution of it
        // with the flipped kernel: the padding swaps sides.
        let grad_pad = kernels::padded_channels_last(
            grad.as_slice(),
            shape.batch,
            shape.channels_out,
            shape.length,
            shape.after(),
            shape.before(),
        );
        if let Some(node) = node_x {
            let dx = kernels::input_gradient(&grad_pad, f32s(&weight).as_slice(), shape);
            grads.register::<Flex>(
                node.id,
                tensor(dx, [shape.batch, shape.channels_in, shape.length]),
            );
        }
        if let Some(node) = node_weight {
            let dw = kernels::weight_gradient(&x_pad, &grad_pad, shape);
            grads.register::<Flex>(
                node.id,
                tensor(dw, [shape.channels_out, shape.channels_in, shape.kernel]),
            );
        }
        if let Some(node) = node_bias {
            let db = kernels::bias_gradient(grad.as_slice(), shape);
            grads.register::<Flex>(node.id, tensor(db, [shape.channels_out]));
        }
    }
}

impl<C: CheckpointStrategy> SameConvBackend for Autodiff<Flex, C> {
    fn same_conv1d(
        x: FloatTensor<Self>,
        weight: FloatTensor<Self>,
        bias: FloatTensor<Self>,
    ) -> FloatTensor<Self> {
        if x.primitive().dtype() != DType::F32 {
            let kernel = weight.primitive().layout().shape()[2];
            return Self::conv1d(x, weight, Some(bias), same_options(kernel));
        }
        let prepared = SameConvBackward
            .prepare::<C>([x.node(), weight.node(), bias.node()])
            .compute_bound()
            .stateful();
        let (x, weight, bias) = (
            x.into_primitive(),
            weight.into_primitive(),
            bias.into_primitive(),
        );
        match prepared {
            OpsKind::Tracked(prep) => {
                let shape = ConvShape::of(&x, &weight);
                let x_pad = padded_input(&x, shape);
                let out = forward(&x_pad, &weight, &bias, shape);
                prep.finish((Arc::new(x_pad), weight, shape), out)
            }
            OpsKind::UnTracked(prep) => prep.finish(Flex::same_conv1d(x, weight, bias)),
        }
    }
}

/// The arithmetic, on plain row-major `f32` buffers.
mod kernels {
    use super::ConvShape;
    use crate::model::flex::{Strided, lane_sum, par_channel_sums, product};
    use rayon::prelude::*;

    /// `[batch, channels, length]` -> `[batch, before + length + after, channels]`, the pad
    /// rows zero.
    pub(super) fn padded_channels_last(
        x: &[f32],
        batch: usize,
        channels: usize,
        length: usize,
        before: usize,
        after: usize,
    ) -> Vec<f32> {
        assert_eq!(x.len(), batch * channels * length);
        let padded = before + length + after;
        let mut out = vec![0.0; batch * padded * channels];
        if out.is_empty() {
            return out;
        }
        out.par_chunks_mut(padded * channels)
            .zip(x.par_chunks(channels * length))
            .for_each(|(out, x)| {
                let rows = &mut out[before * channels..(before + length) * channels];
                transpose(x, rows, channels, length);
            });
        out
    }

    /// `from [rows, cols]` -> `to [cols, rows]`, both row-major, in square tiles so that
    /// both sides stay in cache (a plain loop writes with a stride of `rows` and was 7% of a
    /// training step).
    fn transpose(from: &[f32], to: &mut [f32], rows: usize, cols: usize) {
        const TILE: usize = 16;
        for row_start in (0..rows).step_by(TILE) {
            let row_end = (row_start + TILE).min(rows);
            for col_start in (0..cols).step_by(TILE) {
                let col_end = (col_start + TILE).min(cols);
                for row in row_start..row_end {
                    let source = &from[row * cols + col_start..row * cols + col_end];
                    for (col, &value) in (col_start..col_end).zip(source) {
                        to[col * rows + row] = value;
                    }
                }
            }
        }
    }

    /// `weight [a, b, kernel]` -> `[a, kernel, b]`, with the kernel reversed when `flip`.
    fn kernel_major(weight: &[f32], a: usize, b: usize, kernel: usize, flip: bool) -> Vec<f32> {
        let mut out = vec![0.0; weight.len()];
        for i in 0..a {
            for j in 0..b {
                for k in 0..kernel {
                    let to = if flip { kernel - 1 - k } else { k };
                    out[(i * kernel + to) * b + j] = weight[(i * b + j) * kernel + k];
                }
            }
        }
        out
    }

    /// `[a, b, kernel]` -> `[b, a, kernel]`.
    fn swap_channels(weight: &[f32], a: usize, b: usize, kernel: usize) -> Vec<f32> {
        let mut out = vec![0.0; weight.len()];
        for i in 0..a {
            for j in 0..b {
                let from = (i * b + j) * kernel;
                let to = (j * a + i) * kernel;
                out[to..to + kernel].copy_from_slice(&weight[from..from + kernel]);
            }
        }
        out
    }

    /// Per sequence: `out[rows, length] = lhs[rows, kernel · cols] · unfold(pad)` where
    /// `pad` is the sequence's padded channels-last buffer `[length + kernel − 1, cols]` and
    /// `unfold(pad)[(k, c), t] = pad[t + k, c]`. `out` starts as `init` (bias or zero).
    fn per_sequence_product(
        pad: &[f32],
        lhs: &[f32],
        rows: usize,
        cols: usize,
        shape: ConvShape,
        mut out: Vec<f32>,
    ) -> Vec<f32> {
        let (length, kernel) = (shape.length, shape.kernel);
        let padded = shape.padded_length();
        assert_eq!(lhs.len(), rows * kernel * cols);
        assert_eq!(pad.len(), shape.batch * padded * cols);
        assert_eq!(out.len(), shape.batch * rows * length);
        if out.is_empty() {
            return out;
        }
        out.par_chunks_mut(rows * length)
            .zip(pad.par_chunks(padded * cols))
            .for_each(|(out, pad)| {
                // The unfolded input, `[kernel · cols, length]`: element `(j, t)` is
                // `pad[t · cols + j]`, so columns overlap.
                let unfolded = Strided {
                    values: pad,
                    row: 1,
                    col: cols,
                };
                let lhs = Strided::rows(lhs, kernel * cols);
                product(
                    (rows, length, kernel * cols),
                    out,
                    true,
                    lhs,
                    unfolded,
                    false,
                );
            });
        out
    }

    /// The convolution's output `[batch, c_out, length]` from the padded input
    /// `[batch, length + kernel − 1, c_in]`.
    pub(super) fn forward(
        x_pad: &[f32],
        weight: &[f32],
        bias: &[f32],
        shape: ConvShape,
    ) -> Vec<f32> {
        let (c_in, c_out, kernel) = (shape.channels_in, shape.channels_out, shape.kernel);
        let lhs = kernel_major(weight, c_out, c_in, kernel, false);
        let mut out = Vec::with_capacity(shape.batch * c_out * shape.length);
        for _ in 0..shape.batch {
            for &b in bias {
                out.extend(std::iter::repeat_n(b, shape.length));
            }
        }
        per_sequence_product(x_pad, &lhs, c_out, c_in, shape, out)
    }

    /// The input's gradient `[batch, c_in, length]` from the output's gradient padded the
    /// other way round (`after` zeros first): a "same" convolution of it with the kernel
    /// flipped and its channels swapped.
    pub(super) fn input_gradient(grad_pad: &[f32], weight: &[f32], shape: ConvShape) -> Vec<f32> {
        let (c_in, c_out, kernel) = (shape.channels_in, shape.channels_out, shape.kernel);
        let swapped = swap_channels(weight, c_out, c_in, kernel);
        let lhs = kernel_major(&swapped, c_in, c_out, kernel, true);
        let out = vec![0.0; shape.batch * c_in * shape.length];
        per_sequence_product(grad_pad, &lhs, c_in, c_out, shape, out)
    }

    /// The weight's gradient `[c_out, c_in, kernel]`: `dw[o, (k, c)] = Σ_i grad_pad[i + after,
    /// o] · x_pad[i + k, c]`, with `i` running over the batch's padded rows as one buffer (the
    /// windows that straddle two sequences meet zero gradient). Each thread takes a share of
    /// the sequences as one product of its own and the shares are added in order: a single
    /// product split across threads ran at about 60% of that speed at batch 128.
    pub(super) fn weight_gradient(x_pad: &[f32], grad_pad: &[f32], shape: ConvShape) -> Vec<f32> {
        let (c_in, c_out, kernel) = (shape.channels_in, shape.channels_out, shape.kernel);
        let padded = shape.padded_length();
        assert_eq!(x_pad.len(), shape.batch * padded * c_in);
        assert_eq!(grad_pad.len(), shape.batch * padded * c_out);
        let size = c_out * kernel * c_in;
        // Windows past the last full one would read beyond the buffers; they all straddle
        // the end, where the gradient is zero.
        let positions = (shape.batch * padded).saturating_sub(kernel - 1);
        let shares = rayon::current_num_threads().clamp(1, shape.batch.max(1));
        let parts: Vec<Vec<f32>> = (0..shares)
            .into_par_iter()
            .map(|share| {
                let first = share * shape.batch / shares * padded;
                let end = ((share + 1) * shape.batch / shares * padded).min(positions);
                let mut dw = vec![0.0; size];
                if end > first {
                    // `[c_out, positions]`: element `(o, i)` is `grad_pad[(i + after) · c_out + o]`.
                    let grad = Strided {
                        values: &grad_pad[(first + shape.after()) * c_out..],
                        row: 1,
                        col: c_out,
                    };
                    // `[positions, kernel · c_in]`, rows overlapping: `(i, j)` is
                    // `x_pad[i · c_in + j]`.
                    let unfolded = Strided {
                        values: &x_pad[first * c_in..],
                        row: c_in,
                        col: 1,
                    };
                    let shape = (c_out, kernel * c_in, end - first);
                    product(shape, &mut dw, false, grad, unfolded, false);
                }
                dw
            })
            .collect();
        let mut dw = vec![0.0; size];
        for part in &parts {
            for (total, value) in dw.iter_mut().zip(part) {
                *total += value;
            }
        }
        // [c_out, kernel, c_in] -> [c_out, c_in, kernel]
        let mut out = vec![0.0; dw.len()];
        for o in 0..c_out {
            for k in 0..kernel {
                for c in 0..c_in {
                    out[(o * c_in + c) * kernel + k] = dw[(o * kernel + k) * c_in + c];
                }
            }
        }
        out
    }

    /// The bias's gradient: the output gradient summed over the batch and positions.
    pub(super) fn bias_gradient(grad: &[f32], shape: ConvShape) -> Vec<f32> {
        let sizes = [shape.batch, shape.channels_out, shape.length];
        par_channel_sums(sizes, |_, range| lane_sum(&grad[range], |g| g))
    }
}

#[cfg(test)]
mod tests;
