//! Environments: specs, rapier worlds, vectorized stepping, and the `State` view.

mod build;
mod error;
pub mod gym;
pub mod spec;
pub mod state;
pub mod train_spec;
pub mod vec_env;
pub mod world;

pub use error::EnvError;
pub use gym::{
    ActionSpace, BoxSpace, CompiledSpec, DiscreteSpace, Env, EnvSnapshot, ObsBlock, StepFlags,
};
pub use spec::{AssetRoots, EnvSpec};
pub use state::{BodyState, JointInfo, JointKind, JointState, State, StateLayout, TaskParamInfo};
pub use vec_env::{StepBatch, VecEnv};
pub use world::World;
