//! The LSTM's step-by-step recurrence on burn's `flex` CPU backend as one operation with its
//! own backward pass through time (issue 8).
//!
//! Built from burn's tensor operations, each of the 110 steps is a dozen small operations
//! forward and as many backward, each with its own allocation and autodiff bookkeeping, and
//! nearly all of them too small to use a second core. Here one operation runs the whole
//! recurrence: the batch's rows and the two directions are independent, so each worker thread
//! takes one direction and a share of the rows through all the steps with no synchronization,
//! and the backward pass runs the same loop in reverse. The activated gates and cell states of
//! every step are kept for the backward pass, as burn's autodiff would keep them.
//!
//! Gates follow Keras' order (input, forget, cell, output); the input projection (and its
//! bias) is computed before, by one matrix product over all steps.

use std::sync::Arc;

use burn::backend::autodiff::checkpoint::base::Checkpointer;
use burn::backend::autodiff::checkpoint::strategy::CheckpointStrategy;
use burn::backend::autodiff::grads::Gradients;
use burn::backend::autodiff::ops::{Backward, Ops, OpsKind};
use burn::backend::flex::FlexTensor;
use burn::backend::tensor::FloatTensor;
use burn::backend::{Autodiff, Backend, Dispatch, Flex, backend_extension};
use burn::tensor::{DType, Tensor};
use rayon::prelude::*;

use crate::model::flex::{Strided, f32s, product, runs_on_flex, tensor};

/// A backend that can run the bidirectional LSTM's recurrence as one operation.
#[backend_extension(Flex, Autodiff)]
pub trait LstmRecurrenceBackend: Backend {
    /// `projected [2, time, batch, 4·units]` (each step's input projection plus bias, the
    /// backward direction's steps in reverse time) and `recurrent [2, units, 4·units]` ->
    /// every step's hidden state `[batch, time · 2 · units]`, ordered like Keras' `Flatten`
    /// of `[batch, time, 2 · units]` (the backward direction back in forward time).
    fn lstm_recurrence(
        projected: FloatTensor<Self>,
        recurrent: FloatTensor<Self>,
    ) -> FloatTensor<Self>;
}

/// Whether [`lstm_recurrence`] can run `projected`: `f32` on `flex`.
pub fn runs_fused(projected: &Tensor<4>) -> bool {
    runs_on_flex(&projected.device()) && projected.dtype() == DType::F32
}

/// [`LstmRecurrenceBackend::lstm_recurrence`] on tensors; see [`runs_fused`].
pub fn lstm_recurrence(projected: Tensor<4>, recurrent: Tensor<3>) -> Tensor<2> {
    Tensor::from_dispatch(<Dispatch as LstmRecurrenceBackend>::lstm_recurrence(
        projected.into_dispatch(),
        recurrent.into_dispatch(),
    ))
}

/// The sizes of one call.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Sizes {
    time: usize,
    batch: usize,
    units: usize,
}

impl Sizes {
    fn of(projected: &FlexTensor) -> Self {
        let dims = projected.layout().shape();
        assert_eq!(dims[0], 2, "LSTM recurrence: two directions");
        assert_eq!(dims[3] % 4, 0, "LSTM recurrence: four gates");
        Self {
            time: dims[1],
            batch: dims[2],
            units: dims[3] / 4,
        }
    }

    fn gates(&self) -> usize {
        4 * self.units
    }

    /// The independent pieces of work: each direction split into row ranges, enough for
    /// every thread (the split does not change any number: rows never interact).
    fn tasks(&self) -> Vec<Task> {
        let chunks = (rayon::current_num_threads() / 2).clamp(1, self.batch.max(1));
        (0..2)
            .flat_map(|direction| {
                (0..chunks).map(move |chunk| Task {
                    direction,
                    rows: chunk * self.batch / chunks..(chunk + 1) * self.batch / chunks,
                })
            })
            .collect()
    }

