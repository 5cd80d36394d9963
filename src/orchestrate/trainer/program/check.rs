//! Before anything runs: the program a sweep file names, resolved against the folder `sweep
//! run` starts in and checked, so that a missing program or interpreter is an error of `sweep
//! run` (exit 2), not a failed trial per claim.

use std::path::{Path, PathBuf};

use super::{find_interpreter, is_executable, on_path};
use crate::spec::{CommandWord, ProgramSpec};
use crate::store::ProgramRecord;

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
