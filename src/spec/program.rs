//! The user's own program as a trial: W&B's `program` and `command`, and our keys for them
//! (`stdout_metrics`, `wandb`, `stop_grace`).
//!
//! A command is a list of words. A word that is a whole `${name}` is one of W&B's macros and
//! expands to zero or more words ([`CommandWord`]); any other word is passed as written, except
//! that `${envvar:NAME}` inside it is replaced by the environment variable `NAME`, as W&B's agent
//! does (`wandb/sdk/launch/sweeps/utils.py`, `create_sweep_command`). Parameters are formatted as
//! W&B's agent formats them (`create_sweep_command_args`): with Python's `str()`
//! ([`python_str`]), and `${args_json}` with Python's `json.dumps` ([`args_json`]).
//! docs/wandb-compatibility.md lists where sweep differs from W&B.

use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::{Serialize, Serializer};

use super::params::{ParamSet, ParamValue};

/// W&B's default command: `${env} ${interpreter} ${program} ${args}`.
pub const DEFAULT_COMMAND: [&str; 4] = ["${env}", "${interpreter}", "${program}", "${args}"];
/// Seconds between SIGTERM and SIGKILL when a program is stopped, unless `stop_grace` says.
pub const DEFAULT_STOP_GRACE_SECS: u64 = 30;
/// What `${env}` expands to (W&B's agent on Unix).
pub const ENV_PROGRAM: &str = "/usr/bin/env";

/// A sweep whose trials run the user's program (`program:` and/or `command:` in the file).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ProgramSpec {
    /// The `program:` path as written (resolved against the folder `sweep run` starts in, by
    /// the worker); `None` for a `command:` that names no `${program}`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub program: Option<PathBuf>,
    /// The command, word by word ([`DEFAULT_COMMAND`] when the file gives none).
    pub command: Vec<CommandWord>,
    /// Also read `key=value` pairs from the program's stdout as metrics (Katib's format);
    /// default false.
    pub stdout_metrics: bool,
    /// Whether `import wandb` gets the offline stand-in; default true.
    pub wandb: bool,
    /// Time between SIGTERM and SIGKILL when a trial is stopped (default 30 s). Not part of the
    /// fingerprint: it changes no result, so it may change between runs of a sweep.
    #[serde(serialize_with = "seconds")]
    pub stop_grace: Duration,
}

/// One word of a `command`: a W&B macro, or a literal word.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CommandWord {
    /// `${env}`: `/usr/bin/env`.
    Env,
    /// `${interpreter}`: the Python interpreter ([`CommandContext::interpreter`]).
    Interpreter,
    /// `${program}`: the program's path ([`CommandContext::program`]).
    Program,
    /// `${args}`: `--name=value` per parameter.
    Args,
    /// `${args_no_hyphens}`: `name=value` per parameter.
    ArgsNoHyphens,
    /// `${args_no_boolean_flags}`: `--name` for true, nothing for false, `--name=value` else.
    ArgsNoBooleanFlags,
    /// `${args_no_equals}`: `--name` `value` (two words) per parameter.
    ArgsNoEquals,
    /// `${args_append_hydra}`: `+name=value` per parameter (Hydra's append).
    ArgsAppendHydra,
    /// `${args_override_hydra}`: `++name=value` per parameter (Hydra's override).
    ArgsOverrideHydra,
    /// `${args_json}`: one word, the parameters as a JSON object ([`args_json`]).
    ArgsJson,
    /// `${args_json_file}`: the path of a file holding that JSON object.
    ArgsJsonFile,
    /// Any other word, as written (`${envvar:NAME}` inside it is expanded).
    Literal(String),
}

/// Every macro, in the order messages list them.
const MACROS: [CommandWord; 11] = [
    CommandWord::Env,
    CommandWord::Interpreter,
    CommandWord::Program,
    CommandWord::Args,
    CommandWord::ArgsNoHyphens,
    CommandWord::ArgsNoBooleanFlags,
    CommandWord::ArgsNoEquals,
    CommandWord::ArgsAppendHydra,
    CommandWord::ArgsOverrideHydra,
    CommandWord::ArgsJson,
    CommandWord::ArgsJsonFile,
];

impl CommandWord {
    /// Read one word of a command. `Err` carries the message for a word that is a whole
    /// `${...}` but no macro we know (W&B's agent silently drops such a word).
    pub fn parse(word: &str) -> Result<CommandWord, String> {
        if let Some(known) = MACROS.iter().find(|m| m.as_written() == word) {
            return Ok(known.clone());
        }
        let Some(name) = word.strip_prefix("${").and_then(|w| w.strip_suffix('}')) else {
            return Ok(CommandWord::Literal(word.to_string()));
        };
        if name.strip_prefix("envvar:").is_some_and(is_env_name) {
            return Ok(CommandWord::Literal(word.to_string()));
        }
        let known: Vec<&str> = MACROS.iter().map(CommandWord::as_written).collect();
        Err(format!(
            "unknown macro `{word}`; the macros are {} (and `${{envvar:NAME}}` inside a word)",
            known.join(", ")
        ))
    }

