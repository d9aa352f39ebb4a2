//! Soft Actor-Critic for continuous actions (Haarnoja et al. 2018), after CleanRL's
//! `sac_continuous_action.py` and Stable-Baselines3's `SAC`: twin Q networks with
//! Polyak-averaged targets, a tanh-squashed Gaussian actor with state-dependent log-std,
//! automatic entropy tuning, a replay buffer fed by any number of envs, n-step returns
//! and any update-to-data ratio. Truncated episodes bootstrap (only `terminated` cuts
//! the target), as SB3's `handle_timeout_termination`.
//!
//! The networks run on the CPU as hand-written f32 kernels ([`crate::rl::nn`]), not on
//! burn: see [`update`] for the gradient step and benches/README.md for why.

pub mod config;
pub mod replay;
pub mod update;

pub use config::SacConfig;

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::StandardNormal;
use serde::{Deserialize, Serialize};
use std::path::Path;
use std::time::Instant;

use crate::env::BoxSpace;
use crate::rl::driver::EnvDriver;
use crate::rl::gaussian::bounded_log_std;
use crate::rl::nn::MlpCache;
use crate::rl::rng_state::RngState;
use crate::rl::{Actor, BoxMap, Learner, RlError, UpdateStats, box_action};
use replay::{Batch, NStepAdder, Replay};
use update::{SacNets, StepReport, StepScratch, StepSettings};

/// Version of `sac.bin`; a checkpoint of another version is refused with a clear error.
const CHECKPOINT_FORMAT: u32 = 2;

/// SAC: networks, replay, RNG streams and counters.
pub struct Sac {
    cfg: SacConfig,
    nets: SacNets,
    scratch: StepScratch,
    batch: Batch,
    replay: Replay,
    adder: NStepAdder,
    /// Random warm-up actions and the acting noise.
    act_rng: ChaCha8Rng,
    /// Minibatch draws and the reparameterisation noise of the updates.
    update_rng: ChaCha8Rng,
    act_cache: MlpCache,
    /// The exploration noise's last value per env and action component (correlated
    /// noise only, `noise_steps` > 0).
    noise: Vec<f32>,
    space: BoxSpace,
    obs_dim: usize,
    /// Gradient steps done.
    grad_steps: u64,
    /// Env steps since learning started (the UTD ratio's denominator).
    learn_env_steps: u64,
    /// Iterations done.
    pub update: u64,
    /// Env steps done.
    pub global_step: u64,
}

/// What `sac.bin` holds besides the replay buffer (in `replay.bin`).
#[derive(Serialize, Deserialize)]
struct SacCheckpoint {
    format: u32,
    nets: SacNets,
    adder: NStepAdder,
    act_rng: RngState,
    update_rng: RngState,
    noise: Vec<f32>,
    grad_steps: u64,
    learn_env_steps: u64,
    update: u64,
    global_step: u64,
}

/// Sums over an iteration's gradient steps.
#[derive(Default)]
struct Totals {
    q_loss: f64,
    steps: usize,
    actor_loss: f64,
    entropy: f64,
    actor_steps: usize,
}

impl Totals {
    fn add(&mut self, r: &StepReport) {
        self.q_loss += r.q_loss;
        self.steps += 1;
        if let Some((loss, entropy)) = r.actor {
            self.actor_loss += loss;
            self.entropy += entropy;
            self.actor_steps += 1;
        }
    }
}

/// `sum / n`, NaN for none.
fn mean(sum: f64, n: usize) -> f64 {
    if n > 0 { sum / n as f64 } else { f64::NAN }
}

impl Sac {
    /// Fresh networks for `obs_dim` observations in the Box action space `space`,
    /// seeded by `seed`.
    pub fn new(
        cfg: SacConfig,
        space: BoxSpace,
        obs_dim: usize,
        seed: u64,
    ) -> Result<Self, RlError> {
        cfg.validate()?;
        let act_dim = space.dim();
        let mut init = ChaCha8Rng::seed_from_u64(seed);
        let nets = SacNets::new(
            obs_dim,
            act_dim,
            &cfg.hidden,
            cfg.activation,
            cfg.alpha,
            &mut init,
        );
        let stream = |k: u64| {
            let mut r = ChaCha8Rng::seed_from_u64(seed);
            r.set_stream(k);
            r
        };
        Ok(Self {
            replay: Replay::new(cfg.buffer_size, obs_dim, act_dim),
            adder: NStepAdder::new(cfg.n_envs, cfg.n_step, cfg.gamma),
            nets,
            scratch: StepScratch::default(),
            batch: Batch::default(),
            act_rng: stream(1),
            update_rng: stream(2),
            act_cache: MlpCache::default(),
            noise: vec![0.0; cfg.n_envs * act_dim],
            space,
            obs_dim,
            grad_steps: 0,
            learn_env_steps: 0,
            update: 0,
            global_step: 0,
            cfg,
        })
    }

