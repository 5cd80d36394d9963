use super::*;
use crate::search::plan;
use crate::train::params::BuiltIn;
use crate::train::{TrainSettings, TrialParams};

const HEAD: &str = "name: t\nmethod: grid\ndata: {synthetic: {rows: 100, seed: 1}}\n";

/// The error message for `text`, or "parsed".
fn error(text: &str) -> String {
    match Spec::parse(text, "t.yaml", &BuiltIn) {
        Err(e) => e.to_string(),
        Ok(_) => "parsed".to_string(),
    }
}

/// The error message for a grid sweep with these `parameters:` lines.
fn param_error(params: &str) -> String {
    error(&format!("{HEAD}parameters:\n{params}\n"))
}

fn parse(text: &str) -> Spec {
    Spec::parse(text, "t.yaml", &BuiltIn).expect("the test spec is valid")
}

fn assert_mentions(message: &str, parts: &[&str]) {
    for part in parts {
        assert!(message.contains(part), "`{part}` not in: {message}");
    }
}

#[test]
fn the_design_example_parses() {
    let text = "
name: table1-random          # unique sweep name; also the folder name under runs/
method: random               # grid | random   (more methods may follow)
metric: {name: val_r2, goal: maximize}
run_cap: 40                  # number of trials (required for random)
seed: 7                      # every random choice in the sweep derives from it
parameters:                  # W&B forms: value | values | distribution + min/max (| mu/sigma, q)
  batch_size:    {values: [128, 256, 512, 1024]}
  dropout_dense: {values: [0.05, 0.1, 0.2, 0.3, 0.4, 0.5]}
  dropout_lstm:  {values: [0.05, 0.1, 0.2, 0.3, 0.4, 0.5]}
  learning_rate: {distribution: uniform, min: 0.0001, max: 0.01}
  dense_units:   {values: [32, 64, 128, 512, 1024]}
  lstm_units:    {values: [4, 8, 16, 32, 64, 96]}
data:
  train: data/train_sequences.txt     # or: synthetic: {rows: 20000, seed: 1}
  val_fraction: 0.1
training: {max_epochs: 200, patience: 20}
";
    let spec = parse(text);
    assert_eq!(spec.name.as_str(), "table1-random");
    assert_eq!(spec.method, Method::Random);
    assert_eq!(spec.metric, Metric::default());
    assert_eq!((spec.run_cap, spec.seed), (Some(40), 7));
    assert_eq!(spec.trial_count(), 40);
    assert_eq!(
        spec.parameters["learning_rate"],
        ParamSpec::Uniform {
            min: 0.0001,
            max: 0.01
        }
    );
    assert_eq!(
        spec.parameters["batch_size"],
        ParamSpec::Categorical([128, 256, 512, 1024].map(ParamValue::Int).to_vec())
    );
    let data = spec.data.as_ref().expect("the built-in model has data");
    assert_eq!(
        data.source,
        DataSource::File(PathBuf::from("data/train_sequences.txt"))
    );
    assert_eq!(data.val_fraction, 0.1);
    assert_eq!(
        spec.training,
        Some(TrainingSpec {
            max_epochs: 200,
            patience: 20
        })
    );
    assert!(!spec.is_program());
    assert!(spec.wandb_only_keys().is_empty());
}

#[test]
fn defaults_fill_what_the_file_leaves_out() {
    let spec = parse("name: d\nmethod: grid\ndata: {train: x.txt}\n");
    assert_eq!(spec.metric, Metric::default());
    assert_eq!(spec.seed, 0);
    assert_eq!(spec.run_cap, None);
    assert_eq!(spec.data.as_ref().map(|d| d.val_fraction), Some(0.1));
    assert_eq!(spec.training, Some(TrainingSpec::default()));
    assert!(spec.parameters.is_empty());
    assert_eq!(spec.trial_count(), 1);
    let loss = parse(&format!("{HEAD}metric: {{name: val_loss}}\n"));
    assert_eq!(loss.metric.goal, Goal::Minimize);
    let pearson = parse(&format!("{HEAD}metric: {{name: val_pearson}}\n"));
    assert_eq!(pearson.metric.goal, Goal::Maximize);
    let described = parse(&format!("{HEAD}description: a test\n"));
    assert_eq!(described.description.as_deref(), Some("a test"));
}

