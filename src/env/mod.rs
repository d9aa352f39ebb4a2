//! Environments: specs, rapier worlds, vectorized stepping, and the `State` view.

pub mod actuation;
mod build;
pub mod check;
pub mod compile;
mod convert;
mod ee_control;
mod error;
pub mod gym;
mod mjcf;
pub mod registry;
mod robot;
pub mod space;
pub mod spec;
mod spec_base;
pub mod state;
pub mod train_spec;
mod urdf_check;
mod validate;
pub mod vec_env;
pub mod world;

pub use check::{CheckReport, check_env};
pub use compile::{CompiledSpec, ObsBlock};
pub use error::EnvError;
pub use gym::{Env, EnvSnapshot, StepFlags};
pub use registry::AssetRoots;
pub use space::{ActionSpace, BoxSpace, DiscreteSpace};
pub use spec::EnvSpec;
pub use state::{
    BodyState, JointInfo, JointKind, JointState, SiteInfo, State, StateLayout, SuccessSource,
    TaskParamInfo,
};
pub use vec_env::{StepBatch, VecEnv};
pub use world::World;
