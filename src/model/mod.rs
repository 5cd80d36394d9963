//! The reference network of DESIGN.md's MODEL section: three convolutions with batch
//! normalization, a bidirectional LSTM over the full sequence, and a dense head.

mod batch_norm;
mod conv;
mod flex;
mod lstm;

pub use lstm::{BiLstm, BiLstmConfig};

use burn::module::{Module, ModuleVisitor, Param};
use burn::nn::conv::{Conv1d, Conv1dConfig};
use burn::nn::{
    BatchNorm, BatchNormConfig, Dropout, DropoutConfig, Initializer, Linear, LinearConfig,
    PaddingConfig1d,
};
use burn::prelude::*;
use burn::tensor::Distribution;
use burn::tensor::activation::relu;
use burn::tensor::module::{avg_pool1d, max_pool1d};
use burn::tensor::ops::{AvgPoolOptions, MaxPoolOptions};
use serde::{Deserialize, Serialize};

use crate::choice::choice_enum;

/// Keras' Glorot-uniform kernel initializer, the reference's default for every kernel.
pub(crate) const GLOROT_UNIFORM: Initializer = Initializer::XavierUniform { gain: 1.0 };

/// The standard deviation of a standard normal truncated to [-2, 2]: Keras divides its
/// truncated-normal scale by it so that the truncated draws keep the intended variance.
const TRUNCATED_NORMAL_STD: f64 = 0.879_625_661_034_239_8;

/// Window and stride of the `concat_max_avg` pooling (Keras' `pool_size` default, which is
/// also its default stride).
pub const POOL_SIZE: usize = 2;

choice_enum! {
    /// How conv and dense kernels are initialized (biases are always zero, as in Keras).
    pub enum KernelInit {
        /// Keras' default: uniform in ±sqrt(6 / (fan_in + fan_out)).
        #[default]
        GlorotUniform => "glorot_uniform",
        /// Keras' `he_normal`: a normal truncated at two standard deviations, scaled so the
        /// variance is 2 / fan_in.
        HeNormal => "he_normal",
    }
}

choice_enum! {
    /// The activation after the first convolution's batch normalization (the other two
    /// convolutions always use ReLU).
    pub enum FirstActivation {
        /// The reference's ReLU.
        #[default]
        Relu => "relu",
        /// The exponential, exp(x) (Koo & Ploenzke 2021: sharper first-layer motifs).
        Exp => "exp",
    }
}

choice_enum! {
    /// Pooling between the convolutions and the LSTM.
    pub enum Pooling {
        /// The reference: the LSTM reads every position.
        #[default]
        None => "none",
        /// Max and average pooling (window and stride [`POOL_SIZE`]) concatenated on the
        /// channels: the LSTM reads twice the channels over half the positions.
        ConcatMaxAvg => "concat_max_avg",
    }
}

fn is_default<T: Default + PartialEq>(value: &T) -> bool {
    *value == T::default()
}

/// Keras' BatchNormalization defaults: epsilon 1e-3 and a moving-average momentum of 0.99,
/// which burn writes as the weight of the new batch (0.01).
const BATCH_NORM_EPSILON: f64 = 1e-3;
const BATCH_NORM_MOMENTUM: f64 = 0.01;

/// The shape of one network: everything a trial's parameters change, plus the convolution
/// widths and kernels so that tests and demos can use a small model.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ModelConfig {
    /// Length of every input sequence (nt).
    pub seq_len: usize,
    /// Output channels of the three convolutions (reference: 256, 256, 64).
    pub conv_channels: [usize; 3],
    /// Kernel sizes of the three convolutions (reference: 30, 12, 4).
    pub conv_kernels: [usize; 3],
    /// LSTM units per direction.
    pub lstm_units: usize,
    /// Units of each of the two hidden dense layers.
    pub dense_units: usize,
    /// Dropout after the LSTM.
    pub dropout_lstm: f64,
    /// Dropout after each hidden dense layer.
    pub dropout_dense: f64,
    /// How conv and dense kernels are initialized. (Left out of the serialized form when it
    /// is the default, here and below, so a trial's checkpoint key is what it was before these
    /// choices existed.)
    #[serde(default, skip_serializing_if = "is_default")]
    pub kernel_init: KernelInit,
    /// The first convolution's activation.
    #[serde(default, skip_serializing_if = "is_default")]
    pub first_activation: FirstActivation,
    /// Pooling after the third convolution block.
    #[serde(default, skip_serializing_if = "is_default")]
    pub pooling: Pooling,
}

