use super::*;
use crate::search::plan;
use crate::train::TrialParams;
use crate::train::params::BuiltIn;

fn spec(text: &str) -> Spec {
    Spec::parse(text, "test.yaml", &BuiltIn).expect("the test spec is valid")
}

/// What a TPE draw saw (every TPE draw says).
fn seen(draw: &Draw) -> &SampledFrom {
    draw.sampled_from
        .as_ref()
        .expect("a TPE draw records what it saw")
}

const MIXED: &str = "
name: b
method: bayes
run_cap: 30
seed: 3
data: {synthetic: {rows: 100, seed: 1}}
parameters:
  learning_rate: {distribution: log_uniform_values, min: 0.0001, max: 0.1}
  dropout_dense: {distribution: uniform, min: 0, max: 0.9}
  dropout_lstm: {distribution: q_uniform, min: 0, max: 0.8, q: 0.1}
  lstm_units: {values: [4, 8, 16, 32]}
  dense_units: {distribution: int_uniform, min: 8, max: 64}
";

fn real(set: &ParamSet, name: &str) -> f64 {
    match set.0.get(name) {
        Some(ParamValue::Float(x)) => *x,
        Some(ParamValue::Int(i)) => *i as f64,
        other => panic!("{name}: {other:?}"),
    }
}

/// A cheap stand-in for training (the fake trainer's curve, three times as sharp, plus the
/// unit counts): best at learning rate
/// 0.003, dropouts 0.2 and 0.1, 16 LSTM units and 40 dense units; larger is better.
fn objective(set: &ParamSet) -> f64 {
    let lr_miss = libm::log(real(set, "learning_rate") / 0.003);
    let units = match real(set, "lstm_units") as i64 {
        16 => 0.0,
        8 | 32 => 0.05,
        _ => 0.12,
    };
    0.7 - 0.12 * lr_miss * lr_miss
        - 0.9 * (real(set, "dropout_dense") - 0.2).powi(2)
        - 0.9 * (real(set, "dropout_lstm") - 0.1).powi(2)
        - units
        - 0.00005 * (real(set, "dense_units") - 40.0).powi(2)
}

/// Run a sweep of `spec` sequentially on [`objective`]: the best-so-far after each trial.
fn best_so_far(spec: &Spec, draw: impl Fn(&Spec, usize, &[Observation]) -> ParamSet) -> Vec<f64> {
    let mut observations = Vec::new();
    let mut best = f64::NEG_INFINITY;
    let mut curve = Vec::new();
    for number in 1..=spec.trial_count() {
        let params = draw(spec, number, &observations);
        let metric = objective(&params);
        best = best.max(metric);
        curve.push(best);
        observations.push(Observation {
            number,
            params,
            status: Observed::Finished(metric),
        });
    }
    curve
}

fn finished(number: usize, params: ParamSet, metric: f64) -> Observation {
    Observation {
        number,
        params,
        status: Observed::Finished(metric),
    }
}

#[test]
fn startup_draws_are_the_random_sweeps() {
    let s = spec(MIXED);
    assert_eq!(startup_count(30), 10);
    assert_eq!(
        (startup_count(1), startup_count(12), startup_count(1000)),
        (1, 4, 10)
    );
    let random = plan(&spec(&MIXED.replace("method: bayes", "method: random")));
    let mut observations = Vec::new();
    for number in 1..=10 {
        let draw = suggest(&s, number, &observations);
        assert_eq!(seen(&draw).draw, DrawKind::Startup);
        assert_eq!(draw.params, random[number - 1].params, "trial {number}");
        let metric = objective(&draw.params);
        observations.push(finished(number, draw.params, metric));
    }
    let eleventh = suggest(&s, 11, &observations);
    assert_eq!(seen(&eleventh).draw, DrawKind::Tpe);
    assert_eq!(seen(&eleventh).finished.len(), 10);
    // Too few finished trials: still a startup draw, whatever the number.
    let late = suggest(&s, 25, &observations[..1]);
    assert_eq!(seen(&late).draw, DrawKind::Startup);
    assert_eq!(late.params, random[24].params);
}

