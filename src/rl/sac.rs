//! Soft Actor-Critic for continuous actions, after CleanRL's `sac_continuous_action.py`
//! (Haarnoja et al., 2018): twin Q networks with Polyak-averaged targets, a tanh-squashed
//! Gaussian actor with state-dependent log-std, automatic entropy tuning, and a replay
//! buffer. Truncated episodes bootstrap (only `terminated` cuts the target), as SB3's
//! `handle_timeout_termination`. Acting runs on the host copy of the actor.

use burn::module::{ModuleMapper, ModuleVisitor, Param};
use burn::optim::{AdamConfig, GradientsParams, ModuleOptimizer};
use burn::prelude::*;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::StandardNormal;
use serde::{Deserialize, Serialize};
use std::path::Path;

use crate::env::BoxSpace;
use crate::rl::RlError;
use crate::rl::driver::EnvDriver;
use crate::rl::policy::LN_2PI;
use crate::rl::policy::{Activation, HostMlp, Mlp};
use crate::rl::ppo::{RngState, UpdateStats};
use crate::rl::{Actor, Learner, read_state, write_state};

const LOG_STD_MIN: f64 = -5.0;
const LOG_STD_MAX: f64 = 2.0;

/// Every SAC hyperparameter; defaults are CleanRL's `sac_continuous_action.py` unless noted.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SacConfig {
    /// Total env steps (CleanRL `total_timesteps` = 1,000,000).
    pub total_steps: u64,
    /// Parallel envs (CleanRL: 1).
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
    /// Actor and alpha learning rate (CleanRL `policy_lr` = 3e-4).
    pub policy_lr: f64,
    /// Q learning rate (CleanRL `q_lr` = 1e-3).
    pub q_lr: f64,
    /// Delay of actor updates, in Q updates (CleanRL `policy_frequency` = 2; each delayed
    /// update runs that many actor steps, "TD3-style" compensation).
    pub policy_frequency: u64,
    /// Q updates between target updates (CleanRL `target_network_frequency` = 1).
    pub target_network_frequency: u64,
    /// Gradient steps per vector-env step (SB3 `gradient_steps` = 1).
    pub gradient_steps: usize,
    /// Initial (or fixed) entropy coefficient (CleanRL `alpha` = 0.2).
    pub alpha: f64,
    /// Tune the entropy coefficient towards `-act_dim` entropy (CleanRL `autotune` = true).
    pub autotune: bool,
    /// Hidden layers (CleanRL: 256, 256).
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
            policy_frequency: 2,
            target_network_frequency: 1,
            gradient_steps: 1,
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

    /// Check sizes.
    pub fn validate(&self) -> Result<(), RlError> {
        if self.n_envs == 0 || self.batch_size == 0 || self.buffer_size == 0 {
            return Err(RlError::ZeroSize {
                settings: "n_envs, batch_size and buffer_size",
            });
        }
        if self.hidden.is_empty() || self.hidden.contains(&0) {
            return Err(RlError::Hidden);
        }
        Ok(())
    }
}

/// Twin Q networks over `[obs, action]`.
#[derive(Module, Debug)]
pub struct TwinQ {
    /// First Q.
    pub q1: Mlp,
    /// Second Q.
    pub q2: Mlp,
}

impl TwinQ {
    fn forward(&self, obs: Tensor<2>, act: Tensor<2>) -> (Tensor<2>, Tensor<2>) {
        let x = Tensor::cat(vec![obs, act], 1);
        (self.q1.forward(x.clone()), self.q2.forward(x))
    }
}

/// The learned entropy coefficient.
#[derive(Module, Debug)]
pub struct LogAlpha {
    /// `log α`.
    pub value: Param<Tensor<1>>,
}

/// Replay buffer on the host (ring).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
struct Replay {
    cap: usize,
    len: usize,
    pos: usize,
    obs: Vec<f32>,
    next: Vec<f32>,
    act: Vec<f32>,
    rew: Vec<f32>,
    term: Vec<f32>,
}

