//! rewardsmith: reward synthesis for robot learning.
//!
//! Environments are data (`envs/*.toml`) simulated in rapier3d ([`env`]); rewards are
//! sandboxed programs or model scores ([`reward`]); frames of the env camera come from
//! [`render`]; [`mpc`] acts on a reward program at once by predictive sampling; with
//! the `viewer` feature, `viewer` shows them live in a bevy window.

pub mod builtin;
pub mod device;
pub mod env;
pub mod error;
pub mod exec;
pub mod fs;
pub mod mpc;
pub mod render;
pub mod reward;
pub mod rl;
pub mod run;
pub mod synth;
#[cfg(feature = "viewer")]
pub mod viewer;
