//! `sweep`: hyperparameter sweeps of sequence-to-expression models, recorded in SQLite.
//!
//! Data flows one way (DESIGN.md): `data` reads and caches DREAM files, `model` is the
//! network, `train` runs one trial, `spec` reads a sweep file and `search` turns it into
//! the list of trials, `cli` is the command line on top.

mod atomic_file;
pub mod backend;
pub mod cli;
pub mod data;
pub mod model;
pub mod search;
mod seeds;
pub mod spec;
pub mod train;
