//! The one place that names a burn backend and device: everything else takes a `Device`.
//!
//! Devices, as `--devices` names them: `cpu` is burn's pure-Rust `flex` backend (the default
//! build, nothing to install); `tch-cpu` and `cuda:N` are LibTorch through burn's `tch` backend,
//! compiled in by the `tch` cargo feature (README: GPU).

use burn::tensor::Device;

/// The default device trials train on: burn's pure-Rust CPU backend (`flex`), with autodiff
/// on top.
pub fn training_device() -> Device {
    Device::flex().autodiff()
}

/// Size the CPU thread pools every tensor operation runs on (rayon's for `flex`, LibTorch's
/// intra-op pool in a `tch` build). Called once, before any tensor work; a fixed count per
/// trial is what makes a resumed trial repeat an uninterrupted one bit for bit (parallel
/// reductions split work by thread count).
pub fn set_cpu_threads(threads: usize) -> anyhow::Result<()> {
    set_torch_threads(threads);
    rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build_global()
        .map_err(|e| anyhow::anyhow!("setting up {threads} CPU threads: {e}"))
}

/// Size LibTorch's intra-op CPU thread pool (the `tch-cpu` device's counterpart of the rayon
/// pool `flex` runs on). Nothing to do in a build without LibTorch.
pub fn set_torch_threads(threads: usize) {
    #[cfg(feature = "tch")]
    tch::set_num_threads(i32::try_from(threads.max(1)).unwrap_or(i32::MAX));
    #[cfg(not(feature = "tch"))]
    let _ = threads;
}

/// The default CPU thread count: every core.
pub fn all_cores() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

/// A device a worker trains on, as the command line names it: `cpu`, `tch-cpu`, `cuda:N`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum DeviceArg {
    /// The CPU through burn's pure-Rust `flex` backend (the default).
    Cpu,
    /// The CPU through LibTorch (a `tch` build).
    TchCpu,
    /// An NVIDIA GPU by index among the visible ones, through LibTorch (a `tch` build).
    Cuda(usize),
}

impl DeviceArg {
    /// Whether it trains on the CPU cores, so that workers on it share them.
    pub fn uses_cpu_cores(self) -> bool {
        matches!(self, DeviceArg::Cpu | DeviceArg::TchCpu)
    }
}

/// A device name that is not `cpu`, `tch-cpu` or `cuda:N`. Bad user input: exit code 2.
#[derive(Debug, thiserror::Error)]
#[error("`{0}` is not a device: expected `cpu`, `tch-cpu` or `cuda:N` (e.g. `cuda:0`)")]
pub struct BadDevice(pub String);

impl std::str::FromStr for DeviceArg {
    type Err = BadDevice;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let text = text.trim();
        match text {
            "cpu" => Ok(DeviceArg::Cpu),
            "tch-cpu" => Ok(DeviceArg::TchCpu),
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
            DeviceArg::TchCpu => f.write_str("tch-cpu"),
            DeviceArg::Cuda(i) => write!(f, "cuda:{i}"),
        }
    }
}

/// A device this build or this machine cannot train on. Bad user input: exit code 2.
#[derive(Debug, thiserror::Error)]
pub enum Unavailable {
    /// A LibTorch device asked of a build without the `tch` feature.
    #[error(
        "this build of sweep has no LibTorch, so `{0}` cannot be used: use `--devices cpu`, or \
         build with `cargo build --release --features tch` (README: GPU)"
    )]
    NotBuilt(DeviceArg),
    /// A GPU index that LibTorch does not see.
    #[error("`{device}` cannot be used: LibTorch sees {visible} CUDA GPU(s) here{note}")]
    NoSuchGpu {
        /// The device asked for.
        device: DeviceArg,
        /// GPUs LibTorch sees.
        visible: usize,
        /// Why it may see fewer than the machine has (`CUDA_VISIBLE_DEVICES`), or nothing.
        note: String,
    },
}

