//! Program sweeps: W&B's `program`/`command` and macros, value formatting as W&B's agent does
//! it, open parameter rules, W&B's parameter forms, and the errors.

use std::time::Duration;

use crate::search::plan;
use crate::spec::*;
use crate::train::params::BuiltIn;

/// A program sweep's first lines.
const PROGRAM: &str = "name: p\nmethod: grid\nprogram: train.py\n";

fn parse(text: &str) -> Spec {
    match Spec::parse(text, "p.yaml", &BuiltIn) {
        Ok(spec) => spec,
        Err(e) => panic!("the test spec is valid, but: {e}"),
    }
}

fn error(text: &str) -> String {
    match Spec::parse(text, "p.yaml", &BuiltIn) {
        Err(e) => e.to_string(),
        Ok(_) => "parsed".to_string(),
    }
}

fn assert_mentions(message: &str, parts: &[&str]) {
    for part in parts {
        assert!(message.contains(part), "`{part}` not in: {message}");
    }
}

fn set(pairs: &[(&str, ParamValue)]) -> ParamSet {
    ParamSet(
        pairs
            .iter()
            .map(|(name, value)| (name.to_string(), value.clone()))
            .collect(),
    )
}

/// `spec`'s command for `params`, with `python3`, `/abs/train.py`, `/t/args.json`, and an
/// environment holding only `HOME=/home/u`.
fn argv(spec: &Spec, params: &ParamSet) -> Vec<String> {
    let program = spec.program.as_ref().expect("a program sweep");
    let ctx = CommandContext {
        interpreter: "python3",
        program: program.program.as_ref().map(|_| Path::new("/abs/train.py")),
        params,
        args_json_file: Path::new("/t/args.json"),
    };
    program.argv_with_env(&ctx, &|name| {
        (name == "HOME").then(|| "/home/u".to_string())
    })
}

// ---------------------------------------------------------------------------------------
// Formatting as W&B's agent does (Python's str() and json.dumps).

#[test]
fn floats_print_as_python_repr() {
    // Each right-hand side is what CPython 3 prints for repr(x) (and str(x)).
    let cases: &[(f64, &str)] = &[
        (0.001, "0.001"),
        (1e-05, "1e-05"),
        (100.0, "100.0"),
        (1e16, "1e+16"),
        (1e15, "1000000000000000.0"),
        (1234567890123456.0, "1234567890123456.0"),
        (12345678901234567.0, "1.2345678901234568e+16"),
        (0.0001, "0.0001"),
        (9.999e-5, "9.999e-05"),
        (0.1, "0.1"),
        (1.5, "1.5"),
        (-2.5e-7, "-2.5e-07"),
        (3e6, "3000000.0"),
        (1e22, "1e+22"),
        (1.2345e20, "1.2345e+20"),
        (2.0 / 3.0, "0.6666666666666666"),
        (0.1 + 0.2, "0.30000000000000004"),
        (-0.0, "-0.0"),
        (0.0, "0.0"),
        (5e-324, "5e-324"),
        (f64::MAX, "1.7976931348623157e+308"),
        (123.456, "123.456"),
        (f64::NAN, "nan"),
        (f64::INFINITY, "inf"),
        (f64::NEG_INFINITY, "-inf"),
    ];
    for (x, python) in cases {
        assert_eq!(python_float(*x), *python, "repr({x:e})");
    }
}

#[test]
fn values_print_as_python_str() {
    assert_eq!(python_str(&ParamValue::Bool(true)), "True");
    assert_eq!(python_str(&ParamValue::Bool(false)), "False");
    assert_eq!(python_str(&ParamValue::Int(-42)), "-42");
    assert_eq!(python_str(&ParamValue::Float(1e-3)), "0.001");
    assert_eq!(python_str(&ParamValue::Float(64.0)), "64.0");
    assert_eq!(python_str(&ParamValue::Text("adam w".into())), "adam w");
}

