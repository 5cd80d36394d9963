//! The reference network of DESIGN.md's MODEL section: three convolutions with batch
//! normalization, a bidirectional LSTM over the full sequence, and a dense head.

mod lstm;

pub use lstm::{BiLstm, BiLstmConfig};

use burn::module::{Module, ModuleVisitor, Param};
use burn::nn::conv::{Conv1d, Conv1dConfig};
use burn::nn::{
    BatchNorm, BatchNormConfig, Dropout, DropoutConfig, Initializer, Linear, LinearConfig,
    PaddingConfig1d,
};
use burn::prelude::*;
use burn::tensor::activation::relu;
use serde::{Deserialize, Serialize};

/// Keras' Glorot-uniform kernel initializer, the reference's default for every kernel.
pub(crate) const GLOROT_UNIFORM: Initializer = Initializer::XavierUniform { gain: 1.0 };

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
        }
    }
}

/// One convolution + batch normalization + ReLU block.
#[derive(Module, Debug)]
pub struct ConvBlock {
    conv: Conv1d,
    norm: BatchNorm,
}

impl ConvBlock {
    fn new(channels_in: usize, channels_out: usize, kernel: usize, device: &Device) -> Self {
        let conv = Conv1dConfig::new(channels_in, channels_out, kernel)
            .with_padding(PaddingConfig1d::Same)
            .with_initializer(GLOROT_UNIFORM)
            .init(device);
        let conv = Conv1d {
            bias: Some(Param::from_tensor(Tensor::zeros([channels_out], device))),
            ..conv
        };
        let norm = BatchNormConfig::new(channels_out)
            .with_epsilon(BATCH_NORM_EPSILON)
            .with_momentum(BATCH_NORM_MOMENTUM)
            .init(device);
        Self { conv, norm }
    }

    /// `[batch, channels_in, length]` -> `[batch, channels_out, length]`
    fn forward(&self, x: Tensor<3>) -> Tensor<3> {
        relu(self.norm.forward(self.conv.forward(x)))
    }
}

/// The CNN-BiLSTM of the Noisy Chardonnay entry.
#[derive(Module, Debug)]
pub struct CnnBiLstm {
    convs: Vec<ConvBlock>,
    lstm: BiLstm,
    dropout_lstm: Dropout,
    dense1: Linear,
    dense2: Linear,
    dropout_dense: Dropout,
    output: Linear,
}

/// A dense layer the Keras way: Glorot-uniform kernel, zero bias.
fn dense(inputs: usize, outputs: usize, device: &Device) -> Linear {
    let linear = LinearConfig::new(inputs, outputs)
        .with_initializer(GLOROT_UNIFORM)
        .init(device);
    Linear {
        bias: Some(Param::from_tensor(Tensor::zeros([outputs], device))),
        ..linear
    }
}

impl ModelConfig {
    /// A freshly initialized network on `device` (random draws come from the device's seed).
    pub fn init(&self, device: &Device) -> CnnBiLstm {
        let [c1, c2, c3] = self.conv_channels;
        let [k1, k2, k3] = self.conv_kernels;
        let convs = vec![
            ConvBlock::new(4, c1, k1, device),
            ConvBlock::new(c1, c2, k2, device),
            ConvBlock::new(c2, c3, k3, device),
        ];
        let lstm = BiLstmConfig {
            input_size: c3,
            units: self.lstm_units,
        }
        .init(device);
        let flat = self.seq_len * 2 * self.lstm_units;
        CnnBiLstm {
            convs,
            lstm,
            dropout_lstm: DropoutConfig::new(self.dropout_lstm).init(),
            dense1: dense(flat, self.dense_units, device),
            dense2: dense(self.dense_units, self.dense_units, device),
            dropout_dense: DropoutConfig::new(self.dropout_dense).init(),
            output: dense(self.dense_units, 1, device),
        }
    }
}

impl CnnBiLstm {
    /// One-hot sequences `[batch, 4, seq_len]` -> standardized expression `[batch, 1]`.
    pub fn forward(&self, x: Tensor<3>) -> Tensor<2> {
        let x = self.convs.iter().fold(x, |x, block| block.forward(x));
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
