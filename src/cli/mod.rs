//! Subcommand implementations (thin: argument handling and printing only).

pub mod batch;
pub mod envs;
pub mod frames;
pub mod models;
pub mod reward;
pub mod rollout;
pub mod synth;
pub mod train;
