//! One episode under the controller: reset with a seed, then plan and step for a number
//! of simulated seconds (or until the env terminates), scoring every state with the
//! program and judging success with the env's own predicate.

use std::time::Instant;

use serde::{Deserialize, Serialize};

use super::MpcError;
use super::planner::{PlanStats, PredictiveSampling};
use super::setup::MpcSetup;
use crate::env::State;
use crate::env::spec::SuccessWhen;
use crate::reward::RewardOut;

/// One control step of an episode, as recorded.
#[derive(Debug, Clone)]
pub struct StepRecord {
    /// Control steps since reset (1 for the first step taken).
    pub step: u32,
    /// The action applied.
    pub action: Vec<f64>,
    /// The program's reward of the state reached.
    pub reward: RewardOut,
    /// The env's success predicate on that state.
    pub success: Option<bool>,
    /// The planning step before this control step, if one ran.
    pub plan: Option<PlanStats>,
    /// Whether the env terminated here.
    pub terminated: bool,
    /// The state reached.
    pub state: State,
}

/// What one episode came to.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EpisodeSummary {
    /// Seed of the env's reset.
    pub seed: u64,
    /// Control steps taken.
    pub steps: u32,
    /// Whether the env's success criterion held (any state, or the last, as its spec's
    /// `success_when` says).
    pub success: bool,
    /// Sum of the program's rewards.
    pub episode_return: f64,
    /// Mean reward per step.
    pub mean_reward: f64,
    /// Whether the env terminated before the time was up.
    pub terminated: bool,
    /// Simulated seconds.
    pub simulated_s: f64,
    /// Wall seconds of planning and stepping (recording excluded).
    pub wall_s: f64,
    /// Planning steps run.
    pub plans: u32,
    /// Wall seconds spent planning.
    pub plan_wall_s: f64,
}

/// Run one episode of `seconds` simulated seconds from `seed`; `on_step` sees every
/// control step (its time is not counted as control time).
pub fn run_episode(
    setup: &mut MpcSetup,
    planner: &mut PredictiveSampling,
    seconds: f64,
    seed: u64,
    mut on_step: impl FnMut(&StepRecord) -> Result<(), MpcError>,
) -> Result<EpisodeSummary, MpcError> {
    let dt = setup.env.compiled().layout.dt;
    let n_steps = (seconds / dt).round().max(1.0) as u32;
    setup.env.reset(Some(seed))?;
    // The planner's noise stream is its own, derived from the episode's seed.
    planner.reset(seed ^ 0x6d70_635f_6e6f_6973);
    let mut obs = vec![0.0f32; setup.env.compiled().obs_dim()];
    let mut out = RewardOut::default();
    let (mut ret, mut hit, mut terminated) = (0.0, false, false);
    let (mut plans, mut plan_wall, mut wall) = (0u32, 0.0, 0.0);
    let mut steps = 0u32;
    for _ in 0..n_steps {
        let started = Instant::now();
        let (action, plan) = planner.act(&setup.env)?;
        let planned = started.elapsed().as_secs_f64();
        let flags = setup.env.step_into(&action, &mut obs)?;
        wall += started.elapsed().as_secs_f64();
        if plan.is_some() {
            plans += 1;
            plan_wall += planned;
        }
        steps += 1;
        let s = setup.env.state();
        setup.program.reward_into(s, &mut out)?;
        ret += out.total;
        let success = setup.judge.success(s)?;
        match setup.success_when {
            SuccessWhen::Any => hit |= success == Some(true),
            SuccessWhen::End => hit = success == Some(true),
        }
        terminated = flags.terminated;
        on_step(&StepRecord {
            step: s.step,
            action,
            reward: out.clone(),
            success,
            plan,
            terminated,
            state: s.clone(),
        })?;
        if terminated {
            break;
        }
    }
    Ok(EpisodeSummary {
        seed,
        steps,
        success: hit,
        episode_return: ret,
        mean_reward: ret / f64::from(steps.max(1)),
        terminated,
        simulated_s: f64::from(steps) * dt,
        wall_s: wall,
        plans,
        plan_wall_s: plan_wall,
    })
}
