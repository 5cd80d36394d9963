//! Before anything runs: the program a sweep file names, resolved against the folder `sweep
//! run` starts in (or as a stored sweep recorded it) and checked, so that a missing program or
//! interpreter is an error of `sweep run` (exit 2), not a failed trial per claim; and what
//! `sweep run` says once about a program sweep.

use std::path::{Path, PathBuf};

use anyhow::Context;

use super::{find_interpreter, is_executable, on_path};
use crate::runs::Runs;
use crate::spec::{CommandWord, ProgramSpec, Spec};
use crate::store::{ProgramRecord, StoreError};

/// A program that cannot run as the sweep file says.
#[derive(Debug, thiserror::Error)]
pub enum ProgramError {
    /// `program:` names no file.
    #[error("program `{}` not found (looked for {}, resolved against the folder `sweep run` was started in)", .given.display(), .resolved.display())]
    Missing {
        /// As the file gives it.
        given: PathBuf,
        /// Where it was looked for.
        resolved: PathBuf,
    },
    /// The command runs the program itself, and it is not executable.
    #[error("program {} is not executable: `chmod +x` it, or start it through an interpreter (`command: [\"${{env}}\", \"${{interpreter}}\", \"${{program}}\", \"${{args}}\"]`)", .0.display())]
    NotExecutable(PathBuf),
    /// `${interpreter}` finds no Python.
    #[error(
        "the command names `${{interpreter}}`, and no Python was found: no active virtual environment (VIRTUAL_ENV), no `python` or `python3` on PATH"
    )]
    NoInterpreter,
    /// The command's first word is a file that cannot be run.
    #[error("the command's first word `{0}` is neither on PATH nor an executable file")]
    NoCommand(String),
}

/// Resolve the program of a sweep file against `workdir` (the folder `sweep run` is started
/// in), where its trials will run.
pub fn resolve(program: &ProgramSpec, workdir: &Path) -> ProgramRecord {
    ProgramRecord {
        path: program.program.as_ref().map(|p| workdir.join(p)),
        workdir: workdir.to_path_buf(),
    }
}

/// Check that the program can be started as the command says: its file exists (and is
/// executable when the command runs it directly), the interpreter is found, a literal first
/// word is a command.
pub fn check(program: &ProgramSpec, record: &ProgramRecord) -> Result<(), ProgramError> {
    if let (Some(given), Some(path)) = (&program.program, &record.path)
        && !path.is_file()
    {
        return Err(ProgramError::Missing {
            given: given.clone(),
            resolved: path.clone(),
        });
    }
    if program.command.contains(&CommandWord::Interpreter) && find_interpreter().is_none() {
        return Err(ProgramError::NoInterpreter);
    }
    // The word the system runs: the first, or the one after `${env}`.
    let run = match program.command.as_slice() {
        [CommandWord::Env, next, ..] => next,
        [first, ..] => first,
        [] => return Ok(()),
    };
    match run {
        CommandWord::Program => match &record.path {
            Some(path) if !is_executable(path) => Err(ProgramError::NotExecutable(path.clone())),
            _ => Ok(()),
        },
        CommandWord::Literal(word) => {
            let runnable = if word.contains('/') {
                is_executable(&record.workdir.join(word))
            } else {
                on_path(word).is_some()
            };
            if runnable {
                Ok(())
            } else {
                Err(ProgramError::NoCommand(word.clone()))
            }
        }
        _ => Ok(()),
    }
}

/// The program a program sweep's trials run: the one a stored sweep of that name recorded
/// (its resume runs what it ran, from wherever `sweep run` is started), else the file's,
/// resolved against the current folder; checked before anything is recorded or run.
pub fn program_to_run(
    runs: &Runs,
    spec: &Spec,
    program: &ProgramSpec,
) -> anyhow::Result<ProgramRecord> {
    // Read-only, so that a program that cannot run leaves no database behind.
    let stored = match runs.open_read_only() {
        Ok(store) => match store.sweep(spec.name.as_str()) {
            Ok(sweep) => sweep.program,
            Err(StoreError::NoSuchSweep(_)) => None,
            Err(e) => return Err(e.into()),
        },
        Err(StoreError::Missing(_)) => None,
        Err(e) => return Err(e.into()),
    };
    let record = match stored {
        Some(record) => record,
        None => {
            let workdir = std::env::current_dir().context("finding the current folder")?;
            resolve(program, &workdir)
        }
    };
    check(program, &record)?;
    Ok(record)
}

/// What `sweep run` says once about a program sweep: the W&B keys it keeps but does not use,
/// and the stand-in that answers `import wandb`.
pub fn notes(spec: &Spec, no_wandb: bool) -> Vec<String> {
    let mut notes = Vec::new();
    let wandb_only = spec.wandb_only_keys();
    if !wandb_only.is_empty() {
        notes.push(format!(
            "{}: recorded with the sweep file, not used (sweep runs offline, with no account)",
            wandb_only.join(", ")
        ));
    }
    match &spec.program {
        Some(program) if program.wandb && !no_wandb => notes.push(
            "`import wandb` in the program gets sweep's offline stand-in, which records \
             wandb.log values here (turn it off with `wandb: false` in the sweep file or \
             `sweep run --no-wandb`)"
                .to_string(),
        ),
        _ => {}
    }
    notes
}