impl Replay {
    fn new(cap: usize, d: usize, a: usize) -> Self {
        Self {
            cap,
            len: 0,
            pos: 0,
            obs: vec![0.0; cap * d],
            next: vec![0.0; cap * d],
            act: vec![0.0; cap * a],
            rew: vec![0.0; cap],
            term: vec![0.0; cap],
        }
    }

    /// A copy without the unused tail (what checkpoints store).
    fn compact(&self) -> Self {
        let (d, a, n) = (
            self.obs.len() / self.cap,
            self.act.len() / self.cap,
            self.len,
        );
        Self {
            cap: self.cap,
            len: n,
            pos: self.pos,
            obs: self.obs[..n * d].to_vec(),
            next: self.next[..n * d].to_vec(),
            act: self.act[..n * a].to_vec(),
            rew: self.rew[..n].to_vec(),
            term: self.term[..n].to_vec(),
        }
    }

    /// Undo `compact` for a buffer of `d`-dim observations and `a`-dim actions.
    fn expand(mut self, d: usize, a: usize) -> Self {
        self.obs.resize(self.cap * d, 0.0);
        self.next.resize(self.cap * d, 0.0);
        self.act.resize(self.cap * a, 0.0);
        self.rew.resize(self.cap, 0.0);
        self.term.resize(self.cap, 0.0);
        self
    }

    fn push(&mut self, o: &[f32], a: &[f32], r: f32, n: &[f32], term: bool) {
        let (d, k, p) = (o.len(), a.len(), self.pos);
        self.obs[p * d..(p + 1) * d].copy_from_slice(o);
        self.next[p * d..(p + 1) * d].copy_from_slice(n);
        self.act[p * k..(p + 1) * k].copy_from_slice(a);
        self.rew[p] = r;
        self.term[p] = if term { 1.0 } else { 0.0 };
        self.pos = (p + 1) % self.cap;
        self.len = (self.len + 1).min(self.cap);
    }
}

/// SAC: networks, optimizers, replay buffer, RNG and counters.
pub struct Sac {
    /// Hyperparameters.
    pub cfg: SacConfig,
    device: Device,
    actor: Mlp,
    q: TwinQ,
    q_target: TwinQ,
    log_alpha: LogAlpha,
    actor_opt: ModuleOptimizer,
    q_opt: ModuleOptimizer,
    alpha_opt: ModuleOptimizer,
    replay: Replay,
    rng: ChaCha8Rng,
    space: BoxSpace,
    q_updates: u64,
    /// Iterations done.
    pub update: u64,
    /// Env steps done.
    pub global_step: u64,
    obs_dim: usize,
    act_dim: usize,
}

/// Saved non-tensor state.
#[derive(Serialize, Deserialize)]
struct SacState {
    rng: RngState,
    q_updates: u64,
    update: u64,
    global_step: u64,
}

fn adam(lr_eps: f32) -> ModuleOptimizer {
    AdamConfig::new().with_epsilon(lr_eps).init()
}

impl Sac {
    /// Fresh networks on `device` (autodiff), seeded by `seed`.
    pub fn new(
        cfg: SacConfig,
        space: BoxSpace,
        obs_dim: usize,
        seed: u64,
        device: Device,
    ) -> Result<Self, RlError> {
        cfg.validate()?;
        let act_dim = space.dim();
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let mut sizes = vec![obs_dim];
        sizes.extend_from_slice(&cfg.hidden);
        let mut a = sizes.clone();
        a.push(2 * act_dim);
        let mut q = sizes.clone();
        q[0] = obs_dim + act_dim;
        q.push(1);
        let g = cfg.activation;
        let actor = Mlp::new(&a, 0.01, g, &mut rng, &device);
        let twin = |rng: &mut ChaCha8Rng| TwinQ {
            q1: Mlp::new(&q, 1.0, g, rng, &device),
            q2: Mlp::new(&q, 1.0, g, rng, &device),
        };
        let qn = twin(&mut rng);
        let mut q_target = twin(&mut rng);
        q_target = polyak(q_target, &qn, 1.0, &device);
        let log_alpha = LogAlpha {
            value: Param::from_data(TensorData::new(vec![cfg.alpha.ln() as f32], [1]), &device),
        };
        Ok(Self {
            replay: Replay::new(cfg.buffer_size, obs_dim, act_dim),
            actor_opt: adam(1e-8),
            q_opt: adam(1e-8),
            alpha_opt: adam(1e-8),
            cfg,
            device,
            actor,
            q: qn,
            q_target,
            log_alpha,
            rng,
            space,
            q_updates: 0,
            update: 0,
            global_step: 0,
            obs_dim,
            act_dim,
        })
    }