/// Whether `arg` can be trained on in this build, on this machine; asks LibTorch how many GPUs
/// it sees for `cuda:N` (which starts no CUDA context).
pub fn check(arg: DeviceArg) -> Result<(), Unavailable> {
    match arg {
        DeviceArg::Cpu => Ok(()),
        DeviceArg::TchCpu if cfg!(feature = "tch") => Ok(()),
        DeviceArg::TchCpu => Err(Unavailable::NotBuilt(arg)),
        DeviceArg::Cuda(_) if !cfg!(feature = "tch") => Err(Unavailable::NotBuilt(arg)),
        DeviceArg::Cuda(index) => {
            let visible = cuda_device_count();
            if index < visible {
                return Ok(());
            }
            let note = match std::env::var("CUDA_VISIBLE_DEVICES") {
                Ok(list) => format!(" (CUDA_VISIBLE_DEVICES={list})"),
                Err(_) if visible == 0 => {
                    " (no NVIDIA driver or GPU found; `nvidia-smi` tells which)".to_string()
                }
                Err(_) => String::new(),
            };
            Err(Unavailable::NoSuchGpu {
                device: arg,
                visible,
                note,
            })
        }
    }
}

/// CUDA GPUs LibTorch sees (0 in a build without it).
fn cuda_device_count() -> usize {
    #[cfg(feature = "tch")]
    return usize::try_from(tch::Cuda::device_count()).unwrap_or(0);
    #[cfg(not(feature = "tch"))]
    0
}

/// The training device (autodiff enabled) for a device argument, once [`check`] allows it.
pub fn device_for(arg: DeviceArg) -> Result<Device, Unavailable> {
    check(arg)?;
    match arg {
        DeviceArg::Cpu => Ok(training_device()),
        DeviceArg::TchCpu | DeviceArg::Cuda(_) => libtorch_device(arg),
    }
}

/// A LibTorch device. burn marks its `tch` backend deprecated (in favour of CubeCL backends,
/// whose CUDA build needs a download this project's machines cannot make): the allowance is
/// kept to these lines.
#[cfg(feature = "tch")]
#[allow(deprecated)]
fn libtorch_device(arg: DeviceArg) -> Result<Device, Unavailable> {
    match arg {
        DeviceArg::Cuda(index) => Ok(Device::libtorch_cuda(index).autodiff()),
        DeviceArg::Cpu | DeviceArg::TchCpu => Ok(Device::libtorch().autodiff()),
    }
}

#[cfg(not(feature = "tch"))]
fn libtorch_device(arg: DeviceArg) -> Result<Device, Unavailable> {
    Err(Unavailable::NotBuilt(arg))
}

/// Parse a comma-separated device list (`cpu`, `cuda:0,cuda:1`).
pub fn parse_devices(list: &str) -> Result<Vec<DeviceArg>, BadDevice> {
    list.split(',')
        .filter(|s| !s.trim().is_empty())
        .map(str::parse)
        .collect()
}

/// The name a worker records with its trials: the device as the machine numbers it. Inside a
/// worker pinned to one GPU (`CUDA_VISIBLE_DEVICES=3`, so LibTorch calls it `cuda:0`) that is
/// `cuda:3`; an entry that is a GPU's UUID is kept as it is (`cuda:GPU-8c1…`).
pub fn recorded_name(arg: DeviceArg, cuda_visible: Option<&str>) -> String {
    match (arg, cuda_visible) {
        (DeviceArg::Cuda(index), Some(list)) => list
            .split(',')
            .map(str::trim)
            .nth(index)
            .filter(|entry| !entry.is_empty())
            .map_or_else(|| arg.to_string(), |entry| format!("cuda:{entry}")),
        _ => arg.to_string(),
    }
}

/// How a worker process is pinned to its device: the device it is told and the
/// `CUDA_VISIBLE_DEVICES` it runs with. A GPU worker sees its one GPU only (as `cuda:0`), so
/// LibTorch in it never touches, or allocates memory on, another worker's GPU.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Pin {
    /// The device the worker is told (`--device`).
    pub device: DeviceArg,
    /// `CUDA_VISIBLE_DEVICES` for the worker; `None` leaves the inherited value alone.
    pub cuda_visible: Option<String>,
}

/// The pin of a worker on `arg`, given the coordinator's own `CUDA_VISIBLE_DEVICES` (a
/// coordinator that sees GPUs 2,3 and is asked for `cuda:1` pins its worker to GPU 3).
pub fn pin(arg: DeviceArg, parent_visible: Option<&str>) -> Pin {
    match arg {
        DeviceArg::Cuda(index) => {
            let physical = parent_visible
                .and_then(|list| list.split(',').map(str::trim).nth(index))
                .filter(|entry| !entry.is_empty())
                .map_or_else(|| index.to_string(), str::to_string);
            Pin {
                device: DeviceArg::Cuda(0),
                cuda_visible: Some(physical),
            }
        }
        DeviceArg::Cpu | DeviceArg::TchCpu => Pin {
            device: arg,
            cuda_visible: None,
        },
    }
}

