//! `sweep`: hyperparameter sweeps of sequence-to-expression models, recorded in SQLite (or
//! PostgreSQL, for sweeps spread over a cluster).
//!
//! Data flows one way (DESIGN.md): `spec` reads a sweep file and `search` turns it into the
//! list of trials; `store` is the run database, the single source of truth; `orchestrate`
//! runs workers that claim trials and train them with `train` (the loop), `model` (the
//! network) and `data` (DREAM files, cached), and `prune` decides at the rungs of a sweep
//! with `early_terminate` whether a trial trains on; `report` turns the store into
//! leaderboards and other views; `evaluate` scores a file of predictions against measured
//! expression; `cli` is the command line on top.

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