    /// The output's time index of step `step` of `direction`.
    fn output_time(&self, direction: usize, step: usize) -> usize {
        if direction == 0 {
            step
        } else {
            self.time - 1 - step
        }
    }
}

/// One direction over a range of the batch's rows.
#[derive(Clone, Debug)]
struct Task {
    direction: usize,
    rows: std::ops::Range<usize>,
}

/// One task's forward pass, step-major `[time, rows, ·]`, kept for the backward pass.
#[derive(Debug)]
struct TaskForward {
    /// Activated gates (input, forget, cell, output), `[time, rows, 4·units]`.
    gates: Vec<f32>,
    /// Cell states, `[time, rows, units]`.
    cells: Vec<f32>,
    /// Hidden states, `[time, rows, units]`.
    hidden: Vec<f32>,
}

fn sigmoid(x: f32) -> f32 {
    1.0 / (1.0 + (-x).exp())
}

/// tanh through `exp`: glibc's `tanhf` goes through `expm1f` and was a third of the
/// recurrence's time; this is within about 1e-7 of it (absolute), and exact at ±∞.
fn tanh(x: f32) -> f32 {
    1.0 - 2.0 / ((2.0 * x).exp() + 1.0)
}

/// One task through every step, forward.
fn task_forward(task: &Task, projected: &[f32], recurrent: &[f32], sizes: Sizes) -> TaskForward {
    let (h, g) = (sizes.units, sizes.gates());
    let rows = task.rows.len();
    let weights = &recurrent[task.direction * h * g..(task.direction + 1) * h * g];
    let mut gates = vec![0.0; sizes.time * rows * g];
    let mut cells = vec![0.0; sizes.time * rows * h];
    let mut hidden = vec![0.0; sizes.time * rows * h];
    for step in 0..sizes.time {
        let start = ((task.direction * sizes.time + step) * sizes.batch + task.rows.start) * g;
        let (done_hidden, hidden_now) = hidden.split_at_mut(step * rows * h);
        let (done_cells, cells_now) = cells.split_at_mut(step * rows * h);
        let gates_now = &mut gates[step * rows * g..(step + 1) * rows * g];
        gates_now.copy_from_slice(&projected[start..start + rows * g]);
        if step > 0 {
            let previous = &done_hidden[(step - 1) * rows * h..];
            product(
                (rows, g, h),
                gates_now,
                true,
                Strided::rows(previous, h),
                Strided::rows(weights, g),
                false,
            );
        }
        let previous_cells = (step > 0).then(|| &done_cells[(step - 1) * rows * h..]);
        for row in 0..rows {
            let gate = &mut gates_now[row * g..(row + 1) * g];
            for unit in 0..h {
                let input = sigmoid(gate[unit]);
                let forget = sigmoid(gate[h + unit]);
                let candidate = tanh(gate[2 * h + unit]);
                let output = sigmoid(gate[3 * h + unit]);
                (gate[unit], gate[h + unit]) = (input, forget);
                (gate[2 * h + unit], gate[3 * h + unit]) = (candidate, output);
                let before = previous_cells.map_or(0.0, |c| c[row * h + unit]);
                let cell = forget * before + input * candidate;
                cells_now[row * h + unit] = cell;
                hidden_now[row * h + unit] = output * tanh(cell);
            }
        }
    }
    TaskForward {
        gates,
        cells,
        hidden,
    }
}

