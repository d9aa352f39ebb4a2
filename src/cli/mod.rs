//! Subcommand implementations (thin: argument handling and printing only).

pub mod batch;
pub mod envs;
pub mod frames;
pub mod reward;
pub mod rollout;
pub mod train;
