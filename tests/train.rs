//! End-to-end tests of `sweep data` and `sweep train`: the built binary, run the way a user
//! runs it, in a temporary folder with real files.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use assert_cmd::cargo::cargo_bin_cmd;
use predicates::str::contains;

#[path = "common/shared_data.rs"]
mod shared_data;

/// A small network (about 68 k parameters) that learns the synthetic data in a few epochs.
const SMALL_MODEL: &str = "conv1_filters=32,conv2_filters=32,conv3_filters=16,conv1_kernel=9,\
                           conv2_kernel=5,lstm_units=8,dense_units=32,batch_size=128";

fn sweep(dir: &Path) -> assert_cmd::Command {
    let mut command = cargo_bin_cmd!("sweep");
    command.current_dir(dir);
    command
}

fn synth(dir: &Path, rows: u64, seed: u64) -> PathBuf {
    let file = dir.join("data.txt");
    sweep(dir)
        .args([
            "data",
            "synth",
            "--rows",
            &rows.to_string(),
            "--seed",
            &seed.to_string(),
        ])
        .args(["-o", "data.txt"])
        .assert()
        .success()
        .stdout(contains("noise ceiling"));
    file
}

/// One parsed `metrics.csv` row.
#[derive(Debug)]
struct Epoch {
    fields: Vec<String>,
}

impl Epoch {
    fn get(&self, column: usize) -> f64 {
        self.fields[column].parse().unwrap_or(f64::NAN)
    }
    /// Everything but the two timing columns (seconds, samples/s), which no two runs share.
    fn deterministic_part(&self) -> &[String] {
        &self.fields[..7]
    }
}

const VAL_R2: usize = 3;

fn read_metrics(path: &Path) -> Vec<Epoch> {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let mut lines = text.lines();
    assert_eq!(
        lines.next(),
        Some(
            "epoch,train_loss,val_loss,val_r2,val_pearson,val_spearman,learning_rate,seconds,samples_per_s"
        ),
        "{} has the metrics header",
        path.display()
    );
    lines
        .map(|line| {
            let fields: Vec<String> = line.split(',').map(String::from).collect();
            assert_eq!(fields.len(), 9, "nine columns in `{line}`");
            for f in &fields {
                assert!(
                    f.parse::<f64>().is_ok_and(f64::is_finite),
                    "`{f}` is a number"
                );
            }
            Epoch { fields }
        })
        .collect()
}

fn noise_ceiling(data: &Path) -> f64 {
    let meta = std::fs::read_to_string(format!("{}.meta.json", data.display())).unwrap_or_default();
    let meta: serde_json::Value = serde_json::from_str(&meta).unwrap_or_default();
    meta["noise_ceiling_r2"].as_f64().unwrap_or(f64::NAN)
}

#[test]
fn training_on_synthetic_data_learns_toward_the_noise_ceiling() {
    let dir = tempfile::tempdir().expect("temp dir");
    let data = synth(dir.path(), 12_000, 3);
    let ceiling = noise_ceiling(&data);
    assert!((0.6..0.9).contains(&ceiling), "noise ceiling {ceiling}");

    sweep(dir.path())
        .args(["train", "--data", "data.txt", "--params", SMALL_MODEL])
        .args(["--max-epochs", "6", "--threads", "2", "--out", "trial"])
        .assert()
        .success()
        .stdout(contains("epoch   6/6"))
        .stdout(contains("best epoch"));

    let epochs = read_metrics(&dir.path().join("trial/metrics.csv"));
    assert_eq!(epochs.len(), 6);
    let best = epochs
        .iter()
        .map(|e| e.get(VAL_R2))
        .fold(f64::MIN, f64::max);
    // Measured: 0.62 after 6 epochs against a ceiling of 0.77.
    assert!(best > 0.45, "best validation R² {best} is well above 0");
    assert!(
        best < ceiling + 0.02,
        "R² {best} cannot beat the ceiling {ceiling}"
    );
    for file in ["checkpoint.bin", "best-model.bpk"] {
        assert!(
            dir.path().join("trial").join(file).is_file(),
            "{file} written"
        );
    }
}

