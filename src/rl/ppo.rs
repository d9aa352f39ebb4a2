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

use burn::module::{ModuleVisitor, Param};
use burn::optim::{AdamConfig, GradientsParams, ModuleOptimizer};
use burn::prelude::*;
use burn::tensor::Gradients;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};
use std::path::Path;

use crate::env::ActionSpace;
use crate::env::spec::TrainSpec;
use crate::rl::driver::EnvDriver;
use crate::rl::gae::{End, Gae, gae};
use crate::rl::gaussian::LN_2PI;
use crate::rl::normalize::RunningMeanStd;
use crate::rl::policy::{Activation, ActorCritic, Head, MIN_STD, sample_categorical};
use crate::rl::rng_state::RngState;
use crate::rl::{Actor, BoxMap, RlError, UpdateStats, box_action, read_state, write_state};

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
        let (n, d) = (drv.n_envs(), self.obs_dim);
        // Stored action width: the Box dimension, or 1 (the index) for a Discrete space.
        let a = self.space.dim();
        let steps = self.cfg.n_steps;
        let host = self.model.to_host(self.head);
        let bs = steps * n;
        let mut b_obs = vec![0f32; bs * d];
        let mut b_act = vec![0f32; bs * a];
        let mut b_logp = vec![0f32; bs];
        let mut b_val = vec![0f32; bs];
        let mut b_rew = vec![0f32; bs];
        let mut b_end = vec![End::Running; bs];
        let mut env_act = vec![0f64; n * a];
        let gamma = self.cfg.gamma;
        for t in 0..steps {
            if self.cfg.norm_obs {
                self.obs_rms.update_f32(&drv.obs);
            }
            let norm = self.normalize_obs(&drv.obs);
            let out = host.mean(&norm, d);
            let values = host.value(&norm, d);
            let (acts, logps) = match &self.space {
                ActionSpace::Box(space) => {
                    let (acts, logps) = host.sample(&out, &mut self.rng);
                    let map = self.box_map();
                    for (k, (e, &x)) in env_act.iter_mut().zip(&acts).enumerate() {
                        let j = k % a;
                        *e = box_action(x as f64, space.low[j], space.high[j], map);
                    }
                    (acts, logps)
                }
                ActionSpace::Discrete(_) => {
                    let (idx, logps) = sample_categorical(&out, self.out_dim, &mut self.rng);
                    for (e, &i) in env_act.iter_mut().zip(&idx) {
                        *e = i as f64;
                    }
                    (idx, logps)
                }
            };
            drv.step(&env_act).map_err(|e| RlError::Step {
                step: self.global_step + (t * n) as u64,
                source: Box::new(e),
            })?;
            self.global_step += n as u64;
            let row = t * n;
            b_obs[row * d..(row + n) * d].copy_from_slice(&norm);
            b_act[row * a..(row + n) * a].copy_from_slice(&acts);
            b_logp[row..row + n].copy_from_slice(&logps);
            b_val[row..row + n].copy_from_slice(&values);
            for i in 0..n {
                self.returns[i] = self.returns[i] * gamma + drv.rewards[i];
            }
            if self.cfg.norm_reward {
                self.ret_rms.update_scalars(&self.returns);
            }
            let scale = if self.cfg.norm_reward {
                self.ret_rms.std(0)
            } else {
                1.0
            };
            for i in 0..n {
                let f = drv.flags[i];
                let mut r = drv.rewards[i] / scale;
                if self.cfg.norm_reward {
                    r = r.clamp(-self.cfg.clip_reward, self.cfg.clip_reward);
                }
                b_end[row + i] = if f.terminated {
                    End::Terminated
                } else if f.truncated {
                    // SB3: a truncated episode bootstraps the value of its final
                    // observation.
                    let fo = self.normalize_obs(&drv.final_obs[i * d..(i + 1) * d]);
                    End::Truncated(host.value(&fo, d)[0])
                } else {
                    End::Running
                };
                if f.terminated || f.truncated {
                    self.returns[i] = 0.0;
                }
                b_rew[row + i] = r as f32;
            }
        }
        let last_values = host.value(&self.normalize_obs(&drv.obs), d);
        let Gae {
            advantages: adv,
            returns: ret,
        } = gae(
            &b_rew,
            &b_val,
            &b_end,
            &last_values,
            gamma,
            self.cfg.gae_lambda,
        );
        let rollout_s = t0.elapsed().as_secs_f64();

        let t1 = std::time::Instant::now();
        let (lr, clip) = self.cfg.schedule(self.update);
        let mut stats = self.learn(&b_obs, &b_act, &b_logp, &adv, &ret, &b_val, (lr, clip))?;
        stats.explained_var = explained_variance(&b_val, &ret);
        stats.lr = lr;
        stats.rollout_s = rollout_s;
        stats.update_s = t1.elapsed().as_secs_f64();
        self.update += 1;
        Ok(stats)
    }

    #[allow(clippy::too_many_arguments)]
    fn learn(
        &mut self,
        obs: &[f32],
        act: &[f32],
        logp: &[f32],
        adv: &[f32],
        ret: &[f32],
        val: &[f32],
        (lr, clip): (f64, f64),
    ) -> Result<UpdateStats, RlError> {
        let (d, a, k) = (self.obs_dim, self.space.dim(), self.out_dim);
        let bs = logp.len();
        let mb = bs / self.cfg.n_minibatches;
        let mut idx: Vec<usize> = (0..bs).collect();
        // Loss statistics of the last epoch, and of the epoch running now.
        let (mut stats, mut count) = (UpdateStats::default(), 0.0);
        let (mut running, mut running_count) = (UpdateStats::default(), 0.0);
        let mut stopped = None;
        let dev = self.device.clone();
        'epochs: for epoch in 0..self.cfg.update_epochs {
            // Fisher–Yates with the run's RNG (reproducible).
            for i in (1..bs).rev() {
                let j = self.rng.random_range(0..=i);
                idx.swap(i, j);
            }
            // With a KL target any epoch may turn out to be the last.
            let last_epoch = epoch + 1 == self.cfg.update_epochs || self.cfg.target_kl.is_some();
            if running_count > 0.0 {
                (stats, count) = (running, running_count);
            }
            (running, running_count) = (UpdateStats::default(), 0.0);
            for chunk in idx.chunks_exact(mb) {
                let gather = |src: &[f32], w: usize| -> Vec<f32> {
                    let mut out = Vec::with_capacity(chunk.len() * w);
                    for &k in chunk {
                        out.extend_from_slice(&src[k * w..(k + 1) * w]);
                    }
                    out
                };
                let mut mb_adv = gather(adv, 1);
                if self.cfg.norm_adv && mb > 1 {
                    let m = mb_adv.iter().map(|&x| x as f64).sum::<f64>() / mb as f64;
                    let var = mb_adv.iter().map(|&x| (x as f64 - m).powi(2)).sum::<f64>()
                        / (mb - 1) as f64;
                    let s = var.sqrt() + 1e-8;
                    mb_adv
                        .iter_mut()
                        .for_each(|x| *x = ((*x as f64 - m) / s) as f32);
                }
                let t2 = |v: Vec<f32>, w: usize| {
                    Tensor::<2>::from_data(TensorData::new(v, [mb, w]), &dev)
                };
                let t1 = |v: Vec<f32>| Tensor::<1>::from_data(TensorData::new(v, [mb]), &dev);
                let x = t2(gather(obs, d), d);
                let old_logp = t1(gather(logp, 1));
                let adv_t = t1(mb_adv);
                let ret_t = t1(gather(ret, 1));
                let old_v = t1(gather(val, 1));

                let m = &self.model;
                let out = m.actor.forward(x.clone());
                let (new_logp, entropy): (Tensor<1>, Tensor<1>) = match self.head {
                    Head::Gaussian | Head::StateGaussian => {
                        // Diagonal Gaussian: log N(a; μ, σ²) summed over components (of
                        // the sample before clipping or squashing, see HostPolicy::sample).
                        let act_t = t2(gather(act, a), a);
                        let (mean, log_std) = match &m.log_std {
                            Some(p) => (out, p.val().unsqueeze::<2>()),
                            None => {
                                let raw = out.clone().slice([0..mb, a..2 * a]);
                                let std = burn::tensor::activation::softplus(raw, 1.0)
                                    .add_scalar(MIN_STD);
                                (out.slice([0..mb, 0..a]), std.log())
                            }
                        };
                        let inv_var = log_std.clone().mul_scalar(-2.0).exp();
                        let lp = ((act_t - mean).square() * inv_var).mul_scalar(-0.5)
                            - log_std.clone()
                            - (0.5 * LN_2PI);
                        // Entropy per sample, averaged over the minibatch (of the
                        // Gaussian before squashing).
                        let ent = log_std.sum_dim(1).mean() + (a as f64 * (0.5 + 0.5 * LN_2PI));
                        (lp.sum_dim(1).reshape([mb]), ent)
                    }
                    Head::Categorical => {
                        // Categorical: pick the taken action's log-probability with a
                        // one-hot mask; entropy −Σ p log p, averaged over the minibatch.
                        let mut onehot = vec![0f32; mb * k];
                        for (r, &i) in chunk.iter().enumerate() {
                            onehot[r * k + act[i] as usize] = 1.0;
                        }
                        let logp_all = burn::tensor::activation::log_softmax(out, 1);
                        let lp = (logp_all.clone() * t2(onehot, k)).sum_dim(1).reshape([mb]);
                        let ent = -(logp_all.clone().exp() * logp_all).sum_dim(1).mean();
                        (lp, ent)
                    }
                };
                let logratio = new_logp - old_logp;
                let ratio = logratio.clone().exp();
                let c = clip;
                let pg1 = -adv_t.clone() * ratio.clone();
                let pg2 = -adv_t * ratio.clone().clamp(1.0 - c, 1.0 + c);
                let pg_loss = pg1.max_pair(pg2).mean();
                let new_v: Tensor<1> = m.critic.forward(x).reshape([mb]);
                let v_loss = if self.cfg.clip_vloss {
                    let unclipped = (new_v.clone() - ret_t.clone()).square();
                    let clipped = old_v.clone() + (new_v - old_v).clamp(-c, c) - ret_t;
                    unclipped.max_pair(clipped.square()).mean().mul_scalar(0.5)
                } else {
                    (new_v - ret_t).square().mean().mul_scalar(0.5)
                };
                let loss = pg_loss.clone() - entropy.clone().mul_scalar(self.cfg.ent_coef)
                    + v_loss.clone().mul_scalar(self.cfg.vf_coef);
                if last_epoch {
                    let kl = scalar(((ratio.clone() - 1.0) - logratio.detach()).mean().detach());
                    if self.cfg.target_kl.is_some_and(|t| kl > 1.5 * t) {
                        // As SB3: this minibatch's step is not taken.
                        stopped = Some(epoch as u64 + 1);
                        break 'epochs;
                    }
                    let cf = (ratio.detach() - 1.0).abs().greater_elem(c).float().mean();
                    running.policy_loss += scalar(pg_loss.detach());
                    running.value_loss += scalar(v_loss.detach());
                    running.entropy += scalar(entropy.detach());
                    running.approx_kl += kl;
                    running.clip_frac += scalar(cf);
                    running_count += 1.0;
                }
                let loss_value = scalar(loss.clone().detach());
                if !loss_value.is_finite() {
                    return Err(RlError::PpoLoss {
                        value: loss_value,
                        update: self.update + 1,
                    });
                }
                let grads = loss.backward();
                let gp = clip_global(&self.model, grads, self.cfg.max_grad_norm);
                self.model = self.optim.step(lr, self.model.clone(), gp);
            }
        }
        if running_count > 0.0 {
            (stats, count) = (running, running_count);
        }
        stats.epochs_stopped = stopped;
        if count > 0.0 {
            stats.policy_loss /= count;
            stats.value_loss /= count;
            stats.entropy /= count;
            stats.approx_kl /= count;
            stats.clip_frac /= count;
        }
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