    /// The word as the sweep file writes it.
    pub fn as_written(&self) -> &str {
        match self {
            CommandWord::Env => "${env}",
            CommandWord::Interpreter => "${interpreter}",
            CommandWord::Program => "${program}",
            CommandWord::Args => "${args}",
            CommandWord::ArgsNoHyphens => "${args_no_hyphens}",
            CommandWord::ArgsNoBooleanFlags => "${args_no_boolean_flags}",
            CommandWord::ArgsNoEquals => "${args_no_equals}",
            CommandWord::ArgsAppendHydra => "${args_append_hydra}",
            CommandWord::ArgsOverrideHydra => "${args_override_hydra}",
            CommandWord::ArgsJson => "${args_json}",
            CommandWord::ArgsJsonFile => "${args_json_file}",
            CommandWord::Literal(word) => word,
        }
    }
}

impl Serialize for CommandWord {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_written())
    }
}

/// What a command's macros expand to for one trial.
#[derive(Clone, Copy, Debug)]
pub struct CommandContext<'a> {
    /// `${interpreter}`: the Python to run the program with.
    pub interpreter: &'a str,
    /// `${program}`: the program's path, resolved.
    pub program: Option<&'a Path>,
    /// The trial's parameters, for the `${args...}` macros.
    pub params: &'a ParamSet,
    /// `${args_json_file}`: where the trial's parameters are written as JSON ([`args_json`]).
    pub args_json_file: &'a Path,
}

impl ProgramSpec {
    /// The command for one trial, macros expanded, `${envvar:NAME}` read from this process's
    /// environment. Parameters come in the [`ParamSet`]'s order (by name).
    pub fn argv(&self, ctx: &CommandContext) -> Vec<String> {
        self.argv_with_env(ctx, &|name| std::env::var(name).ok())
    }

    /// [`ProgramSpec::argv`] with the environment given by `env`.
    pub fn argv_with_env(
        &self,
        ctx: &CommandContext,
        env: &dyn Fn(&str) -> Option<String>,
    ) -> Vec<String> {
        let params = || ctx.params.0.iter();
        let flag = |prefix: &str, (name, value): (&String, &ParamValue)| {
            format!("{prefix}{name}={}", python_str(value))
        };
        let mut argv = Vec::new();
        for word in &self.command {
            match word {
                CommandWord::Env => argv.push(ENV_PROGRAM.to_string()),
                CommandWord::Interpreter => argv.push(ctx.interpreter.to_string()),
                CommandWord::Program => {
                    argv.extend(ctx.program.map(|p| p.to_string_lossy().into_owned()))
                }
                CommandWord::Args => argv.extend(params().map(|p| flag("--", p))),
                CommandWord::ArgsNoHyphens => argv.extend(params().map(|p| flag("", p))),
                CommandWord::ArgsAppendHydra => argv.extend(params().map(|p| flag("+", p))),
                CommandWord::ArgsOverrideHydra => argv.extend(params().map(|p| flag("++", p))),
                CommandWord::ArgsNoBooleanFlags => {
                    argv.extend(params().filter_map(|(name, value)| match value {
                        ParamValue::Bool(true) => Some(format!("--{name}")),
                        ParamValue::Bool(false) => None,
                        _ => Some(flag("--", (name, value))),
                    }))
                }
                CommandWord::ArgsNoEquals => {
                    for (name, value) in params() {
                        argv.push(format!("--{name}"));
                        argv.push(python_str(value));
                    }
                }
                CommandWord::ArgsJson => argv.push(args_json(ctx.params)),
                CommandWord::ArgsJsonFile => {
                    argv.push(ctx.args_json_file.to_string_lossy().into_owned())
                }
                CommandWord::Literal(text) => argv.push(expand_env_vars(text, env)),
            }
        }
        argv
    }

    /// Whether the command names `${args_json_file}`, so the worker must write that file
    /// ([`args_json`]) before starting the program.
    pub fn needs_args_json_file(&self) -> bool {
        self.command.contains(&CommandWord::ArgsJsonFile)
    }

    /// Whether the command names `${program}`.
    pub fn uses_program(&self) -> bool {
        self.command.contains(&CommandWord::Program)
    }
}