    fn alpha(&self) -> f64 {
        if self.cfg.autotune {
            (self.log_alpha.value.val().into_scalar::<f32>() as f64).exp()
        } else {
            self.cfg.alpha
        }
    }

    fn scale_bias(&self) -> (Tensor<2>, Tensor<2>) {
        let a = self.act_dim;
        let s = &self.space;
        let scale: Vec<f32> = (0..a)
            .map(|k| ((s.high[k] - s.low[k]) / 2.0) as f32)
            .collect();
        let bias: Vec<f32> = (0..a)
            .map(|k| ((s.high[k] + s.low[k]) / 2.0) as f32)
            .collect();
        (
            Tensor::from_data(TensorData::new(scale, [1, a]), &self.device),
            Tensor::from_data(TensorData::new(bias, [1, a]), &self.device),
        )
    }

    /// Tanh-squashed reparameterised sample in env units and its log-probability.
    fn sample(&mut self, obs: Tensor<2>, n: usize) -> (Tensor<2>, Tensor<1>) {
        let a = self.act_dim;
        let out = self.actor.forward(obs);
        let mean = out.clone().slice([0..n, 0..a]);
        let log_std = burn::tensor::activation::tanh(out.slice([0..n, a..2 * a]))
            .add_scalar(1.0)
            .mul_scalar(0.5 * (LOG_STD_MAX - LOG_STD_MIN))
            .add_scalar(LOG_STD_MIN);
        let eps: Vec<f32> = (0..n * a)
            .map(|_| self.rng.sample::<f64, _>(StandardNormal) as f32)
            .collect();
        let eps = Tensor::<2>::from_data(TensorData::new(eps, [n, a]), &self.device);
        let x = mean + log_std.clone().exp() * eps.clone();
        let y = burn::tensor::activation::tanh(x);
        let (scale, bias) = self.scale_bias();
        // log N(x; mean, std) with (x - mean) / std = eps, minus log |d tanh(x) / d x|.
        // The density is that of the squashed action in [-1, 1], before the env's
        // scaling, as in SB3's `SquashedDiagGaussianDistribution`: CleanRL also divides by
        // the action scale, which for small ranges (e.g. ±0.06 rad per step) puts
        // the entropy target of -act_dim out of reach and makes alpha and Q diverge.
        let corr = y
            .clone()
            .square()
            .neg()
            .add_scalar(1.0)
            .add_scalar(1e-6)
            .log();
        let logp = eps.square().mul_scalar(-0.5) - log_std - (0.5 * LN_2PI) - corr;
        (y * scale + bias, logp.sum_dim(1).reshape([n]))
    }

    fn gather(&mut self, bs: usize) -> [Vec<f32>; 5] {
        let (d, a) = (self.obs_dim, self.act_dim);
        let r = &self.replay;
        let mut out: [Vec<f32>; 5] = Default::default();
        for _ in 0..bs {
            let k = self.rng.random_range(0..r.len);
            out[0].extend_from_slice(&r.obs[k * d..(k + 1) * d]);
            out[1].extend_from_slice(&r.next[k * d..(k + 1) * d]);
            out[2].extend_from_slice(&r.act[k * a..(k + 1) * a]);
            out[3].push(r.rew[k]);
            out[4].push(r.term[k]);
        }
        out
    }