/// Kill -9 in the middle of an epoch, run the same command again: the metrics equal those of
/// an uninterrupted run to the last bit (timings aside).
#[test]
fn a_killed_trial_resumes_to_the_same_numbers() {
    let dir = tempfile::tempdir().expect("temp dir");
    synth(dir.path(), 8_000, 11);
    let args = |out: &str| {
        let run = [
            "train",
            "--data",
            "data.txt",
            "--params",
            SMALL_MODEL,
            "--max-epochs",
            "3",
        ];
        let more = ["--threads", "2", "--seed", "5", "--out", out];
        run.into_iter()
            .chain(more)
            .map(String::from)
            .collect::<Vec<_>>()
    };
    let train = |out: &str| {
        let mut command = Command::new(env!("CARGO_BIN_EXE_sweep"));
        command.current_dir(dir.path()).args(args(out));
        command
    };
    let status = train("whole").stdout(Stdio::null()).status().expect("runs");
    assert!(status.success());

    let mut victim = train("killed")
        .stdout(Stdio::null())
        .spawn()
        .expect("starts");
    let metrics = dir.path().join("killed/metrics.csv");
    let deadline = Instant::now() + Duration::from_secs(300);
    while read_epochs_quietly(&metrics) < 1 {
        assert!(Instant::now() < deadline, "the first epoch never finished");
        std::thread::sleep(Duration::from_millis(50));
    }
    // An epoch takes a few seconds here: this lands inside the second one.
    std::thread::sleep(Duration::from_millis(1500));
    victim.kill().expect("kill -9");
    let _ = victim.wait();
    let done_when_killed = read_epochs_quietly(&metrics);
    assert!(
        done_when_killed < 3,
        "killed before the end ({done_when_killed} epochs done)"
    );

    sweep(dir.path())
        .args(args("killed"))
        .assert()
        .success()
        .stdout(contains("resuming from the checkpoint"));

    let whole = read_metrics(&dir.path().join("whole/metrics.csv"));
    let resumed = read_metrics(&metrics);
    assert_eq!(whole.len(), 3);
    let whole: Vec<_> = whole.iter().map(Epoch::deterministic_part).collect();
    let resumed: Vec<_> = resumed.iter().map(Epoch::deterministic_part).collect();
    assert_eq!(whole, resumed);
}

fn read_epochs_quietly(path: &Path) -> usize {
    std::fs::read_to_string(path).map_or(0, |t| t.lines().count().saturating_sub(1))
}

#[test]
fn a_checkpoint_of_another_trial_is_not_reused() {
    let dir = tempfile::tempdir().expect("temp dir");
    synth(dir.path(), 600, 2);
    let small = "conv1_filters=4,conv2_filters=4,conv3_filters=4,lstm_units=2,dense_units=4";
    let tiny_trial = |seed: &str| {
        let mut command = sweep(dir.path());
        command
            .args(["train", "--data", "data.txt", "--params", small])
            .args([
                "--max-epochs",
                "1",
                "--threads",
                "1",
                "--out",
                "t",
                "--seed",
                seed,
            ]);
        command
    };
    tiny_trial("0").assert().success();
    tiny_trial("99")
        .assert()
        .failure()
        .stderr(contains("checkpoint of another trial"));
}

#[test]
fn malformed_data_exits_2_naming_the_line() {
    let dir = tempfile::tempdir().expect("temp dir");
    let good = format!(
        "{}{}{}\t5.5\n",
        "TGCATTTTTTTCACATC",
        "A".repeat(80),
        "GGTTACGGCTGTT"
    );
    let text = format!("{good}{good}ACGT\t1\textra\n{good}");
    std::fs::write(dir.path().join("bad.txt"), text).expect("write");
    sweep(dir.path())
        .args(["data", "prepare", "bad.txt"])
        .assert()
        .code(2)
        .stderr(contains("bad.txt"))
        .stderr(contains("line 3"));

    let text = format!("{good}{}\tabc\n", "A".repeat(110));
    std::fs::write(dir.path().join("bad2.txt"), text).expect("write");
    sweep(dir.path())
        .args(["train", "--data", "bad2.txt", "--max-epochs", "1"])
        .assert()
        .code(2)
        .stderr(contains("line 2"))
        .stderr(contains("abc"));
}

#[test]
fn bad_params_exit_2_naming_the_key() {
    let dir = tempfile::tempdir().expect("temp dir");
    sweep(dir.path())
        .args(["train", "--synthetic", "100", "--params", "lstm_unit=8"])
        .assert()
        .code(2)
        .stderr(contains("unknown parameter `lstm_unit`"));
    sweep(dir.path())
        .args(["train", "--synthetic", "100", "--params", "batch_size=big"])
        .assert()
        .code(2)
        .stderr(contains("`batch_size`"))
        .stderr(contains("big"));
    sweep(dir.path())
        .args(["train", "--synthetic", "100", "--params", "optimizer=adamw"])
        .assert()
        .code(2)
        .stderr(contains("`optimizer`: `adamw` is not one of adam, sgd"));
    sweep(dir.path())
        .args(["train", "--synthetic", "100", "--val-fraction", "1.5"])
        .assert()
        .code(2)
        .stderr(contains("--val-fraction"))
        .stderr(contains("between 0 and 1"));
}

/// The real challenge sample: the reference's filter counts, and a short training run of the
/// reference model that learns.
#[test]
fn real_sample_is_filtered_like_the_reference_and_learnable() {
    let Some(sample) =
        shared_data::challenge_sample("real_sample_is_filtered_like_the_reference_and_learnable")
    else {
        return;
    };
    let dir = tempfile::tempdir().expect("temp dir");
    let sample = sample.to_string_lossy().into_owned();
    // 6,370 lines: the file's last line has no newline, so `wc -l` says 6,369.
    sweep(dir.path())
        .args(["data", "prepare", &sample])
        .assert()
        .success()
        .stdout(contains("6370 lines read, 5197 kept"))
        .stdout(contains("1151 not 110 nt"))
        .stdout(contains("22 with a base other than A/C/G/T"));

    sweep(dir.path())
        .args([
            "train",
            "--data",
            &sample,
            "--params",
            "batch_size=128,learning_rate=0.001",
        ])
        .args(["--max-epochs", "4", "--threads", "2", "--out", "real"])
        .assert()
        .success();
    let epochs = read_metrics(&dir.path().join("real/metrics.csv"));
    let best_pearson = epochs.iter().map(|e| e.get(4)).fold(f64::MIN, f64::max);
    assert!(best_pearson > 0.3, "validation Pearson {best_pearson}");
}