#[test]
fn args_json_is_pythons_json_dumps() {
    let params = set(&[
        ("a", ParamValue::Int(1)),
        ("b", ParamValue::Float(0.001)),
        ("c", ParamValue::Bool(true)),
        ("d", ParamValue::Text("é\"\\\n\u{7f}😀".into())),
        ("e", ParamValue::Float(f64::NAN)),
        ("f", ParamValue::Float(f64::INFINITY)),
        ("g", ParamValue::Float(f64::NEG_INFINITY)),
        ("h", ParamValue::Float(1e-5)),
    ]);
    // python3 -c 'import json; print(json.dumps({...}))'
    assert_eq!(
        args_json(&params),
        r#"{"a": 1, "b": 0.001, "c": true, "d": "\u00e9\"\\\n\u007f\ud83d\ude00", "e": NaN, "f": Infinity, "g": -Infinity, "h": 1e-05}"#
    );
    assert_eq!(args_json(&ParamSet::default()), "{}");
}

// ---------------------------------------------------------------------------------------
// The command and its macros.

#[test]
fn the_default_command_is_wandbs() {
    let spec = parse(&format!(
        "{PROGRAM}parameters:\n  lr: {{values: [0.001]}}\n  epochs: {{value: 10}}\n  \
         augment: {{value: true}}\n"
    ));
    assert!(spec.is_program());
    let program = spec.program.as_ref().expect("a program");
    assert_eq!(program.program.as_deref(), Some(Path::new("train.py")));
    let words: Vec<&str> = program
        .command
        .iter()
        .map(CommandWord::as_written)
        .collect();
    assert_eq!(words, DEFAULT_COMMAND);
    assert_eq!(
        (program.stdout_metrics, program.wandb, program.stop_grace),
        (false, true, Duration::from_secs(30))
    );
    assert!(!program.needs_args_json_file());
    let trials = plan(&spec);
    assert_eq!(trials.len(), 1);
    // Parameters come in name order (the ParamSet's); W&B's come in the order its server sends.
    assert_eq!(
        argv(&spec, &trials[0].params),
        [
            "/usr/bin/env",
            "python3",
            "/abs/train.py",
            "--augment=True",
            "--epochs=10",
            "--lr=0.001"
        ]
    );
}

#[test]
fn every_macro_expands_as_wandbs_agent_does() {
    let spec = parse(
        "name: p\nmethod: grid\nprogram: train.py\ncommand:\n  - ${env}\n  - ${interpreter}\n  \
         - ${program}\n  - ${args}\n  - --\n  - ${args_no_hyphens}\n  - --\n  \
         - ${args_no_boolean_flags}\n  - --\n  - ${args_no_equals}\n  - --\n  \
         - ${args_append_hydra}\n  - ${args_override_hydra}\n  - ${args_json}\n  \
         - ${args_json_file}\n  - --home=${envvar:HOME}/x\n  - ${envvar:UNSET_VAR}\n  \
         - --lr=${lr}\n  - 3\n  - 0.5\n  - true\n",
    );
    let program = spec.program.as_ref().expect("a program");
    assert!(program.needs_args_json_file());
    let params = set(&[
        ("amp", ParamValue::Bool(false)),
        ("bn", ParamValue::Bool(true)),
        ("lr", ParamValue::Float(1e-5)),
        ("opt", ParamValue::Text("adam".into())),
    ]);
    let expected = [
        "/usr/bin/env",
        "python3",
        "/abs/train.py",
        // ${args}
        "--amp=False",
        "--bn=True",
        "--lr=1e-05",
        "--opt=adam",
        "--",
        // ${args_no_hyphens}
        "amp=False",
        "bn=True",
        "lr=1e-05",
        "opt=adam",
        "--",
        // ${args_no_boolean_flags}: false left out, true a bare flag
        "--bn",
        "--lr=1e-05",
        "--opt=adam",
        "--",
        // ${args_no_equals}
        "--amp",
        "False",
        "--bn",
        "True",
        "--lr",
        "1e-05",
        "--opt",
        "adam",
        "--",
        // ${args_append_hydra}, ${args_override_hydra}
        "+amp=False",
        "+bn=True",
        "+lr=1e-05",
        "+opt=adam",
        "++amp=False",
        "++bn=True",
        "++lr=1e-05",
        "++opt=adam",
        // ${args_json}: one word
        r#"{"amp": false, "bn": true, "lr": 1e-05, "opt": "adam"}"#,
        // ${args_json_file}
        "/t/args.json",
        // ${envvar:NAME} inside a word; an unset one leaves its name, as W&B does
        "--home=/home/u/x",
        "UNSET_VAR",
        // not a whole-word macro: literal, as in W&B
        "--lr=${lr}",
        // numbers and booleans are words, as Python's str() writes them
        "3",
        "0.5",
        "True",
    ];
    assert_eq!(argv(&spec, &params), expected);
}

