//! End-to-end tests of program trials: the user's own program (W&B's `program`/`command`),
//! run by the built binary in a temporary folder as a user would, with real Python processes
//! (the machine's `python3`; no packages), a real SQLite database, real signals.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use assert_cmd::cargo::cargo_bin_cmd;
use predicates::prelude::PredicateBooleanExt;
use predicates::str::contains;
use sweep::metric::EpochMetrics;
use sweep::store::{Database, Store, TrialRecord, TrialState};

#[path = "common/crash.rs"]
mod crash;
#[path = "common/processes.rs"]
mod processes;
use crash::kill_9_all;
use processes::{children_of, exit_within, kill, wait_for};

/// A training program as people write them: argparse flags (W&B's agent passes
/// `--name=value`), a checkpoint in the trial folder, one JSON line per step. Deterministic: a
/// resumed run reports what an uninterrupted one would. `TEST_STEP_SLEEP` slows it down;
/// `TEST_IGNORE_TERM` makes it ignore SIGTERM (a program that does not stop when asked).
const TRAIN_PY: &str = r#"
import argparse, json, os, signal, sys, time
p = argparse.ArgumentParser()
p.add_argument("--lr", type=float, required=True)
p.add_argument("--layers", type=int, default=1)
p.add_argument("--opt", default="adam")
p.add_argument("--steps", type=int, default=4)
p.add_argument("--mode", default="ok")
args = p.parse_args()
if os.environ.get("TEST_IGNORE_TERM"):
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
d = os.environ["SWEEP_TRIAL_DIR"]
with open(os.path.join(d, "attempts.txt"), "a") as f:
    f.write(os.environ["SWEEP_ATTEMPT"] + "\n")
with open(os.path.join(d, "pid.txt"), "w") as f:
    f.write(str(os.getpid()))
print("hello from trial", os.environ["SWEEP_TRIAL"], "seed", os.environ["SWEEP_SEED"], flush=True)
if args.mode == "exit1":
    print("boom: the learning rate is cursed", file=sys.stderr)
    sys.exit(1)
if args.mode == "crash":
    os.abort()
if args.mode == "missing":
    open("no-such-data.txt")
ck = os.path.join(d, "checkpoint.json")
start = 1
if os.path.exists(ck):
    start = json.load(open(ck))["step"] + 1
    print("resumed from step", start - 1, flush=True)
sleep = float(os.environ.get("TEST_STEP_SLEEP", "0"))
for step in range(start, args.steps + 1):
    time.sleep(sleep)
    loss = 100 * (args.lr - 0.01) ** 2 + 1.0 / step + 0.01 * args.layers + (0.05 if args.opt == "sgd" else 0)
    with open(os.environ["SWEEP_METRICS"], "a") as f:
        f.write(json.dumps({"step": step, "loss": loss, "val_acc": 1 - loss / 10}) + "\n")
    with open(ck + ".tmp", "w") as f:
        json.dump({"step": step}, f)
    os.replace(ck + ".tmp", ck)
"#;

/// A W&B sweep file as its users write it: `program`, a `command` with macros and a literal
/// word, `project` and `entity`, distributions inferred from `min`/`max`.
fn wandb_sweep(name: &str, extra: &str) -> String {
    format!(
        r#"name: {name}
project: dream-promoters
entity: a-lab
description: the lab's W&B sweep, unchanged
program: train.py
command: ["${{env}}", "${{interpreter}}", "${{program}}", "${{args}}", "--steps=4"]
method: random
run_cap: 4
seed: 3
metric: {{name: val_acc, goal: maximize}}
parameters:
  lr: {{min: 0.001, max: 0.1}}
  layers: {{min: 1, max: 4}}
  opt: {{values: [adam, sgd]}}
{extra}"#
    )
}

fn sweep(dir: &Path) -> assert_cmd::Command {
    let mut command = cargo_bin_cmd!("sweep");
    command.current_dir(dir);
    command
}

