//! What the layers written for burn's `flex` CPU backend share (src/model/conv.rs,
//! src/model/lstm/recurrence.rs): telling whether a tensor lives there, and moving `f32`
//! values in and out of its tensors.

use burn::backend::DispatchDevice;
use burn::backend::flex::FlexTensor;
use burn::tensor::{Device, TensorData};

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
