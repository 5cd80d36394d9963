//! `sweep`: hyperparameter sweeps of sequence-to-expression models, recorded in SQLite (or
//! PostgreSQL, for sweeps spread over a cluster).
//!
//! The modules sit in layers and import only from their own layer or those below
//! (`tests/layers.rs` checks it), bottom to top:
//!
//! 1. leaves: `metric` (metric names, goals, an epoch's metrics, scores), `text` (tables and
//!    numbers for terminals), `seeds`, `atomic_file`, `choice`, `backend` (burn's devices);
//! 2. `spec`: the sweep file, validated, with its parameter values and the seams a trainer
//!    (`ParamRules`) and a rung rule (`RungRule`) plug into;
//! 3. `data` (DREAM files, cached), `model` (the network), `train` (the epoch loop);
//! 4. `search`: how a sweep chooses its trials (a `Sampler` per method) and the
//!    Hyperband/ASHA rule;
//! 5. `store`: the run database, the single source of truth; it persists what it is given;
//! 6. `runs`: the run folder (the database and the trial files beside it);
//! 7. `orchestrate` (the coordinator, workers, the `Trainer` seam, Slurm) and `inference`
//!    (predictions of a trained trial, scores against the truth);
//! 8. `report`: views of the store (leaderboards, status, importance, charts, the HTML
//!    report), and `ui`, the live dashboard that serves the same views over HTTP;
//! 9. `cli`: the command line, the only module that prints and picks exit codes.

mod atomic_file;
pub mod backend;
pub mod choice;
pub mod cli;
pub mod data;
pub mod inference;
pub mod metric;
pub mod model;
pub mod orchestrate;
pub mod report;
pub mod runs;
pub mod search;
mod seeds;
pub mod spec;
pub mod store;
mod text;
pub mod train;
pub mod ui;