#[test]
fn a_clearly_best_category_is_chosen_most_often() {
    let s = spec(MIXED);
    let random = plan(&spec(&MIXED.replace("method: bayes", "method: random")));
    let observations: Vec<Observation> = random
        .iter()
        .take(20)
        .map(|t| {
            let metric = if t.params.0["lstm_units"] == ParamValue::Int(16) {
                0.9
            } else {
                0.1
            };
            finished(t.number, t.params.clone(), metric)
        })
        .collect();
    let sixteen = (21..121)
        .filter(|&n| suggest(&s, n, &observations).params.0["lstm_units"] == ParamValue::Int(16))
        .count();
    assert!(sixteen >= 70, "16 units drawn {sixteen} times of 100");
}

#[test]
fn every_draw_lies_in_range_and_passes_the_trainers_checks() {
    let s = spec(&format!(
        "{MIXED}  dropout_input: {{value: 0.1}}\n  conv1_filters: {{distribution: q_log_uniform_values, min: 16, max: 256, q: 16}}\n  batch_size: {{distribution: q_uniform, min: 32, max: 300, q: 32}}\n"
    )
    .replace("  dropout_input: {value: 0.1}\n", ""));
    let curve_params: Vec<ParamSet> = {
        let mut observations = Vec::new();
        let mut all = Vec::new();
        for number in 1..=60 {
            let draw = suggest(&s, number, &observations);
            observations.push(finished(
                number,
                draw.params.clone(),
                objective(&draw.params),
            ));
            all.push(draw.params);
        }
        all
    };
    for set in &curve_params {
        assert!(TrialParams::from_set(set).is_ok(), "{set:?}");
        for (name, value) in &set.0 {
            assert_eq!(
                value.checked(name, &BuiltIn).ok().as_ref(),
                Some(value),
                "{name}"
            );
        }
        assert!((0.0001..0.1).contains(&real(set, "learning_rate")));
        assert!((0.0..0.9).contains(&real(set, "dropout_dense")));
        let tenths = real(set, "dropout_lstm") * 10.0;
        assert!((tenths - tenths.round()).abs() < 1e-9 && (0.0..=8.0).contains(&tenths));
        assert!(matches!(set.0["dense_units"], ParamValue::Int(8..=64)));
        assert!(matches!(set.0["conv1_filters"], ParamValue::Int(16..=256)));
        assert!(
            [32, 64, 96, 128, 160, 192, 224, 256, 288]
                .map(ParamValue::Int)
                .contains(&set.0["batch_size"])
        );
    }
}

#[test]
fn normal_parameters_stay_within_their_draw_range() {
    let s = spec(
        "
name: n
method: bayes
run_cap: 40
data: {synthetic: {rows: 100, seed: 1}}
parameters:
  dropout_dense: {distribution: normal, mu: 0.3, sigma: 0.02}
  learning_rate: {distribution: log_normal, mu: -6, sigma: 0.5}
",
    );
    let mut observations = Vec::new();
    for number in 1..=40 {
        let draw = suggest(&s, number, &observations);
        let d = real(&draw.params, "dropout_dense");
        let lr = libm::log(real(&draw.params, "learning_rate"));
        assert!((d - 0.3).abs() <= 0.02 * NORMAL_Z_MAX + 1e-12, "{d}");
        assert!((lr + 6.0).abs() <= 0.5 * NORMAL_Z_MAX + 1e-9, "{lr}");
        let metric = -(d - 0.31).abs();
        observations.push(finished(number, draw.params, metric));
    }
}

