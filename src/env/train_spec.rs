//! The `[train]` table of a spec: per-env training hyperparameters.

use serde::{Deserialize, Serialize};

/// Per-env overrides of training hyperparameters, read from the spec's `[train]` table.
/// Every field is optional; the trainer documents the meaning and default of each.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TrainSpec {
    /// Total env steps of a run.
    pub total_steps: Option<u64>,
    /// Parallel envs.
    pub n_envs: Option<usize>,
    /// Steps per env per rollout.
    pub n_steps: Option<usize>,
    /// Adam learning rate.
    pub learning_rate: Option<f64>,
    /// Anneal the learning rate linearly to 0.
    pub anneal_lr: Option<bool>,
    /// Discount factor.
    pub gamma: Option<f64>,
    /// GAE lambda.
    pub gae_lambda: Option<f64>,
    /// Minibatches per epoch.
    pub n_minibatches: Option<usize>,
    /// Epochs per update.
    pub update_epochs: Option<usize>,
    /// PPO clip range.
    pub clip_coef: Option<f64>,
    /// Anneal the clip range linearly to 0 (SB3's `lin_0.2`).
    pub anneal_clip: Option<bool>,
    /// Clip the value loss.
    pub clip_vloss: Option<bool>,
    /// PPO: sample actions in [-1, 1] and map them onto the action bounds.
    pub rescale_actions: Option<bool>,
    /// Entropy bonus coefficient.
    pub ent_coef: Option<f64>,
    /// PPO: stop an update's epochs once the approximate KL passes 1.5 × this.
    pub target_kl: Option<f64>,
    /// Value loss coefficient.
    pub vf_coef: Option<f64>,
    /// Global gradient norm limit.
    pub max_grad_norm: Option<f64>,
    /// Normalize advantages per minibatch.
    pub norm_adv: Option<bool>,
    /// Normalize observations with running statistics.
    pub norm_obs: Option<bool>,
    /// Scale rewards by the running std of the discounted return.
    pub norm_reward: Option<bool>,
    /// Hidden layer sizes of actor and critic.
    pub hidden: Option<Vec<usize>>,
    /// Hidden activation: `relu` or `tanh`.
    pub activation: Option<String>,
    /// Initial log standard deviation of the Gaussian policy.
    pub log_std_init: Option<f64>,
    /// Updates between checkpoints.
    pub checkpoint_every: Option<u64>,
    /// Episodes of the final deterministic evaluation.
    pub eval_episodes: Option<usize>,
    /// Updates between evaluations that keep the best policy (0: none).
    pub eval_every: Option<u64>,
}