#[test]
fn command_words_read_back_as_written() {
    for word in DEFAULT_COMMAND.iter().chain(&[
        "${args_no_hyphens}",
        "${args_no_boolean_flags}",
        "${args_no_equals}",
        "${args_append_hydra}",
        "${args_override_hydra}",
        "${args_json}",
        "${args_json_file}",
        "--flag",
        "${envvar:CUDA_VISIBLE_DEVICES}",
    ]) {
        let parsed = CommandWord::parse(word).expect("a known word");
        assert_eq!(parsed.as_written(), *word);
    }
    assert_eq!(
        CommandWord::parse("${args}"),
        Ok(CommandWord::Args),
        "a macro is not a literal"
    );
    assert!(CommandWord::parse("${envvar:lower}").is_err());
}

#[test]
fn a_command_without_program_runs_what_it_names() {
    let spec = parse(
        "name: p\nmethod: grid\ncommand: [bash, run.sh, \"${args_no_hyphens}\"]\n\
         parameters:\n  lr: {value: 0.01}\n",
    );
    assert!(spec.is_program());
    let program = spec.program.as_ref().expect("a program");
    assert_eq!(program.program, None);
    assert!(!program.uses_program());
    assert_eq!(
        argv(&spec, &plan(&spec)[0].params),
        ["bash", "run.sh", "lr=0.01"]
    );
}

#[test]
fn program_keys_are_read() {
    let spec = parse(&format!(
        "{PROGRAM}stdout_metrics: true\nwandb: false\nstop_grace: 2.5\n"
    ));
    let program = spec.program.expect("a program");
    assert!(program.stdout_metrics);
    assert!(!program.wandb);
    assert_eq!(program.stop_grace, Duration::from_millis(2500));
    let whole = parse(&format!("{PROGRAM}stop_grace: 5\n"));
    assert_eq!(
        whole.program.map(|p| p.stop_grace),
        Some(Duration::from_secs(5))
    );
}

#[test]
fn command_errors_name_the_word() {
    let cases: &[(&str, &[&str])] = &[
        (
            "command: ['${env}', '${interpreter}', '${argz}']",
            &["p.yaml: command[2]:", "unknown macro `${argz}`", "${args}"],
        ),
        (
            "command: [python, '${program}']",
            &["command[1]:", "`${program}` needs `program: SCRIPT`"],
        ),
        ("command: []", &["command:", "empty", "${env}"]),
        ("command: [python, [a]]", &["command[1]:", "not a list"]),
        ("command: [python, ~]", &["command[1]:", "null"]),
        ("command: python train.py", &["command", "sequence"]),
        ("program: ''", &["p.yaml: program:", "empty"]),
        ("program: [a]", &["program", "string"]),
    ];
    for (lines, parts) in cases {
        assert_mentions(&error(&format!("name: p\nmethod: grid\n{lines}\n")), parts);
    }
}