fn scalar(t: Tensor<1>) -> f64 {
    t.into_scalar::<f32>() as f64
}

/// Visits every float parameter, collecting its gradient (scaled by `coef`) or the
/// squared norm of all gradients.
struct GradVisitor<'a> {
    grads: &'a Gradients,
    coef: f32,
    sq_norm: f64,
    out: Option<GradientsParams>,
}

impl ModuleVisitor for GradVisitor<'_> {
    fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<D>>) {
        let Some(g) = param.val().grad(self.grads) else {
            return;
        };
        match &mut self.out {
            None => self.sq_norm += g.square().sum().into_scalar::<f32>() as f64,
            Some(out) => out.register(param.id, g.mul_scalar(self.coef)),
        }
    }
}

/// Gradients of `model` scaled so their global L2 norm is at most `max_norm`
/// (PyTorch's `clip_grad_norm_`, as CleanRL and SB3 use); unscaled, without a pass over
/// them, when the norm is already within it.
fn clip_global(model: &ActorCritic, grads: Gradients, max_norm: f64) -> GradientsParams {
    let mut v = GradVisitor {
        grads: &grads,
        coef: 1.0,
        sq_norm: 0.0,
        out: None,
    };
    model.visit(&mut v);
    let norm = v.sq_norm.sqrt();
    let coef = max_norm / (norm + 1e-6);
    if coef >= 1.0 {
        return GradientsParams::from_grads(grads, model);
    }
    v.coef = coef as f32;
    v.out = Some(GradientsParams::new());
    model.visit(&mut v);
    v.out.expect("set above")
}

/// `1 - Var(y - ŷ) / Var(y)` (NaN when `y` is constant).
fn explained_variance(pred: &[f32], y: &[f32]) -> f64 {
    let n = y.len() as f64;
    let mean = |v: &mut dyn Iterator<Item = f64>| v.sum::<f64>() / n;
    let my = mean(&mut y.iter().map(|&x| x as f64));
    let vy = mean(&mut y.iter().map(|&x| (x as f64 - my).powi(2)));
    let md = mean(&mut y.iter().zip(pred).map(|(a, b)| (a - b) as f64));
    let vd = mean(
        &mut y
            .iter()
            .zip(pred)
            .map(|(a, b)| ((a - b) as f64 - md).powi(2)),
    );
    if vy == 0.0 { f64::NAN } else { 1.0 - vd / vy }
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
