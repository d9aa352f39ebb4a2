//! The `--policy` argument of `rollout` and `frames`: uniform random or all-zero actions,
//! or a training run's deterministic policy.

use anyhow::{Context, Result};
use rewardsmith::env::Env;
use rewardsmith::rl::Actor;
use std::path::Path;

/// Help text of `--policy`.
pub const HELP: &str = "Policy to run: `random` (uniform actions from the env's seeded RNG stream; a uniformly drawn index in a Discrete space), `zero` (all-zero actions; action 0 in a Discrete space), or a training run directory (its latest checkpoint's deterministic policy)";

/// Which actions to take.
pub enum PolicyArg {
    /// Uniform random actions.
    Random,
    /// All-zero actions.
    Zero,
    /// A trained run's deterministic policy.
    Run(Box<Actor>),
}

impl PolicyArg {
    /// `random`, `zero`, or a run directory whose policy must fit `env`.
    pub fn parse(arg: &str, env: &Env) -> Result<Self> {
        Ok(match arg {
            "random" => Self::Random,
            "zero" => Self::Zero,
            dir => Self::Run(Box::new(
                rewardsmith::run::load_actor_for(Path::new(dir), env).with_context(|| {
                    format!("--policy {dir}: expected `random`, `zero` or a training run directory")
                })?,
            )),
        })
    }

    /// The action for observation `obs` of `env`.
    pub fn action(&self, env: &mut Env, obs: &[f32]) -> Vec<f64> {
        match self {
            Self::Random => env.sample_action(),
            Self::Zero => vec![0.0; env.compiled().action_space.dim()],
            Self::Run(actor) => actor.act(obs, obs.len(), &env.compiled().action_space),
        }
    }
}
