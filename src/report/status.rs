//! `sweep status`: every sweep in one line, or one sweep's trials by state with the best so far.
//!
//! Sized for sweeps of hundreds of trials: running trials (as many as there are workers) are
//! listed one per line, waiting ones as compressed number ranges (`41-500`), failed ones up to
//! [`FAILED_SHOWN`] with their errors, completed ones as a count (the leaderboard lists them).

use super::leaderboard::{Leaderboard, TrialRow};
use super::{ReportError, SweepSnapshot};
use crate::store::{JobRecord, StateCounts, TrialRecord, TrialState};
use crate::text::{self, Align, Table};

/// How many failed trials `sweep status NAME` lists before it only counts the rest.
pub const FAILED_SHOWN: usize = 10;

/// How wide an error may be in the failed list.
const ERROR_WIDTH: usize = 70;

/// The order in which the detail lists trials: what needs attention first.
const SECTIONS: [TrialState; 6] = [
    TrialState::Running,
    TrialState::Interrupted,
    TrialState::Pending,
    TrialState::Failed,
    TrialState::Pruned,
    TrialState::Completed,
];

/// One line per sweep: name, creation time, trials per state, best metric and its trial.
pub fn overview(sweeps: &[SweepSnapshot]) -> Result<String, ReportError> {
    if sweeps.is_empty() {
        return Ok("no sweeps in this run database yet\n".to_string());
    }
    let mut columns = vec![
        ("sweep", Align::Left),
        ("created", Align::Left),
        ("trials", Align::Right),
    ];
    columns.extend(TrialState::ALL.map(|s| (s.as_str(), Align::Right)));
    columns.extend([
        ("metric", Align::Left),
        ("best", Align::Right),
        ("best trial", Align::Right),
    ]);
    let mut table = Table::new(columns);
    for snapshot in sweeps {
        let counts = snapshot.counts();
        let board = Leaderboard::from_snapshot(snapshot)?;
        let best = board.best();
        let mut cells = vec![
            snapshot.sweep.name.clone(),
            text::minute(&snapshot.sweep.created_at),
            counts.total().to_string(),
        ];
        cells.extend(TrialState::ALL.map(|s| counts.get(s).to_string()));
        cells.extend([
            snapshot.sweep.metric.to_string(),
            text::metric(best.and_then(|b| b.best_metric)),
            text::count(best.map(|b| b.trial)),
        ]);
        table.push(cells);
    }
    Ok(table.render())
}

/// One sweep: its metric and data, trials per state, the best so far with its parameters,
/// then the trials by state. `now` is the current time in seconds since 1970 (heartbeat ages).
pub fn detail(snapshot: &SweepSnapshot, now: f64) -> Result<String, ReportError> {
    let sweep = &snapshot.sweep;
    let counts = snapshot.counts();
    let board = Leaderboard::from_snapshot(snapshot)?;
    // The built-in model trains on the sweep's data; a program reads its own.
    let trains = match &sweep.program {
        None => format!("data: {}", sweep.data_path.display()),
        Some(program) => format!(
            "program: {} (in {})",
            program
                .path
                .as_ref()
                .map_or_else(|| "the command".to_string(), |p| p.display().to_string()),
            program.workdir.display()
        ),
    };
    let mut out = format!(
        "sweep {}: {} ({}), created {}\n{trains}\ntrials: {}\n",
        sweep.name,
        sweep.metric,
        sweep.goal,
        text::minute(&sweep.created_at),
        counts_line(&counts),
    );
    out.push_str(&best_so_far(board.best(), sweep.metric.as_str()));
    for state in SECTIONS {
        let trials: Vec<&TrialRecord> = snapshot
            .trials
            .iter()
            .filter(|t| t.state == state)
            .collect();
        if !trials.is_empty() {
            out.push('\n');
            out.push_str(&section(
                state,
                &trials,
                sweep.metric.as_str(),
                &sweep.name,
                now,
            ));
        }
    }
    Ok(out)
}