fn write(dir: &Path, file: &str, text: &str) -> PathBuf {
    let path = dir.join(file);
    std::fs::write(&path, text).expect("writing a test file");
    path
}

fn spawn_run(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Child {
    Command::new(assert_cmd::cargo::cargo_bin!("sweep"))
        .current_dir(dir)
        .arg("run")
        .args(args)
        .envs(env.iter().copied())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("starting sweep run")
}

fn store(dir: &Path) -> Store {
    Store::open_read_only(&Database::sqlite(dir.join("runs/sweeps.db"))).expect("database")
}

fn trials(dir: &Path, name: &str) -> Vec<TrialRecord> {
    let store = store(dir);
    let sweep = store.sweep(name).expect("sweep");
    store.trials(sweep.id).expect("trials")
}

/// Every trial's state and steps: (step, loss, val_acc) bits, in order.
fn stored_steps(dir: &Path, name: &str) -> Vec<(usize, TrialState, Vec<[u64; 3]>)> {
    let store = store(dir);
    let sweep = store.sweep(name).expect("sweep");
    store
        .trials(sweep.id)
        .expect("trials")
        .into_iter()
        .map(|t| {
            let steps = store.epochs(t.id).expect("steps");
            (t.number, t.state, steps.iter().map(step_bits).collect())
        })
        .collect()
}

fn step_bits(m: &EpochMetrics) -> [u64; 3] {
    let bits = |name| m.value(name).unwrap_or(f64::NAN).to_bits();
    [m.epoch as u64, bits("loss"), bits("val_acc")]
}

fn total_steps(dir: &Path, name: &str) -> usize {
    Store::open_read_only(&Database::sqlite(dir.join("runs/sweeps.db")))
        .and_then(|store| {
            let sweep = store.sweep(name)?;
            Ok(store.trials(sweep.id)?.iter().map(|t| t.epochs).sum())
        })
        .unwrap_or(0)
}

fn is_running(pid: u32) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat")).is_ok_and(|stat| {
        !stat
            .rsplit_once(')')
            .is_some_and(|(_, rest)| rest.trim_start().starts_with('Z'))
    })
}

fn trial_file(dir: &Path, name: &str, trial: usize, file: &str) -> String {
    std::fs::read_to_string(dir.join(format!("runs/{name}/trial-{trial:04}/{file}")))
        .unwrap_or_default()
}

#[test]
fn a_wandb_sweep_file_runs_a_program_with_two_workers_and_every_view_reads_it() {
    let dir = tempfile::tempdir().expect("tempdir");
    write(dir.path(), "train.py", TRAIN_PY);
    write(dir.path(), "sweep.yaml", &wandb_sweep("prog", ""));
    sweep(dir.path())
        .args(["run", "sweep.yaml", "--workers", "2"])
        .assert()
        .success()
        .stdout(contains("project, entity: recorded"))
        .stdout(contains(
            "`import wandb` in the program gets sweep's offline stand-in",
        ))
        .stdout(contains("4/4 complete"));

    let store = store(dir.path());
    let prog = store.sweep("prog").expect("sweep");
    let recorded = prog.program.clone().expect("the program is recorded");
    assert_eq!(recorded.path, Some(dir.path().join("train.py")));
    assert_eq!(prog.metric.as_str(), "val_acc");
    for trial in store.trials(prog.id).expect("trials") {
        assert_eq!(trial.state, TrialState::Completed, "{trial:?}");
        let params: serde_json::Value = serde_json::from_str(&trial.params_json).expect("json");
        assert!(
            params["layers"].is_i64(),
            "min/max integers infer int_uniform: {params}"
        );
        assert!(
            params["lr"].is_f64(),
            "min/max floats infer uniform: {params}"
        );
        let steps = store.epochs(trial.id).expect("steps");
        assert_eq!(
            steps.iter().map(|s| s.epoch).collect::<Vec<_>>(),
            [1, 2, 3, 4]
        );
        let acc: Vec<f64> = steps.iter().filter_map(|s| s.value("val_acc")).collect();
        assert_eq!(acc.len(), 4, "val_acc at every step: {steps:?}");
        assert_eq!(trial.best_epoch, Some(4), "the best step by val_acc");
        let out = trial_file(dir.path(), "prog", trial.number, "stdout.log");
        assert!(
            out.contains(&format!("hello from trial {}", trial.number)),
            "{out}"
        );
    }
    assert_eq!(
        store.metric_names(prog.id).expect("names"),
        ["loss", "val_acc"],
        "the metrics the program reported"
    );

    sweep(dir.path())
        .args(["leaderboard", "prog"])
        .assert()
        .success()
        .stdout(
            contains("val_acc")
                .and(contains("loss"))
                .and(contains("layers")),
        );
    sweep(dir.path())
        .args(["status", "prog"])
        .assert()
        .success()
        .stdout(contains("4 completed").or(contains("completed 4")));
    sweep(dir.path())
        .args(["importance", "prog"])
        .assert()
        .success()
        .stdout(contains("lr"));
    sweep(dir.path())
        .args(["compare", "prog", "1", "2"])
        .assert()
        .success()
        .stdout(contains("val_acc"));
    sweep(dir.path())
        .args(["report", "prog", "-o", "prog.html"])
        .assert()
        .success();
    let html = std::fs::read_to_string(dir.path().join("prog.html")).expect("report");
    assert!(
        html.contains("val_acc") && html.contains("loss"),
        "the report shows the program's metrics"
    );
}

