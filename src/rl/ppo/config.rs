//! PPO's hyperparameters: defaults, the env's `[train]` overrides, schedules and checks.

use serde::{Deserialize, Serialize};

use crate::env::spec::TrainSpec;
use crate::rl::RlError;
use crate::rl::policy::Activation;

/// Every PPO hyperparameter. Defaults are CleanRL's `ppo_continuous_action.py`
/// (which match SB3's `PPO` defaults) unless noted.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PpoConfig {
    /// Total env steps (CleanRL `total_timesteps` = 1,000,000).
    pub total_steps: u64,
    /// Parallel envs. CleanRL and SB3 use 1 env × 2,048 steps; we default to 8 × 256, the
    /// same 2,048-transition batch, so the rollout uses every core.
    pub n_envs: usize,
    /// Steps per env per rollout (see `n_envs`; CleanRL `num_steps` = 2,048 with 1 env).
    pub n_steps: usize,
    /// Adam learning rate (CleanRL `learning_rate` = 3e-4).
    pub learning_rate: f64,
    /// Anneal the learning rate linearly to 0 over the run (CleanRL `anneal_lr` = true).
    pub anneal_lr: bool,
    /// Discount factor (CleanRL `gamma` = 0.99).
    pub gamma: f64,
    /// GAE lambda (CleanRL `gae_lambda` = 0.95).
    pub gae_lambda: f64,
    /// Minibatches per epoch (CleanRL `num_minibatches` = 32, i.e. minibatches of 64).
    pub n_minibatches: usize,
    /// Passes over each rollout (CleanRL `update_epochs` = 10).
    pub update_epochs: usize,
    /// Normalize advantages per minibatch (CleanRL `norm_adv` = true).
    pub norm_adv: bool,
    /// Surrogate clip range (CleanRL `clip_coef` = 0.2).
    pub clip_coef: f64,
    /// Anneal the clip range linearly to 0 with the learning rate (SB3's `lin_0.2`, as
    /// rl-baselines3-zoo sets for CartPole-v1; CleanRL: off).
    #[serde(default)]
    pub anneal_clip: bool,
    /// Clip the value loss around the old values (CleanRL `clip_vloss` = true).
    pub clip_vloss: bool,
    /// Sample Box actions in [-1, 1] per component and map them onto the action bounds,
    /// so one `log_std_init` suits components of any range (SB3's advice to normalize
    /// action spaces; ManiSkill3's `normalize_action`). Off (CleanRL): act in env units,
    /// clipped to the bounds.
    #[serde(default)]
    pub rescale_actions: bool,
    /// The actor outputs each state's standard deviations beside the means,
    /// `σ = softplus(raw) + 0.001` (Brax's PPO); off (CleanRL, SB3): one learned
    /// log-std vector for all states.
    #[serde(default)]
    pub state_dependent_std: bool,
    /// Squash Gaussian samples through tanh into the action bounds (Brax's
    /// `NormalTanhDistribution`); off (CleanRL, SB3): clip them to the bounds (or map them
    /// with `rescale_actions`).
    #[serde(default)]
    pub squash_actions: bool,
    /// Entropy bonus coefficient (CleanRL `ent_coef` = 0.0).
    pub ent_coef: f64,
    /// Stop an update's epochs early once a minibatch's approximate KL exceeds 1.5 ×
    /// this (SB3's rule; CleanRL and SB3 default: off). ManiSkill3's PPO uses 0.1.
    #[serde(default)]
    pub target_kl: Option<f64>,
    /// Value loss coefficient (CleanRL `vf_coef` = 0.5).
    pub vf_coef: f64,
    /// Global gradient-norm limit (CleanRL `max_grad_norm` = 0.5).
    pub max_grad_norm: f64,
    /// Adam epsilon (CleanRL passes `eps=1e-5`).
    pub adam_eps: f64,
    /// Normalize observations by running mean/std (CleanRL's `NormalizeObservation`,
    /// SB3 `VecNormalize(norm_obs=True)`).
    pub norm_obs: bool,
    /// Scale rewards by the running std of the discounted return (CleanRL's
    /// `NormalizeReward`, SB3 `VecNormalize(norm_reward=True)`).
    pub norm_reward: bool,
    /// Clip of normalized observations (CleanRL/SB3: 10).
    pub clip_obs: f64,
    /// Clip of scaled rewards (CleanRL/SB3: 10).
    pub clip_reward: f64,
    /// Hidden layers of actor and critic (CleanRL: 64, 64).
    pub hidden: Vec<usize>,
    /// Hidden activation (CleanRL: tanh; here ReLU by default, ~3× faster on CPU).
    pub activation: Activation,
    /// Initial log-std of the Gaussian policy (CleanRL: 0).
    pub log_std_init: f64,
    /// Updates between checkpoints (ours).
    pub checkpoint_every: u64,
    /// Episodes of the final deterministic evaluation (ours).
    pub eval_episodes: usize,
    /// Updates between deterministic evaluations that keep the best policy in
    /// `checkpoints/best` (SB3's `EvalCallback`); 0: none (ours).
    #[serde(default)]
    pub eval_every: u64,
}

