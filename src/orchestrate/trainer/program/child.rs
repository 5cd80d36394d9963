//! The program's process: started in a process group of its own (so a stop reaches everything
//! it started, and a Ctrl-C in the terminal reaches it only through the worker), its output
//! appended to `stdout.log` and `stderr.log` in the trial folder, stopped with SIGTERM, then
//! SIGKILL after a grace period.

use std::fs::{File, OpenOptions};
use std::io::{BufRead, BufReader, Read, Seek, SeekFrom, Write};
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use anyhow::Context;
use nix::sys::signal::{Signal, killpg};
use nix::unistd::Pid;

/// How to start the program.
pub struct Launch<'a> {
    /// The words of the command: the file to run, then its arguments.
    pub argv: &'a [String],
    /// The folder it runs in.
    pub workdir: &'a Path,
    /// Variables set on top of the worker's environment.
    pub env: &'a [(String, String)],
    /// The trial folder: `stdout.log` and `stderr.log` go there.
    pub dir: &'a Path,
    /// The attempt, written at the head of this attempt's output in the logs.
    pub attempt: usize,
    /// Hand each stdout line to the returned channel too (`stdout_metrics`).
    pub read_stdout: bool,
    /// Copy its output to this process's stdout and stderr too (`sweep exec`).
    pub echo: bool,
}

/// A running program.
pub struct Running {
    child: Child,
    stderr_log: PathBuf,
    /// Where this attempt's output starts in `stderr.log`.
    stderr_from: u64,
    /// Copy its output to the logs, line by line.
    copiers: Vec<JoinHandle<()>>,
}

impl Running {
    /// Start the program; the receiver gets its stdout lines when `read_stdout` is set.
    pub fn start(launch: &Launch) -> anyhow::Result<(Running, Option<mpsc::Receiver<String>>)> {
        let (program, args) = launch
            .argv
            .split_first()
            .context("the command has no words")?;
        let stdout_log = launch.dir.join("stdout.log");
        let stderr_log = launch.dir.join("stderr.log");
        let header = format!("== sweep: attempt {} ==\n", launch.attempt);
        let mut stdout_file = append(&stdout_log)?;
        stdout_file.write_all(header.as_bytes())?;
        let mut stderr_file = append(&stderr_log)?;
        stderr_file.write_all(header.as_bytes())?;
        let stderr_from = stderr_file.metadata()?.len();

        let mut command = Command::new(program);
        command
            .args(args)
            .current_dir(launch.workdir)
            .envs(launch.env.iter().map(|(k, v)| (k, v)))
            .stdin(Stdio::null())
            .process_group(0);
        // Straight to the files unless the lines are read or shown (then a thread copies).
        let piped = launch.read_stdout || launch.echo;
        if piped {
            command.stdout(Stdio::piped()).stderr(Stdio::piped());
        } else {
            command
                .stdout(stdout_file.try_clone()?)
                .stderr(stderr_file.try_clone()?);
        }
        // The program dies with its worker (a worker killed with SIGKILL cannot stop it), so
        // a resumed attempt never runs beside a leftover one.
        // SAFETY: prctl is async-signal-safe, and nothing else runs between fork and exec.
        unsafe {
            command.pre_exec(|| {
                if libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL) != 0 {
                    return Err(std::io::Error::last_os_error());
                }
                Ok(())
            });
        }
        let mut child = command
            .spawn()
            .with_context(|| format!("starting `{}`", launch.argv.join(" ")))?;
        let mut copiers = Vec::new();
        let mut lines = None;
        if let Some(out) = child.stdout.take() {
            let send = launch.read_stdout.then(|| {
                let (send, receive) = mpsc::channel();
                lines = Some(receive);
                send
            });
            let echo = launch
                .echo
                .then(|| Box::new(std::io::stdout()) as Box<dyn Write + Send>);
            copiers.push(std::thread::spawn(move || {
                copy_lines(out, stdout_file, echo, send)
            }));
        }
        if let Some(err) = child.stderr.take() {
            let echo = launch
                .echo
                .then(|| Box::new(std::io::stderr()) as Box<dyn Write + Send>);
            copiers.push(std::thread::spawn(move || {
                copy_lines(err, stderr_file, echo, None)
            }));
        }
        Ok((
            Running {
                child,
                stderr_log,
                stderr_from,
                copiers,
            },
            lines,
        ))
    }

    /// Its exit status, if it has exited.
    pub fn exited(&mut self) -> anyhow::Result<Option<ExitStatus>> {
        Ok(self.child.try_wait()?)
    }

    /// Stop it: SIGTERM to its process group, then SIGKILL if it is still running after
    /// `grace`. Returns its exit status.
    pub fn stop(&mut self, grace: Duration) -> anyhow::Result<ExitStatus> {
        let group = Pid::from_raw(self.child.id() as i32);
        let _ = killpg(group, Signal::SIGTERM);
        let deadline = Instant::now() + grace;
        while Instant::now() < deadline {
            if let Some(status) = self.child.try_wait()? {
                // Whatever it started in its group goes with it.
                let _ = killpg(group, Signal::SIGKILL);
                return Ok(status);
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = killpg(group, Signal::SIGKILL);
        Ok(self.child.wait()?)
    }

    /// Wait for the output copiers to end (after the program exited).
    pub fn finish_output(&mut self) {
        for copier in self.copiers.drain(..) {
            let _ = copier.join();
        }
    }

    /// The last `lines` lines this attempt wrote to stderr.
    pub fn stderr_tail(&self, lines: usize) -> String {
        tail(&self.stderr_log, self.stderr_from, lines).unwrap_or_default()
    }
}

impl Drop for Running {
    /// A program is never left running: a worker that returns early (an error) kills it.
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = killpg(Pid::from_raw(self.child.id() as i32), Signal::SIGKILL);
            let _ = self.child.wait();
        }
    }
}

