//! `sweep db copy`: move sweeps between run databases (a SQLite file and a PostgreSQL
//! database, either way).

use anyhow::Context;

use crate::runs::Runs;
use crate::store::{Database, Store, StoreError};

/// `sweep db` subcommands.
#[derive(Debug, clap::Subcommand)]
pub enum Command {
    /// Copy sweeps and everything recorded of them (trials, epochs, rung decisions, test
    /// scores) to another run database. Trial files stay where they are: copy the sweep's
    /// folder to the destination's --runs folder as well to resume or predict from there.
    Copy(CopyArgs),
}

/// Arguments of `sweep db copy`.
#[derive(Debug, clap::Args)]
pub struct CopyArgs {
    /// The database to copy from: a SQLite file or `postgres://user@host/dbname`.
    #[arg(long, value_name = "PATH|URL")]
    from: Database,
    /// The database to copy into (created or migrated as needed).
    #[arg(long, value_name = "PATH|URL")]
    to: Database,
    /// Copy only this sweep (repeat for several) [default: every sweep].
    #[arg(long = "sweep", value_name = "NAME")]
    sweeps: Vec<String>,
}

/// The user named the same database twice.
#[derive(Debug, thiserror::Error)]
#[error("--from and --to name the same database ({0})")]
pub struct SameDatabase(String);

/// Run `sweep db ...`.
pub fn run(command: Command) -> anyhow::Result<()> {
    match command {
        Command::Copy(args) => copy(args),
    }
}

fn copy(args: CopyArgs) -> anyhow::Result<()> {
    if args.from == args.to {
        return Err(SameDatabase(args.from.to_string()).into());
    }
    let source = Runs::new(args.from.clone(), None);
    let from = super::open_read_only(&source)?;
    let names = if args.sweeps.is_empty() {
        from.sweeps()?.into_iter().map(|s| s.name).collect()
    } else {
        args.sweeps
    };
    for name in &names {
        from.sweep(name)?;
    }
    let mut to = Store::open(&args.to)
        .with_context(|| format!("opening the destination database {}", args.to))?;
    // Refuse before copying anything, so a clash never leaves half the sweeps copied.
    for name in &names {
        if to.sweep(name).is_ok() {
            return Err(StoreError::SweepExists(name.clone()).into());
        }
    }
    for name in &names {
        let copied = from
            .copy_sweep(name, &mut to)
            .with_context(|| format!("copying sweep `{name}` to {}", args.to))?;
        let running = match copied.were_running {
            0 => String::new(),
            n => format!(" ({n} running trial(s) copied as interrupted)"),
        };
        println!(
            "copied sweep {name}: {} trials, {} epochs, {} rung decisions, {} test scores{running}",
            copied.trials, copied.epochs, copied.rungs, copied.evaluations
        );
    }
    if names.is_empty() {
        println!("no sweeps in {}", args.from);
    } else {
        println!(
            "trial files stay in {}: copy each sweep's folder to the destination's --runs \
             folder to resume or predict from there",
            source.dir().display()
        );
    }
    Ok(())
}