/// Every task forward, and the hidden states in the output layout `[batch, time, 2, units]`.
fn forward(projected: &[f32], recurrent: &[f32], sizes: Sizes) -> (Vec<TaskForward>, Vec<f32>) {
    assert_eq!(
        projected.len(),
        2 * sizes.time * sizes.batch * sizes.gates()
    );
    assert_eq!(recurrent.len(), 2 * sizes.units * sizes.gates());
    let tasks = sizes.tasks();
    let passes: Vec<TaskForward> = tasks
        .par_iter()
        .map(|task| task_forward(task, projected, recurrent, sizes))
        .collect();
    let h = sizes.units;
    let mut out = vec![0.0; sizes.batch * sizes.time * 2 * h];
    for (task, pass) in tasks.iter().zip(&passes) {
        let rows = task.rows.len();
        for step in 0..sizes.time {
            let time = sizes.output_time(task.direction, step);
            for (local, row) in task.rows.clone().enumerate() {
                let from = (step * rows + local) * h;
                let to = ((row * sizes.time + time) * 2 + task.direction) * h;
                out[to..to + h].copy_from_slice(&pass.hidden[from..from + h]);
            }
        }
    }
    (passes, out)
}

/// One task's gradients: of its projected inputs `[time, rows, 4·units]`, and its share of
/// its direction's recurrent kernel's `[units, 4·units]`.
fn task_backward(
    task: &Task,
    pass: &TaskForward,
    grad: &[f32],
    recurrent: &[f32],
    sizes: Sizes,
) -> (Vec<f32>, Vec<f32>) {
    let (h, g) = (sizes.units, sizes.gates());
    let rows = task.rows.len();
    let weights = &recurrent[task.direction * h * g..(task.direction + 1) * h * g];
    let mut grad_gates = vec![0.0; sizes.time * rows * g];
    let mut grad_hidden = vec![0.0; rows * h];
    let mut grad_cell = vec![0.0; rows * h];
    for step in (0..sizes.time).rev() {
        let time = sizes.output_time(task.direction, step);
        let gates = &pass.gates[step * rows * g..(step + 1) * rows * g];
        let cells = &pass.cells[step * rows * h..(step + 1) * rows * h];
        let before = (step > 0).then(|| &pass.cells[(step - 1) * rows * h..step * rows * h]);
        let grad_now = &mut grad_gates[step * rows * g..(step + 1) * rows * g];
        for (local, row) in task.rows.clone().enumerate() {
            let out_at = ((row * sizes.time + time) * 2 + task.direction) * h;
            let gate = &gates[local * g..(local + 1) * g];
            let grad_gate = &mut grad_now[local * g..(local + 1) * g];
            for unit in 0..h {
                let at = local * h + unit;
                let (input, forget) = (gate[unit], gate[h + unit]);
                let (candidate, output) = (gate[2 * h + unit], gate[3 * h + unit]);
                let d_hidden = grad[out_at + unit] + grad_hidden[at];
                let cell_tanh = tanh(cells[at]);
                let d_output = d_hidden * cell_tanh;
                let d_cell = grad_cell[at] + d_hidden * output * (1.0 - cell_tanh * cell_tanh);
                let d_input = d_cell * candidate;
                let d_candidate = d_cell * input;
                let d_forget = d_cell * before.map_or(0.0, |c| c[at]);
                grad_cell[at] = d_cell * forget;
                grad_gate[unit] = d_input * input * (1.0 - input);
                grad_gate[h + unit] = d_forget * forget * (1.0 - forget);
                grad_gate[2 * h + unit] = d_candidate * (1.0 - candidate * candidate);
                grad_gate[3 * h + unit] = d_output * output * (1.0 - output);
            }
        }
        // The hidden state fed this step's gates through the recurrent kernel.
        let weights_transposed = Strided {
            values: weights,
            row: 1,
            col: g,
        };
        product(
            (rows, h, g),
            &mut grad_hidden,
            false,
            Strided::rows(grad_now, g),
            weights_transposed,
            false,
        );
    }
    // d kernel = Σ_step hidden[step − 1]ᵀ · d gates[step], as one product over all steps.
    let mut grad_kernel = vec![0.0; h * g];
    let steps = sizes.time.saturating_sub(1) * rows;
    let hidden_transposed = Strided {
        values: &pass.hidden,
        row: 1,
        col: h,
    };
    product(
        (h, g, steps),
        &mut grad_kernel,
        false,
        hidden_transposed,
        Strided::rows(&grad_gates[rows * g..], g),
        false,
    );
    (grad_gates, grad_kernel)
}