/// The device of each of `count` workers: round robin over `devices` (the CPU when the list is
/// empty), so `--workers-per-device K` over D devices puts exactly K workers on each, and fewer
/// workers (a sweep with fewer trials left than workers) still spread over every device.
pub fn assign(devices: &[DeviceArg], count: usize) -> Vec<DeviceArg> {
    if devices.is_empty() {
        return vec![DeviceArg::Cpu; count];
    }
    (0..count).map(|k| devices[k % devices.len()]).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn device_lists_parse() {
        let parsed = parse_devices("cpu, cuda:1,cuda,tch-cpu").ok();
        assert_eq!(
            parsed,
            Some(vec![
                DeviceArg::Cpu,
                DeviceArg::Cuda(1),
                DeviceArg::Cuda(0),
                DeviceArg::TchCpu
            ])
        );
        assert!(parse_devices("tpu").is_err());
        assert!(parse_devices("cuda:x").is_err());
        assert!(parse_devices("tch").is_err());
        for name in ["cpu", "tch-cpu", "cuda:2"] {
            assert_eq!(
                name.parse::<DeviceArg>().map(|d| d.to_string()).ok(),
                Some(name.to_string())
            );
        }
    }

    #[test]
    fn the_flex_cpu_is_always_there() {
        assert!(check(DeviceArg::Cpu).is_ok());
        assert!(device_for(DeviceArg::Cpu).is_ok());
    }

    #[cfg(not(feature = "tch"))]
    #[test]
    fn libtorch_devices_need_the_tch_feature() {
        for arg in [DeviceArg::TchCpu, DeviceArg::Cuda(0)] {
            let error = check(arg).err().map(|e| e.to_string()).unwrap_or_default();
            assert!(error.contains("--features tch"), "{error}");
            assert!(error.contains(&format!("`{arg}`")), "{error}");
        }
    }

    #[cfg(feature = "tch")]
    #[test]
    fn libtorch_sees_the_cpu_and_no_gpu_beyond_the_count() {
        assert!(device_for(DeviceArg::TchCpu).is_ok());
        let beyond = DeviceArg::Cuda(cuda_device_count());
        let error = check(beyond)
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(error.contains("CUDA GPU(s)"), "{error}");
    }

    #[test]
    fn gpu_workers_are_pinned_to_one_visible_gpu() {
        assert_eq!(
            pin(DeviceArg::Cuda(1), None),
            Pin {
                device: DeviceArg::Cuda(0),
                cuda_visible: Some("1".to_string())
            }
        );
        // The coordinator itself sees GPUs 2 and 3: its cuda:1 is the machine's GPU 3.
        assert_eq!(
            pin(DeviceArg::Cuda(1), Some("2,3")).cuda_visible.as_deref(),
            Some("3")
        );
        for arg in [DeviceArg::Cpu, DeviceArg::TchCpu] {
            assert_eq!(
                pin(arg, Some("0")),
                Pin {
                    device: arg,
                    cuda_visible: None
                }
            );
        }
    }

    #[test]
    fn pinned_workers_record_the_machines_gpu_number() {
        let pinned = pin(DeviceArg::Cuda(3), None);
        let recorded = recorded_name(pinned.device, pinned.cuda_visible.as_deref());
        assert_eq!(recorded, "cuda:3");
        assert_eq!(recorded_name(DeviceArg::Cuda(0), None), "cuda:0");
        assert_eq!(
            recorded_name(DeviceArg::Cuda(1), Some("GPU-ab,GPU-cd")),
            "cuda:GPU-cd"
        );
        assert_eq!(recorded_name(DeviceArg::TchCpu, Some("1")), "tch-cpu");
    }

    #[test]
    fn workers_spread_round_robin_k_per_device() {
        let devices = [DeviceArg::Cuda(0), DeviceArg::Cuda(1)];
        let assigned = assign(&devices, 2 * 3);
        for device in devices {
            assert_eq!(assigned.iter().filter(|d| **d == device).count(), 3);
        }
        // Fewer workers than K·D (few trials left): still every device.
        assert_eq!(assign(&devices, 2), devices.to_vec());
        assert_eq!(assign(&[], 2), vec![DeviceArg::Cpu; 2]);
    }
}
