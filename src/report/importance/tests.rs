use super::*;
use serde_json::json;

/// Trials of a replicated 2 × 2 grid: `a` in {0.001, 0.01} adds `a_effect` at 0.01, `b` in
/// {"x", "y"} adds `b_effect` at "y", and replicate r adds NOISE[r].
const NOISE: [f64; 4] = [0.05, -0.05, 0.03, -0.03];

fn grid(a_effect: f64, b_effect: f64) -> Vec<Observation> {
    let mut out = Vec::new();
    for (ai, a) in [0.001, 0.01].into_iter().enumerate() {
        for (bi, b) in ["x", "y"].into_iter().enumerate() {
            for noise in NOISE {
                let params = json!({"a": a, "b": b, "batch_size": 64});
                let Value::Object(params) = params else {
                    unreachable!("json! of an object")
                };
                out.push(Observation {
                    trial: out.len() + 1,
                    params,
                    metric: 0.2 + a_effect * ai as f64 + b_effect * bi as f64 + noise,
                });
            }
        }
    }
    out
}

fn settings(seed: u64) -> Settings {
    Settings {
        goal: Goal::Maximize,
        seed,
        detect: None,
        permutations: PERMUTATIONS,
    }
}

fn param<'a>(analysis: &'a Analysis, name: &str) -> &'a ParameterEffect {
    analysis
        .parameters
        .iter()
        .find(|p| p.name == name)
        .expect("the parameter is swept")
}

#[test]
fn a_strong_effect_is_detected_and_no_effect_is_not() {
    let analysis = analyze(&grid(0.5, 0.005), MetricName::VAL_R2, settings(1));
    assert_eq!(analysis.trials, 16);
    assert_eq!(analysis.combinations, 4);
    // batch_size is constant: not swept.
    let names: Vec<&str> = analysis
        .parameters
        .iter()
        .map(|p| p.name.as_str())
        .collect();
    assert_eq!(names, ["a", "b"]);
    let a = param(&analysis, "a");
    assert_eq!(a.rank, 1);
    assert!(a.significant && a.p_value < 0.01, "{}", a.p_value);
    assert!(a.stratified);
    assert_eq!(a.informative_strata, 2);
    let effect = a.effect.as_ref().expect("an effect");
    assert_eq!(
        (effect.best.as_str(), effect.worst.as_str()),
        ("0.01", "0.001")
    );
    assert!((effect.difference - 0.5).abs() < 1e-12);
    let (lo, hi) = (
        effect.ci_low.expect("n >= 2"),
        effect.ci_high.expect("n >= 2"),
    );
    assert!(lo < 0.5 && 0.5 < hi && lo > 0.4, "[{lo}, {hi}]");
    assert!(
        a.verdict
            .starts_with("effect: best 0.01 vs worst 0.001 = +0.5000 [")
    );
    assert!(a.importance > 0.95, "{}", a.importance);

    let b = param(&analysis, "b");
    assert!(!b.significant && b.p_value > 0.5, "{}", b.p_value);
    assert!(b.importance < 0.01, "{}", b.importance);
    assert!(
        b.verdict
            .starts_with("no effect detectable beyond seed noise at this sample size (p = "),
        "{}",
        b.verdict
    );
    assert_eq!(b.values.iter().map(|v| v.n).collect::<Vec<_>>(), [8, 8]);
}

#[test]
fn seed_noise_is_the_pooled_replicate_spread() {
    let analysis = analyze(&grid(0.5, 0.0), MetricName::VAL_R2, settings(1));
    let expected = (2.0 * (0.05f64.powi(2) + 0.03f64.powi(2)) / 3.0).sqrt();
    let noise = &analysis.seed_noise;
    assert!((noise.sd.expect("replicated") - expected).abs() < 1e-12);
    assert_eq!((noise.df, noise.replicated_combinations), (12, 4));
    // Without replicates the noise cannot be estimated, and nothing is sized.
    let single: Vec<Observation> = grid(0.5, 0.0).into_iter().step_by(4).collect();
    let analysis = analyze(&single, MetricName::VAL_R2, settings(1));
    assert_eq!(analysis.seed_noise.sd, None);
    assert!(param(&analysis, "a").replicates_needed.is_none());
    assert!(table("s", &analysis).contains("cannot be estimated"));
}