    /// One Q update, and the delayed actor/alpha updates and target update when due.
    /// Returns (q loss, actor loss if updated, entropy estimate if updated).
    fn train_step(&mut self) -> Result<(f64, Option<f64>, Option<f64>), RlError> {
        let (bs, d, a) = (self.cfg.batch_size, self.obs_dim, self.act_dim);
        let [obs, next, act, rew, term] = self.gather(bs);
        let dev = self.device.clone();
        let t2 = |v: Vec<f32>, w: usize| Tensor::<2>::from_data(TensorData::new(v, [bs, w]), &dev);
        let t1 = |v: Vec<f32>| Tensor::<1>::from_data(TensorData::new(v, [bs]), &dev);
        let (obs, next, act, rew, term) = (t2(obs, d), t2(next, d), t2(act, a), t1(rew), t1(term));
        let alpha = self.alpha();
        let (next_a, next_logp) = self.sample(next.clone(), bs);
        let (n1, n2) = self.q_target.forward(next, next_a.detach());
        let min_next = n1.min_pair(n2).reshape([bs]) - next_logp.detach().mul_scalar(alpha);
        let y = (rew + term.neg().add_scalar(1.0) * min_next.mul_scalar(self.cfg.gamma)).detach();
        let (q1, q2) = self.q.forward(obs.clone(), act);
        let q1: Tensor<1> = q1.reshape([bs]);
        let q2: Tensor<1> = q2.reshape([bs]);
        let q_loss = (q1 - y.clone()).square().mean() + (q2 - y).square().mean();
        let q_val = q_loss.clone().into_scalar::<f32>() as f64;
        if !q_val.is_finite() {
            return Err(RlError::SacLoss { value: q_val });
        }
        let mut grads = q_loss.backward();
        let gp = GradientsParams::from_module(&mut grads, &self.q);
        self.q = self.q_opt.step(self.cfg.q_lr, self.q.clone(), gp);
        self.q_updates += 1;
        let (mut actor_loss, mut entropy) = (None, None);
        let pf = self.cfg.policy_frequency.max(1);
        if self.q_updates.is_multiple_of(pf) {
            for _ in 0..pf {
                let alpha = self.alpha();
                let (pi, logp) = self.sample(obs.clone(), bs);
                let (a1, a2) = self.q.forward(obs.clone(), pi);
                let min_q = a1.min_pair(a2).reshape([bs]);
                let loss = (logp.clone().mul_scalar(alpha) - min_q).mean();
                actor_loss = Some(loss.clone().into_scalar::<f32>() as f64);
                let mean_logp = logp.detach().mean().into_scalar::<f32>() as f64;
                entropy = Some(-mean_logp);
                let mut grads = loss.backward();
                let gp = GradientsParams::from_module(&mut grads, &self.actor);
                self.actor = self
                    .actor_opt
                    .step(self.cfg.policy_lr, self.actor.clone(), gp);
                if self.cfg.autotune {
                    // CleanRL: alpha_loss = (-log_alpha.exp() * (log_pi + target_entropy)).mean()
                    // with a fresh sample; the mean is linear, so it is taken on the host.
                    let (_, logp2) = self.sample(obs.clone(), bs);
                    let m = logp2.detach().mean().into_scalar::<f32>() as f64 - a as f64;
                    let loss = self.log_alpha.value.val().exp().mul_scalar(-m).sum();
                    let mut grads = loss.backward();
                    let gp = GradientsParams::from_module(&mut grads, &self.log_alpha);
                    self.log_alpha = self
                        .alpha_opt
                        .step(self.cfg.q_lr, self.log_alpha.clone(), gp);
                }
            }
        }
        if self
            .q_updates
            .is_multiple_of(self.cfg.target_network_frequency.max(1))
        {
            self.q_target = polyak(self.q_target.clone(), &self.q, self.cfg.tau, &self.device);
        }
        Ok((q_val, actor_loss, entropy))
    }

    /// Host actions: uniform before `learning_starts`, else sampled from the actor.
    fn act(&mut self, obs: &[f32], host: &HostMlp) -> Vec<f32> {
        let (a, s) = (self.act_dim, self.space.clone());
        let n = obs.len() / self.obs_dim;
        if self.global_step < self.cfg.learning_starts {
            return (0..n * a)
                .map(|k| {
                    let j = k % a;
                    self.rng.random_range(s.low[j]..=s.high[j]) as f32
                })
                .collect();
        }
        let out = host.forward_batch(obs, self.obs_dim);
        let mut acts = Vec::with_capacity(n * a);
        for row in out.chunks_exact(2 * a) {
            for j in 0..a {
                let ls = LOG_STD_MIN
                    + 0.5 * (LOG_STD_MAX - LOG_STD_MIN) * ((row[a + j] as f64).tanh() + 1.0);
                let eps: f64 = self.rng.sample(StandardNormal);
                let x = (row[j] as f64 + ls.exp() * eps).tanh();
                let (lo, hi) = (s.low[j], s.high[j]);
                acts.push((x * (hi - lo) / 2.0 + (hi + lo) / 2.0) as f32);
            }
        }
        acts
    }

