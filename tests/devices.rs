//! End-to-end tests of `--devices`: which devices a build accepts (exit 2 before any trial
//! starts otherwise), how `sweep run` spreads workers over devices and pins each GPU worker to
//! its GPU, and (in a `--features tch` build) training on LibTorch beside the default backend.
//! GPUs are stood in for by the fake trainer, which touches no device: what is tested is what
//! each worker process was told and recorded.

use std::collections::BTreeMap;
use std::path::Path;

use assert_cmd::cargo::cargo_bin_cmd;
use predicates::str::contains;
use sweep::store::{Database, Store, TrialState};

#[path = "common/fake_sweep.rs"]
mod fake_sweep;
use fake_sweep::fake_sweep;

fn sweep(dir: &Path) -> assert_cmd::Command {
    let mut command = cargo_bin_cmd!("sweep");
    command.current_dir(dir).env_remove("CUDA_VISIBLE_DEVICES");
    command
}

/// Trials per recorded device, and how many distinct worker processes trained on each.
fn devices_of(dir: &Path, name: &str) -> BTreeMap<String, (usize, usize)> {
    let store = Store::open_read_only(&Database::sqlite(dir.join("runs/sweeps.db")))
        .expect("database exists");
    let sweep = store.sweep(name).expect("sweep exists");
    let mut seen: BTreeMap<String, (usize, std::collections::BTreeSet<u32>)> = BTreeMap::new();
    for trial in store.trials(sweep.id).expect("trials") {
        assert_eq!(trial.state, TrialState::Completed, "trial {}", trial.number);
        let device = trial.device.clone().unwrap_or_default();
        let entry = seen.entry(device).or_default();
        entry.0 += 1;
        entry.1.extend(trial.worker_pid);
    }
    seen.into_iter()
        .map(|(device, (trials, pids))| (device, (trials, pids.len())))
        .collect()
}

#[test]
fn unknown_devices_exit_2_naming_what_is_expected() {
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::write(dir.path().join("s.yaml"), fake_sweep("bad-device", 2, 3)).expect("write");
    sweep(dir.path())
        .args(["run", "s.yaml", "--devices", "cpu,tpu:0"])
        .assert()
        .code(2)
        .stderr(contains("`tpu:0` is not a device"))
        .stderr(contains("`tch-cpu`"));
    sweep(dir.path())
        .args(["run", "s.yaml", "--workers-per-device", "0"])
        .assert()
        .code(2)
        .stderr(contains("--workers-per-device"));
    sweep(dir.path())
        .args([
            "run",
            "s.yaml",
            "--workers",
            "2",
            "--workers-per-device",
            "2",
        ])
        .assert()
        .code(2)
        .stderr(contains("cannot be used with"));
    assert!(
        !dir.path().join("runs/sweeps.db").exists() || devices_of_is_empty(dir.path()),
        "no trial was created for a refused device"
    );
}

fn devices_of_is_empty(dir: &Path) -> bool {
    Store::open_read_only(&Database::sqlite(dir.join("runs/sweeps.db")))
        .ok()
        .and_then(|store| store.sweep("bad-device").ok())
        .is_none()
}

/// A default build has no LibTorch: `tch-cpu` and `cuda:N` are refused up front, by `run`,
/// `worker` and `train` alike, with the way to get them.
#[cfg(not(feature = "tch"))]
#[test]
fn libtorch_devices_in_a_build_without_them_exit_2_before_any_trial() {
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::write(dir.path().join("s.yaml"), fake_sweep("no-tch", 2, 3)).expect("write");
    for devices in ["cuda:0", "cpu,tch-cpu"] {
        sweep(dir.path())
            .args(["run", "s.yaml", "--devices", devices])
            .assert()
            .code(2)
            .stderr(contains("has no LibTorch"))
            .stderr(contains("--features tch"));
    }
    assert!(
        !dir.path().join("runs/sweeps.db").exists(),
        "refused before the run database was touched"
    );
    sweep(dir.path())
        .args(["worker", "--sweep", "no-tch", "--device", "cuda:1"])
        .assert()
        .code(2)
        .stderr(contains("has no LibTorch, so `cuda:1` cannot be used"));
    sweep(dir.path())
        .args(["train", "--synthetic", "100", "--devices", "tch-cpu"])
        .assert()
        .code(2)
        .stderr(contains("has no LibTorch"));
    sweep(dir.path())
        .env("SWEEP_DEVICE", "cuda:0")
        .args(["train", "--synthetic", "100"])
        .assert()
        .code(2)
        .stderr(contains("`cuda:0`"));
}

