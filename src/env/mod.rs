//! Environments: specs, rapier worlds, vectorized stepping, and the `State` view.

mod error;
pub mod spec;
pub mod state;

pub use error::EnvError;
pub use spec::{AssetRoots, EnvSpec};
pub use state::{BodyState, JointInfo, JointKind, JointState, State, StateLayout, TaskParamInfo};
