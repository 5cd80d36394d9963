//! `sweep evaluate --predictions FILE --truth FILE [--format table|json]`: Pearson r, r²,
//! Spearman ρ and MSE of predictions against measured expression, per subset too.

use std::path::PathBuf;

use crate::inference::evaluate::Format;

use crate::metric::Evaluation;

/// Arguments of `sweep evaluate`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Predictions: SEQUENCE<TAB>PREDICTION per line, as `sweep predict` writes them.
    #[arg(long, value_name = "FILE")]
    predictions: PathBuf,
    /// Measured expression in DREAM format: SEQUENCE<TAB>EXPRESSION[<TAB>SUBSET] per line, in
    /// the same order as the predictions.
    #[arg(long, value_name = "FILE")]
    truth: PathBuf,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Table)]
    format: Format,
}

/// Run `sweep evaluate`.
pub fn run(args: Args) -> anyhow::Result<()> {
    let evaluation = Evaluation::of_files(&args.predictions, &args.truth)?;
    super::write_stdout(&evaluation.render(args.format)?)
}
