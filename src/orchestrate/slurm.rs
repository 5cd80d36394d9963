//! Workers as Slurm jobs (`sweep run --launcher slurm`): the batch script, `sbatch`, `squeue`
//! and `scancel`, run as the user would run them.
//!
//! A sweep is submitted as ONE job array: each array task is one `sweep worker`, and every
//! worker claims trials from the shared run database until none is left, so the number of tasks
//! is only how many trials train at once. The batch script `exec`s the worker, which makes it
//! the job's main process: the SIGTERM that `scancel`, pre-emption or `--signal=B:TERM@60` (a
//! minute before the time limit) sends reaches it directly, and it finishes its batch, keeps its
//! checkpoint, marks its trial interrupted and exits before Slurm's `KillWait` runs out.

use std::collections::BTreeSet;
use std::ffi::OsString;
use std::io::ErrorKind;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::Duration;

use crate::backend::DeviceArg;
use crate::runs::Runs;

/// What `sweep run --launcher slurm` is told.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SlurmOptions {
    /// The user's own `sbatch` arguments (`--slurm-args`, split as a shell would).
    pub sbatch_args: Vec<String>,
    /// Array tasks (workers) to submit; fewer when fewer trials are left.
    pub tasks: usize,
    /// Return once the job is submitted instead of showing progress.
    pub detach: bool,
}

/// How long before a time limit Slurm warns the worker (`--signal=B:TERM@60`): enough to
/// finish a batch and write a checkpoint.
pub const WARN_BEFORE_LIMIT: Duration = Duration::from_secs(60);

/// What can go wrong talking to Slurm.
#[derive(Debug, thiserror::Error)]
pub enum SlurmError {
    /// `--slurm-args` that do not split into words.
    #[error(
        "--slurm-args `{0}` cannot be split into arguments: a quote is not closed, or it ends in a backslash"
    )]
    BadArgs(String),
    /// `--array 0`.
    #[error("--array must be at least 1 (the number of worker tasks)")]
    NoTasks,
    /// A Slurm flag without `--launcher slurm`.
    #[error("{0} is for `--launcher slurm` only")]
    NotSlurm(&'static str),
    /// A device list that mixes the CPU and GPUs: an array's tasks all ask for the same.
    #[error(
        "--devices {0} mixes cpu and cuda: with --launcher slurm every task trains on the same \
         kind of device (`cpu`, or `cuda` for one GPU per task)"
    )]
    MixedDevices(String),
    /// The command is not installed here.
    #[error(
        "`{0}` is not on PATH: run `sweep run --launcher slurm` where Slurm jobs are submitted \
         (a login node), or use --launcher local"
    )]
    NotInstalled(&'static str),
    /// `--slurm-args` names the array itself.
    #[error(
        "`{0}` in --slurm-args: give the number of tasks with `--array N` instead (sweep \
         submits and records the array)"
    )]
    ArrayInArgs(String),
    /// The command refused what it was asked (bad arguments, partition, account, limits).
    #[error("`{command}` failed ({status}): {stderr}")]
    Refused {
        /// The command line.
        command: String,
        /// Its exit status.
        status: String,
        /// What it said.
        stderr: String,
    },
    /// The command could not reach the Slurm controller.
    #[error("`{command}` cannot reach the Slurm controller: {stderr}")]
    Unreachable {
        /// The command line.
        command: String,
        /// What it said.
        stderr: String,
    },
    /// `sbatch --parsable` printed something other than a job id.
    #[error("`{command}` printed no job id: `{stdout}`")]
    NoJobId {
        /// The command line.
        command: String,
        /// What it printed.
        stdout: String,
    },
    /// A path or argument that cannot go into a shell script.
    #[error("cannot write `{0}` into the batch script (it is not UTF-8 text, or holds a NUL)")]
    Unquotable(String),
    /// Running the command or writing the script failed.
    #[error("{what}: {source}")]
    Io {
        /// What was being done.
        what: String,
        /// Why it failed.
        #[source]
        source: std::io::Error,
    },
}

impl SlurmError {
    /// Whether the user can fix it by changing what they typed or where they run (exit 2).
    pub fn is_bad_input(&self) -> bool {
        matches!(
            self,
            SlurmError::BadArgs(_)
                | SlurmError::ArrayInArgs(_)
                | SlurmError::NoTasks
                | SlurmError::NotSlurm(_)
                | SlurmError::MixedDevices(_)
                | SlurmError::NotInstalled(_)
                | SlurmError::Refused { .. }
        )
    }
}

