//! The one place that names a burn backend and device: everything else takes a `Device`.

use burn::tensor::Device;

/// The device trials train on: burn's pure-Rust CPU backend (`flex`), with autodiff on top.
/// A GPU backend is one feature flag and one arm here away.
pub fn training_device() -> Device {
    Device::flex().autodiff()
}

/// Size the CPU thread pool every tensor operation runs on. Called once, before any tensor
/// work; a fixed count per trial is what makes a resumed trial repeat an uninterrupted one
/// bit for bit (parallel reductions split work by thread count).
pub fn set_cpu_threads(threads: usize) -> anyhow::Result<()> {
    rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build_global()
        .map_err(|e| anyhow::anyhow!("setting up {threads} CPU threads: {e}"))
}

/// The default CPU thread count: every core.
pub fn all_cores() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}
