//! `VecEnv`: N copies of one env stepped in parallel with rayon, with auto-reset.
//!
//! Auto-reset follows Stable-Baselines3's convention: when an episode ends, `step`
//! returns the first observation of the next episode, and the ended episode's last
//! State and observation stay available in the batch (`states`, `final_obs`).

use rayon::prelude::*;

use crate::env::gym::{Env, StepFlags};
use crate::env::state::State;
use crate::env::{AssetRoots, CompiledSpec, EnvError};
use std::sync::Arc;

/// The outcome of one `VecEnv::step`, all vectors indexed by env.
#[derive(Debug, Clone)]
pub struct StepBatch {
    /// Observations to act on next (reset observations where an episode ended), flat
    /// `n_envs × obs_dim`.
    pub obs: Vec<f32>,
    /// Observations at the end of this step, before any reset, flat like `obs`.
    pub final_obs: Vec<f32>,
    /// The State each transition ended in (before any reset): what rewards read.
    pub states: Vec<State>,
    /// Termination and truncation flags.
    pub flags: Vec<StepFlags>,
}

/// N envs of one spec, each with its own RNG stream.
pub struct VecEnv {
    envs: Vec<Env>,
    pool: rayon::ThreadPool,
    batch: StepBatch,
}

impl VecEnv {
    /// Build `n` copies of `env` (a built-in name or spec path), stepped on `threads`
    /// worker threads (`None`: as many as the global rayon pool, one per core unless
    /// `train --threads` set it).
    pub fn new(
        env: &str,
        roots: &AssetRoots,
        n: usize,
        threads: Option<usize>,
    ) -> Result<Self, EnvError> {
        Self::from_env(Env::load(env, roots)?, n, threads)
    }

    /// Build `n` copies of an already loaded env.
    pub fn from_env(first: Env, n: usize, threads: Option<usize>) -> Result<Self, EnvError> {
        let n = n.max(1);
        let mut envs = Vec::with_capacity(n);
        for _ in 1..n {
            envs.push(first.duplicate()?);
        }
        envs.insert(0, first);
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads.unwrap_or_else(rayon::current_num_threads))
            .build()
            .map_err(|e| EnvError::Snapshot(format!("thread pool: {e}")))?;
        let dim = envs[0].compiled().obs_dim();
        let batch = StepBatch {
            obs: vec![0.0; n * dim],
            final_obs: vec![0.0; n * dim],
            states: envs.iter().map(|e| e.state().clone()).collect(),
            flags: vec![
                StepFlags {
                    terminated: false,
                    truncated: false
                };
                n
            ],
        };
        Ok(Self { envs, pool, batch })
    }

    /// Number of envs.
    pub fn len(&self) -> usize {
        self.envs.len()
    }

    /// Whether there are no envs (never: at least one is built).
    pub fn is_empty(&self) -> bool {
        self.envs.is_empty()
    }

    /// The shared compiled spec.
    pub fn compiled(&self) -> &Arc<CompiledSpec> {
        self.envs[0].compiled()
    }

    /// The envs themselves.
    pub fn envs(&self) -> &[Env] {
        &self.envs
    }

    /// The envs, mutably (e.g. to restore them from a checkpoint).
    pub fn envs_mut(&mut self) -> &mut [Env] {
        &mut self.envs
    }

    /// Reset every env; env `i` is seeded with `seed + i` (Gymnasium's vector-env
    /// convention). Returns the flat observations.
    pub fn reset(&mut self, seed: u64) -> Result<&[f32], EnvError> {
        let dim = self.compiled().obs_dim();
        let obs = &mut self.batch.obs;
        let envs = &mut self.envs;
        self.pool.install(|| {
            envs.par_iter_mut()
                .zip(obs.par_chunks_mut(dim))
                .enumerate()
                .try_for_each(|(i, (env, out))| {
                    out.copy_from_slice(&env.reset(Some(seed.wrapping_add(i as u64)))?);
                    Ok::<_, EnvError>(())
                })
        })?;
        for (s, e) in self.batch.states.iter_mut().zip(&self.envs) {
            s.clone_from(e.state());
        }
        Ok(&self.batch.obs)
    }

    /// Step every env with its slice of `actions` (flat `n_envs × action_dim`);
    /// envs whose episode ended are reset from their own RNG streams.
    pub fn step(&mut self, actions: &[f64]) -> Result<&StepBatch, EnvError> {
        let dim = self.compiled().obs_dim();
        let adim = self.compiled().action_space.dim();
        if actions.len() != adim * self.envs.len() {
            return Err(EnvError::BadAction {
                env: 0,
                message: format!(
                    "expected {} × {adim} action components, got {}",
                    self.envs.len(),
                    actions.len()
                ),
            });
        }
        let b = &mut self.batch;
        let step_one = |i: usize,
                        env: &mut Env,
                        (obs, fin): (&mut [f32], &mut [f32]),
                        state: &mut State,
                        flags: &mut StepFlags,
                        act: &[f64]| {
            *flags = env.step_into(act, fin).map_err(|e| match e {
                EnvError::BadAction { message, .. } => EnvError::BadAction { env: i, message },
                other => other,
            })?;
            state.clone_from(env.state());
            if flags.terminated || flags.truncated {
                obs.copy_from_slice(&env.reset(None)?);
            } else {
                obs.copy_from_slice(fin);
            }
            Ok::<_, EnvError>(())
        };
        if self.pool.current_num_threads() == 1 {
            // On one worker, step on this thread: handing each step to the pool and
            // waiting for it cost more than a small env's physics (cartpole).
            self.envs
                .iter_mut()
                .zip(b.obs.chunks_mut(dim))
                .zip(b.final_obs.chunks_mut(dim))
                .zip(b.states.iter_mut())
                .zip(b.flags.iter_mut())
                .zip(actions.chunks(adim))
                .enumerate()
                .try_for_each(|(i, (((((env, obs), fin), state), flags), act))| {
                    step_one(i, env, (obs, fin), state, flags, act)
                })?;
        } else {
            let envs = &mut self.envs;
            self.pool.install(|| {
                envs.par_iter_mut()
                    .zip(b.obs.par_chunks_mut(dim))
                    .zip(b.final_obs.par_chunks_mut(dim))
                    .zip(b.states.par_iter_mut())
                    .zip(b.flags.par_iter_mut())
                    .zip(actions.par_chunks(adim))
                    .enumerate()
                    .try_for_each(|(i, (((((env, obs), fin), state), flags), act))| {
                        step_one(i, env, (obs, fin), state, flags, act)
                    })
            })?;
        }
        Ok(&self.batch)
    }
}