#[test]
fn the_sweep_files_parse_with_their_trial_counts() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("sweeps");
    for (file, name, count) in [
        ("grid.yaml", "table1-grid", 4 * 6 * 6 * 5 * 5 * 6),
        ("random.yaml", "table1-random", 40),
        ("demo.yaml", "demo", 4),
        ("bayes.yaml", "table1-bayes", 40),
        (
            "design-choices-small.yaml",
            "design-choices-small",
            2 * 2 * 4,
        ),
        ("design-choices.yaml", "design-choices", 384),
        ("hyperband.yaml", "table1-hyperband", 81),
    ] {
        let (spec, text) =
            Spec::load(&dir.join(file), &BuiltIn).expect("the shipped sweep files are valid");
        assert_eq!(spec.name.as_str(), name, "{file}");
        assert_eq!(spec.trial_count(), count, "{file}");
        assert_eq!(plan(&spec).len(), count, "{file}");
        assert!(text.contains(name));
    }
}

#[test]
fn bad_yaml_names_the_line() {
    let message = error("name: t\nmethod: grid\nparameters: {a: [1\n");
    assert_mentions(&message, &["t.yaml: ", "line"]);
    assert_mentions(&error("- a\n- b\n"), &["t.yaml: top level:", "mapping"]);
    assert_mentions(&error(""), &["t.yaml: top level"]);
    let twice = error(&format!(
        "{HEAD}parameters:\n  lstm_units: {{value: 8}}\n  lstm_units: {{value: 9}}\n"
    ));
    assert_mentions(&twice, &["duplicate", "lstm_units", "line 5"]);
}

#[test]
fn unknown_keys_are_named_with_the_expected_ones() {
    let top = error(&format!("{HEAD}sed: 3\n"));
    assert_mentions(
        &top,
        &[
            "t.yaml",
            "unknown field `sed`",
            "expected one of",
            "`seed`",
            "line 4",
        ],
    );
    let typo = param_error("  learning_rate: {distribution: uniform, min: 0.001, mx: 0.1}");
    assert_mentions(
        &typo,
        &[
            "parameters.learning_rate",
            "unknown field `mx`",
            "`max`",
            "line 5",
        ],
    );
    let nested = error("name: t\nmethod: grid\ndata: {synthetic: {rows: 100, sed: 1}}\n");
    assert_mentions(&nested, &["data.synthetic", "unknown field `sed`"]);
    let metric = error(&format!("{HEAD}metric: {{name: val_acc}}\n"));
    // (A program may rank by any name: program/tests.rs.)
    assert_mentions(
        &metric,
        &["metric.name", "unknown metric `val_acc`", "val_r2"],
    );
    let distribution = param_error("  learning_rate: {distribution: beta, min: 0.1, max: 0.2}");
    assert_mentions(
        &distribution,
        &["parameters.learning_rate.distribution", "`beta`"],
    );
}

#[test]
fn wandb_keys_we_do_not_use_get_their_own_message() {
    for key in ["job", "image_uri"] {
        let message = error(&format!("{HEAD}{key}: x\n"));
        assert_mentions(&message, &["t.yaml", key, "not supported", "program"]);
    }
}

#[test]
fn bayes_and_tpe_are_one_method_that_needs_run_cap() {
    let text = "name: t\nmethod: bayes\nrun_cap: 12\ndata: {train: x}\nparameters:\n  \
                learning_rate: {distribution: log_uniform_values, min: 0.0001, max: 0.01}\n";
    let bayes = parse(text);
    assert_eq!((bayes.method, bayes.trial_count()), (Method::Bayes, 12));
    let tpe = parse(&text.replace("method: bayes", "method: tpe"));
    assert_eq!(tpe, bayes);
    assert_eq!(tpe.fingerprint(), bayes.fingerprint());
    let random = parse(&text.replace("method: bayes", "method: random"));
    assert_ne!(random.fingerprint(), bayes.fingerprint());
    assert_mentions(
        &error(&text.replace("run_cap: 12\n", "")),
        &["t.yaml: run_cap:", "bayes sweep needs `run_cap`"],
    );
    assert_mentions(
        &error(&format!("{text}replicates: 2\n")),
        &["t.yaml: replicates:", "grid and random"],
    );
    assert_eq!(Method::Bayes.as_str(), "bayes");
}