/// In a `tch` build on a machine without a GPU (CI's), `cuda:0` is refused up front with the
/// count LibTorch sees.
#[cfg(feature = "tch")]
#[test]
fn a_gpu_libtorch_does_not_see_exits_2_before_any_trial() {
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::write(dir.path().join("s.yaml"), fake_sweep("no-gpu", 2, 3)).expect("write");
    sweep(dir.path())
        .args(["run", "s.yaml", "--devices", "cuda:64"])
        .assert()
        .code(2)
        .stderr(contains("`cuda:64` cannot be used: LibTorch sees"));
    assert!(!dir.path().join("runs/sweeps.db").exists());
    sweep(dir.path())
        .env("CUDA_VISIBLE_DEVICES", "")
        .args(["train", "--synthetic", "100", "--device", "cuda:0"])
        .assert()
        .code(2)
        .stderr(contains("sees 0 CUDA GPU(s) here (CUDA_VISIBLE_DEVICES=)"));
}

/// `--devices cuda:0,cuda:1 --workers-per-device 2`: four workers, two per GPU, each pinned
/// to its GPU with its own CUDA_VISIBLE_DEVICES (inside it, the GPU is `cuda:0`), each
/// trial recorded with the GPU as the machine numbers it, and shown by the leaderboard.
#[test]
fn workers_per_device_spreads_pinned_workers_over_the_gpus() {
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::write(dir.path().join("s.yaml"), fake_sweep("spread", 16, 3)).expect("write");
    sweep(dir.path())
        .args(["run", "s.yaml", "--devices", "cuda:0,cuda:1"])
        .args(["--workers-per-device", "2", "--fake-trainer", "60"])
        .args(["--no-report"])
        .assert()
        .success()
        .stdout(contains("16/16 complete"));
    let devices = devices_of(dir.path(), "spread");
    assert_eq!(
        devices.keys().map(String::as_str).collect::<Vec<_>>(),
        ["cuda:0", "cuda:1"],
        "{devices:?}"
    );
    for (device, (trials, workers)) in &devices {
        assert!(
            *workers <= 2,
            "at most two workers on {device}: {devices:?}"
        );
        assert!(*trials >= 2, "{device} trained {trials} trials");
    }
    // What each worker process was told and saw, from its own log.
    let logs = dir.path().join("runs/spread/workers");
    let mut seen: Vec<String> = (1..=4)
        .map(|k| {
            std::fs::read_to_string(logs.join(format!("worker-{k}.log")))
                .unwrap_or_default()
                .lines()
                .find_map(|l| l.split_once(": device ").map(|(_, d)| d.to_string()))
                .unwrap_or_default()
        })
        .collect();
    seen.sort();
    assert_eq!(
        seen,
        [
            "cuda:0 (cuda:0 with CUDA_VISIBLE_DEVICES=0)",
            "cuda:0 (cuda:0 with CUDA_VISIBLE_DEVICES=0)",
            "cuda:1 (cuda:0 with CUDA_VISIBLE_DEVICES=1)",
            "cuda:1 (cuda:0 with CUDA_VISIBLE_DEVICES=1)",
        ]
    );

    let board = sweep(dir.path())
        .args(["leaderboard", "spread"])
        .output()
        .expect("leaderboard runs");
    let table = String::from_utf8_lossy(&board.stdout);
    assert!(
        table.lines().next().is_some_and(|h| h.contains("device")),
        "{table}"
    );
    assert!(table.contains("cuda:1"), "{table}");
    let json = sweep(dir.path())
        .args(["leaderboard", "spread", "--format", "json"])
        .output()
        .expect("leaderboard runs");
    let rows: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap_or_default();
    let devices: Vec<&str> = rows
        .as_array()
        .map(|rows| rows.iter().filter_map(|r| r["device"].as_str()).collect())
        .unwrap_or_default();
    assert_eq!(devices.len(), 16, "{rows}");

    sweep(dir.path())
        .args(["report", "spread", "-o", "spread.html"])
        .assert()
        .success();
    let html = std::fs::read_to_string(dir.path().join("spread.html")).unwrap_or_default();
    assert!(
        html.contains("<th data-type=\"text\">device</th>"),
        "a device column"
    );
    assert!(
        html.contains("<p class=\"device\">trained on cuda:1, "),
        "each trial's device"
    );
    assert!(html.contains(" samples/s</p>"), "and its samples/s");
}

