//! The coordinator's live display, drawn from store snapshots: trials done of total, each
//! worker's trial and epoch, the best metric so far. On a terminal: bars; elsewhere (a log,
//! a test): one line per finished trial.

use std::io::IsTerminal;

use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::metric::MetricName;
use crate::orchestrate::WorkerView;
use crate::store::{SweepRecord, TrialRecord, TrialState};

/// The display.
pub struct Progress {
    multi: MultiProgress,
    overall: ProgressBar,
    workers: Vec<ProgressBar>,
    on_terminal: bool,
    metric: MetricName,
    maximize: bool,
    /// What a trial's count is of: the built-in model's epochs, a program's steps.
    unit: &'static str,
}

impl Progress {
    /// A display for a sweep of `total` trials and `workers` workers.
    pub fn new(sweep: &SweepRecord, total: usize, workers: usize) -> Progress {
        let on_terminal = std::io::stderr().is_terminal();
        let multi = if on_terminal {
            MultiProgress::new()
        } else {
            MultiProgress::with_draw_target(ProgressDrawTarget::hidden())
        };
        let overall = multi.add(ProgressBar::new(total as u64));
        overall.set_style(style(
            "{prefix} {bar:30} {pos}/{len} trials  {msg}  [{elapsed}]",
        ));
        overall.set_prefix(sweep.name.clone());
        let workers = (0..workers)
            .map(|_| {
                let bar = multi.add(ProgressBar::new(0));
                bar.set_style(style("  {msg}"));
                bar
            })
            .collect();
        Progress {
            multi,
            overall,
            workers,
            on_terminal,
            metric: sweep.metric.clone(),
            maximize: sweep.maximizes(),
            unit: if sweep.program.is_some() {
                "step"
            } else {
                "epoch"
            },
        }
    }

    /// A line above the bars (or on stdout off-terminal).
    pub fn note(&self, line: &str) {
        if self.on_terminal {
            let _ = self.multi.println(line);
        } else {
            println!("{line}");
        }
    }

    /// Redraw from a snapshot of the trials, with a line for each trial that `ended` since
    /// the last one.
    pub fn update(
        &mut self,
        trials: &[TrialRecord],
        workers: &[WorkerView],
        ended: &[&TrialRecord],
    ) {
        let best = self.best(trials);
        self.report_endings(ended, best);
        let finished = trials.iter().filter(|t| t.state.is_finished()).count();
        self.overall.set_position(finished as u64);
        self.overall.set_message(match best {
            Some(t) => format!(
                "best {} {:.4} (trial {})",
                self.metric,
                t.best_metric.unwrap_or(f64::NAN),
                t.number
            ),
            None => String::new(),
        });
        for (bar, worker) in self.workers.iter().zip(workers) {
            bar.set_message(self.worker_line(worker, trials));
        }
    }

    /// Clear the bars.
    pub fn finish(&self) {
        for bar in &self.workers {
            bar.finish_and_clear();
        }
        self.overall.finish_and_clear();
    }

    fn best<'a>(&self, trials: &'a [TrialRecord]) -> Option<&'a TrialRecord> {
        trials
            .iter()
            .filter(|t| t.best_metric.is_some_and(f64::is_finite))
            .reduce(|a, b| {
                let (x, y) = (a.best_metric.unwrap_or(0.0), b.best_metric.unwrap_or(0.0));
                let b_better = if self.maximize { y > x } else { y < x };
                if b_better { b } else { a }
            })
    }

    fn report_endings(&self, ended: &[&TrialRecord], best: Option<&TrialRecord>) {
        let mut lines = Vec::new();
        for trial in ended {
            match trial.state {
                TrialState::Completed => lines.push(format!(
                    "trial {} completed: {} {:.4} at {} {} of {}{}",
                    trial.number,
                    self.metric,
                    trial.best_metric.unwrap_or(f64::NAN),
                    self.unit,
                    trial.best_epoch.unwrap_or(0),
                    trial.epochs,
                    if best.is_some_and(|b| b.number == trial.number) {
                        "  (best so far)"
                    } else {
                        ""
                    }
                )),
                TrialState::Failed => lines.push(format!(
                    "trial {} failed: {}",
                    trial.number,
                    trial.error.as_deref().unwrap_or("no message")
                )),
                TrialState::Pruned => lines.push(format!(
                    "trial {} pruned at {} {}: {} {:.4} was not in the top share of its rung",
                    trial.number,
                    self.unit,
                    trial.pruned_at.unwrap_or(trial.epochs),
                    self.metric,
                    trial.best_metric.unwrap_or(f64::NAN),
                )),
                TrialState::Interrupted => lines.push(format!(
                    "trial {} interrupted after {} {}(s); it resumes from its checkpoint",
                    trial.number, trial.epochs, self.unit
                )),
                _ => {}
            }
        }
        for line in lines {
            self.note(&line);
        }
    }

    fn worker_line(&self, worker: &WorkerView, trials: &[TrialRecord]) -> String {
        let name = match &worker.job {
            Some(job) => format!("task {job} [{}]", worker.device),
            None => format!("worker {} [{}]", worker.number, worker.device),
        };
        if worker.exited {
            return format!("{name} done");
        }
        let holds = |t: &TrialRecord| match &worker.job {
            Some(job) => t.job.as_ref() == Some(job),
            None => t.worker_pid == Some(worker.pid),
        };
        let held = trials
            .iter()
            .find(|t| t.state == TrialState::Running && holds(t));
        match held {
            Some(t) => format!(
                "{name} trial {}  {} {}  {}",
                t.number,
                self.unit,
                t.epochs + 1,
                t.best_metric
                    .map(|m| format!("best {} {m:.4}", self.metric))
                    .unwrap_or_default()
            ),
            None => format!("{name} starting"),
        }
    }
}

fn style(template: &str) -> ProgressStyle {
    ProgressStyle::with_template(template).unwrap_or_else(|_| ProgressStyle::default_bar())
}