    /// The entropy coefficient now.
    fn alpha(&self) -> f64 {
        if self.cfg.autotune {
            self.nets.log_alpha.exp()
        } else {
            self.cfg.alpha
        }
    }

    /// Actions for `n` observations: uniform before `learning_starts`, else sampled from
    /// the actor. `acts` gets them in [-1, 1] (what the buffer stores), `env_act` in
    /// the env's bounds.
    fn act(&mut self, obs: &[f32], n: usize, acts: &mut [f32], env_act: &mut [f64]) {
        let a = self.space.dim();
        let tau = self.cfg.noise_steps;
        let rho = if tau > 0.0 { (-1.0 / tau).exp() } else { 0.0 };
        // Standard normal noise for component k: white, or the next value of its
        // Ornstein–Uhlenbeck process.
        let mut noise = |rng: &mut ChaCha8Rng, k: usize| -> f64 {
            let xi: f64 = rng.sample(StandardNormal);
            if tau > 0.0 {
                let e = rho * self.noise[k] as f64 + (1.0 - rho * rho).sqrt() * xi;
                self.noise[k] = e as f32;
                e
            } else {
                xi
            }
        };
        if self.global_step < self.cfg.learning_starts {
            for (k, x) in acts.iter_mut().enumerate() {
                *x = if tau > 0.0 {
                    noise(&mut self.act_rng, k).clamp(-1.0, 1.0) as f32
                } else {
                    self.act_rng.random_range(-1.0f32..=1.0)
                };
            }
        } else {
            self.nets.actor.forward(obs, n, &mut self.act_cache);
            let out = self.nets.actor.output(&self.act_cache);
            for (r, row) in out.chunks_exact(2 * a).enumerate() {
                for j in 0..a {
                    let std = bounded_log_std(row[a + j] as f64).exp();
                    let eps = noise(&mut self.act_rng, r * a + j);
                    acts[r * a + j] = (row[j] as f64 + std * eps).tanh() as f32;
                }
            }
        }
        for (k, (e, &y)) in env_act.iter_mut().zip(acts.iter()).enumerate() {
            let j = k % a;
            *e = box_action(
                y as f64,
                self.space.low[j],
                self.space.high[j],
                BoxMap::Rescale,
            );
        }
    }

    /// One gradient step on a fresh minibatch.
    fn gradient_step(&mut self) -> Result<StepReport, RlError> {
        let c = &self.cfg;
        self.replay
            .sample(c.batch_size, &mut self.update_rng, &mut self.batch);
        self.grad_steps += 1;
        let set = StepSettings {
            policy_lr: c.policy_lr,
            q_lr: c.q_lr,
            tau: c.tau,
            autotune: c.autotune,
            alpha: c.alpha,
            update_actor: self.grad_steps.is_multiple_of(c.policy_frequency.max(1)),
            update_target: self
                .grad_steps
                .is_multiple_of(c.target_network_frequency.max(1)),
        };
        self.nets
            .step(&self.batch, &set, &mut self.update_rng, &mut self.scratch)
    }

