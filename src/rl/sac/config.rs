//! SAC's hyperparameters, CleanRL's `Args` style: every field with its reference default.

use serde::{Deserialize, Serialize};

use crate::env::spec::TrainSpec;
use crate::rl::RlError;
use crate::rl::policy::Activation;

/// Every SAC hyperparameter; defaults are CleanRL's `sac_continuous_action.py` unless
/// noted (SB3's `SAC` has the same ones except `learning_starts` 100 and one learning
/// rate of 3e-4 for everything).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SacConfig {
    /// Total env steps (CleanRL `total_timesteps` = 1,000,000).
    pub total_steps: u64,
    /// Parallel envs, all feeding one replay buffer (CleanRL: 1).
    pub n_envs: usize,
    /// Replay buffer capacity in transitions (CleanRL `buffer_size` = 1e6).
    pub buffer_size: usize,
    /// Discount (CleanRL `gamma` = 0.99).
    pub gamma: f64,
    /// Target smoothing coefficient (CleanRL `tau` = 0.005).
    pub tau: f64,
    /// Minibatch size (CleanRL `batch_size` = 256).
    pub batch_size: usize,
    /// Env steps of uniform random actions before learning (CleanRL `learning_starts` = 5e3).
    pub learning_starts: u64,
    /// Actor learning rate (CleanRL `policy_lr` = 3e-4).
    pub policy_lr: f64,
    /// Q and temperature learning rate (CleanRL `q_lr` = 1e-3).
    pub q_lr: f64,
    /// Update the actor and the temperature on every N-th gradient step only (TD3's
    /// `policy_delay`; SB3's SAC: 1, every step). CleanRL's 2 also runs two actor
    /// steps then; here a delayed actor step is simply skipped.
    pub policy_frequency: u64,
    /// Gradient steps between target updates (CleanRL `target_network_frequency` = 1).
    pub target_network_frequency: u64,
    /// Update-to-data ratio: gradient steps per env step, summed over the envs (1 as
    /// SB3's `train_freq` 1 with `gradient_steps` 1; 0.25 is one step every four env
    /// steps; 20 is DroQ's). Written `gradient_steps` (per vector step) by versions
    /// before 2026-12, which equals it with one env.
    #[serde(alias = "gradient_steps")]
    pub utd: f64,
    /// Returns over N steps: the stored reward is `Σ_{k<N} γ^k r_{t+k}` and the target
    /// bootstraps `γ^N` from `s_{t+N}` (Sutton & Barto ch. 7; 1 = plain one-step SAC).
    #[serde(default = "one")]
    pub n_step: usize,
    /// Correlation time of the exploration noise, in env steps: the acting noise
    /// (and the warm-up actions) follow `ε_t = ρ ε_{t−1} + √(1 − ρ²) ξ_t`, `ρ = e^{−1/τ}`,
    /// an Ornstein–Uhlenbeck process of unit variance that keeps pushing one way for
    /// ~τ steps (temporally correlated exploration, Eberhard et al. 2023, "Pink noise is
    /// all you need"; what MountainCar needs). 0: white noise, uniform warm-up (SAC's).
    #[serde(default)]
    pub noise_steps: f64,
    /// Initial (or fixed) entropy coefficient (CleanRL `alpha` = 0.2; SB3 `ent_coef`
    /// "auto" starts at 1).
    pub alpha: f64,
    /// Tune the entropy coefficient towards an entropy of `-act_dim` (CleanRL
    /// `autotune` = true).
    pub autotune: bool,
    /// Hidden layers of the actor and each Q network (CleanRL: 256, 256).
    pub hidden: Vec<usize>,
    /// Hidden activation (CleanRL: ReLU).
    pub activation: Activation,
    /// Vector-env steps per metrics line / iteration (ours).
    pub log_every: usize,
    /// Iterations between checkpoints (ours).
    pub checkpoint_every: u64,
    /// Episodes of the final deterministic evaluation (ours).
    pub eval_episodes: usize,
    /// Iterations between deterministic evaluations that keep the best policy in
    /// `checkpoints/best` (SB3's `EvalCallback`); 0: none (ours).
    #[serde(default)]
    pub eval_every: u64,
}

