//! The sweep file the orchestration tests share: a grid for the fake trainer (`--fake-trainer`),
//! one trial per learning rate.

/// A grid of `trials` learning rates, `epochs` epochs each (no early stopping).
pub fn fake_sweep(name: &str, trials: usize, epochs: usize) -> String {
    let rates: Vec<String> = (0..trials)
        .map(|i| format!("{}", 0.0005 + 0.0001 * i as f64))
        .collect();
    format!(
        "name: {name}
method: grid
parameters:
  learning_rate: {{values: [{}]}}
data:
  synthetic: {{rows: 100, seed: 1}}
training: {{max_epochs: {epochs}, patience: {epochs}}}
",
        rates.join(", ")
    )
}