#[test]
fn kill_9_mid_trial_then_the_same_command_resumes_the_program_from_its_checkpoint() {
    let spec = "name: resumed
program: train.py
command: [\"${interpreter}\", \"${program}\", \"${args}\", \"--steps=8\"]
method: grid
metric: {name: loss, goal: minimize}
parameters:
  lr: {values: [0.01, 0.02]}
";
    let whole = tempfile::tempdir().expect("tempdir");
    write(whole.path(), "train.py", TRAIN_PY);
    write(whole.path(), "s.yaml", spec);
    sweep(whole.path())
        .args(["run", "s.yaml", "--workers", "2"])
        .assert()
        .success();
    let expected = stored_steps(whole.path(), "resumed");
    assert!(
        expected
            .iter()
            .all(|(_, s, steps)| *s == TrialState::Completed && steps.len() == 8)
    );

    let dir = tempfile::tempdir().expect("tempdir");
    write(dir.path(), "train.py", TRAIN_PY);
    write(dir.path(), "s.yaml", spec);
    let mut run = spawn_run(
        dir.path(),
        &["s.yaml", "--workers", "2"],
        &[("TEST_STEP_SLEEP", "0.25")],
    );
    wait_for("the first steps", Duration::from_secs(60), || {
        total_steps(dir.path(), "resumed") >= 3
    });
    let workers = children_of(run.id());
    let programs: Vec<u32> = workers.iter().flat_map(|w| children_of(*w)).collect();
    assert!(!programs.is_empty(), "the workers run programs");
    kill_9_all(run.id(), &workers);
    let _ = run.wait();
    // A program dies with its worker: no attempt runs beside a leftover one.
    wait_for(
        "the programs to die with their workers",
        Duration::from_secs(5),
        || programs.iter().all(|p| !is_running(*p)),
    );
    let partial = stored_steps(dir.path(), "resumed");
    assert!(
        partial
            .iter()
            .any(|(_, s, steps)| *s == TrialState::Running && steps.len() < 8),
        "killed mid-trial: {partial:?}"
    );

    sweep(dir.path())
        .args(["run", "s.yaml", "--workers", "2"])
        .assert()
        .success()
        .stdout(contains("2/2 complete"));
    assert_eq!(stored_steps(dir.path(), "resumed"), expected);
    let attempts: Vec<String> = (1..=2)
        .map(|t| trial_file(dir.path(), "resumed", t, "attempts.txt"))
        .collect();
    assert!(
        attempts
            .iter()
            .any(|a| a.lines().collect::<Vec<_>>() == ["1", "2"]),
        "{attempts:?}"
    );
    let out: String = (1..=2)
        .map(|t| trial_file(dir.path(), "resumed", t, "stdout.log"))
        .collect();
    assert!(
        out.contains("resumed from step"),
        "the program continued from its checkpoint: {out}"
    );
}

/// Eight trials whose quality is set by `lr`, with Hyperband from step 2.
fn hyperband_program_sweep(name: &str, early: bool, grace: &str) -> String {
    let early = if early {
        "early_terminate: {type: hyperband, min_iter: 2, eta: 2}\n"
    } else {
        ""
    };
    format!(
        "name: {name}
program: train.py
command: [\"${{interpreter}}\", \"${{program}}\", \"${{args}}\", \"--steps=6\"]
method: grid
metric: {{name: loss, goal: minimize}}
stop_grace: {grace}
parameters:
  lr: {{values: [0.01, 0.1, 0.02, 0.2, 0.03, 0.3, 0.04, 0.4]}}
{early}"
    )
}

#[test]
fn hyperband_terminates_pruned_programs_within_the_grace_period() {
    let dir = tempfile::tempdir().expect("tempdir");
    write(dir.path(), "train.py", TRAIN_PY);
    write(
        dir.path(),
        "plain.yaml",
        &hyperband_program_sweep("plain", false, "1"),
    );
    write(
        dir.path(),
        "pruned.yaml",
        &hyperband_program_sweep("pruned", true, "1"),
    );
    sweep(dir.path())
        .args(["run", "plain.yaml", "--workers", "2"])
        .env("TEST_STEP_SLEEP", "0.05")
        .assert()
        .success();
    let started = Instant::now();
    // The programs ignore SIGTERM: only the SIGKILL after the grace period stops them.
    sweep(dir.path())
        .args(["run", "pruned.yaml", "--workers", "2"])
        .env("TEST_STEP_SLEEP", "0.3")
        .env("TEST_IGNORE_TERM", "1")
        .assert()
        .success()
        .stdout(contains("pruned"));
    let took = started.elapsed();
    let pruned: Vec<TrialRecord> = trials(dir.path(), "pruned")
        .into_iter()
        .filter(|t| t.state == TrialState::Pruned)
        .collect();
    assert!(!pruned.is_empty(), "some programs were pruned");
    for t in &pruned {
        let pid: u32 = trial_file(dir.path(), "pruned", t.number, "pid.txt")
            .parse()
            .expect("pid");
        assert!(
            !is_running(pid),
            "pruned trial {}'s program was killed",
            t.number
        );
        assert!(
            t.epochs < 6,
            "trial {} stopped before its last step",
            t.number
        );
    }
    assert!(
        total_steps(dir.path(), "pruned") < total_steps(dir.path(), "plain"),
        "Hyperband trains fewer steps"
    );
    // 8 trials × 6 steps × 0.3 s on 2 workers is 7.2 s unpruned; each pruned program costs at
    // most its 1 s of grace more.
    assert!(took < Duration::from_secs(60), "took {took:?}");
}

#[test]
fn failing_programs_fail_their_trials_with_their_stderr_and_the_sweep_goes_on() {
    let dir = tempfile::tempdir().expect("tempdir");
    write(dir.path(), "train.py", TRAIN_PY);
    write(
        dir.path(),
        "s.yaml",
        "name: failing
program: train.py
method: grid
metric: {name: loss, goal: minimize}
parameters:
  lr: {value: 0.01}
  mode: {values: [ok, exit1, crash, missing]}
",
    );
    sweep(dir.path())
        .args(["run", "s.yaml", "--workers", "2"])
        .assert()
        .success()
        .stdout(contains("1/4 complete, 3 failed"));
    let by_mode = |n: usize| trials(dir.path(), "failing")[n - 1].clone();
    assert_eq!(by_mode(1).state, TrialState::Completed);
    let error = |n: usize| by_mode(n).error.unwrap_or_default();
    assert!(
        error(2).contains("exited with status 1")
            && error(2).contains("boom: the learning rate is cursed"),
        "{}",
        error(2)
    );
    assert!(error(3).contains("signal 6"), "{}", error(3));
    assert!(
        error(4).contains("FileNotFoundError") && error(4).contains("no-such-data.txt"),
        "{}",
        error(4)
    );
    sweep(dir.path())
        .args(["status", "failing"])
        .assert()
        .success()
        .stdout(contains("boom: the learning rate is cursed"));
}

#[test]
fn a_missing_program_is_bad_input_before_anything_runs() {
    let dir = tempfile::tempdir().expect("tempdir");
    write(dir.path(), "s.yaml", &wandb_sweep("nothing", ""));
    sweep(dir.path())
        .args(["run", "s.yaml"])
        .assert()
        .code(2)
        .stderr(contains("program `train.py` not found"));
    assert!(
        !dir.path().join("runs/sweeps.db").exists(),
        "nothing is recorded, not even an empty database"
    );
    write(dir.path(), "run.sh", "#!/bin/sh\necho hi\n");
    write(
        dir.path(),
        "direct.yaml",
        "name: direct\nprogram: run.sh\ncommand: [\"${program}\"]\nmethod: grid\nmetric: {name: loss}\n",
    );
    sweep(dir.path())
        .args(["run", "direct.yaml"])
        .assert()
        .code(2)
        .stderr(contains("is not executable"));
}

#[test]
fn stdout_pairs_and_bad_lines_of_a_shell_program() {
    let dir = tempfile::tempdir().expect("tempdir");
    // The README's shell example: a program that only prints (Katib's `key=value`), plus
    // lines in the metrics file that are not good: counted and reported, never fatal.
    write(
        dir.path(),
        "train.sh",
        r#"#!/bin/sh
for step in 1 2 3; do
  echo "epoch=$step loss=0.$((9 - step)) lr=$1"
done
sleep 1
echo 'not json' >> "$SWEEP_METRICS"
echo '{"step": 4, "loss": "low"}' >> "$SWEEP_METRICS"
echo '{"step": 4, "loss": 0.4, "acc": 0.9}' >> "$SWEEP_METRICS"
echo '{"step": 2, "loss": 0.1}' >> "$SWEEP_METRICS"
printf '{"step": 5, "loss": 0.' >> "$SWEEP_METRICS"
"#,
    );
    write(
        dir.path(),
        "s.yaml",
        "name: shell
program: train.sh
command: [sh, \"${program}\", \"${args_no_hyphens}\"]
stdout_metrics: true
method: grid
metric: {name: loss, goal: minimize}
parameters:
  lr: {value: 0.5}
",
    );
    sweep(dir.path())
        .args(["run", "s.yaml"])
        .assert()
        .success()
        .stdout(contains("1/1 complete"));
    let steps = stored_steps(dir.path(), "shell");
    let (_, _, rows) = &steps[0];
    assert_eq!(rows.iter().map(|r| r[0]).collect::<Vec<_>>(), [1, 2, 3, 4]);
    let log =
        std::fs::read_to_string(dir.path().join("runs/shell/workers/worker-1.log")).expect("log");
    assert!(
        log.contains("3 bad lines")
            && log.contains("not JSON")
            && log.contains("`loss` is not a number"),
        "{log}"
    );
    assert!(log.contains("step 2 comes after step 4"), "{log}");
    let out = trial_file(dir.path(), "shell", 1, "stdout.log");
    assert!(
        out.contains("lr=lr=0.5"),
        "${{args_no_hyphens}} passes name=value: {out}"
    );
}

#[test]
fn ctrl_c_reaches_programs_and_their_trials_are_interrupted_then_resumed() {
    let dir = tempfile::tempdir().expect("tempdir");
    write(dir.path(), "train.py", TRAIN_PY);
    write(
        dir.path(),
        "s.yaml",
        "name: stopped
program: train.py
command: [\"${interpreter}\", \"${program}\", \"${args}\", \"--steps=6\"]
method: grid
metric: {name: loss, goal: minimize}
parameters:
  lr: {values: [0.01, 0.02]}
",
    );
    let mut run = spawn_run(
        dir.path(),
        &["s.yaml", "--workers", "2"],
        &[("TEST_STEP_SLEEP", "0.5")],
    );
    wait_for(
        "both programs' first steps",
        Duration::from_secs(60),
        || {
            Store::open_read_only(&Database::sqlite(dir.path().join("runs/sweeps.db")))
                .and_then(|s| s.sweep("stopped").and_then(|sw| s.trials(sw.id)))
                .is_ok_and(|t| t.iter().filter(|t| t.epochs >= 1).count() == 2)
        },
    );
    kill(run.id(), "-INT");
    let status = exit_within(&mut run, Duration::from_secs(10), "stops within seconds");
    assert_eq!(status.code(), Some(130));
    for t in trials(dir.path(), "stopped") {
        assert_eq!(t.state, TrialState::Interrupted, "{t:?}");
    }
    sweep(dir.path())
        .args(["run", "s.yaml", "--workers", "2"])
        .assert()
        .success()
        .stdout(contains("2/2 complete"));
    for (number, state, steps) in stored_steps(dir.path(), "stopped") {
        assert_eq!(state, TrialState::Completed);
        assert_eq!(
            steps.iter().map(|s| s[0]).collect::<Vec<_>>(),
            [1, 2, 3, 4, 5, 6],
            "trial {number}"
        );
    }
}

#[test]
fn sweep_exec_records_one_run_that_status_and_compare_read() {
    let dir = tempfile::tempdir().expect("tempdir");
    let baseline = [
        "exec",
        "--name",
        "baseline",
        "--",
        "python3",
        "train.py",
        "--lr=0.02",
        "--steps=3",
    ];
    write(dir.path(), "train.py", TRAIN_PY);
    sweep(dir.path())
        .args(baseline)
        .assert()
        .success()
        .stdout(contains("hello from trial 1"))
        .stderr(contains("run baseline: completed; best loss"));
    let steps = stored_steps(dir.path(), "baseline");
    assert_eq!(steps.len(), 1);
    assert_eq!(steps[0].2.len(), 3);
    sweep(dir.path())
        .args(["status"])
        .assert()
        .success()
        .stdout(contains("baseline"));
    // The same name again: the run is finished, nothing runs twice.
    sweep(dir.path()).args(baseline).assert().success();
    assert_eq!(stored_steps(dir.path(), "baseline"), steps);
    sweep(dir.path())
        .args([
            "exec",
            "--name",
            "broken",
            "--",
            "python3",
            "train.py",
            "--lr=0.02",
            "--mode=exit1",
        ])
        .assert()
        .code(1)
        .stderr(contains("boom: the learning rate is cursed"));
}

/// The repository root, where the examples and the Python files are.
fn repo() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

#[test]
fn the_stand_in_and_the_helper_pass_their_own_tests() {
    let out = Command::new("python3")
        .current_dir(repo())
        .args(["-m", "unittest", "python/test_stand_in.py"])
        .output()
        .expect("python3 runs (the tests of program trials need the machine's python3)");
    assert!(
        out.status.success(),
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn a_plain_wandb_script_runs_unchanged_and_its_logged_values_land_in_the_database() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = dir.path().join("w.db");
    sweep(repo())
        .args([
            "run",
            "examples/wandb/sweep.yaml",
            "--workers",
            "2",
            "--no-report",
        ])
        .args(["--db", db.to_str().expect("utf-8 path")])
        .assert()
        .success()
        .stdout(contains("complete, 0 failed"));
    let store = Store::open_read_only(&Database::sqlite(&db)).expect("db");
    let sweeps = store.sweeps().expect("sweeps");
    let wandb_sweep = &sweeps[0];
    let trials = store.trials(wandb_sweep.id).expect("trials");
    assert!(!trials.is_empty());
    for t in &trials {
        assert_eq!(t.state, TrialState::Completed, "{t:?}");
        let steps = store.epochs(t.id).expect("steps");
        assert!(
            !steps.is_empty()
                && steps
                    .iter()
                    .all(|s| s.value(wandb_sweep.metric.as_str()).is_some()),
            "{steps:?}"
        );
    }
}

#[test]
fn the_wandb_stand_in_is_on_by_default_and_switched_off_by_the_file_or_the_command_line() {
    let dir = tempfile::tempdir().expect("tempdir");
    write(
        dir.path(),
        "w.py",
        "import wandb\nrun = wandb.init(config={'lr': 0.5})\nwandb.log({'loss': wandb.config.lr})\nwandb.finish()\n",
    );
    let spec = |name: &str, extra: &str| {
        format!(
            "name: {name}\nprogram: w.py\ncommand: [python3, \"${{program}}\"]\nmethod: grid\nmetric: {{name: loss}}\n{extra}"
        )
    };
    write(dir.path(), "on.yaml", &spec("on", ""));
    sweep(dir.path())
        .args(["run", "on.yaml"])
        .assert()
        .success()
        .stdout(contains("offline stand-in"))
        .stdout(contains("1/1 complete"));
    assert_eq!(
        stored_steps(dir.path(), "on")[0].2.len(),
        1,
        "wandb.log landed"
    );
    // Off: `import wandb` finds the real package, if the machine has one.
    let real_wandb = Command::new("python3")
        .args(["-c", "import wandb"])
        .status()
        .is_ok_and(|s| s.success());
    if real_wandb {
        eprintln!(
            "NOTE: this python3 has the real wandb: the runs without the stand-in are not run"
        );
        return;
    }
    write(dir.path(), "off.yaml", &spec("off", "wandb: false\n"));
    sweep(dir.path())
        .args(["run", "off.yaml"])
        .assert()
        .success()
        .stdout(contains("offline stand-in").not())
        .stdout(contains("0/1 complete, 1 failed"));
    let failed = trials(dir.path(), "off")[0]
        .error
        .clone()
        .unwrap_or_default();
    assert!(failed.contains("No module named 'wandb'"), "{failed}");
    write(dir.path(), "cli.yaml", &spec("cli", ""));
    sweep(dir.path())
        .args(["run", "cli.yaml", "--no-wandb"])
        .assert()
        .success()
        .stdout(contains("0/1 complete, 1 failed"));
}

#[test]
fn programs_get_their_gpu_as_cuda_visible_devices_in_the_default_build() {
    let dir = tempfile::tempdir().expect("tempdir");
    write(
        dir.path(),
        "gpu.py",
        "import json, os, time\ntime.sleep(0.3)\nwith open(os.environ['SWEEP_METRICS'], 'a') as f:\n    f.write(json.dumps({'step': 1, 'loss': 1.0, 'gpu': float(os.environ['CUDA_VISIBLE_DEVICES'])}) + '\\n')\n",
    );
    write(
        dir.path(),
        "s.yaml",
        "name: gpus\nprogram: gpu.py\ncommand: [python3, \"${program}\"]\nmethod: grid\nmetric: {name: loss}\nparameters:\n  x: {values: [1, 2, 3, 4, 5, 6]}\n",
    );
    // No GPU and no LibTorch here: a program needs neither from sweep, only its pin.
    sweep(dir.path())
        .args([
            "run",
            "s.yaml",
            "--devices",
            "cuda:0,cuda:1",
            "--workers-per-device",
            "2",
        ])
        .env_remove("CUDA_VISIBLE_DEVICES")
        .assert()
        .success()
        .stdout(contains("6/6 complete"));
    let store = store(dir.path());
    let sweep_record = store.sweep("gpus").expect("sweep");
    for t in store.trials(sweep_record.id).expect("trials") {
        let gpu = store.epochs(t.id).expect("steps")[0]
            .value("gpu")
            .expect("gpu");
        assert_eq!(
            t.device.as_deref(),
            Some(format!("cuda:{gpu}").as_str()),
            "{t:?}"
        );
    }
}
