//! `sweep compare`: trials side by side, their parameters and best metrics, then their curves
//! epoch by epoch (the sweep's metric and the validation loss) as tables a terminal can show.

use super::charts::{self, Chart, TrialCurves};
use super::leaderboard::{Leaderboard, TrialRow};
use super::{ReportError, SweepSnapshot};
use crate::metric::{EpochMetrics, MetricName};
use crate::search::SampledFrom;
use crate::store::{Store, SweepRecord};
use crate::text::{self, Align, Table};

/// One trial of a comparison: its leaderboard row and every epoch it recorded.
#[derive(Clone, Debug, PartialEq)]
pub struct ComparedTrial {
    /// The trial as the leaderboard shows it (with its rank in the sweep).
    pub row: TrialRow,
    /// Its epochs, in order.
    pub epochs: Vec<EpochMetrics>,
    /// What the sampler knew when it drew the trial (bayes sweeps).
    pub sampled_from: Option<SampledFrom>,
}

/// Trials of one sweep, in the order the user named them.
#[derive(Clone, Debug, PartialEq)]
pub struct Comparison {
    /// The sweep.
    pub sweep: SweepRecord,
    /// The trials compared.
    pub trials: Vec<ComparedTrial>,
}

impl Comparison {
    /// Read the trials `numbers` of sweep `name` (a number given twice is shown once); an
    /// unknown number is [`ReportError::NoSuchTrial`].
    pub fn load(store: &Store, name: &str, numbers: &[usize]) -> Result<Comparison, ReportError> {
        let snapshot = SweepSnapshot::load(store, name)?;
        let board = Leaderboard::from_snapshot(&snapshot)?;
        let mut trials = Vec::new();
        let mut seen = std::collections::HashSet::new();
        for &number in numbers.iter().filter(|&&n| seen.insert(n)) {
            let record = snapshot.trial(number)?;
            let row = match board.rows.iter().find(|row| row.trial == number) {
                Some(row) => row.clone(),
                None => TrialRow::from_record(record)?,
            };
            trials.push(ComparedTrial {
                row,
                epochs: store.epochs(record.id)?,
                sampled_from: record
                    .sampled_from
                    .as_deref()
                    .and_then(SampledFrom::from_json),
            });
        }
        Ok(Comparison {
            sweep: snapshot.sweep,
            trials,
        })
    }

    /// The summary table, then one epoch table for the sweep's metric and one for the
    /// validation loss (one only, when the metric is the validation loss).
    /// The trials' curves overlaid: val_r2 left, val_loss right, a colour per trial (what
    /// `sweep compare --png` writes).
    pub fn overlay_chart(&self) -> Chart {
        let curves: Vec<TrialCurves> = self
            .trials
            .iter()
            .map(|t| TrialCurves {
                number: t.row.trial,
                epochs: &t.epochs,
                best_epoch: t.row.best_epoch,
            })
            .collect();
        let metrics = super::curve_metrics(&self.sweep, self.trials.iter().flat_map(|t| &t.epochs));
        let panels = metrics
            .into_iter()
            .map(|metric| {
                let title = format!("sweep {}: {}", self.sweep.name, metric.as_str());
                charts::overlay(&curves, &metric, &title)
            })
            .collect();
        Chart::row(panels)
    }

    pub fn render(&self) -> String {
        let metric = self.sweep.metric.clone();
        let numbers: Vec<String> = self
            .trials
            .iter()
            .map(|t| t.row.trial.to_string())
            .collect();
        let mut out = format!(
            "sweep {}: trials {} by {metric} ({})\n\n",
            self.sweep.name,
            numbers.join(", "),
            self.sweep.goal
        );
        out.push_str(&self.summary());
        if self.trials.iter().all(|t| t.epochs.is_empty()) {
            out.push_str("\nno epochs recorded yet\n");
            return out;
        }
        let curves = match self.sweep.program {
            None if metric == MetricName::VAL_LOSS => vec![metric.clone()],
            None => vec![metric.clone(), MetricName::VAL_LOSS],
            // A program's own metrics, its sweep's first.
            Some(_) => {
                super::curve_metrics(&self.sweep, self.trials.iter().flat_map(|t| &t.epochs))
            }
        };
        for name in curves {
            out.push_str(&format!("\n{name} by epoch (* best epoch by {metric}):\n"));
            out.push_str(&self.curve(&name));
        }
        out
    }

