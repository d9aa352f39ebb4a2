//! The reward check: compile a program, run it on a seeded random rollout and gather
//! per-component statistics. `rewardsmith reward check` prints a [`CheckReport`]; the
//! synth loop uses the same check as the dry run of every LLM-written candidate.

use std::fmt::Write;

use crate::env::spec::SuccessWhen;
use crate::env::{Env, EnvError, State};
use crate::reward::stats::RewardStats;
use crate::reward::{Reward, RewardError, RewardOut, ScriptProgram};
use thiserror::Error;

/// What the check of one program found.
#[derive(Debug, Clone)]
pub struct CheckReport {
    /// Env steps run.
    pub steps: u64,
    /// Seed of the rollout.
    pub seed: u64,
    /// Episodes that ended (terminated or truncated) during the rollout.
    pub episodes: u64,
    /// Ended episodes the program's own `success(s)` judged successful.
    pub successes: u64,
    /// Whether the program defines `success(s)`.
    pub has_success: bool,
    /// Per-component statistics of the reward over every step.
    pub stats: RewardStats,
}

impl CheckReport {
    /// The text `reward check` prints after its "compiled ..." line.
    pub fn text(&self) -> String {
        let mut out = format!(
            "{} random-policy steps, {} episodes ended\n\n",
            self.steps, self.episodes
        );
        out.push_str(&self.stats.table());
        if self.has_success {
            let _ = writeln!(
                out,
                "\nsuccess: {}/{} ended episodes (random policy)",
                self.successes, self.episodes
            );
        } else {
            let _ = writeln!(out, "\nsuccess: the program defines no success(s)");
        }
        out
    }
}

/// Why a check failed.
#[derive(Debug, Error)]
pub enum CheckError {
    /// The env failed to reset or step.
    #[error(transparent)]
    Env(#[from] EnvError),
    /// The program failed at a step of the rollout.
    #[error("at step {step} of the check rollout (seed {seed}): {cause}")]
    Reward {
        /// The program's error (in the message, so not also a `source()`).
        cause: RewardError,
        /// Step index.
        step: u64,
        /// Rollout seed.
        seed: u64,
    },
    /// Bad arguments.
    #[error("{0}")]
    Invalid(String),
}

/// One reward as the check drives it, a state at a time.
trait Checked {
    fn reward(&mut self, s: &State, out: &mut RewardOut) -> Result<(), RewardError>;
    fn success(&mut self, s: &State) -> Result<Option<bool>, RewardError>;
    fn end_episode(&mut self);
}

impl Checked for ScriptProgram {
    fn reward(&mut self, s: &State, out: &mut RewardOut) -> Result<(), RewardError> {
        self.reward_into(s, out)
    }

    fn success(&mut self, s: &State) -> Result<Option<bool>, RewardError> {
        ScriptProgram::success(self, s)
    }

    fn end_episode(&mut self) {}
}

/// A [`Reward`] evaluated one state at a time, with the success predicate of another
/// (a reward file defines none: the env's own program judges success).
struct WithSuccess<'a> {
    reward: &'a mut dyn Reward,
    success: &'a mut dyn Reward,
}

impl Checked for WithSuccess<'_> {
    fn reward(&mut self, s: &State, out: &mut RewardOut) -> Result<(), RewardError> {
        self.reward
            .eval_batch(std::slice::from_ref(s), std::slice::from_mut(out))
    }

    fn success(&mut self, s: &State) -> Result<Option<bool>, RewardError> {
        let mut ok = [None];
        self.success
            .success_batch(std::slice::from_ref(s), &mut ok)?;
        Ok(ok[0])
    }

    fn end_episode(&mut self) {
        self.reward.end_episodes(&[true]);
    }
}

/// Run `program` on `steps` uniform-random steps of `env` reset with `seed`.
pub fn check_program(
    env: &mut Env,
    program: &mut ScriptProgram,
    steps: u64,
    seed: u64,
) -> Result<CheckReport, CheckError> {
    run_check(env, program, steps, seed)
}

/// Run any [`Reward`] (such as a reward file's) on `steps` uniform-random steps of
/// `env` reset with `seed`, one state at a time; `success` judges the episodes.
pub fn check_reward(
    env: &mut Env,
    reward: &mut dyn Reward,
    success: &mut dyn Reward,
    steps: u64,
    seed: u64,
) -> Result<CheckReport, CheckError> {
    run_check(env, &mut WithSuccess { reward, success }, steps, seed)
}

fn run_check(
    env: &mut Env,
    program: &mut impl Checked,
    steps: u64,
    seed: u64,
) -> Result<CheckReport, CheckError> {
    if steps == 0 {
        return Err(CheckError::Invalid("--steps must be at least 1".into()));
    }
    let success_when = env.compiled().spec.rewards.success_when;
    let mut stats = RewardStats::default();
    let mut out = RewardOut::default();
    let (mut episodes, mut successes, mut hit) = (0u64, 0u64, false);
    let mut has_success = false;
    let at = |step: u64| move |cause| CheckError::Reward { cause, step, seed };
    env.reset(Some(seed))?;
    for step in 0..steps {
        let action = env.sample_action();
        let (_, flags) = env.step(&action)?;
        program.reward(env.state(), &mut out).map_err(at(step))?;
        stats.push(&out);
        let ok = program.success(env.state()).map_err(at(step))?;
        if let Some(ok) = ok {
            has_success = true;
            match success_when {
                SuccessWhen::Any => hit |= ok,
                SuccessWhen::End => hit = ok,
            }
        }
        if flags.terminated || flags.truncated {
            episodes += 1;
            successes += hit as u64;
            hit = false;
            program.end_episode();
            env.reset(None)?;
        }
    }
    Ok(CheckReport {
        steps,
        seed,
        episodes,
        successes,
        has_success,
        stats,
    })
}