    /// Collect `log_every` vector steps, training after `learning_starts`.
    pub fn iterate(&mut self, drv: &mut EnvDriver) -> Result<UpdateStats, RlError> {
        let t0 = std::time::Instant::now();
        let (n, d, a) = (drv.n_envs(), self.obs_dim, self.act_dim);
        let mut host = HostMlp::of(&self.actor);
        let mut train_s = 0.0;
        let (mut ql, mut qn) = (0.0, 0usize);
        let (mut al, mut an, mut ent) = (0.0, 0usize, 0.0);
        for _ in 0..self.cfg.log_every.max(1) {
            let obs = drv.obs.clone();
            let acts = self.act(&obs, &host);
            let env_act: Vec<f64> = acts.iter().map(|&x| x as f64).collect();
            drv.step(&env_act).map_err(|e| RlError::Step {
                step: self.global_step,
                source: Box::new(e),
            })?;
            for i in 0..n {
                self.replay.push(
                    &obs[i * d..(i + 1) * d],
                    &acts[i * a..(i + 1) * a],
                    drv.rewards[i] as f32,
                    &drv.final_obs[i * d..(i + 1) * d],
                    drv.flags[i].terminated,
                );
            }
            self.global_step += n as u64;
            if self.global_step >= self.cfg.learning_starts {
                let t = std::time::Instant::now();
                for _ in 0..self.cfg.gradient_steps {
                    let (q, actor, e) = self.train_step()?;
                    ql += q;
                    qn += 1;
                    if let (Some(x), Some(e)) = (actor, e) {
                        al += x;
                        ent += e;
                        an += 1;
                    }
                }
                host = HostMlp::of(&self.actor);
                train_s += t.elapsed().as_secs_f64();
            }
        }
        self.update += 1;
        let total = t0.elapsed().as_secs_f64();
        Ok(UpdateStats {
            policy_loss: if an > 0 { al / an as f64 } else { f64::NAN },
            value_loss: if qn > 0 { ql / qn as f64 } else { f64::NAN },
            entropy: if an > 0 { ent / an as f64 } else { f64::NAN },
            lr: self.cfg.policy_lr,
            alpha: Some(self.alpha()),
            rollout_s: total - train_s,
            update_s: train_s,
            explained_var: f64::NAN,
            ..Default::default()
        })
    }
}