#[test]
fn parameter_errors_name_the_key() {
    let cases: &[(&str, &[&str])] = &[
        (
            "  lstm_unit: {value: 8}",
            &["parameters.lstm_unit", "unknown parameter", "lstm_units"],
        ),
        (
            "  batch_size: {values: []}",
            &["parameters.batch_size.values", "empty"],
        ),
        (
            "  learning_rate: {distribution: q_uniform, min: 0.01, max: 0.001}",
            &["parameters.learning_rate.min", "above max"],
        ),
        (
            "  learning_rate: {distribution: q_uniform, min: 0.01}",
            &["parameters.learning_rate.max", "missing `max`"],
        ),
        (
            "  learning_rate: {distribution: uniform, max: 0.01}",
            &["parameters.learning_rate.min", "missing `min`"],
        ),
        (
            "  batch_size: {values: [0.5]}",
            &["parameters.batch_size.values[0]", "whole number"],
        ),
        (
            "  learning_rate: {value: fast}",
            &["parameters.learning_rate.value", "`fast`"],
        ),
        (
            "  dropout_dense: {values: [0.1, 1.5]}",
            &["parameters.dropout_dense.values[1]", "[0, 1)"],
        ),
        (
            "  dropout_dense: {values: [0.1, 0.1]}",
            &["parameters.dropout_dense.values[1]", "twice"],
        ),
        (
            "  batch_size: {values: [3e6, 3000000]}",
            &["parameters.batch_size.values[1]", "twice"],
        ),
        (
            "  lstm_units: {values: [8, [1]]}",
            &["parameters.lstm_units.values[1]", "list"],
        ),
        (
            "  lstm_units: {value: null}",
            &["parameters.lstm_units", "needs `value`"],
        ),
        (
            "  lstm_units: {}",
            &["parameters.lstm_units", "needs `value`"],
        ),
        (
            "  lstm_units: {min: 4}",
            &["parameters.lstm_units.max", "missing `max`", "int_uniform"],
        ),
        (
            "  lstm_units: {min: 4, max: 8, q: 2}",
            &[
                "parameters.lstm_units.distribution",
                "`q` needs a `distribution`",
            ],
        ),
        (
            "  lstm_units: {min: 4.0, max: 8}",
            &[
                "parameters.lstm_units.distribution",
                "whole numbers",
                "`uniform`",
            ],
        ),
        (
            "  lstm_units: {distribution: int_uniform, min: 1.5, max: 8}",
            &["parameters.lstm_units.min", "whole numbers"],
        ),
        (
            "  lstm_units: {distribution: int_uniform, min: 0, max: 8}",
            &["parameters.lstm_units.min", "positive whole number"],
        ),
        (
            "  lstm_units: {value: 8, min: 1}",
            &["parameters.lstm_units.min", "does not apply to constant"],
        ),
        (
            "  lstm_units: {distribution: uniform, values: [1, 2]}",
            &["parameters.lstm_units.distribution", "categorical"],
        ),
        (
            "  learning_rate: {distribution: constant}",
            &["parameters.learning_rate.value", "missing"],
        ),
    ];
    for (params, parts) in cases {
        assert_mentions(&param_error(params), parts);
    }
}