/// `5 (2 completed, 1 running, 2 pending)`: states without trials left out.
fn counts_line(counts: &StateCounts) -> String {
    let parts: Vec<String> = TrialState::ALL
        .iter()
        .filter(|&&s| counts.get(s) > 0)
        .map(|&s| format!("{} {s}", counts.get(s)))
        .collect();
    if parts.is_empty() {
        "0".to_string()
    } else {
        format!("{} ({})", counts.total(), parts.join(", "))
    }
}

fn best_so_far(best: Option<&TrialRow>, metric: &str) -> String {
    let Some(best) = best else {
        return "best so far: none yet\n".to_string();
    };
    let params: Vec<String> = best
        .params
        .iter()
        .map(|(name, value)| format!("{name}={}", text::param_exact(value)))
        .collect();
    format!(
        "best so far: trial {}, {metric} {} at epoch {} ({})\n  {}\n",
        best.trial,
        text::metric(best.best_metric),
        text::count(best.best_epoch),
        best.state,
        params.join(" "),
    )
}

/// The trials of one state, as that state is best summarized.
fn section(
    state: TrialState,
    trials: &[&TrialRecord],
    metric: &str,
    sweep: &str,
    now: f64,
) -> String {
    let n = trials.len();
    match state {
        TrialState::Running => format!("running ({n}):\n{}", indent(&running(trials, metric, now))),
        TrialState::Failed => format!("failed ({n}):\n{}", indent(&failed(trials, sweep))),
        TrialState::Completed => format!("completed ({n})\n"),
        TrialState::Pruned => format!("pruned ({n}): {}\n", pruned(trials)),
        // Trials a Slurm task left: which task held each, to find its log.
        TrialState::Interrupted if trials.iter().any(|t| t.job.is_some()) => {
            format!("interrupted ({n}):\n{}", indent(&interrupted(trials)))
        }
        TrialState::Pending | TrialState::Interrupted => {
            let numbers: Vec<usize> = trials.iter().map(|t| t.number).collect();
            format!("{state} ({n}): {}\n", text::number_ranges(&numbers))
        }
    }
}

/// Pruned trials by the rung where they stopped: `at epoch 3: 1, 4-6; at epoch 9: 2`.
fn pruned(trials: &[&TrialRecord]) -> String {
    let mut by_rung: std::collections::BTreeMap<Option<usize>, Vec<usize>> = Default::default();
    for trial in trials {
        by_rung
            .entry(trial.pruned_at)
            .or_default()
            .push(trial.number);
    }
    by_rung
        .iter()
        .map(|(rung, numbers)| {
            format!(
                "at epoch {}: {}",
                text::count(*rung),
                text::number_ranges(numbers)
            )
        })
        .collect::<Vec<_>>()
        .join("; ")
}

/// Interrupted trials with the Slurm task that held each last.
fn interrupted(trials: &[&TrialRecord]) -> String {
    let mut table = Table::new([
        ("trial", Align::Right),
        ("epochs", Align::Right),
        ("job", Align::Left),
    ]);
    for trial in trials {
        table.push(vec![
            trial.number.to_string(),
            trial.epochs.to_string(),
            trial.job.clone().unwrap_or_else(|| "-".to_string()),
        ]);
    }
    table.render()
}

/// A sweep's Slurm jobs as the store has them (submitted, or cancelled by `sweep cancel`);
/// empty when it has none.
pub fn jobs(jobs: &[JobRecord]) -> String {
    if jobs.is_empty() {
        return String::new();
    }
    let mut table = Table::new([
        ("job", Align::Left),
        ("tasks", Align::Right),
        ("submitted", Align::Left),
        ("state", Align::Left),
    ]);
    for job in jobs {
        let state = match &job.cancelled_at {
            Some(at) => format!("cancelled {}", text::minute(at)),
            None => "submitted".to_string(),
        };
        table.push(vec![
            format!("{} {}", job.scheduler, job.job_id),
            job.tasks.to_string(),
            text::minute(&job.submitted_at),
            state,
        ]);
    }
    format!("\njobs ({}):\n{}", jobs.len(), indent(&table.render()))
}