/// Every design choice of the reference's author at once, on a small model: it trains, the
/// recorded rate follows the decay, and it learns.
#[test]
fn every_design_choice_trains_and_learns() {
    let dir = tempfile::tempdir().expect("temp dir");
    let params = format!(
        "{SMALL_NETWORK},batch_size=64,optimizer=sgd,learning_rate=0.02,lr_decay=0.7,\
         kernel_init=he_normal,first_activation=exp,pooling=concat_max_avg,rc_augment=true,\
         rc_average=true,l2=0.0001"
    );
    sweep(dir.path())
        .args(["train", "--synthetic", "3000", "--params", &params])
        .args(["--max-epochs", "5", "--threads", "2", "--out", "trial"])
        .assert()
        .success()
        .stdout(contains("epoch   5/5"));
    let epochs = read_metrics(&dir.path().join("trial/metrics.csv"));
    assert_eq!(epochs.len(), 5);
    const LEARNING_RATE: usize = 6;
    let rates: Vec<f64> = epochs.iter().map(|e| e.get(LEARNING_RATE)).collect();
    let decayed = |epochs: usize| (0..epochs).fold(0.02, |rate, _| rate * 0.7);
    assert_eq!(rates, (0..5).map(decayed).collect::<Vec<_>>());
    let best = epochs
        .iter()
        .map(|e| e.get(VAL_R2))
        .fold(f64::MIN, f64::max);
    // Measured: 0.44 after 5 epochs (seed 0, 2 threads; the noise ceiling is about 0.77).
    // After 3 epochs this SGD trial's R² still swings with rounding: seed 0 gave 0.31, 0.23
    // and 0.15 on three builds whose arithmetic differs only in summation order, while seeds
    // 2-5 reached 0.12-0.55; by epoch 5 every build and seed but a dead one is past 0.25.
    assert!(best > 0.2, "best validation R² {best}");
}

/// SMALL_MODEL's network without its batch size.
const SMALL_NETWORK: &str = "conv1_filters=32,conv2_filters=32,conv3_filters=16,conv1_kernel=9,\
                             conv2_kernel=5,lstm_units=8,dense_units=32";

/// SGD's momentum is optimizer state: a trial stopped after one epoch and continued gives
/// the same epochs as one run straight through.
#[test]
fn an_sgd_trial_resumes_to_the_same_numbers() {
    let dir = tempfile::tempdir().expect("temp dir");
    let params = "optimizer=sgd,momentum=0.8,learning_rate=0.02,lr_decay=0.7,rc_augment=true,\
                  lstm_units=4,dense_units=16,conv1_filters=16,conv2_filters=16,\
                  conv3_filters=8,batch_size=64";
    let train = |out: &str, epochs: &str| {
        let mut command = sweep(dir.path());
        command
            .args([
                "train",
                "--synthetic",
                "1500",
                "--params",
                params,
                "--seed",
                "4",
            ])
            .args(["--threads", "2", "--max-epochs", epochs, "--out", out]);
        command
    };
    train("whole", "3").assert().success();
    train("split", "1").assert().success();
    train("split", "3")
        .assert()
        .success()
        .stdout(contains("resuming from the checkpoint"));
    let whole = read_metrics(&dir.path().join("whole/metrics.csv"));
    let split = read_metrics(&dir.path().join("split/metrics.csv"));
    assert_eq!(whole.len(), 3);
    let whole: Vec<_> = whole.iter().map(Epoch::deterministic_part).collect();
    let split: Vec<_> = split.iter().map(Epoch::deterministic_part).collect();
    assert_eq!(whole, split);
}

/// `rc_average` changes validation only: the same trial with and without it trains to the
/// same training loss and validates to different numbers.
#[test]
fn rc_average_changes_validation_not_training() {
    let dir = tempfile::tempdir().expect("temp dir");
    let small = "conv1_filters=8,conv2_filters=8,conv3_filters=4,lstm_units=2,dense_units=8";
    let train = |rc_average: &str| {
        sweep(dir.path())
            .args(["train", "--synthetic", "800", "--max-epochs", "1"])
            .args(["--params", &format!("{small},rc_average={rc_average}")])
            .args(["--threads", "2", "--out", rc_average])
            .assert()
            .success();
        read_metrics(&dir.path().join(rc_average).join("metrics.csv"))
    };
    let plain = train("false");
    let averaged = train("true");
    const TRAIN_LOSS: usize = 1;
    const VAL_LOSS: usize = 2;
    assert_eq!(plain[0].fields[TRAIN_LOSS], averaged[0].fields[TRAIN_LOSS]);
    assert_ne!(plain[0].fields[VAL_LOSS], averaged[0].fields[VAL_LOSS]);
}
