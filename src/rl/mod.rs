//! Reinforcement learning: PPO and SAC on vectorised envs with any `Reward`. PPO's
//! networks train on burn; SAC's on the hand-written CPU kernels of [`nn`]; both act on
//! the host.

pub mod driver;
pub mod error;
pub mod gae;
pub mod gaussian;
pub mod nn;
pub mod normalize;
pub mod policy;
pub mod ppo;
pub mod rng_state;
pub mod sac;
pub mod stats;

pub use driver::{EnvDriver, Episode};
pub use error::RlError;
pub use ppo::{Ppo, PpoConfig};
pub use sac::{Sac, SacConfig};
pub use stats::UpdateStats;

use serde::{Deserialize, Serialize};
use std::path::Path;

use crate::env::ActionSpace;
use normalize::RunningMeanStd;
use policy::HostMlp;

/// A deterministic policy on the host: observation normalizer plus actor network (what
/// `eval` runs and `actor.json` holds).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Actor {
    /// The actor network: outputs the action mean (PPO) or mean and log-std (SAC).
    pub net: HostMlp,
    /// Observation statistics, when observations are normalized.
    pub obs_rms: Option<RunningMeanStd>,
    /// Clip of normalized observations.
    pub clip_obs: f64,
    /// Squash the mean through tanh into the action bounds (SAC); else clip (PPO).
    pub squash: bool,
    /// Map the mean from [-1, 1] onto the action bounds (PPO's `rescale_actions`).
    #[serde(default)]
    pub rescale: bool,
    /// The network outputs logits over a Discrete space's actions (PPO's categorical
    /// head); the deterministic action is their argmax.
    #[serde(default)]
    pub discrete: bool,
}

impl Actor {
    /// Why this policy cannot act in `space`, if it cannot (a discrete policy in a Box
    /// space, or an output width that does not match).
    pub fn mismatch(&self, space: &ActionSpace) -> Option<String> {
        let w = self.net.out_dim();
        match space {
            ActionSpace::Box(b) if self.discrete => Some(format!(
                "the policy picks discrete actions, but the env's action space is Box({})",
                b.dim()
            )),
            ActionSpace::Box(b) if w < b.dim() => Some(format!(
                "the policy outputs {w} action components, the env takes {}",
                b.dim()
            )),
            ActionSpace::Discrete(d) if !self.discrete => Some(format!(
                "the policy outputs continuous actions, but the env's action space is Discrete({})",
                d.n()
            )),
            ActionSpace::Discrete(d) if w != d.n() => Some(format!(
                "the policy picks among {w} actions, the env's action space is Discrete({})",
                d.n()
            )),
            _ => None,
        }
    }

    /// Deterministic env actions (flat, see [`ActionSpace`]) for a batch of raw
    /// observations: the clipped or squashed mean in a Box, the most likely action in a
    /// Discrete space. The policy must fit `space` (see [`Actor::mismatch`]).
    pub fn act(&self, obs: &[f32], obs_dim: usize, space: &ActionSpace) -> Vec<f64> {
        let out = match &self.obs_rms {
            Some(r) => {
                let mut n = obs.to_vec();
                r.normalize_into(obs, self.clip_obs, &mut n);
                self.net.forward_batch(&n, obs_dim)
            }
            None => self.net.forward_batch(obs, obs_dim),
        };
        let w = self.net.out_dim();
        let space = match space {
            ActionSpace::Box(b) => b,
            ActionSpace::Discrete(_) => {
                return out
                    .chunks_exact(w)
                    .map(|row| {
                        // First maximum, so ties break the same way every time.
                        let best = row
                            .iter()
                            .enumerate()
                            .fold(0, |k, (i, &x)| if x > row[k] { i } else { k });
                        best as f64
                    })
                    .collect();
            }
        };
        let a = space.dim();
        let mut acts = Vec::with_capacity(out.len() / w.max(1) * a);
        for row in out.chunks_exact(w) {
            for (k, &m) in row[..a].iter().enumerate() {
                let (lo, hi) = (space.low[k], space.high[k]);
                acts.push(box_action(m as f64, lo, hi, self.box_map()));
            }
        }
        acts
    }
}

impl Actor {
    /// How this policy's output becomes a Box action.
    fn box_map(&self) -> BoxMap {
        match (self.squash, self.rescale) {
            (true, _) => BoxMap::Squash,
            (false, true) => BoxMap::Rescale,
            (false, false) => BoxMap::Clip,
        }
    }
}