/// Errors that only a random sweep can reach (a grid refuses the distribution first).
#[test]
fn distribution_errors_name_the_key() {
    let random = |params: &str| {
        error(&format!(
            "name: t\nmethod: random\nrun_cap: 3\ndata: {{train: x}}\nparameters:\n{params}\n"
        ))
    };
    let cases: &[(&str, &[&str])] = &[
        (
            "  learning_rate: {distribution: log_uniform_values, min: 0, max: 0.01}",
            &["parameters.learning_rate.min", "min > 0"],
        ),
        (
            "  learning_rate: {distribution: log_uniform_values, min: -1, max: 0.01}",
            &["parameters.learning_rate.min", "min > 0"],
        ),
        (
            "  learning_rate: {distribution: q_log_uniform_values, min: 0, max: 1, q: 0.1}",
            &["parameters.learning_rate.min", "min > 0"],
        ),
        (
            "  learning_rate: {distribution: uniform, min: 0, max: 0.01}",
            &["parameters.learning_rate.min", "positive number"],
        ),
        (
            "  dropout_lstm: {distribution: uniform, min: 0.1, max: 1.5}",
            &["parameters.dropout_lstm.max", "can give 1.5", "[0, 1)"],
        ),
        (
            "  learning_rate: {distribution: log_uniform, min: -9, max: 800}",
            &["parameters.learning_rate.max", "exponents"],
        ),
        (
            "  batch_size: {distribution: uniform, min: 32, max: 512}",
            &[
                "parameters.batch_size.distribution",
                "whole numbers",
                "int_uniform",
            ],
        ),
        (
            "  dense_units: {distribution: log_uniform_values, min: 32, max: 512}",
            &[
                "parameters.dense_units.distribution",
                "int_uniform or values",
            ],
        ),
        (
            "  dropout_lstm: {distribution: normal, mu: 0.2, sigma: 0.05}",
            &["parameters.dropout_lstm.sigma", "mu - 8.6"],
        ),
        (
            "  learning_rate: {distribution: normal, mu: 0.01, sigma: -1}",
            &["parameters.learning_rate.sigma", ">= 0"],
        ),
        (
            "  learning_rate: {distribution: q_uniform, min: 0.001, max: 0.01, q: 0}",
            &["parameters.learning_rate.q", "above 0"],
        ),
        (
            "  learning_rate: {distribution: uniform, min: .nan, max: 0.01}",
            &["parameters.learning_rate.min", "finite"],
        ),
        (
            "  learning_rate: {distribution: uniform, min: 0.001, max: 0.01, q: 2}",
            &["parameters.learning_rate.q", "does not apply to uniform"],
        ),
        (
            "  learning_rate: {distribution: uniform, min: x, max: 0.01}",
            &["parameters.learning_rate.min", "expected a number"],
        ),
    ];
    for (params, parts) in cases {
        assert_mentions(&random(params), parts);
    }
}

#[test]
fn top_level_errors_name_the_key() {
    let no_cap = error("name: t\nmethod: random\ndata: {train: x}\n");
    assert_mentions(
        &no_cap,
        &["t.yaml: run_cap:", "random sweep needs `run_cap`"],
    );
    assert_mentions(
        &error(&format!("{HEAD}run_cap: 0\n")),
        &["run_cap", "at least 1"],
    );
    assert_mentions(
        &error(&format!("{HEAD}run_cap: many\n")),
        &["run_cap", "\"many\"", "line 4"],
    );
    assert_mentions(
        &error(&format!("{HEAD}run_cap: 2000000\n")),
        &["run_cap", "limit"],
    );
    assert_mentions(&error(&format!("{HEAD}seed: -1\n")), &["seed", "-1"]);
    assert_mentions(&error("name: t\nmethod: grid\n"), &["missing field `data`"]);
    assert_mentions(
        &error("method: grid\ndata: {train: x}\n"),
        &["missing field `name`"],
    );
    assert_mentions(
        &error("name: t\nmethod: grid\ndata: {}\n"),
        &["t.yaml: data:", "missing `train"],
    );
    let both = error("name: t\nmethod: grid\ndata: {train: x, synthetic: {rows: 9}}\n");
    assert_mentions(&both, &["data:", "not both"]);
    let fraction = error("name: t\nmethod: grid\ndata: {train: x, val_fraction: 1}\n");
    assert_mentions(&fraction, &["data.val_fraction", "(0, 1)"]);
    let rows = error("name: t\nmethod: grid\ndata: {synthetic: {rows: 1}}\n");
    assert_mentions(&rows, &["data.synthetic.rows"]);
    assert_mentions(
        &error(&format!("{HEAD}training: {{patience: 0}}\n")),
        &["training.patience"],
    );
    assert_mentions(
        &error(&format!("{HEAD}training: {{max_epochs: 0}}\n")),
        &["training.max_epochs"],
    );
    assert_mentions(
        &error("name: ../x\nmethod: grid\ndata: {train: x}\n"),
        &["t.yaml: name:", "`../x`"],
    );
    assert_mentions(
        &error(&format!("{HEAD}replicates: 0\n")),
        &["t.yaml: replicates:", "at least 1"],
    );
    assert_mentions(
        &error(&format!("{HEAD}replicates: 2.5\n")),
        &["replicates", "2.5"],
    );
    assert_mentions(
        &error(&format!("{HEAD}replicates: three\n")),
        &["replicates", "\"three\""],
    );
    assert_mentions(
        &error("name: t\nmethod: random\nrun_cap: 1000\nreplicates: 1001\ndata: {train: x}\n"),
        &[
            "t.yaml: replicates:",
            "1000 combinations x 1001 replicates",
            "limit",
        ],
    );
    let huge = param_error("  lstm_units: {distribution: int_uniform, min: 1, max: 2000000}");
    assert_mentions(&huge, &["parameters:", "2000000 points", "limit"]);
}