/// A coordinator that itself sees only GPUs 5 and 7 pins its `cuda:1` workers to GPU 7.
#[test]
fn pinning_follows_the_coordinators_own_visible_gpus() {
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::write(dir.path().join("s.yaml"), fake_sweep("visible", 3, 3)).expect("write");
    sweep(dir.path())
        .env("CUDA_VISIBLE_DEVICES", "5,7")
        .args(["run", "s.yaml", "--devices", "cuda:1", "--workers", "2"])
        .args(["--fake-trainer", "5", "--no-report"])
        .assert()
        .success();
    let devices = devices_of(dir.path(), "visible");
    assert_eq!(
        devices.keys().map(String::as_str).collect::<Vec<_>>(),
        ["cuda:7"]
    );
}

/// CPU devices standing in for GPUs, with real training: a `cpu` worker (flex) and a
/// `tch-cpu` worker (LibTorch) share the sweep, and each trial records where it trained and
/// its samples/s.
#[cfg(feature = "tch")]
#[test]
fn a_sweep_trains_on_flex_and_libtorch_side_by_side() {
    let dir = tempfile::tempdir().expect("temp dir");
    let spec = "name: mixed
method: grid
seed: 5
parameters:
  conv1_filters: {value: 8}
  conv2_filters: {value: 8}
  conv3_filters: {value: 8}
  conv1_kernel: {value: 9}
  conv2_kernel: {value: 5}
  lstm_units: {value: 4}
  dense_units: {value: 16}
  batch_size: {value: 64}
  learning_rate: {values: [0.003, 0.002, 0.001, 0.004]}
data:
  synthetic: {rows: 1200, seed: 3}
training: {max_epochs: 2, patience: 10}
";
    std::fs::write(dir.path().join("s.yaml"), spec).expect("write");
    sweep(dir.path())
        .args([
            "run",
            "s.yaml",
            "--devices",
            "cpu,tch-cpu",
            "--workers-per-device",
            "1",
        ])
        .args(["--no-report"])
        .assert()
        .success()
        .stdout(contains("4/4 complete"));
    let devices = devices_of(dir.path(), "mixed");
    assert_eq!(
        devices.keys().map(String::as_str).collect::<Vec<_>>(),
        ["cpu", "tch-cpu"],
        "{devices:?}"
    );
    let store = Store::open_read_only(&Database::sqlite(dir.path().join("runs/sweeps.db")))
        .expect("database");
    let sweep_id = store.sweep("mixed").expect("sweep").id;
    for trial in store.trials(sweep_id).expect("trials") {
        let epochs = store.epochs(trial.id).expect("epochs");
        assert_eq!(epochs.len(), 2);
        assert!(epochs.iter().all(|e| e.samples_per_s > 0.0));
        // Learning itself is the trainer tests' to show (CI runs them on tch-cpu too).
        assert!(
            trial.best_metric.is_some_and(f64::is_finite),
            "trial {} on {:?}: {:?}",
            trial.number,
            trial.device,
            trial.best_metric
        );
    }
}
