//! The in-place training step against burn's own `BatchNorm` ("plain reference
//! implementation"): same outputs, gradients and running statistics on random input, to 1e-4
//! of the values' scale.

use super::forward;
use burn::module::Param;
use burn::nn::{BatchNorm, BatchNormConfig};
use burn::tensor::{Device, Distribution, Tensor, TensorData};

use crate::model::flex::test_support::{TOLERANCE, relative_error};

/// A layer as the network builds it (Keras' epsilon and momentum), with random gamma and beta.
fn layer(channels: usize, gamma: &Tensor<1>, beta: &Tensor<1>, device: &Device) -> BatchNorm {
    let mut norm = BatchNormConfig::new(channels)
        .with_epsilon(1e-3)
        .with_momentum(0.01)
        .init(device);
    norm.gamma = Param::from_tensor(gamma.clone().detach());
    norm.beta = Param::from_tensor(beta.clone().detach());
    norm
}

#[test]
fn outputs_gradients_and_running_statistics_match_burns_batch_norm() {
    let device = Device::flex().autodiff();
    device.seed(31);
    for [batch, channels, length] in [[4, 6, 17], [1, 3, 5], [3, 64, 110]] {
        let gamma = Tensor::<1>::random([channels], Distribution::Normal(1.0, 0.5), &device);
        let beta = Tensor::<1>::random([channels], Distribution::Normal(0.0, 0.5), &device);
        let ours_layer = layer(channels, &gamma, &beta, &device);
        let burns_layer = layer(channels, &gamma, &beta, &device);
        // Channels with different means and scales, as activations have.
        let x = Tensor::<3>::random(
            [batch, channels, length],
            Distribution::Normal(0.5, 2.0),
            &device,
        )
        .require_grad();
        let weighting =
            Tensor::<3>::random([batch, channels, length], Distribution::Default, &device);

        let ours = forward(&ours_layer, x.clone());
        let ours_grads = (ours.clone() * weighting.clone()).sum().backward();
        let burns = burns_layer.forward(x.clone());
        let burns_grads = (burns.clone() * weighting).sum().backward();

        let case = format!("[{batch}, {channels}, {length}]");
        let check = |name: &str, ours: TensorData, burns: TensorData| {
            let error = relative_error(ours, burns);
            assert!(error < TOLERANCE, "{case}: {name} error {error}");
        };
        check("output", ours.into_data(), burns.into_data());
        let grad = |tensor: &Tensor<3>, grads| tensor.grad(grads).expect("a gradient").into_data();
        check(
            "input gradient",
            grad(&x, &ours_grads),
            grad(&x, &burns_grads),
        );
        let grad1 = |tensor: &Tensor<1>, grads| tensor.grad(grads).expect("a gradient").into_data();
        check(
            "gamma gradient",
            grad1(&ours_layer.gamma.val(), &ours_grads),
            grad1(&burns_layer.gamma.val(), &burns_grads),
        );
        check(
            "beta gradient",
            grad1(&ours_layer.beta.val(), &ours_grads),
            grad1(&burns_layer.beta.val(), &burns_grads),
        );
        check(
            "running mean",
            ours_layer.running_mean.value().into_data(),
            burns_layer.running_mean.value().into_data(),
        );
        check(
            "running variance",
            ours_layer.running_var.value().into_data(),
            burns_layer.running_var.value().into_data(),
        );
    }
}

#[test]
fn without_autodiff_the_layer_uses_its_running_statistics() {
    // Validation and prediction: burn's inference path, which the in-place step must not take.
    let device = Device::flex();
    device.seed(32);
    let gamma = Tensor::<1>::random([3], Distribution::Default, &device);
    let beta = Tensor::<1>::random([3], Distribution::Default, &device);
    let norm = layer(3, &gamma, &beta, &device);
    let x = Tensor::<3>::random([2, 3, 4], Distribution::Default, &device);
    let error = relative_error(
        forward(&norm, x.clone()).into_data(),
        norm.forward(x).into_data(),
    );
    assert_eq!(error, 0.0);
}