impl Default for ModelConfig {
    /// The reference's chosen point (DESIGN.md MODEL).
    fn default() -> Self {
        Self {
            seq_len: crate::data::SEQ_LEN,
            conv_channels: [256, 256, 64],
            conv_kernels: [30, 12, 4],
            lstm_units: 32,
            dense_units: 64,
            dropout_lstm: 0.1,
            dropout_dense: 0.2,
            kernel_init: KernelInit::default(),
            first_activation: FirstActivation::default(),
            pooling: Pooling::default(),
        }
    }
}

/// One convolution + batch normalization block (its activation is applied by the network,
/// which knows which block is the first).
#[derive(Module, Debug)]
pub struct ConvBlock {
    conv: Conv1d,
    norm: BatchNorm,
}

impl ConvBlock {
    fn new(
        channels_in: usize,
        channels_out: usize,
        kernel: usize,
        init: KernelInit,
        device: &Device,
    ) -> Self {
        let conv = Conv1dConfig::new(channels_in, channels_out, kernel)
            .with_padding(PaddingConfig1d::Same)
            .with_initializer(init.burn_initializer())
            .init(device);
        let weight = match init {
            KernelInit::GlorotUniform => conv.weight,
            KernelInit::HeNormal => Param::from_tensor(he_normal(
                [channels_out, channels_in, kernel],
                channels_in * kernel,
                device,
            )),
        };
        let conv = Conv1d {
            weight,
            bias: Some(Param::from_tensor(Tensor::zeros([channels_out], device))),
            ..conv
        };
        let norm = BatchNormConfig::new(channels_out)
            .with_epsilon(BATCH_NORM_EPSILON)
            .with_momentum(BATCH_NORM_MOMENTUM)
            .init(device);
        Self { conv, norm }
    }

    /// `[batch, channels_in, length]` -> `[batch, channels_out, length]`, before the
    /// activation.
    fn forward(&self, x: Tensor<3>) -> Tensor<3> {
        let y = match &self.conv.bias {
            Some(bias) => conv::same_conv1d(x, self.conv.weight.val(), bias.val()),
            None => self.conv.forward(x),
        };
        batch_norm::forward(&self.norm, y)
    }
}

impl KernelInit {
    /// The initializer burn's layer constructors take. For `he_normal` the kernel is replaced
    /// right after construction (burn's `KaimingNormal` is not truncated), so the layer is
    /// built with zeros, which draw no random numbers.
    fn burn_initializer(self) -> Initializer {
        match self {
            KernelInit::GlorotUniform => GLOROT_UNIFORM,
            KernelInit::HeNormal => Initializer::Zeros,
        }
    }
}

/// Keras' `he_normal`: normal with standard deviation sqrt(2 / fan_in) / 0.8796, redrawn
/// where it falls beyond two of those deviations (as TensorFlow's truncated normal does), so
/// the draws' variance is 2 / fan_in. Draws come from the device's seed.
pub fn he_normal<const D: usize>(shape: [usize; D], fan_in: usize, device: &Device) -> Tensor<D> {
    let std = (2.0 / fan_in.max(1) as f64).sqrt() / TRUNCATED_NORMAL_STD;
    let draw = || Tensor::<D>::random(shape, Distribution::Normal(0.0, std), device);
    let mut x = draw();
    // Each round leaves about 4.6% of the remaining draws outside; a few rounds clear a
    // million-element kernel. The bound only guards against a broken random source.
    for _ in 0..64 {
        let outside = x.clone().abs().greater_elem(2.0 * std);
        if !outside.clone().any().into_scalar::<bool>() {
            break;
        }
        x = x.mask_where(outside, draw());
    }
    x.clamp(-2.0 * std, 2.0 * std).detach()
}

impl FirstActivation {
    /// The activation applied to `x`.
    pub fn apply<const D: usize>(self, x: Tensor<D>) -> Tensor<D> {
        match self {
            FirstActivation::Relu => relu(x),
            FirstActivation::Exp => x.exp(),
        }
    }
}

impl Pooling {
    /// `[batch, channels, length]` -> `[batch, channels·factor, length / factor]`
    /// (see [`Pooling::channel_factor`]).
    pub fn apply(self, x: Tensor<3>) -> Tensor<3> {
        match self {
            Pooling::None => x,
            Pooling::ConcatMaxAvg => {
                let max = max_pool1d(
                    x.clone(),
                    MaxPoolOptions::new([POOL_SIZE]).with_stride([POOL_SIZE]),
                );
                let avg = avg_pool1d(x, AvgPoolOptions::new([POOL_SIZE]).with_stride([POOL_SIZE]));
                Tensor::cat(vec![max, avg], 1)
            }
        }
    }