#[test]
fn same_inputs_same_draw_and_liars_change_it() {
    let s = spec(MIXED);
    let random = plan(&spec(&MIXED.replace("method: bayes", "method: random")));
    let observations: Vec<Observation> = random
        .iter()
        .take(15)
        .map(|t| finished(t.number, t.params.clone(), objective(&t.params)))
        .collect();
    let a = suggest(&s, 16, &observations);
    assert_eq!(a, suggest(&s, 16, &observations));
    assert_ne!(a.params, suggest(&s, 17, &observations).params);
    let reseeded = spec(&MIXED.replace("seed: 3", "seed: 4"));
    assert_ne!(a.params, suggest(&reseeded, 16, &observations).params);
    // Another worker holds trial 16 at exactly `a`: trial 17 must not be drawn as if it did not.
    let mut with_liar = observations.clone();
    with_liar.push(Observation {
        number: 16,
        params: a.params.clone(),
        status: Observed::Running,
    });
    let b = suggest(&s, 17, &with_liar);
    assert_eq!(seen(&b).running, vec![16]);
    assert_ne!(b.params, suggest(&s, 17, &observations).params);
    // A failed trial is ignored.
    let mut with_failed = observations.clone();
    with_failed.push(Observation {
        number: 16,
        params: a.params.clone(),
        status: Observed::Failed,
    });
    assert_eq!(
        suggest(&s, 17, &with_failed),
        suggest(&s, 17, &observations)
    );
    let json = seen(&b).to_json();
    assert_eq!(SampledFrom::from_json(&json), Some(seen(&b).clone()));
}

#[test]
fn the_goal_decides_which_trials_are_good() {
    // Minimizing the negated objective must give the same draws as maximizing it.
    let max = spec(MIXED);
    let min = spec(&MIXED.replace("run_cap: 30", "run_cap: 30\nmetric: {name: val_loss}"));
    let random = plan(&spec(&MIXED.replace("method: bayes", "method: random")));
    let obs = |sign: f64| -> Vec<Observation> {
        random
            .iter()
            .take(15)
            .map(|t| finished(t.number, t.params.clone(), sign * objective(&t.params)))
            .collect()
    };
    assert_eq!(
        suggest(&max, 16, &obs(1.0)).params,
        suggest(&min, 16, &obs(-1.0)).params
    );
    assert_ne!(
        suggest(&max, 16, &obs(1.0)).params,
        suggest(&min, 16, &obs(1.0)).params
    );
}

/// The "done when": on a cheap synthetic objective of mixed parameters (five: log,
/// uniform, q_uniform, int_uniform, categorical), with a budget of 40 trials (10 startup, equal
/// to random's first 10) and sweep seeds 1..=8, TPE's mean best-so-far after the budget beats
/// random search's (the same draws as `method: random`) by at least 0.03, and TPE wins on at
/// least 6 of the 8 seeds. (When written: TPE 0.668, random 0.622, TPE ahead on 8 of 8.)
#[test]
fn tpe_beats_random_search_on_a_synthetic_objective() {
    const SEEDS: std::ops::RangeInclusive<u64> = 1..=8;
    const BUDGET: usize = 40;
    const MARGIN: f64 = 0.03;
    let mut tpe_total = 0.0;
    let mut random_total = 0.0;
    let mut wins = 0;
    for seed in SEEDS {
        let bayes = spec(
            &MIXED
                .replace("seed: 3", &format!("seed: {seed}"))
                .replace("run_cap: 30", &format!("run_cap: {BUDGET}")),
        );
        let tpe = best_so_far(&bayes, |s, n, obs| suggest(s, n, obs).params);
        let random = best_so_far(&bayes, |s, n, _| crate::search::random::random_params(s, n));
        assert_eq!(
            tpe[..10],
            random[..10],
            "seed {seed}: the startup trials differ"
        );
        let (t, r) = (tpe[BUDGET - 1], random[BUDGET - 1]);
        eprintln!("seed {seed}: tpe {t:.4}, random {r:.4}");
        tpe_total += t;
        random_total += r;
        wins += usize::from(t > r);
    }
    let n = SEEDS.count() as f64;
    let (tpe_mean, random_mean) = (tpe_total / n, random_total / n);
    eprintln!(
        "mean best after {BUDGET}: tpe {tpe_mean:.4}, random {random_mean:.4}, tpe wins {wins}/8"
    );
    assert!(
        tpe_mean >= random_mean + MARGIN,
        "tpe {tpe_mean:.4} vs random {random_mean:.4}"
    );
    assert!(wins >= 6, "tpe won on {wins} of 8 seeds");
}