#[test]
fn program_only_keys_need_a_program() {
    let head = "name: t\nmethod: grid\ndata: {train: x}\n";
    for line in ["stdout_metrics: true", "wandb: false", "stop_grace: 10"] {
        let key = line.split(':').next().unwrap_or_default();
        assert_mentions(
            &error(&format!("{head}{line}\n")),
            &[&format!("p.yaml: {key}:"), "program", "remove"],
        );
    }
    let cases: &[(&str, &[&str])] = &[
        ("stop_grace: 0", &["stop_grace:", "above 0", "got 0"]),
        ("stop_grace: -3", &["stop_grace:", "above 0"]),
        ("stop_grace: .inf", &["stop_grace:", "above 0"]),
        ("stop_grace: 1e300", &["stop_grace:", "too long"]),
        ("stop_grace: 30s", &["stop_grace", "expected a number"]),
        ("wandb: maybe", &["wandb", "boolean"]),
        ("stdout_metrics: 1", &["stdout_metrics", "boolean"]),
    ];
    for (line, parts) in cases {
        assert_mentions(&error(&format!("{PROGRAM}{line}\n")), parts);
    }
}

#[test]
fn a_program_refuses_training_and_needs_no_data() {
    assert_mentions(
        &error(&format!("{PROGRAM}training: {{max_epochs: 5}}\n")),
        &["p.yaml: training:", "program", "how long it trains"],
    );
    let bare = parse(PROGRAM);
    assert_eq!((bare.data.clone(), bare.training), (None, None));
    let with_data = parse(&format!("{PROGRAM}data: {{train: d.txt}}\n"));
    assert_eq!(
        with_data.data.map(|d| d.source),
        Some(DataSource::File(PathBuf::from("d.txt")))
    );
    assert_mentions(
        &error(&format!("{PROGRAM}data: {{}}\n")),
        &["data:", "missing `train"],
    );
    // Without a program, data stays required.
    assert_mentions(
        &error("name: t\nmethod: grid\n"),
        &["p.yaml: data:", "missing field `data`"],
    );
}

#[test]
fn a_grid_program_sweep_without_parameters_is_one_trial() {
    for text in [PROGRAM.to_string(), format!("{PROGRAM}parameters: {{}}\n")] {
        let spec = parse(&text);
        assert_eq!(spec.trial_count(), 1);
        let trials = plan(&spec);
        assert_eq!(trials.len(), 1);
        assert!(trials[0].params.0.is_empty());
        assert_eq!(
            argv(&spec, &trials[0].params),
            ["/usr/bin/env", "python3", "/abs/train.py"]
        );
    }
}

// ---------------------------------------------------------------------------------------
// Metric.

#[test]
fn a_program_ranks_by_any_metric() {
    let spec = parse(&format!(
        "{PROGRAM}metric: {{name: val_acc, goal: maximize}}\n"
    ));
    assert_eq!(spec.metric.name.as_str(), "val_acc");
    assert_eq!(spec.metric.goal, Goal::Maximize);
    // Default goal: minimize for other names (W&B's), the built-in five keep theirs.
    let other = parse(&format!("{PROGRAM}metric: {{name: epoch/val_loss}}\n"));
    assert_eq!(other.metric.goal, Goal::Minimize);
    let r2 = parse(&format!("{PROGRAM}metric: {{name: val_r2}}\n"));
    assert_eq!(r2.metric.goal, Goal::Maximize);
    assert_mentions(
        &error(&format!("{PROGRAM}metric: {{name: ''}}\n")),
        &["p.yaml: metric", "empty"],
    );
}

#[test]
fn a_program_without_metric_ranks_grid_and_random_by_loss() {
    let grid = parse(PROGRAM);
    assert_eq!(grid.metric.name.as_str(), PROGRAM_DEFAULT_METRIC);
    assert_eq!(grid.metric.goal, Goal::Minimize);
    let random = parse("name: p\nmethod: random\nrun_cap: 2\nprogram: t.py\n");
    assert_eq!(random.metric.name.as_str(), "loss");
    // W&B requires a metric for bayes and for early_terminate; so do we.
    assert_mentions(
        &error(
            "name: p\nmethod: bayes\nrun_cap: 2\nprogram: t.py\nparameters:\n  \
             lr: {min: 0.1, max: 0.2}\n",
        ),
        &["p.yaml: metric:", "bayes"],
    );
    assert_mentions(
        &error(&format!(
            "{PROGRAM}early_terminate: {{type: hyperband, min_iter: 3}}\n"
        )),
        &["p.yaml: metric:", "early_terminate"],
    );
    // The built-in model's default is unchanged.
    let built_in = parse("name: t\nmethod: grid\ndata: {train: x}\n");
    assert_eq!(built_in.metric, Metric::default());
}