    /// How many times the channels the LSTM reads.
    pub fn channel_factor(self) -> usize {
        match self {
            Pooling::None => 1,
            Pooling::ConcatMaxAvg => 2,
        }
    }

    /// Positions the LSTM reads from a sequence of `length` (Keras' `valid` pooling).
    pub fn output_length(self, length: usize) -> usize {
        match self {
            Pooling::None => length,
            Pooling::ConcatMaxAvg => length / POOL_SIZE,
        }
    }
}

/// The CNN-BiLSTM of the Noisy Chardonnay entry.
#[derive(Module, Debug)]
pub struct CnnBiLstm {
    convs: Vec<ConvBlock>,
    #[module(skip)]
    first_activation: FirstActivation,
    #[module(skip)]
    pooling: Pooling,
    lstm: BiLstm,
    dropout_lstm: Dropout,
    dense1: Linear,
    dense2: Linear,
    dropout_dense: Dropout,
    output: Linear,
}

/// A dense layer the Keras way: a `init` kernel (Glorot-uniform by default), zero bias.
fn dense(inputs: usize, outputs: usize, init: KernelInit, device: &Device) -> Linear {
    let linear = LinearConfig::new(inputs, outputs)
        .with_initializer(init.burn_initializer())
        .init(device);
    let weight = match init {
        KernelInit::GlorotUniform => linear.weight,
        KernelInit::HeNormal => Param::from_tensor(he_normal([inputs, outputs], inputs, device)),
    };
    Linear {
        weight,
        bias: Some(Param::from_tensor(Tensor::zeros([outputs], device))),
    }
}

impl ModelConfig {
    /// A freshly initialized network on `device` (random draws come from the device's seed).
    pub fn init(&self, device: &Device) -> CnnBiLstm {
        let [c1, c2, c3] = self.conv_channels;
        let [k1, k2, k3] = self.conv_kernels;
        let init = self.kernel_init;
        let convs = vec![
            ConvBlock::new(4, c1, k1, init, device),
            ConvBlock::new(c1, c2, k2, init, device),
            ConvBlock::new(c2, c3, k3, init, device),
        ];
        let lstm = BiLstmConfig {
            input_size: c3 * self.pooling.channel_factor(),
            units: self.lstm_units,
        }
        .init(device);
        let flat = self.pooling.output_length(self.seq_len) * 2 * self.lstm_units;
        let units = self.dense_units;
        CnnBiLstm {
            convs,
            first_activation: self.first_activation,
            pooling: self.pooling,
            lstm,
            dropout_lstm: DropoutConfig::new(self.dropout_lstm).init(),
            dense1: dense(flat, units, init, device),
            dense2: dense(units, units, init, device),
            dropout_dense: DropoutConfig::new(self.dropout_dense).init(),
            output: dense(units, 1, init, device),
        }
    }
}

impl CnnBiLstm {
    /// One-hot sequences `[batch, 4, seq_len]` -> standardized expression `[batch, 1]`.
    pub fn forward(&self, x: Tensor<3>) -> Tensor<2> {
        let x = self.convs.iter().enumerate().fold(x, |x, (i, block)| {
            let x = block.forward(x);
            match i {
                0 => self.first_activation.apply(x),
                _ => relu(x),
            }
        });
        let x = self.pooling.apply(x);
        // [batch, channels, time] -> time-major [time, batch, channels] for the LSTM.
        let x = self.lstm.forward(x.permute([2, 0, 1]));
        let x = self.dropout_lstm.forward(x);
        let x = self.dropout_dense.forward(relu(self.dense1.forward(x)));
        let x = self.dropout_dense.forward(relu(self.dense2.forward(x)));
        self.output.forward(x)
    }

    /// Predictions (standardized units) of a batch of one-hot sequences, laid out
    /// `[rows, 4, seq_len]` in `one_hot` (which the tensor takes over without a copy). Call it
    /// on a model in validation mode (`model.valid()`) on a device without autodiff.
    pub fn predict_one_hot(
        &self,
        one_hot: Vec<f32>,
        rows: usize,
        seq_len: usize,
        device: &Device,
    ) -> Vec<f32> {
        let x = Tensor::from_data(TensorData::new(one_hot, [rows, 4, seq_len]), device);
        self.forward(x).into_data().iter::<f32>().collect()
    }