/// The gradients of `projected [2, time, batch, 4·units]` and `recurrent [2, units, 4·units]`
/// from the output's gradient `[batch, time · 2 · units]`.
fn backward(
    passes: &[TaskForward],
    grad: &[f32],
    recurrent: &[f32],
    sizes: Sizes,
) -> (Vec<f32>, Vec<f32>) {
    let tasks = sizes.tasks();
    assert_eq!(tasks.len(), passes.len(), "thread count changed mid-step");
    let results: Vec<(Vec<f32>, Vec<f32>)> = tasks
        .par_iter()
        .zip(passes)
        .map(|(task, pass)| task_backward(task, pass, grad, recurrent, sizes))
        .collect();
    let g = sizes.gates();
    let mut grad_projected = vec![0.0; 2 * sizes.time * sizes.batch * g];
    let mut grad_recurrent = vec![0.0; 2 * sizes.units * g];
    for (task, (grad_gates, grad_kernel)) in tasks.iter().zip(&results) {
        let rows = task.rows.len();
        for step in 0..sizes.time {
            let to = ((task.direction * sizes.time + step) * sizes.batch + task.rows.start) * g;
            grad_projected[to..to + rows * g]
                .copy_from_slice(&grad_gates[step * rows * g..(step + 1) * rows * g]);
        }
        let kernel = &mut grad_recurrent[task.direction * grad_kernel.len()..];
        for (total, part) in kernel.iter_mut().zip(grad_kernel) {
            *total += part;
        }
    }
    (grad_projected, grad_recurrent)
}

impl LstmRecurrenceBackend for Flex {
    fn lstm_recurrence(projected: FlexTensor, recurrent: FlexTensor) -> FlexTensor {
        let sizes = Sizes::of(&projected);
        let (_, out) = forward(
            f32s(&projected).as_slice(),
            f32s(&recurrent).as_slice(),
            sizes,
        );
        tensor(out, [sizes.batch, sizes.time * 2 * sizes.units])
    }
}

/// The backward step of [`LstmRecurrenceBackend::lstm_recurrence`] under autodiff.
#[derive(Debug)]
struct RecurrenceBackward;

/// The forward pass's states (shared, not copied, when autodiff clones the state), the
/// recurrent kernel and the sizes.
type SavedForBackward = (Arc<Vec<TaskForward>>, FlexTensor, Sizes);

impl Backward<Flex, 2> for RecurrenceBackward {
    type State = SavedForBackward;

    fn backward(self, ops: Ops<Self::State, 2>, grads: &mut Gradients, _: &mut Checkpointer) {
        let [node_projected, node_recurrent] = ops.parents;
        let grad = grads.consume::<Flex>(&ops.node);
        let (passes, recurrent, sizes) = ops.state;
        let (grad_projected, grad_recurrent) = backward(
            &passes,
            f32s(&grad).as_slice(),
            f32s(&recurrent).as_slice(),
            sizes,
        );
        let g = sizes.gates();
        if let Some(node) = node_projected {
            let shape = [2, sizes.time, sizes.batch, g];
            grads.register::<Flex>(node.id, tensor(grad_projected, shape));
        }
        if let Some(node) = node_recurrent {
            let shape = [2, sizes.units, g];
            grads.register::<Flex>(node.id, tensor(grad_recurrent, shape));
        }
    }
}