#[test]
fn a_programs_early_terminate_is_not_bounded_by_max_epochs() {
    let spec = parse(&format!(
        "{PROGRAM}metric: {{name: val_loss}}\nearly_terminate: {{type: hyperband, min_iter: 300}}\n"
    ));
    assert_eq!(spec.max_step(), PROGRAM_MAX_STEP);
    assert_eq!(&spec.rungs()[..3], [300, 900, 2700]);
    let pruner = crate::search::hyperband::Pruner::of(&spec).expect("a pruner");
    assert_eq!(pruner.rungs(), spec.rungs());
    assert_mentions(
        &error(&format!(
            "{PROGRAM}metric: {{name: l}}\nearly_terminate: {{type: hyperband, max_iter: 2, s: 1}}\n"
        )),
        &["early_terminate:", "no rung"],
    );
    // The built-in model's stay below training.max_epochs.
    let built_in = parse(
        "name: t\nmethod: grid\ndata: {train: x}\ntraining: {max_epochs: 27}\n\
         early_terminate: {type: hyperband, min_iter: 3}\n",
    );
    assert_eq!(built_in.rungs(), [3, 9]);
}

// ---------------------------------------------------------------------------------------
// Parameters: open rules, W&B's forms.

#[test]
fn a_programs_parameters_take_any_name_with_an_inferred_kind() {
    let spec = parse(
        "name: p\nmethod: random\nrun_cap: 5\nprogram: t.py\nparameters:\n  \
         epochs: {values: [5, 10]}\n  lr: {values: [1, 0.5]}\n  opt: {values: [adam, sgd]}\n  \
         amp: {values: [true, false]}\n  mixed: {values: [1, a, true]}\n  \
         layers: {distribution: int_uniform, min: 1, max: 4}\n  \
         wd: {distribution: log_uniform_values, min: 1e-5, max: 1e-2}\n  \
         width: {distribution: q_uniform, min: 32, max: 256, q: 32}\n  \
         drop: {distribution: q_uniform, min: 0, max: 0.5, q: 0.1}\n  \
         decay: {distribution: q_uniform, min: 0, max: 4}\n  \
         batch: {distribution: q_log_uniform_values, min: 16, max: 512, q: 16}\n  \
         noise: {distribution: normal}\n  seed: {value: 3}\n  tag: {value: v1}\n  \
         'model/depth': {min: 2, max: 8}\n  momentum: {min: 0.8, max: 0.99}\n",
    );
    let kind = |name: &str| spec.kinds[name];
    for (name, expected) in [
        ("epochs", ParamKind::Whole),
        ("lr", ParamKind::Real),
        ("opt", ParamKind::Choice),
        ("amp", ParamKind::Flag),
        ("mixed", ParamKind::Choice),
        ("layers", ParamKind::Whole),
        ("wd", ParamKind::Real),
        ("width", ParamKind::Whole),
        ("drop", ParamKind::Real),
        // q defaults to 1.0, a float: W&B then returns floats.
        ("decay", ParamKind::Real),
        ("batch", ParamKind::Whole),
        ("noise", ParamKind::Real),
        ("seed", ParamKind::Whole),
        ("tag", ParamKind::Choice),
        ("model/depth", ParamKind::Whole),
        ("momentum", ParamKind::Real),
    ] {
        assert_eq!(kind(name), expected, "{name}");
    }
    assert_eq!(
        spec.parameters["lr"],
        ParamSpec::Categorical(vec![ParamValue::Float(1.0), ParamValue::Float(0.5)])
    );
    assert_eq!(
        spec.parameters["mixed"],
        ParamSpec::Categorical(vec![
            ParamValue::Int(1),
            ParamValue::Text("a".into()),
            ParamValue::Bool(true)
        ])
    );
    assert_eq!(
        spec.parameters["noise"],
        ParamSpec::Normal {
            mu: 0.0,
            sigma: 1.0
        }
    );
    assert_eq!(
        spec.parameters["model/depth"],
        ParamSpec::IntUniform { min: 2, max: 8 }
    );
    for trial in plan(&spec) {
        let p = &trial.params.0;
        assert!(matches!(p["width"], ParamValue::Int(w) if w % 32 == 0));
        assert!(matches!(p["batch"], ParamValue::Int(b) if b % 16 == 0));
        assert!(matches!(p["epochs"], ParamValue::Int(_)));
        assert!(matches!(p["momentum"], ParamValue::Float(_)));
    }
}