#[test]
fn the_interval_of_a_mean_matches_a_hand_computation() {
    // mean 2.5, sd sqrt(5/3), t(0.975, 3) = 3.182446305: half width 2.0541.
    let (lo, hi) = stats::mean_interval(&[1.0, 2.0, 3.0, 4.0]).expect("n = 4");
    let half = 3.182_446_305_284_263 * (5.0f64 / 3.0).sqrt() / 2.0;
    assert!((lo - (2.5 - half)).abs() < 1e-9, "{lo}");
    assert!((hi - (2.5 + half)).abs() < 1e-9, "{hi}");
    assert_eq!(stats::mean_interval(&[1.0]), None);
    // Welch: equal sizes and spreads, df = 2(n-1) = 6; t(0.975, 6) = 2.446912.
    let (d, lo, hi) =
        stats::welch_difference(&[1.0, 2.0, 3.0, 4.0], &[0.0, 1.0, 2.0, 3.0]).expect("n >= 2");
    let half = 2.446_911_848_791_681 * (2.0 * 5.0 / 3.0 / 4.0f64).sqrt();
    assert!((d - 1.0).abs() < 1e-12);
    assert!(
        (lo - (1.0 - half)).abs() < 1e-6 && (hi - (1.0 + half)).abs() < 1e-6,
        "[{lo}, {hi}] against 1 ± {half}"
    );
}

#[test]
fn replicates_needed_follow_the_formula() {
    // The textbook answer: σ = δ needs 16 per group at α = 0.05, power 0.8.
    assert_eq!(stats::trials_needed(1.0, 1.0), Some(16));
    assert_eq!(stats::trials_needed(0.1, 0.05), Some(63));
    assert_eq!(stats::trials_needed(0.0, 0.05), Some(2));
    assert_eq!(stats::trials_needed(1.0, 0.0), None);
    let mut s = settings(1);
    s.detect = Some(0.02);
    let analysis = analyze(&grid(0.5, 0.005), MetricName::VAL_R2, s);
    let b = param(&analysis, "b")
        .replicates_needed
        .as_ref()
        .expect("sized");
    let sigma = analysis.seed_noise.sd.expect("replicated");
    let z: f64 = 1.959_963_984_540_054 + 0.841_621_233_572_914_3;
    let n = (2.0 * (z * sigma / 0.02).powi(2)).ceil() as usize;
    assert_eq!((b.delta, b.per_value, b.have), (0.02, n, 8));
    // Each value of b has two combinations (the two values of a).
    assert_eq!(b.more_replicates, (n - 8).div_ceil(2));
}

#[test]
fn the_permutation_test_is_reproducible_and_seeded() {
    let data = grid(0.03, 0.02);
    let one = analyze(&data, MetricName::VAL_R2, settings(7));
    assert_eq!(one, analyze(&data, MetricName::VAL_R2, settings(7)));
    let other = analyze(&data, MetricName::VAL_R2, settings(8));
    assert_ne!(param(&one, "a").p_value, param(&other, "a").p_value);
    // The p-value is a share of shuffles: (1 + k) / (1 + B).
    let p = param(&one, "a").p_value * (PERMUTATIONS + 1) as f64;
    assert!((p - p.round()).abs() < 1e-6);
}

#[test]
fn stratifying_keeps_a_strong_parameter_from_masking_another() {
    // a's huge effect swamps b in a marginal comparison; within strata of a, b's +0.1 on
    // noise of ±0.05 is clear.
    let analysis = analyze(&grid(5.0, 0.1), MetricName::VAL_R2, settings(3));
    let b = param(&analysis, "b");
    assert!(b.stratified);
    assert!(b.significant, "p = {}", b.p_value);
    assert!(b.importance < 0.01);
}

#[test]
fn minimizing_flips_best_and_worst() {
    let mut s = settings(1);
    s.goal = Goal::Minimize;
    let analysis = analyze(&grid(0.5, 0.0), MetricName::VAL_LOSS, s);
    let effect = param(&analysis, "a").effect.clone().expect("an effect");
    assert_eq!(
        (effect.best.as_str(), effect.worst.as_str()),
        ("0.001", "0.01")
    );
    assert!((effect.difference + 0.5).abs() < 1e-12);
    assert!(param(&analysis, "a").verdict.contains("= -0.5000"));
}

