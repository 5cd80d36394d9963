//! Batch normalization's training step on burn's `flex` CPU backend, forward and backward,
//! computed per channel in place (issue 8).
//!
//! burn's generic training step gathers each channel's values with a transposing copy of the
//! whole activation (`[batch, channels, length]` -> `[channels, batch · length]`) for the mean,
//! again for the variance, and twice more in the backward pass, then runs each formula as
//! separate whole-tensor operations. Here the statistics and the parameter gradients are sums
//! read in place, and the output and input gradient are one pass each.
//!
//! The layer, its parameters and its running statistics stay burn's [`BatchNorm`], so
//! checkpoints are unchanged; [`forward`] replaces only its training-mode forward on `flex`
//! and updates the running statistics exactly as burn does.

use burn::backend::autodiff::checkpoint::base::Checkpointer;
use burn::backend::autodiff::checkpoint::strategy::CheckpointStrategy;
use burn::backend::autodiff::grads::Gradients;
use burn::backend::autodiff::ops::{Backward, Ops, OpsKind};
use burn::backend::flex::FlexTensor;
use burn::backend::tensor::FloatTensor;
use burn::backend::{Autodiff, Backend, Dispatch, Flex, backend_extension};
use burn::nn::BatchNorm;
use burn::tensor::{DType, Tensor};

use super::flex::{f32s, runs_on_flex, tensor};

/// A backend that can run batch normalization's training step with its statistics computed
/// apart (so that the caller can update running statistics from them).
#[backend_extension(Flex, Autodiff)]
pub trait BatchNormBackend: Backend {
    /// `x [batch, channels, length]` -> `[2, channels]`: each channel's mean and biased
    /// variance over the batch and positions. Not differentiated.
    fn channel_statistics(x: FloatTensor<Self>) -> FloatTensor<Self>;

    /// `(x − mean) / sqrt(variance + epsilon) · gamma + beta` per channel, where `statistics`
    /// must be [`channel_statistics`](BatchNormBackend::channel_statistics) of this same
    /// `x`: the gradient includes the statistics' dependence on `x`.
    fn batch_norm_train(
        x: FloatTensor<Self>,
        gamma: FloatTensor<Self>,
        beta: FloatTensor<Self>,
        statistics: FloatTensor<Self>,
        epsilon: f64,
    ) -> FloatTensor<Self>;
}

/// `norm`'s forward on `x [batch, channels, length]`: the in-place training step when `x` is
/// `f32` on `flex` with autodiff and the layer is training, burn's own forward otherwise.
pub fn forward(norm: &BatchNorm, x: Tensor<3>) -> Tensor<3> {
    let device = x.device();
    let fused = runs_on_flex(&device)
        && device.is_autodiff()
        && norm.training.is_enabled()
        && x.dtype() == DType::F32;
    if !fused {
        return norm.forward(x);
    }
    let channels = x.dims()[1];
    let statistics = Tensor::<2>::from_dispatch(
        <Dispatch as BatchNormBackend>::channel_statistics(x.clone().detach().into_dispatch()),
    );
    let output = Tensor::<3>::from_dispatch(<Dispatch as BatchNormBackend>::batch_norm_train(
        x.into_dispatch(),
        norm.gamma.val().into_dispatch(),
        norm.beta.val().into_dispatch(),
        statistics.clone().into_dispatch(),
        norm.epsilon,
    ));
    // The running statistics, updated as burn's `BatchNorm::forward_train` updates them.
    let mean = statistics.clone().narrow(0, 0, 1).reshape([channels]);
    let variance = statistics.narrow(0, 1, 1).reshape([channels]);
    let momentum = norm.momentum;
    let running_mean = norm.running_mean.value_sync().to_device(&device);
    let running_var = norm.running_var.value_sync().to_device(&device);
    let running_mean = running_mean
        .mul_scalar(1.0 - momentum)
        .add(mean.mul_scalar(momentum));
    let running_var = running_var
        .mul_scalar(1.0 - momentum)
        .add(variance.mul_scalar(momentum));
    norm.running_mean.update(running_mean.detach());
    norm.running_var.update(running_var.detach());
    output
}

/// The sizes of one call.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Sizes {
    batch: usize,
    channels: usize,
    length: usize,
}

impl Sizes {
    fn of(x: &FlexTensor) -> Self {
        let dims = x.layout().shape();
        assert_eq!(
            dims.len(),
            3,
            "batch normalization: [batch, channels, length]"
        );
        Self {
            batch: dims[0],
            channels: dims[1],
            length: dims[2],
        }
    }

