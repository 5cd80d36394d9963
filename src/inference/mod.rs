//! Using a sweep's trained models: predictions of a trial for a file of sequences
//! ([`predict`]) and their scores against measured expression ([`evaluate`]).

pub mod evaluate;
pub mod predict;
