//! Model-predictive control with the reward program as the objective: MJPC's
//! predictive sampling over copies of the world (no training), and Language to Rewards
//! (Yu et al. 2023) on top of it — an LLM describes the motion, writes a program of
//! bounded reward terms with parameters, and the robot acts at once.
//!
//! - [`config`]: the `[mpc]` table of an env spec, CLI overrides, the defaults.
//! - [`spline`]: the control spline (zero-order, linear or cubic knots).
//! - [`planner`]: [`PredictiveSampling`], parallel rollouts on env snapshots.
//! - [`setup`], [`episode`], [`session`]: loading an env for the controller, running an
//!   episode, and `rewardsmith mpc`'s episodes and files.
//! - [`l2r`]: the two-stage LLM conversation (motion descriptor, reward coder).
//! - [`trainer`]: the controller as synth's fast `planner` trainer.

pub mod config;
pub mod episode;
mod error;
pub mod l2r;
pub mod planner;
pub mod session;
pub mod setup;
pub mod spline;
pub mod trainer;

pub use config::{Interpolation, MpcOverrides, MpcSpec, PlannerConfig};
pub use error::MpcError;
pub use planner::{PlanStats, PredictiveSampling};
pub use setup::MpcSetup;
pub use trainer::PlannerTrainer;