#[test]
fn a_grid_refuses_continuous_distributions() {
    for d in [
        "uniform",
        "log_uniform_values",
        "log_uniform",
        "q_log_uniform_values",
    ] {
        let message = param_error(&format!(
            "  learning_rate: {{distribution: {d}, min: 0.001, max: 0.01}}"
        ));
        assert_mentions(
            &message,
            &[
                "parameters.learning_rate.distribution",
                "grid",
                "continuous",
            ],
        );
    }
    let normal = param_error("  learning_rate: {distribution: log_normal, mu: -6, sigma: 0.1}");
    assert_mentions(
        &normal,
        &["parameters.learning_rate.distribution", "continuous"],
    );
    let finite = parse(&format!(
        "{HEAD}parameters:\n  lstm_units: {{distribution: int_uniform, min: 4, max: 8}}\n  \
         dropout_lstm: {{distribution: q_uniform, min: 0, max: 0.5, q: 0.1}}\n"
    ));
    assert_eq!(finite.trial_count(), 5 * 6);
}

#[test]
fn a_uniform_up_to_one_suits_a_dropout() {
    let spec = parse(
        "name: t\nmethod: random\nrun_cap: 2\ndata: {train: x}\nparameters:\n  \
         dropout_lstm: {distribution: uniform, min: 0, max: 1}\n",
    );
    assert_eq!(
        spec.parameters["dropout_lstm"],
        ParamSpec::Uniform { min: 0.0, max: 1.0 }
    );
    // A constant range is allowed; a closed bound the trainer refuses is not.
    parse(&format!(
        "{HEAD}parameters:\n  lstm_units: {{distribution: int_uniform, min: 8, max: 8}}\n"
    ));
    let closed =
        param_error("  dropout_lstm: {distribution: q_uniform, min: 0.5, max: 1, q: 0.25}");
    assert_mentions(&closed, &["parameters.dropout_lstm.max", "can give 1"]);
}

#[test]
fn whole_number_steps_suit_integer_parameters() {
    let spec = parse(&format!(
        "{HEAD}parameters:\n  batch_size: {{distribution: q_uniform, min: 128, max: 512, q: 128}}\n"
    ));
    let batches: Vec<ParamValue> = plan(&spec)
        .into_iter()
        .map(|t| t.params.0["batch_size"].clone())
        .collect();
    assert_eq!(batches, [128, 256, 384, 512].map(ParamValue::Int).to_vec());
    let fractional =
        param_error("  batch_size: {distribution: q_uniform, min: 128, max: 512, q: 0.5}");
    assert_mentions(
        &fractional,
        &["parameters.batch_size.distribution", "whole"],
    );
}

#[test]
fn values_are_normalized_by_parameter_kind() {
    let spec = parse(&format!(
        "{HEAD}parameters:\n  batch_size: {{value: 3e2}}\n  learning_rate: {{values: [1, 1e-3, '0.01']}}\n"
    ));
    assert_eq!(
        spec.parameters["batch_size"],
        ParamSpec::Constant(ParamValue::Int(300))
    );
    assert_eq!(
        spec.parameters["learning_rate"],
        ParamSpec::Categorical([1.0, 0.001, 0.01].map(ParamValue::Float).to_vec())
    );
}