    fn headers(&self) -> impl Iterator<Item = String> + '_ {
        self.trials.iter().map(|t| format!("trial {}", t.row.trial))
    }

    /// Rank, state, each parameter (`*` where the trials differ), best metric, best epoch,
    /// epochs: a row each, a column per trial.
    fn summary(&self) -> String {
        let mut columns = vec![(String::new(), Align::Left), (String::new(), Align::Left)];
        columns.extend(self.headers().map(|h| (h, Align::Left)));
        let mut table = Table::new(columns);
        let row = |mark: &str, label: &str, cell: &dyn Fn(&TrialRow) -> String| {
            let mut cells = vec![mark.to_string(), label.to_string()];
            cells.extend(self.trials.iter().map(|t| cell(&t.row)));
            cells
        };
        table.push(row("", "rank", &|r| text::count(r.rank)));
        table.push(row("", "state", &|r| r.state.to_string()));
        let mut any_differ = false;
        for name in self.param_names() {
            let values: Vec<_> = self.trials.iter().map(|t| t.row.params.get(name)).collect();
            let differ = values.iter().any(|v| *v != values[0]);
            any_differ |= differ;
            let show = |r: &TrialRow| {
                r.params
                    .get(name)
                    .map_or_else(|| "-".to_string(), text::param_exact)
            };
            table.push(row(if differ { "*" } else { "" }, name, &show));
        }
        table.push(row("", self.sweep.metric.as_str(), &|r| {
            text::metric(r.best_metric)
        }));
        table.push(row("", "best epoch", &|r| text::count(r.best_epoch)));
        table.push(row("", "epochs", &|r| r.epochs.to_string()));
        if self.trials.iter().any(|t| t.sampled_from.is_some()) {
            let mut cells = vec![String::new(), "drawn".to_string()];
            cells.extend(self.trials.iter().map(|t| drawn(t.sampled_from.as_ref())));
            table.push(cells);
        }
        let mut out = table.render();
        if any_differ {
            out.push_str("* differs between the trials\n");
        }
        out
    }

    /// Every parameter name any compared trial has, sorted.
    fn param_names(&self) -> Vec<&str> {
        super::param_names(self.trials.iter().map(|t| &t.row.params))
    }

    /// One line per epoch, a column per trial; blank after a trial's last epoch.
    fn curve(&self, name: &MetricName) -> String {
        let mut columns = vec![("epoch".to_string(), Align::Right)];
        columns.extend(self.headers().map(|h| (h, Align::Right)));
        let mut table = Table::new(columns);
        let last = self
            .trials
            .iter()
            .map(|t| t.epochs.len())
            .max()
            .unwrap_or(0);
        for epoch in 1..=last {
            let mut cells = vec![epoch.to_string()];
            cells.extend(self.trials.iter().map(|t| curve_cell(t, epoch, name)));
            table.push(cells);
        }
        table.render()
    }
}

/// A trial's value of `name` at `epoch`: four decimals, then `*` at its best epoch or a space
/// (so that the digits of a column still line up).
fn curve_cell(trial: &ComparedTrial, epoch: usize, name: &MetricName) -> String {
    let Some(m) = trial.epochs.iter().find(|m| m.epoch == epoch) else {
        return String::new();
    };
    let value = name.value(m);
    let mark = if trial.row.best_epoch == Some(epoch) {
        '*'
    } else {
        ' '
    };
    format!("{}{mark}", text::metric(Some(value)))
}