#[test]
fn a_programs_parameter_errors_name_the_key() {
    let cases: &[(&str, &[&str])] = &[
        ("  'a=b': {value: 1}", &["parameters.a=b", "--name=value"]),
        ("  'a b': {value: 1}", &["parameters.a b", "spaces"]),
        ("  lr: {values: []}", &["parameters.lr.values", "empty"]),
        (
            "  lr: {min: 0.1, max: 0.01}",
            &["parameters.lr.min", "above max"],
        ),
        ("  lr: {min: 0.1}", &["parameters.lr.max", "missing `max`"]),
        (
            "  lr: {mu: 0, sigma: 1}",
            &["parameters.lr.distribution", "`mu` needs a `distribution`"],
        ),
        (
            "  lr: {distribution: uniform, min: 0, max: 1}",
            &["parameters.lr.distribution", "grid", "continuous"],
        ),
        (
            "  amp: {values: [true, false], distribution: int_uniform}",
            &["parameters.amp.distribution", "categorical"],
        ),
        (
            "  n: {values: [1, 1.0]}",
            &["parameters.n.values[1]", "twice"],
        ),
        (
            "  n: {distribution: beta}",
            &["parameters.n.distribution", "unknown variant `beta`"],
        ),
    ];
    for (params, parts) in cases {
        let message = error(&format!("{PROGRAM}parameters:\n{params}\n"));
        assert_mentions(&message, parts);
        assert_mentions(&message, &["p.yaml"]);
    }
}

#[test]
fn min_and_max_alone_infer_the_distribution_as_wandb() {
    // Built-in model: whole bounds => int_uniform, else uniform; the same Spec as spelled out.
    let head = "name: t\nmethod: random\nrun_cap: 3\ndata: {train: x}\nparameters:\n";
    let inferred = parse(&format!(
        "{head}  lstm_units: {{min: 4, max: 8}}\n  learning_rate: {{min: 0.0001, max: 0.01}}\n  \
         dropout_lstm: {{min: 0, max: 0.5}}\n"
    ));
    let spelled = parse(&format!(
        "{head}  lstm_units: {{distribution: int_uniform, min: 4, max: 8}}\n  \
         learning_rate: {{distribution: uniform, min: 0.0001, max: 0.01}}\n  \
         dropout_lstm: {{distribution: uniform, min: 0, max: 0.5}}\n"
    ));
    assert_eq!(inferred, spelled);
    assert_eq!(inferred.fingerprint(), spelled.fingerprint());
    assert_eq!(
        inferred.parameters["lstm_units"],
        ParamSpec::IntUniform { min: 4, max: 8 }
    );
    assert_eq!(
        inferred.parameters["dropout_lstm"],
        ParamSpec::Uniform { min: 0.0, max: 0.5 }
    );
    // A program: `1.0` makes it uniform, as W&B's schema does.
    let program = parse(
        "name: p\nmethod: random\nrun_cap: 3\nprogram: t.py\nparameters:\n  \
         a: {min: 1, max: 8}\n  b: {min: 1.0, max: 8}\n  c: {min: 1, max: 8.0}\n",
    );
    assert_eq!(
        program.parameters["a"],
        ParamSpec::IntUniform { min: 1, max: 8 }
    );
    for name in ["b", "c"] {
        assert_eq!(
            program.parameters[name],
            ParamSpec::Uniform { min: 1.0, max: 8.0 }
        );
    }
}