#[test]
fn the_fingerprint_ignores_spelling_and_sees_content() {
    let a = parse(&format!(
        "{HEAD}parameters:\n  batch_size: {{values: [3000000, 64]}}\n  learning_rate: {{value: 0.001}}\n"
    ));
    let b = parse(
        "# a comment\nmethod:   grid\nparameters:\n  learning_rate: {value: 1e-3}   # same\n  \
         batch_size:\n    values:\n      - 3e6\n      - 64.0\ndata:\n  synthetic: {seed: 1, rows: 100}\nname: t\n\
         description: not part of it\n",
    );
    assert_eq!(a.fingerprint(), b.fingerprint());
    assert_eq!(a.fingerprint().len(), 16);
    assert!(a.fingerprint().chars().all(|c| c.is_ascii_hexdigit()));
    let changes = [
        (
            "learning_rate: {value: 0.001}",
            "learning_rate: {value: 0.002}",
        ),
        ("[3000000, 64]", "[64, 3000000]"),
        ("rows: 100", "rows: 101"),
        ("method: grid", "method: grid\nrun_cap: 1"),
        ("method: grid", "method: grid\nseed: 1"),
        ("method: grid", "method: grid\ntraining: {patience: 3}"),
    ];
    let base = format!(
        "{HEAD}parameters:\n  batch_size: {{values: [3000000, 64]}}\n  learning_rate: {{value: 0.001}}\n"
    );
    for (from, to) in changes {
        let changed = parse(&base.replacen(from, to, 1));
        assert_ne!(a.fingerprint(), changed.fingerprint(), "{from} -> {to}");
    }
    // Spelled-out defaults are the defaults.
    let explicit = parse(&base.replace(
        "method: grid",
        "method: grid\nseed: 0\nmetric: {name: val_r2}",
    ));
    assert_eq!(a.fingerprint(), explicit.fingerprint());
}

#[test]
fn replicates_multiply_combinations_and_keep_old_fingerprints() {
    let base = format!("{HEAD}parameters:\n  batch_size: {{values: [32, 64]}}\n");
    let one = parse(&base);
    assert_eq!((one.replicates, one.trial_count()), (1, 2));
    // Spelling out the default changes nothing, so existing sweeps keep their fingerprint.
    let explicit = parse(&format!("{base}replicates: 1\n"));
    assert_eq!(one.fingerprint(), explicit.fingerprint());
    let three = parse(&format!("{base}replicates: 3\n"));
    assert_eq!((three.combination_count(), three.trial_count()), (2, 6));
    assert_ne!(one.fingerprint(), three.fingerprint());
    // run_cap counts combinations: 4 random draws, each trained twice.
    let random = parse(
        "name: t\nmethod: random\nrun_cap: 4\nreplicates: 2\ndata: {train: x}\n\
         parameters:\n  learning_rate: {distribution: uniform, min: 0.001, max: 0.01}\n",
    );
    assert_eq!((random.combination_count(), random.trial_count()), (4, 8));
    assert_eq!(plan(&random).len(), 8);
}

#[test]
fn sweep_names_cannot_escape_their_folder() {
    for bad in [
        "../x",
        "a/b",
        "",
        ".",
        "..",
        "-x",
        "_x",
        "a b",
        "a.b",
        "é",
        &"a".repeat(65),
    ] {
        assert!(bad.parse::<SweepName>().is_err(), "{bad:?} was accepted");
    }
    for good in ["table1-grid", "demo", "A_1", "9lives", &"a".repeat(64)] {
        let name: SweepName = good.parse().expect("a valid name");
        assert_eq!(name.as_str(), good);
        assert_eq!(name.to_string(), good);
    }
    let message = "a/b".parse::<SweepName>().map_err(|e| e.to_string()).err();
    assert!(message.is_some_and(|m| m.contains("`a/b`")));
}

#[test]
fn methods_have_their_file_names() {
    assert_eq!(
        [Method::Grid, Method::Random, Method::Bayes].map(|m| m.as_str()),
        ["grid", "random", "bayes"]
    );
}