/// How a policy's raw output for one Box component becomes an env action.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum BoxMap {
    /// Clip to the bounds (CleanRL's PPO).
    Clip,
    /// Clip to [-1, 1], then map affinely onto the bounds.
    Rescale,
    /// tanh into (-1, 1), then map affinely onto the bounds (SAC).
    Squash,
}

/// The env action for raw policy output `x` in a Box component `[lo, hi]`.
pub(crate) fn box_action(x: f64, lo: f64, hi: f64, map: BoxMap) -> f64 {
    let onto = |u: f64| (hi + lo) / 2.0 + u * (hi - lo) / 2.0;
    match map {
        BoxMap::Clip => x.clamp(lo, hi),
        BoxMap::Rescale => onto(x.clamp(-1.0, 1.0)),
        BoxMap::Squash => onto(x.tanh()),
    }
}

/// Write a learner's checkpoint state to `path` as pretty JSON.
pub(crate) fn write_state<T: Serialize>(
    path: std::path::PathBuf,
    state: &T,
) -> Result<(), RlError> {
    let json = serde_json::to_vec_pretty(state).map_err(RlError::encode(path.clone()))?;
    std::fs::write(&path, json).map_err(RlError::io("writing", path))
}

/// Read back what [`write_state`] wrote.
pub(crate) fn read_state<T: serde::de::DeserializeOwned>(
    path: std::path::PathBuf,
) -> Result<T, RlError> {
    let bytes = std::fs::read(&path).map_err(RlError::io("reading", path.clone()))?;
    serde_json::from_slice(&bytes).map_err(|e| RlError::Decode {
        path,
        source: e.into(),
    })
}

/// What the training loop needs from an algorithm.
pub trait Learner {
    /// Collect experience from `drv` and update; one metrics line per call.
    fn iterate(&mut self, drv: &mut EnvDriver) -> Result<UpdateStats, RlError>;
    /// Iterations done.
    fn update(&self) -> u64;
    /// Env steps done.
    fn global_step(&self) -> u64;
    /// Whether the run is complete.
    fn done(&self) -> bool;
    /// Env steps per iteration.
    fn steps_per_iteration(&self) -> usize;
    /// Write networks, optimizers and state into `dir`.
    fn save(&self, dir: &Path) -> Result<(), RlError>;
    /// Restore what `save` wrote.
    fn load(&mut self, dir: &Path) -> Result<(), RlError>;
    /// The deterministic policy.
    fn actor(&self) -> Actor;
}

impl Learner for Ppo {
    fn iterate(&mut self, drv: &mut EnvDriver) -> Result<UpdateStats, RlError> {
        Ppo::iterate(self, drv)
    }
    fn update(&self) -> u64 {
        self.update
    }
    fn global_step(&self) -> u64 {
        self.global_step
    }
    fn done(&self) -> bool {
        Ppo::done(self)
    }
    fn steps_per_iteration(&self) -> usize {
        self.cfg.batch_size()
    }
    fn save(&self, dir: &Path) -> Result<(), RlError> {
        Ppo::save(self, dir)
    }
    fn load(&mut self, dir: &Path) -> Result<(), RlError> {
        Ppo::load(self, dir)
    }
    fn actor(&self) -> Actor {
        Ppo::actor(self)
    }
}

#[cfg(test)]
mod tests {
    use super::{BoxMap, box_action};

    #[test]
    fn box_actions_reach_the_bounds_each_way() {
        let (lo, hi) = (0.0, 0.03);
        let at = |x, map| box_action(x, lo, hi, map);
        // Rescale: [-1, 1] spans the bounds, the centre maps to the middle, and raw
        // outputs beyond ±1 stay on the bounds.
        assert_eq!(at(-1.0, BoxMap::Rescale), lo);
        assert_eq!(at(1.0, BoxMap::Rescale), hi);
        assert!((at(0.0, BoxMap::Rescale) - 0.015).abs() < 1e-12);
        assert_eq!(at(7.0, BoxMap::Rescale), hi);
        assert_eq!(at(-7.0, BoxMap::Rescale), lo);
        // Clip acts in env units; squash approaches the bounds without reaching them.
        assert_eq!(at(0.02, BoxMap::Clip), 0.02);
        assert_eq!(at(-1.0, BoxMap::Clip), lo);
        let s = at(3.0, BoxMap::Squash);
        assert!(s < hi && s > 0.0299, "{s}");
    }
}