impl<C: CheckpointStrategy> LstmRecurrenceBackend for Autodiff<Flex, C> {
    fn lstm_recurrence(
        projected: FloatTensor<Self>,
        recurrent: FloatTensor<Self>,
    ) -> FloatTensor<Self> {
        let prepared = RecurrenceBackward
            .prepare::<C>([projected.node(), recurrent.node()])
            .compute_bound()
            .stateful();
        let (projected, recurrent) = (projected.into_primitive(), recurrent.into_primitive());
        match prepared {
            OpsKind::Tracked(prep) => {
                let sizes = Sizes::of(&projected);
                let (passes, out) = forward(
                    f32s(&projected).as_slice(),
                    f32s(&recurrent).as_slice(),
                    sizes,
                );
                let out = tensor(out, [sizes.batch, sizes.time * 2 * sizes.units]);
                prep.finish((Arc::new(passes), recurrent, sizes), out)
            }
            OpsKind::UnTracked(prep) => prep.finish(Flex::lstm_recurrence(projected, recurrent)),
        }
    }
}

#[cfg(test)]
mod tests {
    //! The fused recurrence against the same recurrence built from burn's tensor operations
    //! (`recurrence_with_tensor_ops`, the "plain reference implementation"): same outputs and
    //! gradients on random input, to 1e-4 of the values' scale.

    use super::super::recurrence_with_tensor_ops;
    use super::{lstm_recurrence, runs_fused};
    use crate::model::flex::test_support::{TOLERANCE, relative_error};
    use burn::tensor::{Device, Distribution, Tensor};

    /// (time, batch, units): the reference network's length at a small batch, an odd batch
    /// that the row split divides unevenly, and a single step.
    const CASES: [(usize, usize, usize); 4] = [(110, 5, 8), (7, 3, 4), (1, 2, 3), (13, 1, 32)];

    fn random<const D: usize>(shape: [usize; D], device: &Device) -> Tensor<D> {
        Tensor::random(shape, Distribution::Normal(0.0, 1.0), device)
    }

    #[test]
    fn outputs_and_gradients_match_the_tensor_op_recurrence() {
        let device = Device::flex().autodiff();
        device.seed(21);
        for (time, batch, units) in CASES {
            let projected = random([2, time, batch, 4 * units], &device).require_grad();
            let recurrent = (random([2, units, 4 * units], &device) * 0.5).require_grad();
            assert!(runs_fused(&projected));
            let weighting = random([batch, time * 2 * units], &device);

            let ours = lstm_recurrence(projected.clone(), recurrent.clone());
            let ours_grads = (ours.clone() * weighting.clone()).sum().backward();
            let reference = recurrence_with_tensor_ops(projected.clone(), recurrent.clone());
            let reference_grads = (reference.clone() * weighting).sum().backward();

            let case = format!("time {time}, batch {batch}, units {units}");
            let error = relative_error(ours.into_data(), reference.into_data());
            assert!(error < TOLERANCE, "{case}: output error {error}");
            let grads = [
                (
                    "projected",
                    projected.grad(&ours_grads).map(|g| g.into_data()),
                    projected.grad(&reference_grads).map(|g| g.into_data()),
                ),
                (
                    "recurrent",
                    recurrent.grad(&ours_grads).map(|g| g.into_data()),
                    recurrent.grad(&reference_grads).map(|g| g.into_data()),
                ),
            ];
            for (name, ours, reference) in grads {
                let (ours, reference) = (
                    ours.expect("our gradient"),
                    reference.expect("reference gradient"),
                );
                let error = relative_error(ours, reference);
                assert!(error < TOLERANCE, "{case}: {name} gradient error {error}");
            }
        }
    }

    #[test]
    fn without_autodiff_it_gives_the_same_outputs() {
        let device = Device::flex();
        device.seed(22);
        let projected = random([2, 9, 4, 12], &device);
        let recurrent = random([2, 3, 12], &device);
        let ours = lstm_recurrence(projected.clone(), recurrent.clone());
        let reference = recurrence_with_tensor_ops(projected, recurrent);
        let error = relative_error(ours.into_data(), reference.into_data());
        assert!(error < TOLERANCE, "output error {error}");
    }
}