#[test]
fn load_names_a_missing_file() {
    let missing = Path::new(env!("CARGO_MANIFEST_DIR")).join("sweeps/no-such-file.yaml");
    let message = Spec::load(&missing, &BuiltIn)
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default();
    assert_mentions(&message, &["no-such-file.yaml"]);
}

#[test]
fn a_spec_gives_the_trainer_its_settings() {
    let spec = parse(
        "name: t\nmethod: grid\ndata: {train: x, val_fraction: 0.2}\ntraining: {max_epochs: 5, patience: 2}\n",
    );
    let settings = TrainSettings::for_trial(&spec, 42);
    assert_eq!(
        (
            settings.max_epochs,
            settings.patience,
            settings.seed,
            settings.val_fraction
        ),
        (5, 2, 42, 0.2)
    );
    let set = ParamSet::default();
    assert_eq!(set.to_json(), "{}");
}

#[test]
fn a_test_file_is_read_but_changes_no_fingerprint() {
    let plain = parse(HEAD);
    let with_test = parse(&HEAD.replace(
        "data: {synthetic: {rows: 100, seed: 1}}",
        "data: {synthetic: {rows: 100, seed: 1}, test: held/test.txt}",
    ));
    assert_eq!(
        with_test.data.as_ref().and_then(|d| d.test.as_deref()),
        Some(Path::new("held/test.txt"))
    );
    assert_eq!(plain.data.as_ref().and_then(|d| d.test.as_ref()), None);
    assert_eq!(plain.fingerprint(), with_test.fingerprint());
    assert!(error(&HEAD.replace("seed: 1}}", "seed: 1}, test: ''}")).contains("data.test"));
}

#[test]
fn design_choices_parse_and_plan() {
    let spec = parse(&format!(
        "{HEAD}parameters:\n  optimizer: {{values: [adam, sgd]}}\n  rc_augment: {{values: [true, false]}}\n  \
         pooling: {{value: concat_max_avg}}\n  lr_decay: {{values: [1, 0.95]}}\n"
    ));
    assert_eq!(
        spec.parameters["optimizer"],
        ParamSpec::Categorical(vec![
            ParamValue::Text("adam".into()),
            ParamValue::Text("sgd".into())
        ])
    );
    assert_eq!(
        spec.parameters["rc_augment"],
        ParamSpec::Categorical(vec![ParamValue::Bool(true), ParamValue::Bool(false)])
    );
    let trials = plan(&spec);
    assert_eq!(trials.len(), 8);
    let all: Vec<_> = trials
        .iter()
        .map(|t| TrialParams::from_set(&t.params).expect("valid"))
        .collect();
    assert!(
        all.iter()
            .any(|p| p.optimizer.to_string() == "sgd" && p.rc_augment)
    );
    assert!(
        all.iter()
            .all(|p| p.model.pooling.to_string() == "concat_max_avg")
    );
    assert!(all.iter().any(|p| p.lr_decay == 0.95));
}

#[test]
fn choices_refuse_distributions_and_unknown_names() {
    let drawn = param_error("  optimizer: {distribution: uniform, min: 0, max: 1}");
    assert_mentions(
        &drawn,
        &["parameters.optimizer.distribution", "adam, sgd", "values"],
    );
    let flag = param_error("  rc_average: {distribution: int_uniform, min: 0, max: 1}");
    assert_mentions(
        &flag,
        &["parameters.rc_average.distribution", "true, false"],
    );
    let typo = param_error("  optimizer: {values: [adam, adamw]}");
    assert_mentions(
        &typo,
        &[
            "parameters.optimizer.values[1]",
            "`adamw` is not one of adam, sgd",
        ],
    );
    let yes = param_error("  rc_augment: {value: yes}");
    assert_mentions(&yes, &["parameters.rc_augment.value", "true or false"]);
    let twice = param_error("  rc_augment: {values: [true, 'true']}");
    assert_mentions(&twice, &["listed twice"]);
}

#[test]
fn existing_sweeps_keep_their_fingerprints() {
    // Pinned before `method: bayes` existed: adding a method must not change these, or every
    // stored grid and random sweep would refuse its own file on resume.
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("sweeps");
    let got: Vec<String> = ["grid.yaml", "random.yaml"]
        .iter()
        .map(|file| {
            let (spec, _) =
                Spec::load(&dir.join(file), &BuiltIn).expect("the shipped sweep files are valid");
            spec.fingerprint()
        })
        .collect();
    assert_eq!(got, ["e49c907642c18be2", "9b0b2aa64c634a4c"]);
}

