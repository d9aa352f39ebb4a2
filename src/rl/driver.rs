//! `EnvDriver`: a `VecEnv` plus its reward and success programs, with episode
//! bookkeeping (returns, lengths, success, reward components) shared by the algorithms.

use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, VecDeque};

use crate::env::spec::SuccessWhen;
use crate::env::{StepFlags, VecEnv};
use crate::reward::clip::{ClipTerm, HeldScores};
use crate::reward::{Reward, RewardOut};
use crate::rl::RlError;

/// Name of the reward component the CLIP term adds.
pub const CLIP_COMPONENT: &str = "clip";

/// One finished episode.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Episode {
    /// Index of the env it ran in.
    pub env: usize,
    /// Undiscounted sum of the (unnormalised) reward.
    pub ret: f64,
    /// Steps.
    pub len: u32,
    /// Whether the env's success predicate held (at the end, or at any step).
    pub success: bool,
}

/// Per-env running episode.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
struct Running {
    ret: f64,
    len: u32,
    any_success: bool,
}

/// Saved driver state (for checkpoints).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct DriverState {
    envs: Vec<Vec<u8>>,
    obs: Vec<f32>,
    running: Vec<Running>,
    clip_held: Option<HeldScores>,
}

/// A stepped batch whose CLIP term is still being scored.
struct Unsettled {
    outs: Vec<RewardOut>,
    flags: Vec<StepFlags>,
    succ: Vec<Option<bool>>,
}

/// Vectorised envs with rewards, success and episode statistics.
///
/// [`EnvDriver::step`] gives a step's rewards at once. [`EnvDriver::step_pipelined`]
/// lets a CLIP term scored in the background work on one step's frames while the caller
/// acts and steps the next; the rewards then come in step order from
/// [`EnvDriver::take_settled`], the same bit for bit.
pub struct EnvDriver {
    /// The envs.
    pub venv: VecEnv,
    reward: Box<dyn Reward>,
    use_program: bool,
    clip: Option<ClipTerm>,
    success: Box<dyn Reward>,
    success_when: SuccessWhen,
    ended: Vec<bool>,
    /// Observations to act on (flat `n × obs_dim`).
    pub obs: Vec<f32>,
    /// Observations at the end of the last step, before resets.
    pub final_obs: Vec<f32>,
    /// Reward totals of the last settled step.
    pub rewards: Vec<f64>,
    /// Flags of the last step.
    pub flags: Vec<StepFlags>,
    outs: Vec<RewardOut>,
    succ: Vec<Option<bool>>,
    unsettled: VecDeque<Unsettled>,
    settled: VecDeque<Vec<f64>>,
    running: Vec<Running>,
    /// Episodes finished since the last `take_stats`.
    pub finished: Vec<Episode>,
    /// Sum and count of each reward component since the last `take_stats`.
    pub components: BTreeMap<String, (f64, u64)>,
}

impl EnvDriver {
    /// Wrap `venv` with a reward and a success program, reset with `seed`.
    pub fn new(
        mut venv: VecEnv,
        reward: Box<dyn Reward>,
        success: Box<dyn Reward>,
        success_when: SuccessWhen,
        seed: u64,
    ) -> Result<Self, RlError> {
        let n = venv.len();
        let obs = venv.reset(seed)?.to_vec();
        Ok(Self {
            final_obs: obs.clone(),
            obs,
            venv,
            reward,
            use_program: true,
            clip: None,
            success,
            success_when,
            ended: vec![false; n],
            rewards: vec![0.0; n],
            flags: vec![
                StepFlags {
                    terminated: false,
                    truncated: false
                };
                n
            ],
            outs: vec![RewardOut::default(); n],
            succ: vec![None; n],
            unsettled: VecDeque::new(),
            settled: VecDeque::new(),
            running: vec![Running::default(); n],
            finished: Vec::new(),
            components: BTreeMap::new(),
        })
    }