/// Split `--slurm-args` as a POSIX shell would (`"--time 4:00:00 --comment 'a b'"`). An
/// `--array` there is refused: the tasks are `--array N`'s, and the store records that count.
pub fn split_args(text: &str) -> Result<Vec<String>, SlurmError> {
    let args = shlex::split(text).ok_or_else(|| SlurmError::BadArgs(text.to_string()))?;
    if let Some(array) = args.iter().find(|arg| {
        let name = arg.split_once('=').map_or(arg.as_str(), |(name, _)| name);
        name == "--array" || name.starts_with("-a")
    }) {
        return Err(SlurmError::ArrayInArgs(array.clone()));
    }
    Ok(args)
}

/// The device every task's worker trains on: `cpu`, or `cuda:0` (the one GPU Slurm gives the
/// task, which it makes device 0 through `CUDA_VISIBLE_DEVICES`).
pub fn task_device(devices: &[DeviceArg]) -> Result<DeviceArg, SlurmError> {
    let cuda = devices.iter().filter(|d| **d != DeviceArg::Cpu).count();
    match cuda {
        0 => Ok(DeviceArg::Cpu),
        n if n == devices.len() => Ok(DeviceArg::Cuda(0)),
        _ => Err(SlurmError::MixedDevices(
            devices
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join(","),
        )),
    }
}

/// Whether the user's `sbatch` arguments already ask for GPUs (then we add no `--gres`).
fn asks_for_gpus(args: &[String]) -> bool {
    const GPU_OPTIONS: [&str; 5] = [
        "--gres",
        "--gpus",
        "--gpus-per-task",
        "--gpus-per-node",
        "--gpus-per-socket",
    ];
    args.iter().any(|arg| {
        let name = arg.split_once('=').map_or(arg.as_str(), |(name, _)| name);
        GPU_OPTIONS.contains(&name) || arg == "-G" || (arg.starts_with("-G") && arg.len() > 2)
    })
}

/// The job array to submit for one sweep.
#[derive(Clone, Debug)]
pub struct JobArray<'a> {
    /// The sweep.
    pub sweep: &'a str,
    /// Its run database and folder (made absolute for the script).
    pub runs: &'a Runs,
    /// This program, which every task runs.
    pub exe: &'a Path,
    /// Each task's device.
    pub device: DeviceArg,
    /// Array tasks.
    pub tasks: usize,
    /// The fake trainer's epoch time (tests of orchestration).
    pub fake_epoch: Option<Duration>,
    /// Keep the W&B stand-in off program trials (`--no-wandb`).
    pub no_wandb: bool,
    /// The user's `sbatch` arguments.
    pub user_args: &'a [String],
}

impl JobArray<'_> {
    /// `<runs>/NAME/workers`, absolute: a job may start in another folder (`--chdir`).
    fn workers_dir(&self) -> PathBuf {
        let dir = self.runs.workers_dir(self.sweep);
        std::path::absolute(&dir).unwrap_or(dir)
    }

    /// `<runs>/NAME/workers/slurm-job.sh`.
    pub fn script_path(&self) -> PathBuf {
        self.workers_dir().join("slurm-job.sh")
    }

    /// `<runs>/NAME/workers/slurm-%A_%a.log` (Slurm fills in the job and task ids).
    pub fn log_pattern(&self) -> PathBuf {
        self.workers_dir().join("slurm-%A_%a.log")
    }

    /// The batch script: one worker, `exec`ed so that it is the job's main process.
    pub fn script(&self) -> Result<String, SlurmError> {
        let mut words: Vec<String> = vec![text(self.exe.as_os_str())?];
        let runs_args = self.runs.args().map_err(|source| SlurmError::Io {
            what: "resolving the run database's path".to_string(),
            source,
        })?;
        for arg in &runs_args {
            words.push(text(arg)?);
        }
        words.extend(
            ["worker", "--sweep", self.sweep, "--device"]
                .map(String::from)
                .into_iter()
                .chain([self.device.to_string()]),
        );
        if let Some(epoch) = self.fake_epoch {
            words.extend(["--fake-trainer".to_string(), epoch.as_millis().to_string()]);
        }
        if self.no_wandb {
            words.push("--no-wandb".to_string());
        }
        let command = shlex::try_join(words.iter().map(String::as_str))
            .map_err(|_| SlurmError::Unquotable(words.join(" ")))?;
        Ok(format!(
            "#!/bin/sh\n\
             # Written by `sweep run --launcher slurm` for sweep {sweep}: every task of the job\n\
             # array is one worker that claims trials until none is left. `exec` makes the worker\n\
             # the job's main process, so the SIGTERM of scancel, pre-emption or the time-limit\n\
             # warning reaches it: it keeps its checkpoint, marks its trial interrupted and exits.\n\
             # The worker uses the CPUs Slurm gives the task (--cpus-per-task, default 1).\n\
             exec {command} --threads \"${{SLURM_CPUS_PER_TASK:-1}}\"\n",
            sweep = self.sweep,
        ))
    }

    /// `sbatch`'s arguments, ours first so that the user's own override them.
    pub fn sbatch_args(&self) -> Vec<OsString> {
        let mut args: Vec<OsString> = vec![
            "--parsable".into(),
            format!("--job-name=sweep-{}", self.sweep).into(),
            format!("--array=1-{}", self.tasks).into(),
            with_prefix("--output=", self.log_pattern().as_os_str()),
            format!("--signal=B:TERM@{}", WARN_BEFORE_LIMIT.as_secs()).into(),
        ];
        if self.device != DeviceArg::Cpu && !asks_for_gpus(self.user_args) {
            args.push("--gres=gpu:1".into());
        }
        args.extend(self.user_args.iter().map(OsString::from));
        args.push(self.script_path().into_os_string());
        args
    }

    /// Write the script and submit the array; the job id.
    pub fn submit(&self) -> Result<String, SlurmError> {
        let dir = self.workers_dir();
        std::fs::create_dir_all(&dir).map_err(|source| SlurmError::Io {
            what: format!("creating {}", dir.display()),
            source,
        })?;
        write_script(&self.script_path(), &self.script()?)?;
        let args = self.sbatch_args();
        let output = run("sbatch", &args)?;
        let command = command_line("sbatch", &args);
        let stdout = String::from_utf8_lossy(&output.stdout).trim().to_string();
        parse_job_id(&stdout).ok_or(SlurmError::NoJobId { command, stdout })
    }
}