#[test]
fn yaml_tags_give_numbers_of_their_type() {
    let spec = parse(
        "name: p\nmethod: random\nrun_cap: 3\nprogram: t.py\nparameters:\n  \
         a: {values: [!!float 1e-3, !!float 1]}\n  b: {value: !!int 3}\n  \
         c: {value: !!str 3}\n  d: {min: !!float 1, max: !!float 8}\n  \
         e: {min: !!int 1, max: 8}\n  f: {value: !!bool true}\n",
    );
    assert_eq!(
        spec.parameters["a"],
        ParamSpec::Categorical(vec![ParamValue::Float(0.001), ParamValue::Float(1.0)])
    );
    assert_eq!(spec.kinds["a"], ParamKind::Real);
    assert_eq!(
        spec.parameters["b"],
        ParamSpec::Constant(ParamValue::Int(3))
    );
    assert_eq!(
        spec.parameters["c"],
        ParamSpec::Constant(ParamValue::Text("3".into()))
    );
    assert_eq!(spec.kinds["c"], ParamKind::Choice);
    assert_eq!(
        spec.parameters["d"],
        ParamSpec::Uniform { min: 1.0, max: 8.0 }
    );
    assert_eq!(
        spec.parameters["e"],
        ParamSpec::IntUniform { min: 1, max: 8 }
    );
    assert_eq!(
        spec.parameters["f"],
        ParamSpec::Constant(ParamValue::Bool(true))
    );
    assert_mentions(
        &error(&format!(
            "{PROGRAM}parameters:\n  a: {{value: !!int 1.5}}\n"
        )),
        &["parameters", "an integer"],
    );
    // The built-in model reads tags too.
    let built_in = parse(
        "name: t\nmethod: grid\ndata: {train: x}\nparameters:\n  \
         learning_rate: {values: [!!float 1e-3]}\n  batch_size: {value: !!int 64}\n",
    );
    assert_eq!(
        built_in.parameters["learning_rate"],
        ParamSpec::Categorical(vec![ParamValue::Float(0.001)])
    );
}

#[test]
fn wandbs_value_and_categorical_forms_work() {
    let spec = parse(&format!(
        "{PROGRAM}parameters:\n  a: {{distribution: categorical, values: [x, y]}}\n  \
         b: {{values: [1, 2]}}\n  c: {{value: 0.5}}\n  d: {{distribution: constant, value: z}}\n"
    ));
    assert_eq!(
        spec.parameters["a"],
        ParamSpec::Categorical(vec![
            ParamValue::Text("x".into()),
            ParamValue::Text("y".into())
        ])
    );
    assert_eq!(
        spec.parameters["b"],
        ParamSpec::Categorical(vec![ParamValue::Int(1), ParamValue::Int(2)])
    );
    assert_eq!(
        spec.parameters["c"],
        ParamSpec::Constant(ParamValue::Float(0.5))
    );
    assert_eq!(
        spec.parameters["d"],
        ParamSpec::Constant(ParamValue::Text("z".into()))
    );
    assert_eq!(spec.trial_count(), 4);
}

#[test]
fn open_rules_check_values_by_kind() {
    let rules = OpenRules::new(
        [
            ("n".to_string(), ParamKind::Whole),
            ("x".to_string(), ParamKind::Real),
            ("f".to_string(), ParamKind::Flag),
        ]
        .into_iter()
        .collect(),
    );
    assert_eq!(rules.check("n", "3"), Ok(()));
    assert_eq!(rules.check("n", "3000000"), Ok(()));
    assert!(rules.check("n", "2.5").is_err());
    assert_eq!(rules.check("x", "1e-3"), Ok(()));
    assert!(rules.check("x", "inf").is_err());
    assert_eq!(rules.check("f", "true"), Ok(()));
    assert!(rules.check("f", "yes").is_err());
    // Any other name is a choice: any text.
    assert_eq!(rules.kind("other"), Some(ParamKind::Choice));
    assert_eq!(rules.check("other", "anything at all"), Ok(()));
    assert_eq!(rules.accepted_values("f").as_deref(), Some("true, false"));
    assert_eq!(rules.accepted_values("x"), None);
    assert!(rules.known().is_empty());
}