/// Running trials: who trains them where, how far they are, when their worker last spoke, and
/// the Slurm task they run in (when any does).
fn running(trials: &[&TrialRecord], metric: &str, now: f64) -> String {
    let with_jobs = trials.iter().any(|t| t.job.is_some());
    let mut columns = vec![
        ("trial", Align::Right),
        ("worker", Align::Left),
        ("device", Align::Left),
        ("epochs", Align::Right),
        (metric, Align::Right),
        ("heartbeat", Align::Left),
    ];
    if with_jobs {
        columns.push(("job", Align::Left));
    }
    let mut table = Table::new(columns);
    for trial in trials {
        let worker = match (&trial.worker_host, trial.worker_pid) {
            (Some(host), Some(pid)) => format!("{host}:{pid}"),
            _ => "-".to_string(),
        };
        let heartbeat = trial
            .heartbeat_at
            .as_deref()
            .and_then(text::unix_seconds)
            .map_or_else(
                || "-".to_string(),
                |at| format!("{} ago", text::age(now - at)),
            );
        let mut cells = vec![
            trial.number.to_string(),
            worker,
            trial.device.clone().unwrap_or_else(|| "-".to_string()),
            trial.epochs.to_string(),
            text::metric(trial.best_metric),
            heartbeat,
        ];
        if with_jobs {
            cells.push(trial.job.clone().unwrap_or_else(|| "-".to_string()));
        }
        table.push(cells);
    }
    table.render()
}

/// Failed trials with their errors, the first [`FAILED_SHOWN`] of them.
fn failed(trials: &[&TrialRecord], sweep: &str) -> String {
    let mut table = Table::new([
        ("trial", Align::Right),
        ("epochs", Align::Right),
        ("error", Align::Left),
    ]);
    for trial in trials.iter().take(FAILED_SHOWN) {
        table.push(vec![
            trial.number.to_string(),
            trial.epochs.to_string(),
            text::shorten(trial.error.as_deref().unwrap_or("-"), ERROR_WIDTH),
        ]);
    }
    let mut out = table.render();
    if trials.len() > FAILED_SHOWN {
        out.push_str(&format!(
            "… and {} more (`sweep leaderboard {sweep}` lists every error)\n",
            trials.len() - FAILED_SHOWN
        ));
    }
    out
}