    /// The L2 penalty's sum: Σ w² over every conv and dense kernel (Keras'
    /// `kernel_regularizer` on those layers; biases, batch normalization and the LSTM are
    /// not penalized). A scalar tensor on the model's device, part of the autodiff graph.
    pub fn kernel_squares(&self) -> Tensor<1> {
        let conv = self
            .convs
            .iter()
            .map(|block| block.conv.weight.val().powi_scalar(2).sum());
        let dense = [&self.dense1, &self.dense2, &self.output]
            .into_iter()
            .map(|layer| layer.weight.val().powi_scalar(2).sum());
        let sums: Vec<Tensor<1>> = conv.chain(dense).collect();
        Tensor::cat(sums, 0).sum()
    }

    /// The parameter count as Keras reports it: trainable weights plus BatchNorm's moving mean
    /// and variance (burn's module visitor sees the running statistics as well).
    pub fn keras_parameter_count(&self) -> usize {
        let mut counter = ParamCounter(0);
        self.visit(&mut counter);
        counter.0
    }
}

/// Counts the elements of every parameter a module holds.
struct ParamCounter(usize);

impl ModuleVisitor for ParamCounter {
    fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<D>>) {
        self.0 += param.shape().num_elements();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn count(lstm_units: usize) -> usize {
        let config = ModelConfig {
            lstm_units,
            ..ModelConfig::default()
        };
        config.init(&Device::flex()).keras_parameter_count()
    }

    #[test]
    fn parameter_count_matches_keras() {
        assert_eq!(count(8), 1_007_169);
        assert_eq!(count(32), 1_365_249);
    }

    #[test]
    fn concat_pooling_doubles_the_lstm_input_and_halves_its_length() {
        let count = |lstm_units| {
            let config = ModelConfig {
                lstm_units,
                pooling: Pooling::ConcatMaxAvg,
                ..ModelConfig::default()
            };
            config.init(&Device::flex()).keras_parameter_count()
        };
        // The LSTM kernels read 128 channels instead of 64: 2 directions · 64 · 4·units more.
        // The first dense layer reads 55 positions instead of 110: 55 · 2·units · 64 fewer.
        let lstm_more = |units: usize| 2 * 64 * 4 * units;
        let dense_fewer = |units: usize| 55 * 2 * units * 64;
        assert_eq!(count(8), 1_007_169 + lstm_more(8) - dense_fewer(8));
        assert_eq!(count(32), 1_365_249 + lstm_more(32) - dense_fewer(32));
        assert_eq!(count(32), 1_156_353);
    }

    #[test]
    fn concat_pooling_takes_the_max_then_the_mean_of_each_pair() {
        let device = Device::flex();
        // One sequence, one channel, positions [1, 5, 2, 2, 7] (the odd last one is dropped).
        let x = Tensor::<3>::from_data(
            TensorData::new(vec![1f32, 5.0, 2.0, 2.0, 7.0], [1, 1, 5]),
            &device,
        );
        let pooled = Pooling::ConcatMaxAvg.apply(x);
        assert_eq!(pooled.dims(), [1, 2, 2]);
        let values: Vec<f32> = pooled.into_data().iter::<f32>().collect();
        assert_eq!(values, vec![5.0, 2.0, 3.0, 2.0]);
    }

    #[test]
    fn he_normal_has_variance_two_over_fan_in_and_no_tails() {
        let device = Device::flex();
        device.seed(17);
        let fan_in = 48;
        let draws: Vec<f64> = he_normal([fan_in, 4000], fan_in, &device)
            .into_data()
            .iter::<f32>()
            .map(f64::from)
            .collect();
        let n = draws.len() as f64;
        let mean = draws.iter().sum::<f64>() / n;
        let variance = draws.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / n;
        let expected = 2.0 / fan_in as f64;
        // 192 000 draws: the variance's standard error is about 0.3%; allow 2%.
        assert!(
            (variance / expected - 1.0).abs() < 0.02,
            "variance {variance}, expected {expected}"
        );
        assert!(mean.abs() < 0.01 * expected.sqrt(), "mean {mean}");
        let bound = 2.0 * expected.sqrt() / TRUNCATED_NORMAL_STD;
        let largest = draws.iter().fold(0f64, |m, x| m.max(x.abs()));
        assert!(largest <= bound * (1.0 + 1e-6), "{largest} beyond {bound}");
        // Truncation keeps most of the range: some draws lie past 1.5 standard deviations.
        assert!(largest > 0.75 * bound, "{largest}");
    }

    #[test]
    fn he_normal_applies_to_conv_and_dense_kernels() {
        let device = Device::flex();
        let config = ModelConfig {
            kernel_init: KernelInit::HeNormal,
            ..ModelConfig::default()
        };
        let model = config.init(&device);
        let variance = |w: Tensor<3>| {
            let v: Vec<f64> = w.into_data().iter::<f32>().map(f64::from).collect();
            v.iter().map(|x| x * x).sum::<f64>() / v.len() as f64
        };
        // Conv 2: fan_in 256 · 12; Glorot would give 2 / (fan_in + fan_out), half of it.
        let conv2 = variance(model.convs[1].conv.weight.val());
        let expected = 2.0 / (256.0 * 12.0);
        assert!(
            (conv2 / expected - 1.0).abs() < 0.02,
            "{conv2} vs {expected}"
        );
        let dense2 = variance(model.dense2.weight.val().unsqueeze());
        let expected = 2.0 / 64.0;
        assert!(
            (dense2 / expected - 1.0).abs() < 0.15,
            "{dense2} vs {expected}"
        );
    }

    #[test]
    fn exp_activation_is_the_exponential_of_its_input() {
        let device = Device::flex();
        let input = vec![-3.0f32, -0.5, 0.0, 0.25, 1.0, 2.5];
        let x = Tensor::<1>::from_data(TensorData::new(input.clone(), [6]), &device);
        let out: Vec<f32> = FirstActivation::Exp
            .apply(x.clone())
            .into_data()
            .iter::<f32>()
            .collect();
        for (o, i) in out.iter().zip(&input) {
            assert!((o - i.exp()).abs() <= 1e-6 * i.exp(), "exp({i}) = {o}");
        }
        let relu: Vec<f32> = FirstActivation::Relu
            .apply(x)
            .into_data()
            .iter::<f32>()
            .collect();
        assert_eq!(relu, vec![0.0, 0.0, 0.0, 0.25, 1.0, 2.5]);
    }

    #[test]
    fn exp_activation_changes_only_the_first_block() {
        let device = Device::flex();
        let small = ModelConfig {
            conv_channels: [8, 8, 4],
            conv_kernels: [5, 3, 2],
            lstm_units: 3,
            dense_units: 6,
            ..ModelConfig::default()
        };
        let x = || Tensor::<3>::ones([2, 4, small.seq_len], &device);
        device.seed(3);
        let relu = small.init(&device);
        device.seed(3);
        let exp = ModelConfig {
            first_activation: FirstActivation::Exp,
            ..small.clone()
        }
        .init(&device);
        let a: Vec<f32> = relu.forward(x()).into_data().iter::<f32>().collect();
        let b: Vec<f32> = exp.forward(x()).into_data().iter::<f32>().collect();
        assert_ne!(a, b, "same weights, other first activation: other output");
    }

    #[test]
    fn kernel_squares_sum_conv_and_dense_kernels_only() {
        let device = Device::flex();
        let config = ModelConfig {
            conv_channels: [4, 4, 2],
            conv_kernels: [3, 3, 2],
            lstm_units: 2,
            dense_units: 3,
            ..ModelConfig::default()
        };
        let model = config.init(&device);
        let squares = |values: Vec<f32>| values.iter().map(|&w| f64::from(w).powi(2)).sum::<f64>();
        let mut by_hand = 0.0;
        for block in &model.convs {
            by_hand += squares(block.conv.weight.val().into_data().iter::<f32>().collect());
        }
        for layer in [&model.dense1, &model.dense2, &model.output] {
            by_hand += squares(layer.weight.val().into_data().iter::<f32>().collect());
        }
        let got = f64::from(model.kernel_squares().into_scalar::<f32>());
        assert!((got - by_hand).abs() < 1e-5 * by_hand, "{got} vs {by_hand}");
    }

    #[test]
    fn forward_gives_one_value_per_sequence() {
        let device = Device::flex();
        let config = ModelConfig {
            conv_channels: [8, 8, 4],
            conv_kernels: [5, 3, 2],
            lstm_units: 3,
            dense_units: 6,
            ..ModelConfig::default()
        };
        let model = config.init(&device);
        let x = Tensor::<3>::ones([5, 4, config.seq_len], &device);
        assert_eq!(model.forward(x).dims(), [5, 1]);
    }
}