fn with_prefix(prefix: &str, value: &std::ffi::OsStr) -> OsString {
    let mut arg = OsString::from(prefix);
    arg.push(value);
    arg
}

/// A path or argument as script text, quoted later.
fn text(value: &std::ffi::OsStr) -> Result<String, SlurmError> {
    value
        .to_str()
        .map(str::to_string)
        .ok_or_else(|| SlurmError::Unquotable(value.to_string_lossy().into_owned()))
}

/// Write the batch script readable by its owner only: a PostgreSQL URL in it may carry a
/// password.
fn write_script(path: &Path, script: &str) -> Result<(), SlurmError> {
    use std::os::unix::fs::PermissionsExt;
    let io = |source| SlurmError::Io {
        what: format!("writing {}", path.display()),
        source,
    };
    std::fs::write(path, script).map_err(io)?;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o700)).map_err(io)
}

/// The job id `sbatch --parsable` prints: `ID` or `ID;CLUSTER`.
fn parse_job_id(stdout: &str) -> Option<String> {
    let line = stdout.lines().rev().find(|l| !l.trim().is_empty())?;
    let id = line.split(';').next()?.trim();
    (!id.is_empty() && id.bytes().all(|b| b.is_ascii_digit())).then(|| id.to_string())
}

/// The tasks of `jobs` that Slurm still has (pending, running or completing), by name
/// (`JOBID_TASK`). Jobs Slurm no longer knows have none.
pub fn queued_tasks(jobs: &[String]) -> Result<BTreeSet<String>, SlurmError> {
    if jobs.is_empty() {
        return Ok(BTreeSet::new());
    }
    let args: Vec<OsString> = vec![
        "--noheader".into(),
        "--array".into(),
        "--format=%i".into(),
        format!("--jobs={}", jobs.join(",")).into(),
    ];
    match run("squeue", &args) {
        Ok(output) => Ok(String::from_utf8_lossy(&output.stdout)
            .split_whitespace()
            .flat_map(expand_tasks)
            .collect()),
        // Every job named has left Slurm's memory (MinJobAge): none is queued.
        Err(SlurmError::Refused { stderr, .. }) if stderr.contains("Invalid job id") => {
            Ok(BTreeSet::new())
        }
        Err(e) => Err(e),
    }
}

/// The tasks a `squeue` id stands for: `42_3` itself, and the pending tasks Slurm may still
/// list as one range, `42_[4-6,9%2]` (`%2`: at most 2 at once), one by one.
fn expand_tasks(id: &str) -> Vec<String> {
    let Some((job, range)) = id
        .split_once("_[")
        .and_then(|(job, rest)| Some((job, rest.strip_suffix(']')?)))
    else {
        return vec![id.to_string()];
    };
    let range = range.split('%').next().unwrap_or(range);
    let mut tasks = Vec::new();
    for part in range.split(',') {
        let bounds = match part.split_once('-') {
            Some((first, last)) => first.parse::<u64>().ok().zip(last.parse::<u64>().ok()),
            None => part.parse::<u64>().ok().map(|k| (k, k)),
        };
        match bounds {
            Some((first, last)) => tasks.extend((first..=last).map(|k| format!("{job}_{k}"))),
            // Not a form we know: keep it whole, so that its job still counts as queued.
            None => return vec![id.to_string()],
        }
    }
    tasks
}

