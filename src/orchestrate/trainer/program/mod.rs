//! The user's own program as a trial (W&B's `program` and `command`): the worker starts it
//! with the trial's parameters, reads the steps it reports as they arrive, and stops it when
//! the store prunes the trial or the sweep is stopped.
//!
//! The protocol (DESIGN.md) is environment variables in (`SWEEP_*`) and lines of JSON out
//! (`$SWEEP_METRICS`); `report.rs` reads the lines, `child.rs` runs the process, `python.rs`
//! puts the Python helper and the W&B stand-in on the program's `PYTHONPATH`.

mod check;
mod child;
mod python;
pub mod report;

use std::ops::ControlFlow;
use std::path::{Path, PathBuf};
use std::process::ExitStatus;
use std::sync::mpsc;
use std::time::Duration;

use anyhow::Context;

use super::{Trainer, TrialJob};
use crate::metric::EpochMetrics;
use crate::spec::{CommandContext, CommandWord, ProgramSpec};
use crate::store::{ProgramRecord, SweepRecord};
use crate::train::{TrainEvent, TrialEnd, TrialOutcome};
use child::{Launch, Running};
use report::{MetricsFile, Steps};

pub use check::{ProgramError, check, notes, program_to_run, resolve};
pub use python::HelperFiles;

/// How often the worker looks for new lines and for a stop while the program runs.
const POLL_EVERY: Duration = Duration::from_millis(50);
/// Lines of stderr kept in a failed trial's error.
const STDERR_TAIL: usize = 20;
/// The metrics file in the trial folder (`SWEEP_METRICS`).
pub const METRICS_FILE: &str = "metrics.jsonl";
/// The parameters as a JSON file, for `${args_json_file}`.
const ARGS_JSON_FILE: &str = "params.json";

/// Runs the user's program as each trial.
pub struct ProgramTrainer {
    /// `program`/`command` and the protocol switches of the sweep file.
    program: ProgramSpec,
    /// Where the program is and where it runs, as `sweep run` resolved them.
    record: ProgramRecord,
    /// The sweep's name (`SWEEP_NAME`).
    sweep: String,
    /// The Python interpreter `${interpreter}` names.
    interpreter: String,
    /// The `PYTHONPATH` the program gets.
    python_path: String,
    /// CPU threads per trial: `OMP_NUM_THREADS` and `MKL_NUM_THREADS` unless set already, so
    /// that programs of parallel workers share the cores as the built-in model's do.
    threads: usize,
    /// Show the program's output on this process's stdout and stderr (`sweep exec`).
    echo: bool,
}

/// How a worker runs programs, besides what the sweep file says.
#[derive(Clone, Debug)]
pub struct ProgramOptions {
    /// Whether the W&B stand-in answers `import wandb` (the sweep file's `wandb`, unless the
    /// command line switched it off).
    pub wandb: bool,
    /// CPU threads per trial.
    pub threads: usize,
    /// Show the program's output (`sweep exec`).
    pub echo: bool,
}

impl ProgramTrainer {
    /// The trainer of a program sweep; `helpers` is where the Python helper files are.
    pub fn new(
        sweep: &SweepRecord,
        program: &ProgramSpec,
        helpers: &HelperFiles,
        options: &ProgramOptions,
    ) -> anyhow::Result<ProgramTrainer> {
        let record = sweep
            .program
            .clone()
            .with_context(|| format!("sweep `{}` records no program", sweep.name))?;
        let interpreter = match find_interpreter() {
            Some(path) => path.to_string_lossy().into_owned(),
            None if program.command.contains(&CommandWord::Interpreter) => {
                anyhow::bail!(
                    "no Python interpreter for `${{interpreter}}`: no active virtual environment \
                     (VIRTUAL_ENV), and neither `python` nor `python3` is on PATH"
                )
            }
            None => "python3".to_string(),
        };
        Ok(ProgramTrainer {
            program: program.clone(),
            record,
            sweep: sweep.name.clone(),
            interpreter,
            python_path: helpers.python_path(options.wandb),
            threads: options.threads.max(1),
            echo: options.echo,
        })
    }