    /// Collect `log_every` vector steps, training after `learning_starts` at `utd`
    /// gradient steps per env step.
    pub fn iterate(&mut self, drv: &mut EnvDriver) -> Result<UpdateStats, RlError> {
        let t0 = Instant::now();
        let (n, d, a) = (drv.n_envs(), self.obs_dim, self.space.dim());
        let mut acts = vec![0f32; n * a];
        let mut env_act = vec![0f64; n * a];
        let mut totals = Totals::default();
        let mut train_s = 0.0;
        for _ in 0..self.cfg.log_every.max(1) {
            let obs = drv.obs.clone();
            self.act(&obs, n, &mut acts, &mut env_act);
            drv.step(&env_act).map_err(|e| RlError::Step {
                step: self.global_step,
                source: Box::new(e),
            })?;
            for i in 0..n {
                let f = drv.flags[i];
                self.adder.add(
                    &mut self.replay,
                    i,
                    &obs[i * d..(i + 1) * d],
                    &acts[i * a..(i + 1) * a],
                    drv.rewards[i],
                    &drv.final_obs[i * d..(i + 1) * d],
                    f.terminated,
                    f.truncated,
                );
            }
            self.global_step += n as u64;
            if self.global_step >= self.cfg.learning_starts && !self.replay.is_empty() {
                let t = Instant::now();
                self.learn_env_steps += n as u64;
                // Gradient steps owed: ⌊UTD · env steps⌋ (the small slack keeps ratios
                // like 0.1 from losing a step to rounding).
                let due = (self.cfg.utd * self.learn_env_steps as f64 + 1e-9).floor() as u64;
                while self.grad_steps < due {
                    totals.add(&self.gradient_step()?);
                }
                train_s += t.elapsed().as_secs_f64();
            }
        }
        self.update += 1;
        let total = t0.elapsed().as_secs_f64();
        Ok(UpdateStats {
            policy_loss: mean(totals.actor_loss, totals.actor_steps),
            value_loss: mean(totals.q_loss, totals.steps),
            entropy: mean(totals.entropy, totals.actor_steps),
            approx_kl: f64::NAN,
            clip_frac: f64::NAN,
            explained_var: f64::NAN,
            lr: self.cfg.policy_lr,
            alpha: Some(self.alpha()),
            rollout_s: total - train_s,
            update_s: train_s,
            epochs_stopped: None,
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
        write_bincode(dir.join("replay.bin"), &self.replay.compact())?;
        let ck = SacCheckpoint {
            format: CHECKPOINT_FORMAT,
            nets: self.nets.clone(),
            adder: self.adder.clone(),
            act_rng: RngState::of(&self.act_rng),
            update_rng: RngState::of(&self.update_rng),
            noise: self.noise.clone(),
            grad_steps: self.grad_steps,
            learn_env_steps: self.learn_env_steps,
            update: self.update,
            global_step: self.global_step,
        };
        write_bincode(dir.join("sac.bin"), &ck)
    }
    fn load(&mut self, dir: &Path) -> Result<(), RlError> {
        let path = dir.join("sac.bin");
        if !path.exists() && dir.join("actor.bpk").exists() {
            return Err(RlError::OldSacCheckpoint {
                dir: dir.to_path_buf(),
            });
        }
        let bytes = std::fs::read(&path).map_err(RlError::io("reading", path.clone()))?;
        let decode_err = |path: &Path| {
            let path = path.to_path_buf();
            move |e: bincode::error::DecodeError| RlError::Decode {
                path,
                source: e.into(),
            }
        };
        let cfg = bincode::config::standard();
        let (format, _): (u32, usize) =
            bincode::serde::decode_from_slice(&bytes, cfg).map_err(decode_err(&path))?;
        if format != CHECKPOINT_FORMAT {
            return Err(RlError::SacFormat {
                path,
                found: format,
                expected: CHECKPOINT_FORMAT,
            });
        }
        let (ck, _): (SacCheckpoint, usize) =
            bincode::serde::decode_from_slice(&bytes, cfg).map_err(decode_err(&path))?;
        let rpath = dir.join("replay.bin");
        let rbytes = std::fs::read(&rpath).map_err(RlError::io("reading", rpath.clone()))?;
        let (replay, _): (Replay, usize) =
            bincode::serde::decode_from_slice(&rbytes, cfg).map_err(decode_err(&rpath))?;
        let a = self.space.dim();
        if replay.capacity() != self.cfg.buffer_size {
            return Err(RlError::ReplaySize {
                saved: replay.capacity(),
                config: self.cfg.buffer_size,
            });
        }
        let fits = ck.nets.fits(self.obs_dim, a, &self.cfg.hidden)
            && replay.fits(self.obs_dim, a)
            && ck.adder.fits(self.cfg.n_envs, self.cfg.n_step)
            && ck.noise.len() == self.noise.len();
        if !fits {
            return Err(RlError::CheckpointMismatch { path });
        }
        self.replay = replay.expand();
        self.nets = ck.nets;
        self.adder = ck.adder;
        self.act_rng = ck.act_rng.rng();
        self.update_rng = ck.update_rng.rng();
        self.noise = ck.noise;
        self.grad_steps = ck.grad_steps;
        self.learn_env_steps = ck.learn_env_steps;
        self.update = ck.update;
        self.global_step = ck.global_step;
        Ok(())
    }
    fn actor(&self) -> Actor {
        Actor {
            net: self.nets.actor.to_host(),
            obs_rms: None,
            clip_obs: 10.0,
            squash: true,
            rescale: false,
            discrete: false,
        }
    }
}

/// Write `value` to `path` as bincode (standard configuration).
fn write_bincode<T: Serialize>(path: std::path::PathBuf, value: &T) -> Result<(), RlError> {
    let bytes = bincode::serde::encode_to_vec(value, bincode::config::standard())
        .map_err(RlError::encode(path.clone()))?;
    std::fs::write(&path, bytes).map_err(RlError::io("writing", path))
}
