//! A Keras-style bidirectional LSTM, written for speed on the CPU.
//!
//! burn's own `BiLstm` runs the two directions one after the other with several small matmuls
//! per step, and slices each step out of full-size tensors; every such slice makes the backward
//! pass allocate and add a gradient the size of the whole sequence. Here the input projection
//! of every time step of both directions is one batched matmul, time-major, and then:
//! - on burn's `flex` CPU backend, the recurrence is one operation with its own backward pass
//!   ([`recurrence`]);
//! - elsewhere (LibTorch), [`recurrence_with_tensor_ops`] runs each step as one batched
//!   `[2, B, H] x [2, H, 4H]` matmul for both directions, and takes the steps out in two levels
//!   (blocks of about sqrt(T) steps, then steps within a block), so the backward pass adds
//!   about 2·sqrt(T) block-sized gradients instead of T full-size ones.
//!
//! Weights follow Keras: Glorot-uniform input kernels, orthogonal recurrent kernels, a single
//! bias of 4·units per direction with the forget gate's set to 1; gates in Keras order
//! (input, forget, cell, output).

use burn::module::{Module, Param};
use burn::prelude::*;
use burn::tensor::activation::sigmoid;

use super::GLOROT_UNIFORM;

mod recurrence;
use burn::nn::Initializer;

/// Sizes of a [`BiLstm`].
#[derive(Clone, Debug)]
pub struct BiLstmConfig {
    /// Features per time step of the input.
    pub input_size: usize,
    /// Units per direction.
    pub units: usize,
}

/// Bidirectional LSTM over the full sequence; both directions' weights stacked on a leading
/// axis of size 2 (0 = forward in time, 1 = backward).
#[derive(Module, Debug)]
pub struct BiLstm {
    /// `[2, input_size, 4·units]`
    kernel: Param<Tensor<3>>,
    /// `[2, units, 4·units]`
    recurrent_kernel: Param<Tensor<3>>,
    /// `[2, 1, 4·units]`
    bias: Param<Tensor<3>>,
    units: usize,
}

impl BiLstmConfig {
    /// Keras-initialized weights on `device`.
    pub fn init(&self, device: &Device) -> BiLstm {
        let (f, h) = (self.input_size, self.units);
        let kernel = |_| {
            GLOROT_UNIFORM
                .init_with::<2, _>([f, 4 * h], Some(f), Some(4 * h), device)
                .val()
        };
        let recurrent = |_| {
            Initializer::Orthogonal { gain: 1.0 }
                .init::<2, _>([h, 4 * h], device)
                .val()
        };
        let mut bias = vec![0f32; 2 * 4 * h];
        for direction in 0..2 {
            let forget_gate = direction * 4 * h + h..direction * 4 * h + 2 * h;
            bias[forget_gate].fill(1.0);
        }
        BiLstm {
            // Stacking is an operation: detach to get the leaf tensors parameters must be.
            kernel: Param::from_tensor(Tensor::stack((0..2).map(kernel).collect(), 0).detach()),
            recurrent_kernel: Param::from_tensor(
                Tensor::stack((0..2).map(recurrent).collect(), 0).detach(),
            ),
            bias: Param::from_tensor(Tensor::from_data(
                TensorData::new(bias, [2, 1, 4 * h]),
                device,
            )),
            units: h,
        }
    }
}

impl BiLstm {
    /// Time-major input `[time, batch, features]` -> `[batch, time · 2 · units]`: the hidden
    /// states of every step, forward direction first, flattened the way Keras' `Flatten`
    /// flattens `[batch, time, 2 · units]`.
    pub fn forward(&self, x: Tensor<3>) -> Tensor<2> {
        let [time, batch, features] = x.dims();
        let h = self.units;

        // Both directions read the sequence forwards: the backward one gets it reversed.
        let both = Tensor::stack::<4>(vec![x.clone(), x.flip([0])], 0); // [2, T, B, F]
        let projected = both
            .reshape([2, time * batch, features])
            .matmul(self.kernel.val())
            .add(self.bias.val()) // [2, T·B, 4H]
            .reshape([2, time, batch, 4 * h]);

        let recurrent = self.recurrent_kernel.val();
        if recurrence::runs_fused(&projected) {
            recurrence::lstm_recurrence(projected, recurrent)
        } else {
            recurrence_with_tensor_ops(projected, recurrent)
        }
    }
}

