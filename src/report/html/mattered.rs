//! The "What mattered" section: which parameters moved the metric, with intervals.

use std::fmt::Write as _;

use super::{ReportInput, escape, file_safe};

/// The "What mattered" section: the ranking, then per parameter its verdict and each
/// value's mean with its 95% interval ([`crate::report::importance`]).
pub(super) fn what_mattered(input: &ReportInput) -> String {
    let mut html = String::from("<h2 id=\"what-mattered\">What mattered</h2>\n");
    let analysis = match crate::report::importance::analyze_snapshot(&input.snapshot, None) {
        Ok(analysis) => analysis,
        Err(error) => {
            let _ = writeln!(html, "<p class=\"hint\">{}</p>", escape(&error.to_string()));
            return html;
        }
    };
    let noise = match analysis.seed_noise.sd {
        Some(sd) => format!(
            "Seed noise: sd {sd:.4} (pooled within {} replicated combinations, {} df).",
            analysis.seed_noise.replicated_combinations, analysis.seed_noise.df
        ),
        None => "Seed noise cannot be estimated: no combination has two completed replicates \
                 (set `replicates:` to 2 or more)."
            .to_string(),
    };
    let _ = writeln!(
        html,
        "<p class=\"hint\">{} completed trials in {} combinations. {} Test: {}. Replicates \
         needed: {}.</p>",
        analysis.trials,
        analysis.combinations,
        escape(&noise),
        escape(&analysis.test),
        escape(analysis.formula)
    );
    if analysis.parameters.is_empty() {
        html.push_str(
            "<p>No parameter takes more than one value among the completed trials.</p>\n",
        );
        return html;
    }
    html.push_str(
        "<table id=\"importance\"><thead><tr><th>rank</th><th>parameter</th>\
         <th>variance share</th><th>p</th><th>verdict</th></tr></thead>\n<tbody>\n",
    );
    for p in &analysis.parameters {
        let _ = writeln!(
            html,
            "<tr><td>{}</td><td>{}</td><td>{:.3}</td><td>{}</td><td>{}</td></tr>",
            p.rank,
            escape(&p.name),
            p.importance,
            crate::report::importance::p_text(p.p_value),
            escape(&p.verdict)
        );
    }
    html.push_str("</tbody>\n</table>\n");
    for p in &analysis.parameters {
        html.push_str(&parameter_effect(p));
    }
    html
}

/// One parameter's verdict and a row per value: n, mean, 95% interval as numbers and a bar.
fn parameter_effect(p: &crate::report::importance::ParameterEffect) -> String {
    let mut html = format!(
        "<h3 class=\"effect\" id=\"effect-{}\">{}</h3>\n<p>{}</p>\n",
        escape(&file_safe(&p.name)),
        escape(&p.name),
        escape(&p.verdict)
    );
    html.push_str(
        "<table class=\"effect\"><thead><tr><th>value</th><th>n</th><th>mean</th>\
         <th>95% CI</th><th>interval</th></tr></thead>\n<tbody>\n",
    );
    let scale = interval_scale(&p.values);
    for v in &p.values {
        let interval = match (v.ci_low, v.ci_high) {
            (Some(lo), Some(hi)) => format!("[{lo:.4}, {hi:.4}]"),
            _ => "-".to_string(),
        };
        let _ = writeln!(
            html,
            "<tr><td>{}</td><td>{}</td><td>{:.4}</td><td class=\"ci\">{interval}</td><td>{}</td></tr>",
            escape(&v.value),
            v.n,
            v.mean,
            interval_bar(v, scale)
        );
    }
    html.push_str("</tbody>\n</table>\n");
    if let Some(r) = &p.replicates_needed {
        let _ = writeln!(
            html,
            "<p class=\"hint\">To detect a difference of {:.4}: {} trials per value (has {}; \
             {} more replicates of each combination).</p>",
            r.delta, r.per_value, r.have, r.more_replicates
        );
    }
    html
}

/// Width of the interval bars, in pixels.
const BAR_WIDTH: f64 = 160.0;

/// The range every interval bar of one parameter shares: from the lowest interval end (or
/// mean) to the highest.
fn interval_scale(values: &[crate::report::importance::ValueSummary]) -> (f64, f64) {
    let ends = values
        .iter()
        .flat_map(|v| [v.ci_low.unwrap_or(v.mean), v.ci_high.unwrap_or(v.mean)])
        .filter(|x| x.is_finite());
    ends.fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), x| {
        (lo.min(x), hi.max(x))
    })
}

/// A small inline SVG: the value's 95% interval as a line, its mean as a dot, on `scale`.
fn interval_bar(v: &crate::report::importance::ValueSummary, (lo, hi): (f64, f64)) -> String {
    let x = |value: f64| {
        let t = if hi > lo {
            (value - lo) / (hi - lo)
        } else {
            0.5
        };
        4.0 + t.clamp(0.0, 1.0) * (BAR_WIDTH - 8.0)
    };
    let line = match (v.ci_low, v.ci_high) {
        (Some(a), Some(b)) => format!(
            "<line x1=\"{:.1}\" x2=\"{:.1}\" y1=\"7\" y2=\"7\" stroke=\"#1f77b4\" \
             stroke-width=\"2\"/>",
            x(a),
            x(b)
        ),
        _ => String::new(),
    };
    format!(
        "<svg class=\"interval\" width=\"{BAR_WIDTH}\" height=\"14\" role=\"img\" \
         aria-label=\"95% interval\">{line}<circle cx=\"{:.1}\" cy=\"7\" r=\"3\" \
         fill=\"#d62728\"/></svg>",
        x(v.mean)
    )
}