impl Learner for Sac {
    fn iterate(&mut self, drv: &mut EnvDriver) -> Result<UpdateStats, RlError> {
        Sac::iterate(self, drv)
    }
    fn update(&self) -> u64 {
        self.update
    }
    fn global_step(&self) -> u64 {
        self.global_step
    }
    fn done(&self) -> bool {
        self.update >= self.cfg.num_iterations()
    }
    fn steps_per_iteration(&self) -> usize {
        self.cfg.steps_per_iteration()
    }
    fn save(&self, dir: &Path) -> Result<(), RlError> {
        let e = |what: &str| RlError::record("saving", what);
        self.actor
            .clone()
            .into_record()
            .save(dir.join("actor.bpk"))
            .map_err(e("actor"))?;
        self.q
            .clone()
            .into_record()
            .save(dir.join("q.bpk"))
            .map_err(e("q"))?;
        self.q_target
            .clone()
            .into_record()
            .save(dir.join("q_target.bpk"))
            .map_err(e("q target"))?;
        self.log_alpha
            .clone()
            .into_record()
            .save(dir.join("log_alpha.bpk"))
            .map_err(e("alpha"))?;
        self.actor_opt
            .save(dir.join("actor_optim.bpk"))
            .map_err(e("actor optimizer"))?;
        self.q_opt
            .save(dir.join("q_optim.bpk"))
            .map_err(e("q optimizer"))?;
        self.alpha_opt
            .save(dir.join("alpha_optim.bpk"))
            .map_err(e("alpha optimizer"))?;
        let path = dir.join("replay.bin");
        let bytes =
            bincode::serde::encode_to_vec(self.replay.compact(), bincode::config::standard())
                .map_err(RlError::encode(path.clone()))?;
        std::fs::write(&path, bytes).map_err(RlError::io("writing", path))?;
        let st = SacState {
            rng: RngState::of(&self.rng),
            q_updates: self.q_updates,
            update: self.update,
            global_step: self.global_step,
        };
        write_state(dir.join("sac.json"), &st)
    }
    fn load(&mut self, dir: &Path) -> Result<(), RlError> {
        use burn::store::ModuleRecord;
        let rec = |f: &str| ModuleRecord::load(dir.join(f)).map_err(RlError::record("loading", f));
        let err = |e: burn::store::RecordError| RlError::record("loading", "checkpoint")(e);
        self.actor = self
            .actor
            .clone()
            .try_load_record(rec("actor.bpk")?)
            .map_err(err)?;
        self.q = self.q.clone().try_load_record(rec("q.bpk")?).map_err(err)?;
        self.q_target = self
            .q_target
            .clone()
            .try_load_record(rec("q_target.bpk")?)
            .map_err(err)?;
        self.log_alpha = self
            .log_alpha
            .clone()
            .try_load_record(rec("log_alpha.bpk")?)
            .map_err(err)?;
        self.actor_opt = adam(1e-8).load(dir.join("actor_optim.bpk")).map_err(err)?;
        self.q_opt = adam(1e-8).load(dir.join("q_optim.bpk")).map_err(err)?;
        self.alpha_opt = adam(1e-8).load(dir.join("alpha_optim.bpk")).map_err(err)?;
        let path = dir.join("replay.bin");
        let bytes = std::fs::read(&path).map_err(RlError::io("reading", path.clone()))?;
        let (replay, _): (Replay, usize) =
            bincode::serde::decode_from_slice(&bytes, bincode::config::standard()).map_err(
                |e| RlError::Decode {
                    path,
                    source: e.into(),
                },
            )?;
        if replay.cap != self.cfg.buffer_size {
            return Err(RlError::ReplaySize {
                saved: replay.cap,
                config: self.cfg.buffer_size,
            });
        }
        self.replay = replay.expand(self.obs_dim, self.act_dim);
        let st: SacState = read_state(dir.join("sac.json"))?;
        self.rng = st.rng.rng();
        self.q_updates = st.q_updates;
        self.update = st.update;
        self.global_step = st.global_step;
        Ok(())
    }
    fn actor(&self) -> Actor {
        Actor {
            net: HostMlp::of(&self.actor),
            obs_rms: None,
            clip_obs: 10.0,
            squash: true,
            rescale: false,
            discrete: false,
        }
    }
}

/// `target ← tau · online + (1 − tau) · target`, parameter by parameter (same structure).
fn polyak(target: TwinQ, online: &TwinQ, tau: f64, device: &Device) -> TwinQ {
    struct Collect(Vec<TensorData>);
    impl ModuleVisitor for Collect {
        fn visit_float<const D: usize>(&mut self, p: &Param<Tensor<D>>) {
            self.0.push(p.val().into_data());
        }
    }
    struct Blend<'a> {
        src: std::vec::IntoIter<TensorData>,
        tau: f64,
        device: &'a Device,
    }
    impl ModuleMapper for Blend<'_> {
        fn map_float<const D: usize>(&mut self, p: Param<Tensor<D>>) -> Param<Tensor<D>> {
            let src = self.src.next().expect("same structure");
            let (tau, device) = (self.tau, self.device);
            p.map(|t| {
                let o = Tensor::<D>::from_data(src, device);
                (o.mul_scalar(tau) + t.mul_scalar(1.0 - tau)).detach()
            })
        }
    }
    let mut c = Collect(Vec::new());
    online.visit(&mut c);
    target.map(&mut Blend {
        src: c.0.into_iter(),
        tau,
        device,
    })
}