    /// The program's environment: the protocol's variables and the `PYTHONPATH`.
    fn environment(&self, job: &TrialJob, dir: &Path, metrics: &Path) -> Vec<(String, String)> {
        let text = |p: &Path| p.to_string_lossy().into_owned();
        let mut env = vec![
            ("SWEEP_NAME".into(), self.sweep.clone()),
            ("SWEEP_TRIAL".into(), job.number.to_string()),
            ("SWEEP_SEED".into(), job.seed.to_string()),
            ("SWEEP_ATTEMPT".into(), job.attempt.max(1).to_string()),
            ("SWEEP_TRIAL_DIR".into(), text(dir)),
            ("SWEEP_PARAMS".into(), job.params.to_json()),
            ("SWEEP_METRICS".into(), text(metrics)),
            ("PYTHONPATH".into(), self.python_path.clone()),
        ];
        for threads in ["OMP_NUM_THREADS", "MKL_NUM_THREADS"] {
            if std::env::var_os(threads).is_none() {
                env.push((threads.into(), self.threads.to_string()));
            }
        }
        env
    }
}

impl Trainer for ProgramTrainer {
    fn train(
        &self,
        job: &TrialJob,
        on_event: &mut dyn FnMut(TrainEvent) -> ControlFlow<()>,
    ) -> anyhow::Result<TrialEnd> {
        std::fs::create_dir_all(job.dir)
            .with_context(|| format!("creating {}", job.dir.display()))?;
        let dir = std::path::absolute(job.dir)?;
        let metrics_path = dir.join(METRICS_FILE);
        let attempt = job.attempt.max(1);
        let (mut metrics, earlier) = MetricsFile::open_for_attempt(&metrics_path, attempt)
            .with_context(|| format!("opening {}", metrics_path.display()))?;
        // What earlier attempts reported, recorded or not (their worker may have died
        // between a line and its row): the stored rows are made to match it first.
        // (A first attempt starts afresh, whatever a folder of a deleted sweep left there.)
        let (replayed, last_step) = match attempt {
            1 => (Vec::new(), 0),
            _ => report::replay(&earlier),
        };
        if attempt > 1 && on_event(TrainEvent::Replayed(&replayed)).is_break() {
            return Ok(TrialEnd::Stopped {
                epochs_done: replayed.len(),
            });
        }
        let args_json_file = dir.join(ARGS_JSON_FILE);
        crate::atomic_file::write_atomically(&args_json_file, job.params.to_json().as_bytes())?;
        let argv = self.program.argv(&CommandContext {
            interpreter: &self.interpreter,
            program: self.record.path.as_deref(),
            params: job.params,
            args_json_file: &args_json_file,
        });
        let env = self.environment(job, &dir, &metrics_path);
        let launch = Launch {
            argv: &argv,
            workdir: &self.record.workdir,
            env: &env,
            dir: &dir,
            attempt,
            read_stdout: self.program.stdout_metrics,
            echo: self.echo,
        };
        let (mut running, stdout_lines) = Running::start(&launch)?;
        let file_name = metrics_path.display().to_string();
        let mut watch = Watch {
            on_event,
            steps: Steps::after(last_step),
            reported: Vec::new(),
        };
        loop {
            let exited = running.exited()?;
            let mut flow = watch.new_lines(&mut metrics, stdout_lines.as_ref())?;
            if flow.is_continue() && exited.is_none() {
                flow = (watch.on_event)(TrainEvent::StillRunning);
            }
            if flow.is_break() {
                running.stop(self.program.stop_grace)?;
                return Ok(TrialEnd::Stopped {
                    epochs_done: watch.reported.len(),
                });
            }
            if let Some(status) = exited {
                // The last lines: what the program wrote before it exited.
                running.finish_output();
                let _ = watch.new_lines(&mut metrics, stdout_lines.as_ref())?;
                if let Some(note) = watch.steps.bad_summary(&file_name) {
                    let _ = (watch.on_event)(TrainEvent::Note(&note));
                }
                return watch.ended(status, &running);
            }
            std::thread::sleep(POLL_EVERY);
        }
    }
}

/// Hands the steps a program reports to the worker.
struct Watch<'a> {
    on_event: &'a mut dyn FnMut(TrainEvent) -> ControlFlow<()>,
    /// What the lines mean: their steps, the bad ones, a pre-emption.
    steps: Steps,
    /// The steps this attempt reported (merged as the store merges them).
    reported: Vec<EpochMetrics>,
}

