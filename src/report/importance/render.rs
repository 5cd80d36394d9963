//! The analysis as text for a terminal.

use std::fmt::Write as _;

use super::{Analysis, ParameterEffect};
use crate::text::{Align, Table};

/// The analysis as aligned text: a header (trials, seed noise, test, formula), the ranking,
/// then per parameter its verdict, a table of values and the replicates needed.
pub fn table(sweep: &str, analysis: &Analysis) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "what mattered in sweep {sweep}: {} ({}), {} completed trials in {} combinations",
        analysis.metric, analysis.goal, analysis.trials, analysis.combinations
    );
    let _ = writeln!(out, "seed noise: {}", noise_line(analysis));
    let _ = writeln!(out, "test: {}", analysis.test);
    let _ = writeln!(out, "replicates: {}", analysis.formula);
    if analysis.parameters.is_empty() {
        out.push_str("\nno parameter takes more than one value among the completed trials\n");
        return out;
    }
    out.push_str(
        "\nimportance (share of the metric's variance explained by each parameter alone):\n",
    );
    let mut ranking = Table::new([
        ("rank", Align::Right),
        ("parameter", Align::Left),
        ("share", Align::Right),
        ("p", Align::Right),
        ("significant", Align::Left),
    ]);
    for p in &analysis.parameters {
        ranking.push(vec![
            p.rank.to_string(),
            p.name.clone(),
            format!("{:.3}", p.importance),
            super::p_text(p.p_value),
            if p.significant { "yes" } else { "no" }.to_string(),
        ]);
    }
    out.push_str(&ranking.render());
    for p in &analysis.parameters {
        out.push('\n');
        out.push_str(&parameter(p));
    }
    out
}

fn noise_line(analysis: &Analysis) -> String {
    let noise = &analysis.seed_noise;
    match noise.sd {
        Some(sd) => format!(
            "sd {sd:.4} (pooled within {} replicated combinations, {} df)",
            noise.replicated_combinations, noise.df
        ),
        None => "cannot be estimated: no combination has two completed replicates \
                 (set `replicates:` to 2 or more)"
            .to_string(),
    }
}

fn parameter(p: &ParameterEffect) -> String {
    let mut out = format!("{}: {}\n", p.name, p.verdict);
    if let Some(bins) = p.bins {
        let _ = writeln!(out, "  (continuous: {bins} quantile bins)");
    }
    if !p.stratified {
        out.push_str(
            "  (no two trials differ in this parameter alone: shuffled across all trials)\n",
        );
    }
    let mut values = Table::new([
        ("  value", Align::Left),
        ("n", Align::Right),
        ("mean", Align::Right),
        ("sd", Align::Right),
        ("95% CI", Align::Left),
    ]);
    for v in &p.values {
        values.push(vec![
            format!("  {}", v.value),
            v.n.to_string(),
            format!("{:.4}", v.mean),
            v.sd.map_or_else(|| "-".to_string(), |s| format!("{s:.4}")),
            match (v.ci_low, v.ci_high) {
                (Some(lo), Some(hi)) => format!("[{lo:.4}, {hi:.4}]"),
                _ => "-".to_string(),
            },
        ]);
    }
    out.push_str(&values.render());
    match &p.replicates_needed {
        Some(r) => {
            let _ = writeln!(
                out,
                "  to detect a difference of {:.4}: {} trials per value (has {}; {} more \
                 replicates of each combination)",
                r.delta, r.per_value, r.have, r.more_replicates
            );
        }
        None => out.push_str(
            "  replicates needed: unknown (needs the seed noise and a difference to detect)\n",
        ),
    }
    out
}
