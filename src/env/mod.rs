//! Environments: specs, rapier worlds, vectorized stepping, and the `State` view.

mod build;
pub mod check;
mod ee_control;
mod error;
pub mod gym;
mod mjcf;
mod robot;
pub mod spec;
pub mod state;
pub mod vec_env;
pub mod world;

pub use check::{CheckReport, check_env};
pub use error::EnvError;
pub use gym::{
    ActionSpace, BoxSpace, CompiledSpec, DiscreteSpace, Env, EnvSnapshot, ObsBlock, StepFlags,
};
pub use spec::{AssetRoots, EnvSpec};
pub use state::{BodyState, JointInfo, JointKind, JointState, State, StateLayout, TaskParamInfo};
pub use vec_env::{StepBatch, VecEnv};
pub use world::World;
