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

/// A device a worker trains on, as the command line names it: `cpu`, `cuda:N`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum DeviceArg {
    /// The CPU (burn's `flex` backend).
    Cpu,
    /// An NVIDIA GPU by index.
    Cuda(usize),
}

/// A device name that is not `cpu` or `cuda:N`. Bad user input: exit code 2.
#[derive(Debug, thiserror::Error)]
#[error("`{0}` is not a device: expected `cpu` or `cuda:N` (e.g. `cuda:0`)")]
pub struct BadDevice(pub String);

impl std::str::FromStr for DeviceArg {
    type Err = BadDevice;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let text = text.trim();
        match text {
            "cpu" => Ok(DeviceArg::Cpu),
            "cuda" | "gpu" => Ok(DeviceArg::Cuda(0)),
            _ => text
                .strip_prefix("cuda:")
                .and_then(|i| i.parse().ok())
                .map(DeviceArg::Cuda)
                .ok_or_else(|| BadDevice(text.to_string())),
        }
    }
}

impl std::fmt::Display for DeviceArg {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            DeviceArg::Cpu => f.write_str("cpu"),
            DeviceArg::Cuda(i) => write!(f, "cuda:{i}"),
        }
    }
}

/// A GPU asked of a build without GPU support. Bad user input: exit code 2.
#[derive(Debug, thiserror::Error)]
#[error("this build of sweep trains on the CPU only, so `{0}` cannot be used; use `--devices cpu`")]
pub struct NoGpuSupport(pub DeviceArg);

/// The training device (autodiff enabled) for a device argument.
pub fn device_for(arg: DeviceArg) -> Result<Device, NoGpuSupport> {
    match arg {
        DeviceArg::Cpu => Ok(training_device()),
        DeviceArg::Cuda(_) => Err(NoGpuSupport(arg)),
    }
}

/// Parse a comma-separated device list (`cpu`, `cuda:0,cuda:1`).
pub fn parse_devices(list: &str) -> Result<Vec<DeviceArg>, BadDevice> {
    list.split(',')
        .filter(|s| !s.trim().is_empty())
        .map(str::parse)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn device_lists_parse() {
        let parsed = parse_devices("cpu, cuda:1,cuda").ok();
        assert_eq!(
            parsed,
            Some(vec![DeviceArg::Cpu, DeviceArg::Cuda(1), DeviceArg::Cuda(0)])
        );
        assert!(parse_devices("tpu").is_err());
        assert!(parse_devices("cuda:x").is_err());
        assert_eq!(DeviceArg::Cuda(2).to_string(), "cuda:2");
    }
}
