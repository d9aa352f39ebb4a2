//! Reinforcement learning: PPO on vectorised envs with any `Reward`, networks on burn.

pub mod driver;
pub mod normalize;
pub mod policy;
pub mod ppo;

pub use driver::{EnvDriver, Episode};
pub use ppo::{Actor, Ppo, PpoConfig, UpdateStats};