impl Watch<'_> {
    /// Report the steps of the lines that came since the last look: the metrics file's,
    /// then stdout's (when they are read); `Break` at the first step the worker stops at.
    fn new_lines(
        &mut self,
        file: &mut MetricsFile,
        stdout: Option<&mpsc::Receiver<String>>,
    ) -> anyhow::Result<ControlFlow<()>> {
        let mut flow = self.file_lines(file)?;
        if let Some(lines) = stdout {
            while flow.is_continue()
                && let Ok(line) = lines.try_recv()
            {
                flow = self.stdout_line(&line);
            }
        }
        Ok(flow)
    }

    /// How the trial ends, now that its program exited with `status`.
    fn ended(self, status: ExitStatus, running: &Running) -> anyhow::Result<TrialEnd> {
        if status.success() {
            return Ok(finished(self.reported));
        }
        // A stop that reached the program before the worker asked (Slurm signals every
        // process of a cancelled job) is the stop, not a failure.
        if (self.on_event)(TrainEvent::StillRunning).is_break() {
            return Ok(TrialEnd::Stopped {
                epochs_done: self.reported.len(),
            });
        }
        if self.steps.preempting {
            return Ok(TrialEnd::Preempted);
        }
        Err(ProgramFailed {
            how: child::describe(status),
            stderr: running.stderr_tail(STDERR_TAIL),
        }
        .into())
    }

    /// Read the new lines of the metrics file and report their steps.
    fn file_lines(&mut self, file: &mut MetricsFile) -> anyhow::Result<ControlFlow<()>> {
        for (number, text) in file.read_new_lines()? {
            match report::parse_json_line(&text).and_then(|line| self.steps.step_of(line)) {
                Ok(Some(step)) => {
                    if self.report(step).is_break() {
                        return Ok(ControlFlow::Break(()));
                    }
                }
                Ok(None) => {}
                Err(why) => self.steps.bad_line(number, why),
            }
        }
        Ok(ControlFlow::Continue(()))
    }

    /// Report the step of one stdout line, if it holds `key=value` pairs.
    fn stdout_line(&mut self, text: &str) -> ControlFlow<()> {
        let Some(line) = report::parse_stdout_line(text) else {
            return ControlFlow::Continue(());
        };
        match self.steps.step_of(line) {
            Ok(Some(step)) => self.report(step),
            Ok(None) => ControlFlow::Continue(()),
            // Stdout lines have no numbers of their own to cite: the count says it.
            Err(why) => {
                self.steps.bad_line(0, format!("stdout: {why}"));
                ControlFlow::Continue(())
            }
        }
    }

    fn report(&mut self, step: report::Step) -> ControlFlow<()> {
        let flow = (self.on_event)(TrainEvent::StepReported {
            metrics: &step.metrics,
            again: step.again,
        });
        match self.reported.last_mut() {
            Some(last) if step.again && last.epoch == step.metrics.epoch => {
                last.merge(&step.metrics);
            }
            _ => self.reported.push(step.metrics),
        }
        flow
    }
}

/// The outcome of a program that exited 0: the steps this attempt reported.
fn finished(reported: Vec<EpochMetrics>) -> TrialEnd {
    let best = reported
        .last()
        .cloned()
        .unwrap_or_else(|| EpochMetrics::empty(0));
    TrialEnd::Finished(TrialOutcome {
        epochs: reported,
        best,
        stopped_early: false,
    })
}

/// A program that ended with a failure: how, and the last lines it wrote to stderr.
#[derive(Debug, thiserror::Error)]
#[error("the program {how}{}", stderr_lines(stderr))]
pub struct ProgramFailed {
    /// How it ended (`exited with status 1`, `was killed by signal 9 (SIGKILL)`).
    pub how: String,
    /// The last lines of its stderr.
    pub stderr: String,
}

/// The stderr tail of a failure: its last line first (what one-line views show), then the
/// whole tail.
fn stderr_lines(stderr: &str) -> String {
    match stderr.lines().rev().find(|l| !l.trim().is_empty()) {
        None => String::new(),
        Some(last) => format!(": {}\n--- the end of its stderr ---\n{stderr}", last.trim()),
    }
}

/// The interpreter `${interpreter}` names: the active virtual environment's `python`, else
/// `python` on PATH (what W&B's agent runs), else `python3` (Debian and Ubuntu have no
/// `python` command).
pub fn find_interpreter() -> Option<PathBuf> {
    if let Some(venv) = std::env::var_os("VIRTUAL_ENV") {
        let python = PathBuf::from(venv).join("bin").join("python");
        if is_executable(&python) {
            return Some(python);
        }
    }
    on_path("python").or_else(|| on_path("python3"))
}

/// The file a bare command name runs, by PATH. Written here rather than with a crate: it is
/// the few lines below, and the program check of `sweep run` and the trainer share it.
pub fn on_path(name: &str) -> Option<PathBuf> {
    std::env::split_paths(&std::env::var_os("PATH")?)
        .map(|dir| dir.join(name))
        .find(|candidate| is_executable(candidate))
}

/// Whether `path` is a file this user may execute.
pub fn is_executable(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    path.metadata()
        .is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}