/// How a bayes trial was drawn, briefly: `tpe (12 finished, 2 running)`.
fn drawn(sampled: Option<&SampledFrom>) -> String {
    sampled.map_or_else(
        || "-".to_string(),
        |s| {
            format!(
                "{} ({} finished, {} running)",
                s.draw.as_str(),
                s.finished.len(),
                s.running.len()
            )
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::tests::{sweep_record, trial_record};
    use crate::store::TrialState;

    fn epoch(n: usize, r2: f64) -> EpochMetrics {
        EpochMetrics {
            epoch: n,
            train_loss: 1.0,
            val_loss: 1.0 - r2,
            val_r2: r2,
            val_pearson: f64::NAN,
            val_spearman: 0.5,
            learning_rate: 0.001,
            seconds: 1.0,
            samples_per_s: 100.0,
            extra: Default::default(),
        }
    }

    fn compared(number: usize, params: &str, r2: &[f64], best_epoch: usize) -> ComparedTrial {
        let best = r2.get(best_epoch - 1).copied();
        let mut row =
            TrialRow::from_record(&trial_record(number, TrialState::Completed, best, params))
                .expect("valid params");
        row.best_epoch = Some(best_epoch);
        row.epochs = r2.len();
        row.rank = Some(number);
        ComparedTrial {
            row,
            epochs: r2
                .iter()
                .enumerate()
                .map(|(i, &v)| epoch(i + 1, v))
                .collect(),
            sampled_from: None,
        }
    }

    #[test]
    fn trials_are_shown_side_by_side_with_their_curves() {
        let comparison = Comparison {
            sweep: sweep_record(
                crate::metric::MetricName::VAL_R2,
                crate::metric::Goal::Maximize,
            ),
            trials: vec![
                compared(1, r#"{"batch_size":128,"lr":0.001}"#, &[0.1, 0.3, 0.25], 2),
                compared(
                    2,
                    r#"{"batch_size":256,"lr":0.001,"extra":1}"#,
                    &[0.2, 0.45],
                    2,
                ),
            ],
        };
        assert_eq!(
            comparison.render(),
            "sweep demo: trials 1, 2 by val_r2 (maximize)\n\
             \n\
             \x20              trial 1    trial 2\n\
             \x20  rank        1          2\n\
             \x20  state       completed  completed\n\
             *  batch_size  128        256\n\
             *  extra       -          1\n\
             \x20  lr          0.001      0.001\n\
             \x20  val_r2      0.3000     0.4500\n\
             \x20  best epoch  2          2\n\
             \x20  epochs      3          2\n\
             * differs between the trials\n\
             \n\
             val_r2 by epoch (* best epoch by val_r2):\n\
             epoch  trial 1  trial 2\n\
             \x20   1  0.1000   0.2000\n\
             \x20   2  0.3000*  0.4500*\n\
             \x20   3  0.2500\n\
             \n\
             val_loss by epoch (* best epoch by val_r2):\n\
             epoch  trial 1  trial 2\n\
             \x20   1  0.9000   0.8000\n\
             \x20   2  0.7000*  0.5500*\n\
             \x20   3  0.7500\n"
        );
    }

    #[test]
    fn a_loss_metric_gets_one_curve_and_no_epochs_are_said_so() {
        let mut comparison = Comparison {
            sweep: sweep_record(
                crate::metric::MetricName::VAL_LOSS,
                crate::metric::Goal::Minimize,
            ),
            trials: vec![compared(1, "{}", &[0.1], 1)],
        };
        assert_eq!(comparison.render().matches("by epoch").count(), 1);
        comparison.trials[0].epochs.clear();
        assert!(comparison.render().ends_with("\nno epochs recorded yet\n"));
    }

    #[test]
    fn bayes_trials_say_how_they_were_drawn() {
        let mut comparison = Comparison {
            sweep: sweep_record(
                crate::metric::MetricName::VAL_R2,
                crate::metric::Goal::Maximize,
            ),
            trials: vec![
                compared(1, r#"{"lr":0.001}"#, &[0.1], 1),
                compared(2, r#"{"lr":0.001}"#, &[0.2], 1),
            ],
        };
        comparison.trials[1].sampled_from =
            SampledFrom::from_json(r#"{"draw":"tpe","finished":[[1,0.1],[3,0.2]],"running":[4]}"#);
        let text = comparison.render();
        assert!(
            text.contains("drawn       -          tpe (2 finished, 1 running)"),
            "{text}"
        );
    }
}
