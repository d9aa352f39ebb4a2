//! Proximal Policy Optimization, after CleanRL's `ppo_continuous_action.py` (Huang et
//! al., 2022) with Stable-Baselines3's `VecNormalize` observation/reward normalization and
//! its bootstrapping of truncated episodes. The action space picks the policy head: a
//! diagonal Gaussian for a Box, a categorical over logits for a Discrete space (CleanRL's
//! `ppo.py`); everything else is shared.
//!
//! One rollout of `n_steps × n_envs` transitions, then `update_epochs` passes over it in
//! `n_minibatches` shuffled minibatches: clipped surrogate objective, (optionally clipped)
//! value loss, entropy bonus, global gradient-norm clipping, Adam with linear LR annealing.
//! Acting runs on the host copy of the networks ([`crate::rl::policy::HostPolicy`]);
//! updates run on burn.

mod config;
mod learn;
mod rollout;

use burn::optim::{AdamConfig, ModuleOptimizer};
use burn::prelude::*;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};
use std::path::Path;

pub use config::PpoConfig;

use crate::env::ActionSpace;
use crate::rl::driver::EnvDriver;
use crate::rl::normalize::RunningMeanStd;
use crate::rl::policy::{ActorCritic, Head};
use crate::rl::rng_state::RngState;
use crate::rl::{Actor, BoxMap, RlError, UpdateStats, read_state, write_state};
use learn::explained_variance;

/// The saved non-tensor state of a `Ppo` (tensors go to burn records).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PpoState {
    obs_rms: RunningMeanStd,
    ret_rms: RunningMeanStd,
    returns: Vec<f64>,
    rng: RngState,
    /// Updates done.
    pub update: u64,
    /// Env steps done.
    pub global_step: u64,
}

/// PPO: networks, optimizer, normalizers, RNG and counters.
pub struct Ppo {
    /// Hyperparameters.
    pub cfg: PpoConfig,
    device: Device,
    model: ActorCritic,
    optim: ModuleOptimizer,
    /// Observation statistics.
    pub obs_rms: RunningMeanStd,
    ret_rms: RunningMeanStd,
    returns: Vec<f64>,
    rng: ChaCha8Rng,
    /// Updates done.
    pub update: u64,
    /// Env steps done.
    pub global_step: u64,
    obs_dim: usize,
    /// The action space acted in.
    space: ActionSpace,
    /// Gaussian (Box) or categorical (Discrete) policy.
    head: Head,
    /// Actor outputs: the Box dimension, or the number of discrete actions.
    out_dim: usize,
}

impl Ppo {
    /// Fresh networks and optimizer on `device` (an autodiff device), seeded by `seed`,
    /// with the policy head that `space` calls for.
    pub fn new(
        cfg: PpoConfig,
        obs_dim: usize,
        space: &ActionSpace,
        seed: u64,
        device: Device,
    ) -> Result<Self, RlError> {
        cfg.validate()?;
        let (head, out_dim) = match space {
            ActionSpace::Box(b) if cfg.state_dependent_std => (Head::StateGaussian, b.dim()),
            ActionSpace::Box(b) => (Head::Gaussian, b.dim()),
            ActionSpace::Discrete(d) => (Head::Categorical, d.n()),
        };
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        // One stream: the initial weights, then the policy noise and minibatch shuffles.
        let model = ActorCritic::new(
            obs_dim,
            out_dim,
            head,
            &cfg.hidden,
            cfg.activation,
            cfg.log_std_init,
            &mut rng,
            &device,
        );
        let optim = AdamConfig::new().with_epsilon(cfg.adam_eps as f32).init();
        Ok(Self {
            obs_rms: RunningMeanStd::new(obs_dim),
            ret_rms: RunningMeanStd::new(1),
            returns: vec![0.0; cfg.n_envs],
            cfg,
            device,
            model,
            optim,
            rng,
            update: 0,
            global_step: 0,
            obs_dim,
            space: space.clone(),
            head,
            out_dim,
        })
    }