/// The recurrence of [`recurrence::lstm_recurrence`] (same inputs, same output) written with
/// burn's tensor operations: what backends other than `flex` run, and the reference the fused
/// operation is tested against.
fn recurrence_with_tensor_ops(projected: Tensor<4>, recurrent: Tensor<3>) -> Tensor<2> {
    let [_, time, batch, gates] = projected.dims();
    let h = gates / 4;
    let device = projected.device();
    let mut hidden = Tensor::<3>::zeros([2, batch, h], &device);
    let mut cell = Tensor::<3>::zeros([2, batch, h], &device);
    let mut outputs = Vec::with_capacity(time);
    for step_input in two_level_steps(projected.swap_dims(0, 1)) {
        let gates = step_input.add(hidden.matmul(recurrent.clone())); // [2, B, 4H]
        let mut gates = gates.chunk(4, 2).into_iter();
        let (Some(i), Some(f), Some(g), Some(o)) =
            (gates.next(), gates.next(), gates.next(), gates.next())
        else {
            unreachable!("chunk(4) of 4·units gives four gates")
        };
        cell = sigmoid(f).mul(cell).add(sigmoid(i).mul(g.tanh()));
        hidden = sigmoid(o).mul(cell.clone().tanh());
        outputs.push(hidden.clone());
    }

    let outputs = Tensor::stack::<4>(outputs, 0); // [T, 2, B, H], backward in reverse time
    let forward = outputs.clone().narrow(1, 0, 1);
    let backward = outputs.narrow(1, 1, 1).flip([0]);
    Tensor::cat(vec![forward, backward], 1) // [T, 2, B, H]
        .permute([2, 0, 1, 3])
        .reshape([batch, time * 2 * h])
}

/// The steps of a `[T, ...]` tensor as `[...]` tensors, split in two levels (see the module
/// documentation for why).
fn two_level_steps(sequence: Tensor<4>) -> Vec<Tensor<3>> {
    let time = sequence.dims()[0];
    let block = (time as f64).sqrt().ceil().max(1.0) as usize;
    sequence
        .split(block, 0)
        .into_iter()
        .flat_map(|block| block.split(1, 0))
        .map(|step| step.squeeze_dim::<3>(0))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn output_is_flattened_over_time_and_directions() {
        let device = Device::flex();
        let lstm = BiLstmConfig {
            input_size: 3,
            units: 2,
        }
        .init(&device);
        let x = Tensor::<3>::ones([7, 5, 3], &device);
        assert_eq!(lstm.forward(x).dims(), [5, 7 * 2 * 2]);
    }

    #[test]
    fn directions_read_time_in_opposite_orders() {
        // With identical weights in both directions, the backward direction's output at step t
        // equals the forward direction's output for the reversed sequence at step T-1-t.
        let device = Device::flex();
        let mut lstm = BiLstmConfig {
            input_size: 2,
            units: 3,
        }
        .init(&device);
        let first = |p: &Param<Tensor<3>>| p.val().narrow(0, 0, 1);
        lstm.kernel = Param::from_tensor(first(&lstm.kernel).repeat_dim(0, 2));
        lstm.recurrent_kernel = Param::from_tensor(first(&lstm.recurrent_kernel).repeat_dim(0, 2));
        let x = Tensor::<3>::random([4, 1, 2], burn::tensor::Distribution::Default, &device);
        let out = lstm.forward(x.clone()).reshape([4, 2, 3]);
        let reversed = lstm.forward(x.flip([0])).reshape([4, 2, 3]);
        let backward = out.narrow(1, 1, 1).flip([0]);
        let forward_of_reversed = reversed.narrow(1, 0, 1);
        backward.into_data().assert_approx_eq::<f32>(
            &forward_of_reversed.into_data(),
            burn::tensor::Tolerance::absolute(1e-6),
        );
    }

    #[test]
    fn forget_gate_bias_is_one() {
        let lstm = BiLstmConfig {
            input_size: 2,
            units: 3,
        }
        .init(&Device::flex());
        let bias = lstm
            .bias
            .val()
            .into_data()
            .try_to_vec::<f32>()
            .unwrap_or_default();
        let expected: Vec<f32> = [0., 0., 0., 1., 1., 1., 0., 0., 0., 0., 0., 0.].repeat(2);
        assert_eq!(bias, expected);
    }
}