fn indent(lines: &str) -> String {
    lines.lines().map(|line| format!("  {line}\n")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::tests::{sweep_record, trial_record};

    /// A sweep of 44: trial 2 running, 3 failed, 4 interrupted, 5 completed (the best),
    /// 1 completed, 6-44 pending.
    fn snapshot() -> SweepSnapshot {
        let params = r#"{"batch_size":256,"lr":0.003}"#;
        let mut trials = vec![
            trial_record(1, TrialState::Completed, Some(0.3), params),
            trial_record(2, TrialState::Running, Some(0.4), params),
            trial_record(3, TrialState::Failed, None, params),
            trial_record(4, TrialState::Interrupted, Some(0.1), params),
            trial_record(5, TrialState::Completed, Some(0.45), params),
        ];
        trials[1].worker_host = Some("node1".to_string());
        trials[1].worker_pid = Some(4242);
        trials[1].device = Some("cuda:0".to_string());
        trials[1].heartbeat_at = Some("2026-11-27T18:30:00.000Z".to_string());
        trials[2].error = Some("diverged: loss is NaN".to_string());
        trials.extend((6..=44).map(|n| trial_record(n, TrialState::Pending, None, params)));
        SweepSnapshot {
            best_steps: Default::default(),
            sweep: sweep_record(
                crate::metric::MetricName::VAL_R2,
                crate::metric::Goal::Maximize,
            ),
            trials,
            planned: None,
        }
    }

    #[test]
    fn the_detail_lists_trials_by_state_with_the_best_so_far() {
        let now = text::unix_seconds("2026-11-27T18:30:12.000Z").expect("a time");
        assert_eq!(
            detail(&snapshot(), now).expect("rendered"),
            "sweep demo: val_r2 (maximize), created 2026-11-27 18:30\n\
             data: data/train.txt\n\
             trials: 44 (2 completed, 1 running, 39 pending, 1 interrupted, 1 failed)\n\
             best so far: trial 5, val_r2 0.4500 at epoch 2 (completed)\n\
             \x20 batch_size=256 lr=0.003\n\
             \n\
             running (1):\n\
             \x20 trial  worker      device  epochs  val_r2  heartbeat\n\
             \x20     2  node1:4242  cuda:0       3  0.4000  12s ago\n\
             \n\
             interrupted (1): 4\n\
             \n\
             pending (39): 6-44\n\
             \n\
             failed (1):\n\
             \x20 trial  epochs  error\n\
             \x20     3       0  diverged: loss is NaN\n\
             \n\
             completed (2)\n"
        );
    }

    #[test]
    fn trials_of_slurm_tasks_name_their_task_and_the_jobs_are_listed() {
        let mut snapshot = snapshot();
        snapshot.trials[1].job = Some("4242_2".to_string());
        snapshot.trials[3].job = Some("4242_1".to_string());
        let now = text::unix_seconds("2026-11-27T18:30:12.000Z").expect("a time");
        let text = detail(&snapshot, now).expect("rendered");
        assert!(
            text.contains(
                "running (1):\n\
                 \x20 trial  worker      device  epochs  val_r2  heartbeat  job\n\
                 \x20     2  node1:4242  cuda:0       3  0.4000  12s ago    4242_2\n"
            ),
            "{text}"
        );
        assert!(
            text.contains(
                "interrupted (1):\n\
                 \x20 trial  epochs  job\n\
                 \x20     4       3  4242_1\n"
            ),
            "{text}"
        );
        let listed = jobs(&[
            JobRecord {
                scheduler: crate::store::Scheduler::Slurm,
                job_id: "4242".to_string(),
                tasks: 3,
                submitted_at: "2026-11-27T18:30:57.123Z".to_string(),
                cancelled_at: Some("2026-11-27T19:02:00.000Z".to_string()),
            },
            JobRecord {
                scheduler: crate::store::Scheduler::Slurm,
                job_id: "4250".to_string(),
                tasks: 2,
                submitted_at: "2026-11-27T19:05:00.000Z".to_string(),
                cancelled_at: None,
            },
        ]);
        assert_eq!(
            listed,
            "\njobs (2):\n\
             \x20 job         tasks  submitted         state\n\
             \x20 slurm 4242      3  2026-11-27 18:30  cancelled 2026-11-27 19:02\n\
             \x20 slurm 4250      2  2026-11-27 19:05  submitted\n"
        );
        assert_eq!(jobs(&[]), "");
    }

    #[test]
    fn many_failed_trials_are_counted_not_listed() {
        let trials: Vec<TrialRecord> = (1..=13)
            .map(|n| trial_record(n, TrialState::Failed, None, "{}"))
            .collect();
        let refs: Vec<&TrialRecord> = trials.iter().collect();
        let text = failed(&refs, "demo");
        assert_eq!(text.lines().count(), 1 + FAILED_SHOWN + 1);
        assert!(text.ends_with("… and 3 more (`sweep leaderboard demo` lists every error)\n"));
    }

    #[test]
    fn the_overview_has_a_line_per_sweep() {
        let mut empty = snapshot();
        empty.sweep.name = "second".to_string();
        empty.trials.clear();
        assert_eq!(
            overview(&[snapshot(), empty]).expect("rendered"),
            "sweep   created           trials  completed  pruned  running  pending  interrupted  failed  metric    best  best trial\n\
             demo    2026-11-27 18:30      44          2       0        1       39            1       1  val_r2  0.4500           5\n\
             second  2026-11-27 18:30       0          0       0        0        0            0       0  val_r2       -           -\n"
        );
        assert_eq!(
            overview(&[]).expect("rendered"),
            "no sweeps in this run database yet\n"
        );
    }

    #[test]
    fn pruned_trials_are_counted_and_listed_by_their_rung() {
        let mut snapshot = snapshot();
        for (number, rung) in [(6, 3), (7, 9), (8, 3)] {
            let trial = &mut snapshot.trials[number - 1];
            trial.state = TrialState::Pruned;
            trial.pruned_at = Some(rung);
        }
        let text = detail(&snapshot, 0.0).expect("rendered");
        assert!(text.contains("3 pruned"), "{text}");
        assert!(
            text.contains("pruned (3): at epoch 3: 6, 8; at epoch 9: 7\n"),
            "{text}"
        );
    }
}