#[test]
fn continuous_values_are_binned_by_quantile() {
    let observations: Vec<Observation> = (0..20)
        .map(|i| {
            let Value::Object(params) = json!({"lr": 0.001 * (i + 1) as f64, "flag": i % 2 == 0})
            else {
                unreachable!("json! of an object")
            };
            Observation {
                trial: i + 1,
                params,
                metric: i as f64 * 0.01,
            }
        })
        .collect();
    let analysis = analyze(&observations, MetricName::VAL_R2, settings(1));
    let lr = param(&analysis, "lr");
    assert_eq!(lr.bins, Some(BINS));
    let sizes: Vec<usize> = lr.values.iter().map(|v| v.n).collect();
    assert_eq!(sizes, [5, 5, 5, 5]);
    assert_eq!(lr.values[0].value, "0.001–0.005");
    let flag = param(&analysis, "flag");
    assert_eq!(flag.bins, None);
    let labels: Vec<&str> = flag.values.iter().map(|v| v.value.as_str()).collect();
    assert_eq!(labels, ["false", "true"]);
    assert!(flag.stratified);
}

#[test]
fn a_parameter_that_never_varies_alone_is_tested_across_all_trials() {
    // a and b change together: no stratum of b holds two values of a.
    let observations: Vec<Observation> = (0..6)
        .map(|i| {
            let Value::Object(params) = json!({"a": i % 3, "b": format!("v{}", i % 3)}) else {
                unreachable!("json! of an object")
            };
            Observation {
                trial: i + 1,
                params,
                metric: (i % 3) as f64,
            }
        })
        .collect();
    let analysis = analyze(&observations, MetricName::VAL_R2, settings(1));
    let a = param(&analysis, "a");
    assert!(!a.stratified);
    assert_eq!(a.informative_strata, 0);
    assert!(table("s", &analysis).contains("shuffled across all trials"));
}

#[test]
fn the_table_states_the_verdicts_and_intervals() {
    let analysis = analyze(&grid(0.5, 0.005), MetricName::VAL_R2, settings(1));
    let text = table("demo", &analysis);
    for part in [
        "what mattered in sweep demo: val_r2 (maximize), 16 completed trials in 4 combinations",
        "seed noise: sd 0.0476 (pooled within 4 replicated combinations, 12 df)",
        "n = 2((z_0.975 + z_0.8)·σ/δ)²",
        "a: effect: best 0.01 vs worst 0.001 = +0.5000 [",
        "b: no effect detectable beyond seed noise at this sample size (p = ",
        "95% CI",
        "trials per value",
    ] {
        assert!(text.contains(part), "`{part}` not in:\n{text}");
    }
}

#[test]
fn an_unreplicated_grid_can_show_an_effect_that_every_stratum_agrees_on() {
    // Six strata (settings of the other parameters), one trial per value in each: value 1 is
    // better by 0.1 in every stratum, on top of stratum offsets far larger than that. Only 2
    // of the 2^6 equally likely shufflings reach the observed difference (it and its mirror),
    // so p ≈ 2/64; a within-strata statistic would give p = 1 here, whatever the data.
    let offsets = [0.0, 0.5, -0.3, 0.8, 0.2, -0.6];
    let mut ys = Vec::new();
    let mut labels = Vec::new();
    let mut strata = Vec::new();
    for (s, offset) in offsets.iter().enumerate() {
        for label in 0..2 {
            ys.push(offset + 0.1 * label as f64);
            labels.push(label);
            strata.push(s);
        }
    }
    let p = stats::permutation_p(&ys, &labels, &strata, 2, 9999, &mut SplitMix64(7));
    assert!((p - 2.0 / 64.0).abs() < 0.01, "p = {p}");
    // No consistent direction: value 1 better in half the strata, worse in the others.
    let mixed: Vec<f64> = ys
        .iter()
        .enumerate()
        .map(|(i, y)| {
            if (i / 2) % 2 == 0 {
                *y
            } else {
                y - 0.2 * labels[i] as f64
            }
        })
        .collect();
    let p = stats::permutation_p(&mixed, &labels, &strata, 2, 9999, &mut SplitMix64(7));
    assert!(p > 0.5, "p = {p}");
}
