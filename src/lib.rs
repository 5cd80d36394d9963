//! `sweep`: hyperparameter sweeps of sequence-to-expression models, recorded in SQLite.
//!
//! Data flows one way (DESIGN.md): `data` reads and caches DREAM files, `model` is the
//! network, `train` runs one trial, `cli` is the command line on top.

mod atomic_file;
pub mod backend;
pub mod cli;
pub mod data;
pub mod model;
pub mod report;
pub mod store;
pub mod train;
