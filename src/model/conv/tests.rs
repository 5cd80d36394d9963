//! The matrix-product convolution against burn's own `conv1d` ("plain reference
//! implementation"): same outputs and gradients on random input, to 1e-4 of the values' scale.

use super::{same_conv1d, same_options};
use burn::tensor::{Device, Distribution, Tensor};

use crate::model::flex::test_support::{TOLERANCE, relative_error};

struct Case {
    batch: usize,
    channels_in: usize,
    channels_out: usize,
    kernel: usize,
    length: usize,
}

/// Kernels odd and even (Keras puts the extra zero after), wider than the sequence, and the
/// reference network's three layers at reduced width.
const CASES: [Case; 6] = [
    Case {
        batch: 3,
        channels_in: 5,
        channels_out: 6,
        kernel: 4,
        length: 17,
    },
    Case {
        batch: 2,
        channels_in: 3,
        channels_out: 7,
        kernel: 5,
        length: 9,
    },
    Case {
        batch: 1,
        channels_in: 2,
        channels_out: 3,
        kernel: 1,
        length: 6,
    },
    Case {
        batch: 2,
        channels_in: 4,
        channels_out: 32,
        kernel: 30,
        length: 110,
    },
    Case {
        batch: 3,
        channels_in: 32,
        channels_out: 24,
        kernel: 12,
        length: 110,
    },
    Case {
        batch: 2,
        channels_in: 3,
        channels_out: 4,
        kernel: 12,
        length: 7,
    },
];

fn random<const D: usize>(shape: [usize; D], device: &Device) -> Tensor<D> {
    Tensor::random(shape, Distribution::Normal(0.0, 1.0), device)
}

#[test]
fn outputs_match_burns_conv1d() {
    let device = Device::flex();
    device.seed(11);
    for case in &CASES {
        let x = random([case.batch, case.channels_in, case.length], &device);
        let w = random([case.channels_out, case.channels_in, case.kernel], &device);
        let b = random([case.channels_out], &device);
        let ours = same_conv1d(x.clone(), w.clone(), b.clone());
        let burns = burn::tensor::module::conv1d(x, w, Some(b), same_options(case.kernel));
        assert_eq!(ours.dims(), [case.batch, case.channels_out, case.length]);
        let error = relative_error(ours.into_data(), burns.into_data());
        assert!(
            error < TOLERANCE,
            "kernel {}: relative error {error}",
            case.kernel
        );
    }
}

#[test]
fn gradients_match_burns_conv1d() {
    let device = Device::flex().autodiff();
    device.seed(12);
    for case in &CASES {
        let x = random([case.batch, case.channels_in, case.length], &device).require_grad();
        let w = random([case.channels_out, case.channels_in, case.kernel], &device).require_grad();
        let b = random([case.channels_out], &device).require_grad();
        // A random weighting of the outputs, so every output position gets its own gradient.
        let r = random([case.batch, case.channels_out, case.length], &device);

        let ours = same_conv1d(x.clone(), w.clone(), b.clone());
        let ours_grads = (ours.clone() * r.clone()).sum().backward();
        let burns = burn::tensor::module::conv1d(
            x.clone(),
            w.clone(),
            Some(b.clone()),
            same_options(case.kernel),
        );
        let burns_grads = (burns.clone() * r).sum().backward();

        let forward = relative_error(ours.into_data(), burns.into_data());
        assert!(
            forward < TOLERANCE,
            "kernel {}: output error {forward}",
            case.kernel
        );
        for (name, ours, burns) in [
            (
                "input",
                x.grad(&ours_grads).map(|g| g.into_data()),
                x.grad(&burns_grads).map(|g| g.into_data()),
            ),
            (
                "weight",
                w.grad(&ours_grads).map(|g| g.into_data()),
                w.grad(&burns_grads).map(|g| g.into_data()),
            ),
            (
                "bias",
                b.grad(&ours_grads).map(|g| g.into_data()),
                b.grad(&burns_grads).map(|g| g.into_data()),
            ),
        ] {
            let (ours, burns) = (ours.expect("our gradient"), burns.expect("burn's gradient"));
            let error = relative_error(ours, burns);
            assert!(
                error < TOLERANCE,
                "kernel {}: {name} gradient error {error}",
                case.kernel
            );
        }
    }
}

#[test]
fn an_input_without_gradient_gets_none_and_the_weights_still_do() {
    // The first convolution reads the one-hot batch, which needs no gradient.
    let device = Device::flex().autodiff();
    device.seed(13);
    let x = random([2, 4, 20], &device);
    let w = random([5, 4, 6], &device).require_grad();
    let b = random([5], &device).require_grad();
    let grads = same_conv1d(x.clone(), w.clone(), b.clone())
        .sum()
        .backward();
    assert!(x.grad(&grads).is_none());
    assert!(w.grad(&grads).is_some());
    // d(sum)/d(bias) is the number of output positions per channel.
    let db = b
        .grad(&grads)
        .expect("bias gradient")
        .into_data()
        .try_to_vec::<f32>()
        .expect("f32");
    assert!(db.iter().all(|&v| (v - 40.0).abs() < 1e-3), "{db:?}");
}