    /// Add a CLIP term (component [`CLIP_COMPONENT`]) to the reward; with `use_program`
    /// false the reward program is not run and the CLIP term is the whole reward.
    pub fn with_clip(mut self, term: ClipTerm, use_program: bool) -> Self {
        self.clip = Some(term);
        self.use_program = use_program;
        self
    }

    /// Wall-clock seconds the CLIP term has spent so far (0 without one).
    pub fn clip_seconds(&self) -> f64 {
        self.clip.as_ref().map_or(0.0, ClipTerm::seconds)
    }

    /// Number of envs.
    pub fn n_envs(&self) -> usize {
        self.venv.len()
    }

    /// Observation size.
    pub fn obs_dim(&self) -> usize {
        self.venv.compiled().obs_dim()
    }

    /// Step every env with `actions` (flat, see [`crate::env::ActionSpace`]),
    /// evaluate rewards and success, and account finished episodes; `rewards` are this
    /// step's.
    pub fn step(&mut self, actions: &[f64]) -> Result<(), RlError> {
        self.begin_step(actions)?;
        self.settle(true)?;
        self.settled.clear();
        Ok(())
    }

    /// Step like [`EnvDriver::step`], except that the rewards of a step whose CLIP term
    /// is scored in the background come later: observations and flags are this step's,
    /// and [`EnvDriver::take_settled`] gives the rewards of every step settled so far.
    pub fn step_pipelined(&mut self, actions: &[f64]) -> Result<(), RlError> {
        self.begin_step(actions)?;
        self.settle(false)
    }

    /// Waits until every step is settled.
    pub fn finish_steps(&mut self) -> Result<(), RlError> {
        self.settle(true)
    }