    /// `[batch, channels, length]`.
    fn shape(&self) -> [usize; 3] {
        [self.batch, self.channels, self.length]
    }

    /// Values per channel.
    fn count(&self) -> usize {
        self.batch * self.length
    }
}

/// The arithmetic, on plain row-major `f32` buffers `[batch, channels, length]`.
mod kernels {
    use super::Sizes;
    use crate::model::flex::{lane_sum, lane_sum2, par_channel_sums};
    use rayon::prelude::*;

    /// Means then biased variances, `[2 · channels]` (each sequence's row summed in `f32`,
    /// the rows in `f64`).
    pub(super) fn statistics(x: &[f32], sizes: Sizes) -> Vec<f32> {
        let count = sizes.count().max(1) as f64;
        let means: Vec<f32> = par_channel_sums(sizes.shape(), |_, range| {
            f64::from(lane_sum(&x[range], |v| v))
        })
        .into_iter()
        .map(|sum| (sum / count) as f32)
        .collect();
        let variances: Vec<f32> = par_channel_sums(sizes.shape(), |channel, range| {
            let mean = means[channel];
            f64::from(lane_sum(&x[range], |v| (v - mean) * (v - mean)))
        })
        .into_iter()
        .map(|sum| (sum / count) as f32)
        .collect();
        [means, variances].concat()
    }

    /// Each channel's mean and `1 / sqrt(variance + epsilon)`.
    pub(super) fn mean_and_inverse_std(statistics: &[f32], epsilon: f64) -> Vec<(f32, f32)> {
        let channels = statistics.len() / 2;
        (0..channels)
            .map(|c| {
                let inverse_std = 1.0 / (f64::from(statistics[channels + c]) + epsilon).sqrt();
                (statistics[c], inverse_std as f32)
            })
            .collect()
    }

    pub(super) fn normalize(
        x: &[f32],
        gamma: &[f32],
        beta: &[f32],
        statistics: &[f32],
        epsilon: f64,
        sizes: Sizes,
    ) -> Vec<f32> {
        let per_channel = mean_and_inverse_std(statistics, epsilon);
        let mut out = vec![0.0; x.len()];
        let sequence = sizes.channels * sizes.length;
        if sequence == 0 {
            return out;
        }
        out.par_chunks_mut(sequence)
            .zip(x.par_chunks(sequence))
            .for_each(|(out, x)| {
                for (c, (out, x)) in out
                    .chunks_exact_mut(sizes.length)
                    .zip(x.chunks_exact(sizes.length))
                    .enumerate()
                {
                    let (mean, inverse_std) = per_channel[c];
                    let scale = gamma[c] * inverse_std;
                    let shift = beta[c] - mean * scale;
                    for (out, &x) in out.iter_mut().zip(x) {
                        *out = x * scale + shift;
                    }
                }
            });
        out
    }

    /// The gradients of `x`, `gamma` and `beta` from the output's gradient.
    pub(super) fn backward(
        x: &[f32],
        grad: &[f32],
        gamma: &[f32],
        statistics: &[f32],
        epsilon: f64,
        sizes: Sizes,
    ) -> (Vec<f32>, Vec<f32>, Vec<f32>) {
        let per_channel = mean_and_inverse_std(statistics, epsilon);
        // Σ grad and Σ grad · x̂ per channel, with x̂ the normalized input.
        let sums = par_channel_sums(sizes.shape(), |channel, range| {
            let (mean, inverse_std) = per_channel[channel];
            let (x, grad) = (&x[range.clone()], &grad[range]);
            (
                f64::from(lane_sum(grad, |g| g)),
                f64::from(lane_sum2(x, grad, |x, g| g * (x - mean) * inverse_std)),
            )
        });
        let count = sizes.count().max(1) as f32;
        let grad_beta: Vec<f32> = sums.iter().map(|&(g, _)| g as f32).collect();
        let grad_gamma: Vec<f32> = sums.iter().map(|&(_, gx)| gx as f32).collect();
        let mut grad_x = vec![0.0; x.len()];
        let sequence = sizes.channels * sizes.length;
        if sequence > 0 {
            grad_x
                .par_chunks_mut(sequence)
                .zip(x.par_chunks(sequence).zip(grad.par_chunks(sequence)))
                .for_each(|(out, (x, grad))| {
                    for c in 0..sizes.channels {
                        let (mean, inverse_std) = per_channel[c];
                        let scale = gamma[c] * inverse_std;
                        let mean_grad = grad_beta[c] / count;
                        let mean_projected = grad_gamma[c] / count;
                        let range = c * sizes.length..(c + 1) * sizes.length;
                        for ((out, &x), &g) in out[range.clone()]
                            .iter_mut()
                            .zip(&x[range.clone()])
                            .zip(&grad[range])
                        {
                            let normalized = (x - mean) * inverse_std;
                            *out = scale * (g - mean_grad - normalized * mean_projected);
                        }
                    }
                });
        }
        (grad_x, grad_gamma, grad_beta)
    }
}