/// `${envvar:NAME}` replaced by the variable `NAME` wherever it appears in `word`; a variable
/// that is not set leaves `NAME` itself, as W&B's agent does. `NAME` is upper-case letters,
/// digits and `_` (W&B's pattern `\$\{envvar:([A-Z0-9_]*)\}`).
fn expand_env_vars(word: &str, env: &dyn Fn(&str) -> Option<String>) -> String {
    const OPEN: &str = "${envvar:";
    let mut out = String::with_capacity(word.len());
    let mut rest = word;
    while let Some(at) = rest.find(OPEN) {
        let after = &rest[at + OPEN.len()..];
        match after.find('}') {
            Some(end) if is_env_name(&after[..end]) => {
                let name = &after[..end];
                out.push_str(&rest[..at]);
                out.push_str(&env(name).unwrap_or_else(|| name.to_string()));
                rest = &after[end + 1..];
            }
            _ => {
                out.push_str(&rest[..at + OPEN.len()]);
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

/// W&B's `${envvar:NAME}` names: `[A-Z0-9_]*`.
fn is_env_name(name: &str) -> bool {
    name.chars()
        .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_')
}

/// A parameter value as Python's `str()` prints it, which is how W&B's agent writes it into
/// `--name=value`: `True`/`False`, whole numbers plain, reals as Python's `repr` of a float
/// (`0.001`, `1e-05`, `100.0`, `1e+16`), text as it is.
pub fn python_str(value: &ParamValue) -> String {
    match value {
        ParamValue::Int(i) => i.to_string(),
        ParamValue::Float(x) => python_float(*x),
        ParamValue::Text(s) => s.clone(),
        ParamValue::Bool(true) => "True".to_string(),
        ParamValue::Bool(false) => "False".to_string(),
    }
}

/// Python's `repr(float)`: the shortest digits that read back to `x` (as Rust's), in fixed
/// notation when the decimal exponent is in `-4..16` (with `.0` when whole) and in exponent
/// notation otherwise, the exponent signed and at least two digits (CPython's
/// `format_float_short` with the `r` format).
pub fn python_float(x: f64) -> String {
    if x.is_nan() {
        return "nan".to_string();
    }
    if x.is_infinite() {
        return if x > 0.0 { "inf" } else { "-inf" }.to_string();
    }
    let sign = if x.is_sign_negative() { "-" } else { "" };
    if x == 0.0 {
        return format!("{sign}0.0");
    }
    let shortest = format!("{:e}", x.abs());
    let (mantissa, exponent) = shortest.split_once('e').unwrap_or((&shortest, "0"));
    let exponent: i32 = exponent.parse().unwrap_or(0);
    let digits: String = mantissa.chars().filter(|c| *c != '.').collect();
    // The value is 0.DIGITS × 10^point.
    let point = exponent + 1;
    let body = if !(-4 < point && point <= 16) {
        let (first, more) = digits.split_at(1);
        let dot = if more.is_empty() { "" } else { "." };
        let exp_sign = if exponent < 0 { '-' } else { '+' };
        format!(
            "{first}{dot}{more}e{exp_sign}{:02}",
            exponent.unsigned_abs()
        )
    } else if point <= 0 {
        format!("0.{}{digits}", "0".repeat(point.unsigned_abs() as usize))
    } else {
        let point = point as usize;
        if point >= digits.len() {
            format!("{digits}{}.0", "0".repeat(point - digits.len()))
        } else {
            format!("{}.{}", &digits[..point], &digits[point..])
        }
    };
    format!("{sign}{body}")
}

/// The parameters as Python's `json.dumps` writes them: what W&B's agent passes for
/// `${args_json}` and writes to the `${args_json_file}` file. `{"a": 1, "b": 0.001}`: `, ` and
/// `: ` separators, floats as Python's `repr` (`NaN`, `Infinity` for non-finite ones), text
/// with non-ASCII characters escaped (`ensure_ascii`), keys in the [`ParamSet`]'s order.
pub fn args_json(params: &ParamSet) -> String {
    let pairs: Vec<String> = params
        .0
        .iter()
        .map(|(name, value)| {
            let value = match value {
                ParamValue::Int(i) => i.to_string(),
                ParamValue::Float(x) if x.is_nan() => "NaN".to_string(),
                ParamValue::Float(x) if x.is_infinite() => {
                    if *x > 0.0 { "Infinity" } else { "-Infinity" }.to_string()
                }
                ParamValue::Float(x) => python_float(*x),
                ParamValue::Text(s) => json_string(s),
                ParamValue::Bool(b) => b.to_string(),
            };
            format!("{}: {value}", json_string(name))
        })
        .collect();
    format!("{{{}}}", pairs.join(", "))
}

/// A JSON string as Python's `json.dumps` writes it (`ensure_ascii=True`).
fn json_string(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            c if c.is_ascii() && !c.is_ascii_control() => out.push(c),
            c => {
                let mut units = [0u16; 2];
                for unit in c.encode_utf16(&mut units) {
                    out.push_str(&format!("\\u{unit:04x}"));
                }
            }
        }
    }
    out.push('"');
    out
}

/// A duration as seconds (for the serialization).
fn seconds<S: Serializer>(d: &Duration, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.serialize_f64(d.as_secs_f64())
}

/// Program sweeps as a whole: the file's keys, the macros, the formatting, open rules.
#[cfg(test)]
mod tests;