    /// The networks.
    pub fn model(&self) -> &ActorCritic {
        &self.model
    }

    /// Whether the run is complete.
    pub fn done(&self) -> bool {
        self.update >= self.cfg.num_updates()
    }

    /// Normalize observations with the current statistics (identity if disabled).
    pub fn normalize_obs(&self, obs: &[f32]) -> Vec<f32> {
        let mut out = obs.to_vec();
        if self.cfg.norm_obs {
            self.obs_rms
                .normalize_into(obs, self.cfg.clip_obs, &mut out);
        }
        out
    }

    /// How a Gaussian sample becomes an action in the bounds.
    fn box_map(&self) -> BoxMap {
        if self.cfg.squash_actions {
            BoxMap::Squash
        } else if self.cfg.rescale_actions {
            BoxMap::Rescale
        } else {
            BoxMap::Clip
        }
    }

    /// Collect one rollout from `drv` and update the networks on it.
    pub fn iterate(&mut self, drv: &mut EnvDriver) -> Result<UpdateStats, RlError> {
        let t0 = std::time::Instant::now();
        let batch = self.collect(drv)?;
        let rollout_s = t0.elapsed().as_secs_f64();

        let t1 = std::time::Instant::now();
        let (lr, clip) = self.cfg.schedule(self.update);
        let mut stats = self.learn(&batch, (lr, clip))?;
        stats.explained_var = explained_variance(&batch.val, &batch.ret);
        stats.lr = lr;
        stats.rollout_s = rollout_s;
        stats.update_s = t1.elapsed().as_secs_f64();
        self.update += 1;
        Ok(stats)
    }

    /// Write the networks, optimizer and state into `dir` (which must exist).
    pub fn save(&self, dir: &Path) -> Result<(), RlError> {
        self.model
            .clone()
            .into_record()
            .save(dir.join("model.bpk"))
            .map_err(RlError::record("saving", "model"))?;
        self.optim
            .save(dir.join("optim.bpk"))
            .map_err(RlError::record("saving", "optimizer"))?;
        let state = PpoState {
            obs_rms: self.obs_rms.clone(),
            ret_rms: self.ret_rms.clone(),
            returns: self.returns.clone(),
            rng: RngState::of(&self.rng),
            update: self.update,
            global_step: self.global_step,
        };
        write_state(dir.join("ppo.json"), &state)
    }

    /// Restore what [`Ppo::save`] wrote (onto a `Ppo` built with the same config).
    pub fn load(&mut self, dir: &Path) -> Result<(), RlError> {
        let file = dir.join("model.bpk");
        let rec = burn::store::ModuleRecord::load(&file)
            .map_err(RlError::record("loading", &file.display().to_string()))?;
        self.model = self
            .model
            .clone()
            .try_load_record(rec)
            .map_err(RlError::record("loading", "model"))?;
        let optim = AdamConfig::new()
            .with_epsilon(self.cfg.adam_eps as f32)
            .init();
        self.optim = optim
            .load(dir.join("optim.bpk"))
            .map_err(RlError::record("loading", "optimizer"))?;
        let state: PpoState = read_state(dir.join("ppo.json"))?;
        self.obs_rms = state.obs_rms;
        self.ret_rms = state.ret_rms;
        self.returns = state.returns;
        self.rng = state.rng.rng();
        self.update = state.update;
        self.global_step = state.global_step;
        Ok(())
    }

    /// The host copy of the networks and the observation normalizer, for acting.
    pub fn actor(&self) -> Actor {
        Actor {
            net: self.model.to_host(self.head).actor().clone(),
            obs_rms: self.cfg.norm_obs.then(|| self.obs_rms.clone()),
            clip_obs: self.cfg.clip_obs,
            squash: self.cfg.squash_actions,
            rescale: self.cfg.rescale_actions,
            discrete: self.head == Head::Categorical,
        }
    }
}
