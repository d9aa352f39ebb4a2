//! An env's `[train]` table: the algorithm and hyperparameters that make
//! `rewardsmith train --env ENV` learn the env's task by default.

use serde::{Deserialize, Serialize};

/// Which algorithm a `[train]` table configures.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TrainAlgo {
    /// Proximal Policy Optimization (the default).
    #[default]
    Ppo,
    /// Soft Actor-Critic.
    Sac,
}

impl TrainAlgo {
    /// The name `train --algo` takes.
    pub fn name(self) -> &'static str {
        match self {
            Self::Ppo => "ppo",
            Self::Sac => "sac",
        }
    }
}

/// Per-env overrides of training hyperparameters, read from the spec's `[train]` table.
/// Every field is optional; the trainer documents the meaning and default of each
/// (`PpoConfig`, `SacConfig`). Keys of the other algorithm than `algo` are an error.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TrainSpec {
    /// The algorithm `train --env` uses for this env (default: PPO).
    pub algo: Option<TrainAlgo>,
    /// Total env steps of a run.
    pub total_steps: Option<u64>,
    /// Parallel envs.
    pub n_envs: Option<usize>,
    /// PPO: steps per env per rollout.
    pub n_steps: Option<usize>,
    /// Adam learning rate (SAC: of actor, critics and temperature alike).
    pub learning_rate: Option<f64>,
    /// PPO: anneal the learning rate linearly to 0.
    pub anneal_lr: Option<bool>,
    /// Discount factor.
    pub gamma: Option<f64>,
    /// PPO: GAE lambda.
    pub gae_lambda: Option<f64>,
    /// PPO: minibatches per epoch.
    pub n_minibatches: Option<usize>,
    /// PPO: epochs per update.
    pub update_epochs: Option<usize>,
    /// PPO: clip range.
    pub clip_coef: Option<f64>,
    /// PPO: anneal the clip range linearly to 0 (SB3's `lin_0.2`).
    pub anneal_clip: Option<bool>,
    /// PPO: clip the value loss.
    pub clip_vloss: Option<bool>,
    /// PPO: sample actions in [-1, 1] and map them onto the action bounds.
    pub rescale_actions: Option<bool>,
    /// PPO: entropy bonus coefficient.
    pub ent_coef: Option<f64>,
    /// PPO: stop an update's epochs once the approximate KL passes 1.5 × this.
    pub target_kl: Option<f64>,
    /// PPO: value loss coefficient.
    pub vf_coef: Option<f64>,
    /// PPO: global gradient norm limit.
    pub max_grad_norm: Option<f64>,
    /// PPO: normalize advantages per minibatch.
    pub norm_adv: Option<bool>,
    /// PPO: normalize observations with running statistics.
    pub norm_obs: Option<bool>,
    /// PPO: scale rewards by the running std of the discounted return.
    pub norm_reward: Option<bool>,
    /// Hidden layer sizes of the networks.
    pub hidden: Option<Vec<usize>>,
    /// Hidden activation: `relu` or `tanh`.
    pub activation: Option<String>,
    /// PPO: initial log standard deviation of the Gaussian policy.
    pub log_std_init: Option<f64>,
    /// PPO: the actor outputs the log-std per state (else one learned vector).
    pub state_dependent_std: Option<bool>,
    /// PPO: squash Gaussian samples through tanh into the bounds (else clip them).
    pub squash_actions: Option<bool>,
    /// Iterations between checkpoints.
    pub checkpoint_every: Option<u64>,
    /// Episodes of the final deterministic evaluation.
    pub eval_episodes: Option<usize>,
    /// Iterations between evaluations that keep the best policy (0: none).
    pub eval_every: Option<u64>,
    /// SAC: replay buffer capacity.
    pub buffer_size: Option<usize>,
    /// SAC: target smoothing coefficient.
    pub tau: Option<f64>,
    /// SAC: minibatch size.
    pub batch_size: Option<usize>,
    /// SAC: env steps of random actions before learning.
    pub learning_starts: Option<u64>,
    /// SAC: actor learning rate.
    pub policy_lr: Option<f64>,
    /// SAC: Q and temperature learning rate.
    pub q_lr: Option<f64>,
    /// SAC: actor update every N gradient steps.
    pub policy_frequency: Option<u64>,
    /// SAC: gradient steps between target updates.
    pub target_network_frequency: Option<u64>,
    /// SAC: gradient steps per env step.
    pub utd: Option<f64>,
    /// SAC: n-step returns.
    pub n_step: Option<usize>,
    /// SAC: correlation time of the exploration noise in env steps (0: white).
    pub noise_steps: Option<f64>,
    /// SAC: initial (or fixed) entropy coefficient.
    pub alpha: Option<f64>,
    /// SAC: tune the entropy coefficient.
    pub autotune: Option<bool>,
    /// SAC: vector-env steps per iteration (metrics line).
    pub log_every: Option<usize>,
}

/// Names of the keys that are set, among those listed.
macro_rules! first_set {
    ($s:ident; $($f:ident),*) => {
        [$((stringify!($f), $s.$f.is_some())),*]
            .into_iter()
            .find_map(|(k, set)| set.then_some(k))
    };
}

impl TrainSpec {
    /// The algorithm the table configures.
    pub fn algo(&self) -> TrainAlgo {
        self.algo.unwrap_or_default()
    }

    /// The first key set that only PPO reads, if any.
    pub fn ppo_only_key(&self) -> Option<&'static str> {
        first_set!(self; n_steps, anneal_lr, gae_lambda, n_minibatches, update_epochs,
            clip_coef, anneal_clip, clip_vloss, rescale_actions, ent_coef, target_kl,
            vf_coef, max_grad_norm, norm_adv, norm_obs, norm_reward, log_std_init,
            state_dependent_std, squash_actions)
    }

    /// The first key set that only SAC reads, if any.
    pub fn sac_only_key(&self) -> Option<&'static str> {
        first_set!(self; buffer_size, tau, batch_size, learning_starts, policy_lr, q_lr,
            policy_frequency, target_network_frequency, utd, n_step, noise_steps, alpha,
            autotune, log_every)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_of_the_other_algorithm_are_found() {
        let t: TrainSpec = toml::from_str("algo = \"sac\"\nutd = 2.0\ngamma = 0.98").unwrap();
        assert_eq!(t.algo(), TrainAlgo::Sac);
        assert_eq!(t.ppo_only_key(), None);
        assert_eq!(t.sac_only_key(), Some("utd"));
        let t: TrainSpec = toml::from_str("n_steps = 64\nclip_coef = 0.1").unwrap();
        assert_eq!(t.algo(), TrainAlgo::Ppo);
        assert_eq!(t.ppo_only_key(), Some("n_steps"));
        assert!(toml::from_str::<TrainSpec>("algo = \"dqn\"").is_err());
    }
}