/// Whether `task` (`JOBID_TASK` or `JOBID`) is a task of `job`.
pub fn is_task_of(task: &str, job: &str) -> bool {
    task == job || task.strip_prefix(job).is_some_and(|r| r.starts_with('_'))
}

/// Cancel a job (all its tasks): its workers get SIGTERM, then SIGKILL after Slurm's
/// `KillWait`. A job Slurm no longer knows is already over, which is no error.
pub fn cancel(job: &str) -> Result<(), SlurmError> {
    match run("scancel", &[OsString::from(job)]) {
        Ok(_) => Ok(()),
        Err(SlurmError::Refused { stderr, .. }) if stderr.contains("Invalid job id") => Ok(()),
        Err(e) => Err(e),
    }
}

/// The scheduler job this process runs in, as workers record it in `trials.job`:
/// `ARRAYJOB_TASK` in an array task, else the job id; `None` outside Slurm.
pub fn job_from_env() -> Option<String> {
    let var = |name| std::env::var(name).ok().filter(|v| !v.is_empty());
    job_name(
        var("SLURM_ARRAY_JOB_ID"),
        var("SLURM_ARRAY_TASK_ID"),
        var("SLURM_JOB_ID"),
    )
}

fn job_name(array: Option<String>, task: Option<String>, job: Option<String>) -> Option<String> {
    match (array, task) {
        (Some(array), Some(task)) => Some(format!("{array}_{task}")),
        _ => job,
    }
}

/// Run a Slurm command; its output when it succeeded.
fn run(program: &'static str, args: &[OsString]) -> Result<Output, SlurmError> {
    let output = Command::new(program)
        .args(args)
        .stdin(Stdio::null())
        .output()
        .map_err(|source| match source.kind() {
            ErrorKind::NotFound => SlurmError::NotInstalled(program),
            _ => SlurmError::Io {
                what: format!("running {program}"),
                source,
            },
        })?;
    if output.status.success() {
        return Ok(output);
    }
    let command = command_line(program, args);
    let stderr = String::from_utf8_lossy(&output.stderr).trim().to_string();
    if is_unreachable(&stderr) {
        return Err(SlurmError::Unreachable { command, stderr });
    }
    Err(SlurmError::Refused {
        command,
        status: output.status.to_string(),
        stderr,
    })
}

/// Slurm's words for a controller it cannot talk to (not the user's arguments' fault).
fn is_unreachable(stderr: &str) -> bool {
    [
        "Unable to contact slurm controller",
        "Socket timed out",
        "Connection refused",
        "Communication connection failure",
    ]
    .iter()
    .any(|phrase| stderr.contains(phrase))
}