    /// The rewards of the steps settled since the last call (of
    /// [`EnvDriver::step_pipelined`]), oldest first.
    pub fn take_settled(&mut self) -> std::collections::vec_deque::Drain<'_, Vec<f64>> {
        self.settled.drain(..)
    }

    /// Steps the envs, runs the reward program and the success predicate, and submits the
    /// CLIP term; without a CLIP term the step is settled here.
    fn begin_step(&mut self, actions: &[f64]) -> Result<(), RlError> {
        let b = self.venv.step(actions)?;
        self.obs.copy_from_slice(&b.obs);
        self.final_obs.copy_from_slice(&b.final_obs);
        self.flags.copy_from_slice(&b.flags);
        if self.use_program {
            self.reward
                .eval_batch(&b.states, &mut self.outs)
                .map_err(RlError::Reward)?;
        } else {
            for o in &mut self.outs {
                o.total = 0.0;
                o.components.clear();
            }
        }
        for (e, f) in self.ended.iter_mut().zip(&self.flags) {
            *e = f.terminated || f.truncated;
        }
        if self.use_program {
            self.reward.end_episodes(&self.ended);
        }
        self.success
            .success_batch(&b.states, &mut self.succ)
            .map_err(RlError::Success)?;
        match &mut self.clip {
            Some(clip) => {
                clip.submit(&b.states, &self.ended)
                    .map_err(RlError::ClipStep)?;
                let n = self.outs.len();
                self.unsettled.push_back(Unsettled {
                    outs: std::mem::replace(&mut self.outs, vec![RewardOut::default(); n]),
                    flags: self.flags.clone(),
                    succ: self.succ.clone(),
                });
            }
            None => {
                let (outs, succ) = (
                    std::mem::take(&mut self.outs),
                    std::mem::take(&mut self.succ),
                );
                let flags = self.flags.clone();
                self.account(&outs, &flags, &succ);
                (self.outs, self.succ) = (outs, succ);
                self.settled.push_back(self.rewards.clone());
            }
        }
        Ok(())
    }

    /// Adds the CLIP terms that are ready (all of them, waiting, when `wait`) to their
    /// steps and accounts those steps, in order.
    fn settle(&mut self, wait: bool) -> Result<(), RlError> {
        while let Some(clip) = &mut self.clip {
            if self.unsettled.is_empty() {
                break;
            }
            let Some(terms) = clip.collect(wait).map_err(RlError::ClipStep)? else {
                break;
            };
            let Some(mut u) = self.unsettled.pop_front() else {
                break;
            };
            for (o, t) in u.outs.iter_mut().zip(terms) {
                if !o.add_component(CLIP_COMPONENT, t) {
                    return Err(RlError::ComponentClash {
                        component: CLIP_COMPONENT,
                    });
                }
            }
            self.account(&u.outs, &u.flags, &u.succ);
            self.settled.push_back(self.rewards.clone());
        }
        Ok(())
    }

    /// Rewards, component sums and episode bookkeeping of one settled step.
    fn account(&mut self, outs: &[RewardOut], flags: &[StepFlags], succ: &[Option<bool>]) {
        for (i, o) in outs.iter().enumerate() {
            self.rewards[i] = o.total;
            for (name, v) in &o.components {
                let e = self.components.entry(name.clone()).or_insert((0.0, 0));
                e.0 += v;
                e.1 += 1;
            }
            let r = &mut self.running[i];
            r.ret += o.total;
            r.len += 1;
            let s = succ[i].unwrap_or(false);
            r.any_success |= s;
            let f = flags[i];
            if f.terminated || f.truncated {
                let success = match self.success_when {
                    SuccessWhen::Any => r.any_success,
                    SuccessWhen::End => s,
                };
                self.finished.push(Episode {
                    env: i,
                    ret: r.ret,
                    len: r.len,
                    success,
                });
                *r = Running::default();
            }
        }
    }

    /// Episodes finished and component sums since the last call; clears them.
    pub fn take_stats(&mut self) -> (Vec<Episode>, BTreeMap<String, (f64, u64)>) {
        (
            std::mem::take(&mut self.finished),
            std::mem::take(&mut self.components),
        )
    }

    /// The policy was updated: the reward takes its per-update step (constraint
    /// multipliers).
    pub fn end_update(&mut self) {
        self.reward.end_update();
    }

    /// The reward's own state for checkpoints ([`Reward::save_state`]).
    pub fn reward_state(&self) -> serde_json::Value {
        self.reward.save_state()
    }

    /// Restore the reward's own state from a checkpoint.
    pub fn load_reward_state(&mut self, state: serde_json::Value) -> Result<(), RlError> {
        self.reward.load_state(state).map_err(RlError::Reward)
    }

    /// Everything needed to continue bit for bit (envs, observations, running episodes);
    /// every step must be settled ([`EnvDriver::finish_steps`]).
    pub fn save(&self) -> Result<DriverState, RlError> {
        if !self.unsettled.is_empty() {
            return Err(RlError::Unsettled {
                steps: self.unsettled.len(),
            });
        }
        Ok(DriverState {
            envs: self
                .venv
                .envs()
                .iter()
                .map(|e| e.save_bytes())
                .collect::<Result<_, _>>()?,
            obs: self.obs.clone(),
            running: self.running.clone(),
            clip_held: self.clip.as_ref().map(|c| c.held().clone()),
        })
    }

    /// Restore a saved state onto a driver of the same env and size.
    pub fn load(&mut self, s: DriverState) -> Result<(), RlError> {
        if s.envs.len() != self.n_envs() || s.obs.len() != self.obs.len() {
            return Err(RlError::EnvCount {
                saved: s.envs.len(),
                current: self.n_envs(),
            });
        }
        for (e, bytes) in self.venv.envs_mut().iter_mut().zip(&s.envs) {
            e.load_bytes(bytes)?;
        }
        self.obs = s.obs;
        self.running = s.running;
        match (&mut self.clip, s.clip_held) {
            (Some(c), Some(h)) => c.set_held(h)?,
            (None, None) => {}
            (c, _) => {
                return Err(RlError::ClipMismatch {
                    run_has_clip: c.is_some(),
                });
            }
        }
        Ok(())
    }
}