#[test]
fn early_terminate_takes_wandbs_hyperband_forms() {
    let spec = parse(&format!(
        "{HEAD}training: {{max_epochs: 27}}\nearly_terminate: {{type: hyperband, min_iter: 3}}\n"
    ));
    let early = spec.early_terminate.expect("early_terminate is read");
    assert_eq!(early.schedule, RungSchedule::MinIter(3));
    assert_eq!((early.eta, early.strict), (DEFAULT_ETA, true));
    assert_eq!(
        spec.early_terminate.map(|e| e.rungs(spec.max_step())),
        Some(vec![3, 9])
    );

    let spec = parse(&format!(
        "{HEAD}early_terminate: {{type: hyperband, max_iter: 27, s: 2, eta: 3, strict: false}}\n"
    ));
    let early = spec.early_terminate.expect("early_terminate is read");
    assert_eq!(early.schedule, RungSchedule::MaxIter { max_iter: 27, s: 2 });
    assert!(!early.strict);
    assert_eq!(
        spec.early_terminate.map(|e| e.rungs(spec.max_step())),
        Some(vec![3, 9])
    );
    assert_eq!(parse(HEAD).early_terminate, None);
}

#[test]
fn early_terminate_errors_name_the_key() {
    let cases: &[(&str, &[&str])] = &[
        (
            "{type: envelope, min_iter: 3}",
            &[
                "early_terminate.type",
                "unknown variant `envelope`",
                "hyperband",
            ],
        ),
        (
            "{min_iter: 3}",
            &["early_terminate", "missing field `type`"],
        ),
        (
            "{type: hyperband, min_iter: 0}",
            &["early_terminate.min_iter", "at least 1"],
        ),
        (
            "{type: hyperband, min_iter: 2.5}",
            &["early_terminate.min_iter", "invalid type"],
        ),
        (
            "{type: hyperband, min_iter: 3, eta: 1}",
            &["early_terminate.eta", "above 1"],
        ),
        (
            "{type: hyperband, min_iter: 3, eta: .nan}",
            &["early_terminate.eta", "above 1"],
        ),
        (
            "{type: hyperband}",
            &["early_terminate:", "min_iter", "max_iter"],
        ),
        (
            "{type: hyperband, max_iter: 27}",
            &["early_terminate.s", "missing `s`"],
        ),
        (
            "{type: hyperband, min_iter: 3, s: 2}",
            &["early_terminate.s", "max_iter"],
        ),
        (
            "{type: hyperband, min_iter: 3, max_iter: 27, s: 2}",
            &["early_terminate.max_iter", "not both"],
        ),
        (
            "{type: hyperband, max_iter: 27, s: 0}",
            &["early_terminate.s", "at least 1"],
        ),
        (
            "{type: hyperband, min_iter: 200}",
            &["early_terminate:", "max_epochs (200)"],
        ),
        (
            "{type: hyperband, min_iter: 3, mni_iter: 2}",
            &["early_terminate", "unknown field `mni_iter`"],
        ),
    ];
    for (value, parts) in cases {
        let message = error(&format!("{HEAD}early_terminate: {value}\n"));
        assert_mentions(&message, parts);
        assert_mentions(&message, &["t.yaml"]);
    }
}

#[test]
fn early_terminate_changes_the_fingerprint_and_its_absence_does_not() {
    let plain = parse(HEAD);
    let json = serde_json::to_string(&plain).expect("serializable");
    assert!(
        !json.contains("early_terminate"),
        "a sweep without early_terminate serializes as before: {json}"
    );
    let early = parse(&format!(
        "{HEAD}early_terminate: {{type: hyperband, min_iter: 3}}\n"
    ));
    assert_ne!(plain.fingerprint(), early.fingerprint());
    let spelled = parse(&format!(
        "{HEAD}early_terminate: {{type: hyperband, min_iter: 3, eta: 3.0, strict: true}}\n"
    ));
    assert_eq!(early.fingerprint(), spelled.fingerprint());
}