impl Default for PpoConfig {
    fn default() -> Self {
        Self {
            total_steps: 1_000_000,
            n_envs: 8,
            n_steps: 256,
            learning_rate: 3e-4,
            anneal_lr: true,
            gamma: 0.99,
            gae_lambda: 0.95,
            n_minibatches: 32,
            update_epochs: 10,
            norm_adv: true,
            clip_coef: 0.2,
            anneal_clip: false,
            clip_vloss: true,
            rescale_actions: false,
            state_dependent_std: false,
            squash_actions: false,
            ent_coef: 0.0,
            target_kl: None,
            vf_coef: 0.5,
            max_grad_norm: 0.5,
            adam_eps: 1e-5,
            norm_obs: true,
            norm_reward: true,
            clip_obs: 10.0,
            clip_reward: 10.0,
            hidden: vec![64, 64],
            activation: Activation::Relu,
            log_std_init: 0.0,
            checkpoint_every: 10,
            eval_episodes: 10,
            eval_every: 0,
        }
    }
}

impl PpoConfig {
    /// Apply an env's `[train]` overrides.
    pub fn apply(&mut self, t: &TrainSpec) -> Result<(), RlError> {
        if let Some(key) = t.sac_only_key() {
            return Err(RlError::TrainKey { key, algo: "ppo" });
        }
        macro_rules! set {
            ($($f:ident),*) => { $( if let Some(v) = &t.$f { self.$f = v.clone(); } )* };
        }
        set!(
            total_steps,
            n_envs,
            n_steps,
            learning_rate,
            anneal_lr,
            gamma,
            gae_lambda,
            n_minibatches,
            update_epochs,
            clip_coef,
            anneal_clip,
            clip_vloss,
            rescale_actions,
            state_dependent_std,
            squash_actions,
            ent_coef,
            vf_coef,
            max_grad_norm,
            norm_adv,
            norm_obs,
            norm_reward,
            hidden,
            log_std_init,
            checkpoint_every,
            eval_episodes,
            eval_every
        );
        if let Some(kl) = t.target_kl {
            self.target_kl = Some(kl);
        }
        if let Some(a) = &t.activation {
            self.activation =
                Activation::parse(a).ok_or_else(|| RlError::Activation { value: a.clone() })?;
        }
        Ok(())
    }

    /// Learning rate and clip range of update `update` (0-based): linearly annealed
    /// from their full values towards 0 over the run where `anneal_lr` / `anneal_clip`.
    pub fn schedule(&self, update: u64) -> (f64, f64) {
        let remaining = 1.0 - update as f64 / self.num_updates() as f64;
        let anneal = |on: bool, x: f64| if on { remaining * x } else { x };
        (
            anneal(self.anneal_lr, self.learning_rate),
            anneal(self.anneal_clip, self.clip_coef),
        )
    }

    /// Transitions per rollout.
    pub fn batch_size(&self) -> usize {
        self.n_envs * self.n_steps
    }

    /// Number of updates in the run.
    pub fn num_updates(&self) -> u64 {
        (self.total_steps / self.batch_size() as u64).max(1)
    }

    /// Check sizes and ranges.
    pub fn validate(&self) -> Result<(), RlError> {
        if self.n_envs == 0 || self.n_steps == 0 || self.n_minibatches == 0 {
            return Err(RlError::ZeroSize {
                settings: "n_envs, n_steps and n_minibatches",
            });
        }
        if !self.batch_size().is_multiple_of(self.n_minibatches) {
            return Err(RlError::Minibatches {
                n_envs: self.n_envs,
                n_steps: self.n_steps,
                n_minibatches: self.n_minibatches,
            });
        }
        if self.hidden.is_empty() || self.hidden.contains(&0) {
            return Err(RlError::Hidden);
        }
        if self.squash_actions && self.rescale_actions {
            return Err(RlError::SquashAndRescale);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clip_range_anneals_only_when_asked() {
        // 4 updates of 8 × 256 transitions.
        let mut cfg = PpoConfig {
            total_steps: 4 * 2048,
            ..PpoConfig::default()
        };
        assert_eq!(cfg.num_updates(), 4);
        assert_eq!(cfg.schedule(0), (3e-4, 0.2));
        let (lr, clip) = cfg.schedule(3);
        assert!((lr - 0.75e-4).abs() < 1e-12 && clip == 0.2, "{lr} {clip}");
        cfg.anneal_clip = true;
        cfg.anneal_lr = false;
        let (lr, clip) = cfg.schedule(2);
        assert!(lr == 3e-4 && (clip - 0.1).abs() < 1e-12, "{lr} {clip}");
    }
}
