//! The optimizer of a trial and what it minimizes: Adam with Keras' epsilon or SGD with momentum,
//! the learning rate of each epoch, and the L2 penalty.

use super::*;

/// Keras' Adam epsilon (burn's default is 1e-5).
pub(super) const ADAM_EPSILON: f32 = 1e-7;

/// A fresh optimizer for the trial: Adam with Keras' epsilon, or SGD with momentum.
///
/// burn's momentum is PyTorch's (`v ← μ·v + g`, `w ← w − lr·v`; dampening set to 0 here, as
/// in Keras and PyTorch, where burn's default is 0.1). That is Keras' form
/// (`v ← μ·v − lr·g`, `w ← w + v`) exactly while the rate is constant; under `lr_decay` the
/// two differ slightly at epoch boundaries, where Keras' velocity still holds the old rate.
pub fn new_optimizer(params: &TrialParams) -> ModuleOptimizer {
    match params.optimizer {
        Optimizer::Adam => AdamConfig::new().with_epsilon(ADAM_EPSILON).init(),
        Optimizer::Sgd => SgdConfig::new()
            .with_momentum(Some(
                MomentumConfig::new()
                    .with_momentum(params.momentum)
                    .with_dampening(0.0),
            ))
            .init(),
    }
}

/// The learning rate of `epoch` (1-based): `learning_rate · lr_decay^(epoch-1)`, by repeated
/// multiplication so that every machine gets the same bits (and `lr_decay` 1 the rate itself).
pub fn epoch_learning_rate(params: &TrialParams, epoch: usize) -> f64 {
    (1..epoch).fold(params.learning_rate, |rate, _| rate * params.lr_decay)
}

/// The loss the optimizer minimizes: the batch's MSE plus `l2 · Σ w²` over the conv and dense
/// kernels. The penalty is not added at all when `l2` is 0, so such trials compute exactly
/// what they did before the option existed.
pub(super) fn penalized(mse: Tensor<1>, model: &CnnBiLstm, l2: f64) -> Tensor<1> {
    if l2 > 0.0 {
        mse + model.kernel_squares().mul_scalar(l2)
    } else {
        mse
    }
}