impl BatchNormBackend for Flex {
    fn channel_statistics(x: FlexTensor) -> FlexTensor {
        let sizes = Sizes::of(&x);
        let statistics = kernels::statistics(f32s(&x).as_slice(), sizes);
        tensor(statistics, [2, sizes.channels])
    }

    fn batch_norm_train(
        x: FlexTensor,
        gamma: FlexTensor,
        beta: FlexTensor,
        statistics: FlexTensor,
        epsilon: f64,
    ) -> FlexTensor {
        let sizes = Sizes::of(&x);
        let out = kernels::normalize(
            f32s(&x).as_slice(),
            f32s(&gamma).as_slice(),
            f32s(&beta).as_slice(),
            f32s(&statistics).as_slice(),
            epsilon,
            sizes,
        );
        tensor(out, [sizes.batch, sizes.channels, sizes.length])
    }
}

/// The backward step of [`BatchNormBackend::batch_norm_train`] under autodiff.
#[derive(Debug)]
struct BatchNormBackward;

/// The input, gamma, the statistics, epsilon and the sizes.
type SavedForBackward = (FlexTensor, FlexTensor, FlexTensor, f64, Sizes);

impl Backward<Flex, 3> for BatchNormBackward {
    type State = SavedForBackward;

    fn backward(self, ops: Ops<Self::State, 3>, grads: &mut Gradients, _: &mut Checkpointer) {
        let [node_x, node_gamma, node_beta] = ops.parents;
        let grad = grads.consume::<Flex>(&ops.node);
        let (x, gamma, statistics, epsilon, sizes) = ops.state;
        let (grad_x, grad_gamma, grad_beta) = kernels::backward(
            f32s(&x).as_slice(),
            f32s(&grad).as_slice(),
            f32s(&gamma).as_slice(),
            f32s(&statistics).as_slice(),
            epsilon,
            sizes,
        );
        if let Some(node) = node_x {
            let shape = [sizes.batch, sizes.channels, sizes.length];
            grads.register::<Flex>(node.id, tensor(grad_x, shape));
        }
        if let Some(node) = node_gamma {
            grads.register::<Flex>(node.id, tensor(grad_gamma, [sizes.channels]));
        }
        if let Some(node) = node_beta {
            grads.register::<Flex>(node.id, tensor(grad_beta, [sizes.channels]));
        }
    }
}

impl<C: CheckpointStrategy> BatchNormBackend for Autodiff<Flex, C> {
    fn channel_statistics(x: FloatTensor<Self>) -> FloatTensor<Self> {
        FloatTensor::<Self>::new(Flex::channel_statistics(x.into_primitive()))
    }

    fn batch_norm_train(
        x: FloatTensor<Self>,
        gamma: FloatTensor<Self>,
        beta: FloatTensor<Self>,
        statistics: FloatTensor<Self>,
        epsilon: f64,
    ) -> FloatTensor<Self> {
        let prepared = BatchNormBackward
            .prepare::<C>([x.node(), gamma.node(), beta.node()])
            .compute_bound()
            .stateful();
        let (x, gamma, beta) = (
            x.into_primitive(),
            gamma.into_primitive(),
            beta.into_primitive(),
        );
        let statistics = statistics.into_primitive();
        match prepared {
            OpsKind::Tracked(prep) => {
                let sizes = Sizes::of(&x);
                let out = Flex::batch_norm_train(
                    x.clone(),
                    gamma.clone(),
                    beta,
                    statistics.clone(),
                    epsilon,
                );
                prep.finish((x, gamma, statistics, epsilon, sizes), out)
            }
            OpsKind::UnTracked(prep) => {
                prep.finish(Flex::batch_norm_train(x, gamma, beta, statistics, epsilon))
            }
        }
    }
}

#[cfg(test)]
mod tests;