fn one() -> usize {
    1
}

impl Default for SacConfig {
    fn default() -> Self {
        Self {
            total_steps: 1_000_000,
            n_envs: 1,
            buffer_size: 1_000_000,
            gamma: 0.99,
            tau: 0.005,
            batch_size: 256,
            learning_starts: 5_000,
            policy_lr: 3e-4,
            q_lr: 1e-3,
            policy_frequency: 1,
            target_network_frequency: 1,
            utd: 1.0,
            n_step: 1,
            noise_steps: 0.0,
            alpha: 0.2,
            autotune: true,
            hidden: vec![256, 256],
            activation: Activation::Relu,
            log_every: 1000,
            checkpoint_every: 10,
            eval_episodes: 10,
            eval_every: 0,
        }
    }
}

impl SacConfig {
    /// Env steps per iteration.
    pub fn steps_per_iteration(&self) -> usize {
        self.log_every.max(1) * self.n_envs.max(1)
    }

    /// Iterations in the run.
    pub fn num_iterations(&self) -> u64 {
        (self.total_steps / self.steps_per_iteration() as u64).max(1)
    }

    /// Apply an env's `[train]` table (one that names `algo = "sac"`); a PPO-only key
    /// there is an error naming it.
    pub fn apply(&mut self, t: &TrainSpec) -> Result<(), RlError> {
        if let Some(key) = t.ppo_only_key() {
            return Err(RlError::TrainKey { key, algo: "sac" });
        }
        macro_rules! set {
            ($($f:ident),*) => { $( if let Some(v) = &t.$f { self.$f = v.clone(); } )* };
        }
        set!(
            total_steps,
            n_envs,
            buffer_size,
            gamma,
            tau,
            batch_size,
            learning_starts,
            policy_lr,
            q_lr,
            policy_frequency,
            target_network_frequency,
            utd,
            n_step,
            noise_steps,
            alpha,
            autotune,
            hidden,
            log_every,
            checkpoint_every,
            eval_episodes,
            eval_every
        );
        if let Some(lr) = t.learning_rate {
            // One rate for actor, critics and temperature, as SB3's `learning_rate`.
            self.policy_lr = lr;
            self.q_lr = lr;
        }
        if let Some(a) = &t.activation {
            self.activation =
                Activation::parse(a).ok_or_else(|| RlError::Activation { value: a.clone() })?;
        }
        Ok(())
    }

    /// Check sizes and ranges.
    pub fn validate(&self) -> Result<(), RlError> {
        if self.n_envs == 0 || self.batch_size == 0 || self.buffer_size == 0 || self.n_step == 0 {
            return Err(RlError::ZeroSize {
                settings: "n_envs, batch_size, buffer_size and n_step",
            });
        }
        if self.hidden.is_empty() || self.hidden.contains(&0) {
            return Err(RlError::Hidden);
        }
        let ranges = [
            (
                "utd",
                self.utd,
                self.utd > 0.0 && self.utd <= 1000.0,
                "in (0, 1000]",
            ),
            (
                "gamma",
                self.gamma,
                self.gamma > 0.0 && self.gamma <= 1.0,
                "in (0, 1]",
            ),
            (
                "tau",
                self.tau,
                self.tau > 0.0 && self.tau <= 1.0,
                "in (0, 1]",
            ),
            (
                "noise_steps",
                self.noise_steps,
                self.noise_steps >= 0.0 && self.noise_steps.is_finite(),
                "≥ 0",
            ),
            (
                "alpha",
                self.alpha,
                self.alpha > 0.0 && self.alpha.is_finite(),
                "positive",
            ),
            (
                "policy_lr",
                self.policy_lr,
                self.policy_lr > 0.0 && self.policy_lr.is_finite(),
                "positive",
            ),
            (
                "q_lr",
                self.q_lr,
                self.q_lr > 0.0 && self.q_lr.is_finite(),
                "positive",
            ),
        ];
        for (name, value, ok, expected) in ranges {
            if !ok {
                return Err(RlError::Range {
                    name,
                    value,
                    expected,
                });
            }
        }
        Ok(())
    }
}