/// The command as a shell would take it, for messages.
fn command_line(program: &str, args: &[OsString]) -> String {
    let words: Vec<String> = std::iter::once(program.to_string())
        .chain(args.iter().map(|a| a.to_string_lossy().into_owned()))
        .collect();
    shlex::try_join(words.iter().map(String::as_str)).unwrap_or_else(|_| words.join(" "))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn array<'a>(runs: &'a Runs, user_args: &'a [String], device: DeviceArg) -> JobArray<'a> {
        JobArray {
            sweep: "demo",
            runs,
            exe: Path::new("/opt/my tools/sweep"),
            device,
            tasks: 3,
            fake_epoch: Some(Duration::from_millis(150)),
            no_wandb: false,
            user_args,
        }
    }

    #[test]
    fn slurm_args_split_like_a_shell_and_unclosed_quotes_are_bad_input() {
        assert_eq!(
            split_args("--partition gpu --comment 'a b' --time=4:00:00").ok(),
            Some(
                ["--partition", "gpu", "--comment", "a b", "--time=4:00:00"]
                    .map(String::from)
                    .to_vec()
            )
        );
        let error = split_args("--comment 'a b").expect_err("unclosed quote");
        assert!(error.is_bad_input());
        assert!(error.to_string().contains("--comment 'a b"), "{error}");
        for array in ["--array=1-4", "--array 1-4", "-a 1-4", "-a1-4"] {
            let error = split_args(array).expect_err("the array is --array N's");
            assert!(matches!(error, SlurmError::ArrayInArgs(_)) && error.is_bad_input());
        }
        assert!(split_args("--account=abc --partition gpu").is_ok());
    }

    #[test]
    fn tasks_train_on_the_cpu_or_on_their_one_gpu() {
        assert_eq!(task_device(&[DeviceArg::Cpu]).ok(), Some(DeviceArg::Cpu));
        assert_eq!(
            task_device(&[DeviceArg::Cuda(0), DeviceArg::Cuda(1)]).ok(),
            Some(DeviceArg::Cuda(0))
        );
        let mixed = task_device(&[DeviceArg::Cpu, DeviceArg::Cuda(1)]).expect_err("mixed");
        assert!(mixed.is_bad_input());
        assert!(mixed.to_string().contains("cpu,cuda:1"), "{mixed}");
    }

    #[test]
    fn a_gpu_is_asked_for_only_for_cuda_and_only_once() {
        let runs = Runs::new(
            "postgres://u@db/x".parse().expect("url"),
            Some("/shared/runs".into()),
        );
        let cpu = array(&runs, &[], DeviceArg::Cpu).sbatch_args();
        let text: Vec<String> = cpu
            .iter()
            .map(|a| a.to_string_lossy().into_owned())
            .collect();
        assert_eq!(
            text,
            [
                "--parsable",
                "--job-name=sweep-demo",
                "--array=1-3",
                "--output=/shared/runs/demo/workers/slurm-%A_%a.log",
                "--signal=B:TERM@60",
                "/shared/runs/demo/workers/slurm-job.sh",
            ]
        );
        let gpu = array(&runs, &[], DeviceArg::Cuda(0)).sbatch_args();
        assert!(gpu.contains(&OsString::from("--gres=gpu:1")));
        let own = ["--gres=gpu:a100:2".to_string()];
        let gpu = array(&runs, &own, DeviceArg::Cuda(0)).sbatch_args();
        assert_eq!(
            gpu.iter()
                .filter(|a| a.to_string_lossy().starts_with("--gres"))
                .count(),
            1,
            "the user's --gres replaces ours: {gpu:?}"
        );
        for own in [["--gpus-per-task", "1"], ["-G", "2"]] {
            let own = own.map(String::from);
            let args = array(&runs, &own, DeviceArg::Cuda(0)).sbatch_args();
            assert!(!args.contains(&OsString::from("--gres=gpu:1")), "{args:?}");
        }
    }

    #[test]
    fn the_script_execs_one_worker_with_absolute_paths_quoted() {
        let runs = Runs::new(
            "postgres://u@db/x".parse().expect("url"),
            Some("/shared/runs".into()),
        );
        let script = array(&runs, &[], DeviceArg::Cpu)
            .script()
            .expect("a script");
        assert!(script.starts_with("#!/bin/sh\n"), "{script}");
        let exec = script
            .lines()
            .find(|l| l.starts_with("exec "))
            .expect("an exec line");
        assert_eq!(
            exec,
            "exec '/opt/my tools/sweep' --db postgres://u@db/x --runs /shared/runs worker \
             --sweep demo --device cpu --fake-trainer 150 --threads \"${SLURM_CPUS_PER_TASK:-1}\""
        );
    }

    #[test]
    fn job_ids_and_task_names_are_read_as_slurm_writes_them() {
        assert_eq!(parse_job_id("4242\n").as_deref(), Some("4242"));
        assert_eq!(parse_job_id("4242;cluster2").as_deref(), Some("4242"));
        assert_eq!(parse_job_id("Submitted batch job 4242"), None);
        assert_eq!(parse_job_id(""), None);
        assert_eq!(
            job_name(Some("7".into()), Some("3".into()), Some("10".into())).as_deref(),
            Some("7_3")
        );
        assert_eq!(
            job_name(None, None, Some("10".into())).as_deref(),
            Some("10")
        );
        assert_eq!(job_name(None, None, None), None);
        assert_eq!(expand_tasks("42_3"), ["42_3"]);
        assert_eq!(
            expand_tasks("42_[4-6,9%2]"),
            ["42_4", "42_5", "42_6", "42_9"]
        );
        assert_eq!(expand_tasks("42_[x]"), ["42_[x]"]);
        assert!(is_task_of("42_3", "42"));
        assert!(is_task_of("42", "42"));
        assert!(!is_task_of("421_3", "42"));
    }

    #[test]
    fn a_missing_command_says_where_to_run_instead() {
        let error = run("sweep-no-such-slurm-command", &[]).expect_err("not installed");
        assert!(error.is_bad_input());
        assert!(error.to_string().contains("not on PATH"), "{error}");
    }
}