// ---------------------------------------------------------------------------------------
// W&B-only keys and fingerprints.

#[test]
fn wandb_only_keys_are_kept_and_named() {
    let plain = parse(PROGRAM);
    assert!(plain.wandb_only_keys().is_empty());
    let spec = parse(&format!(
        "{PROGRAM}project: promoters\nentity: lab\ndescription: a test\n"
    ));
    assert_eq!(spec.project.as_deref(), Some("promoters"));
    assert_eq!(spec.entity.as_deref(), Some("lab"));
    assert_eq!(spec.wandb_only_keys(), ["project", "entity"]);
    assert_eq!(spec.fingerprint(), plain.fingerprint());
    // The built-in model's sweeps accept them too.
    let built_in = parse("name: t\nmethod: grid\ndata: {train: x}\nentity: lab\n");
    assert_eq!(built_in.wandb_only_keys(), ["entity"]);
    assert_mentions(
        &error(&format!("{PROGRAM}project: [a]\n")),
        &["project", "string"],
    );
}

#[test]
fn a_program_sweeps_fingerprint_sees_its_command_not_its_grace() {
    let base = parse(PROGRAM);
    let json = serde_json::to_string(&base).expect("serializable");
    assert!(json.contains("\"program\""), "{json}");
    assert!(
        !json.contains("\"data\"") && !json.contains("\"training\""),
        "{json}"
    );
    assert_eq!(
        base.fingerprint(),
        parse(&format!("{PROGRAM}stop_grace: 5\n")).fingerprint()
    );
    assert_eq!(
        base.fingerprint(),
        parse(&format!(
            "{PROGRAM}command: [\"${{env}}\", \"${{interpreter}}\", \"${{program}}\", \"${{args}}\"]\n"
        ))
        .fingerprint(),
        "the default command spelled out"
    );
    for changed in [
        "name: p\nmethod: grid\nprogram: other.py\n".to_string(),
        format!("{PROGRAM}command: [python, \"${{program}}\", \"${{args}}\"]\n"),
        format!("{PROGRAM}stdout_metrics: true\n"),
        format!("{PROGRAM}wandb: false\n"),
    ] {
        assert_ne!(
            base.fingerprint(),
            parse(&changed).fingerprint(),
            "{changed}"
        );
    }
}

#[test]
fn every_shipped_sweep_keeps_its_fingerprint() {
    // Pinned at 3a0152d, before program sweeps: a stored sweep must accept its own file on
    // resume, so these may never change.
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("sweeps");
    let pinned = [
        ("bayes.yaml", "455acf9d6e81c320"),
        ("demo.yaml", "3c9cac61d7e1d6c5"),
        ("design-choices-small.yaml", "efe8cfb1b528f786"),
        ("design-choices.yaml", "bf961d4f78795109"),
        ("grid.yaml", "e49c907642c18be2"),
        ("hyperband.yaml", "0a4d40659399c2e7"),
        ("random.yaml", "9b0b2aa64c634a4c"),
    ];
    let mut shipped: Vec<String> = std::fs::read_dir(&dir)
        .expect("sweeps/ exists")
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .filter(|name| name.ends_with(".yaml"))
        .collect();
    shipped.sort();
    assert_eq!(
        shipped,
        pinned.map(|(file, _)| file.to_string()),
        "pin a new sweep file here"
    );
    for (file, fingerprint) in pinned {
        let (spec, _) = Spec::load(&dir.join(file), &BuiltIn).expect("a shipped file is valid");
        assert_eq!(spec.fingerprint(), fingerprint, "{file}");
        assert!(!spec.is_program() && spec.data.is_some() && spec.training.is_some());
    }
}