/// How the program ended, in words.
pub fn describe(status: ExitStatus) -> String {
    match (status.code(), status.signal()) {
        (Some(code), _) => format!("exited with status {code}"),
        (None, Some(signal)) => format!(
            "was killed by signal {signal}{}",
            Signal::try_from(signal)
                .map(|s| format!(" ({s})"))
                .unwrap_or_default()
        ),
        _ => "ended".to_string(),
    }
}

fn append(path: &Path) -> anyhow::Result<File> {
    OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .with_context(|| format!("opening {}", path.display()))
}

/// Copy a program's output to its log line by line, showing it (`echo`) and handing each
/// line on (`lines`) when asked.
fn copy_lines(
    out: impl Read,
    mut log: File,
    mut echo: Option<Box<dyn Write + Send>>,
    lines: Option<mpsc::Sender<String>>,
) {
    let mut reader = BufReader::new(out);
    let mut line = Vec::new();
    while let Ok(n) = reader.read_until(b'\n', &mut line) {
        if n == 0 {
            break;
        }
        let _ = log.write_all(&line);
        if let Some(echo) = &mut echo {
            let _ = echo.write_all(&line).and_then(|()| echo.flush());
        }
        if let Some(lines) = &lines {
            let _ = lines.send(String::from_utf8_lossy(&line).trim_end().to_string());
        }
        line.clear();
    }
}

/// The last `lines` lines of `path` after byte `from` (at most the last 64 KiB).
fn tail(path: &Path, from: u64, lines: usize) -> std::io::Result<String> {
    let mut file = File::open(path)?;
    let len = file.metadata()?.len();
    let start = from.max(len.saturating_sub(64 * 1024));
    file.seek(SeekFrom::Start(start))?;
    let mut bytes = Vec::new();
    file.read_to_end(&mut bytes)?;
    let text = String::from_utf8_lossy(&bytes);
    let kept: Vec<&str> = text.lines().collect();
    Ok(kept[kept.len().saturating_sub(lines)..].join("\n"))
}
