//! The `--policy` argument of `rollout` and `frames`: uniform random or all-zero actions,
//! a file of actions to replay, or a training run's deterministic policy.

use anyhow::{Context, Result};
use rewardsmith::env::Env;
use rewardsmith::rl::Actor;
use std::path::Path;

/// Help text of `--policy`.
pub const HELP: &str = "Policy to run: `random` (uniform actions from the env's seeded RNG stream; a uniformly drawn index in a Discrete space), `zero` (all-zero actions; action 0 in a Discrete space), a `.jsonl` file of actions to replay in order (one JSON array per line; zero actions once it runs out), or a training run directory (its latest checkpoint's deterministic policy)";

/// Which actions to take.
pub enum PolicyArg {
    /// Uniform random actions.
    Random,
    /// All-zero actions.
    Zero,
    /// Actions replayed from a file, in order (zero once it runs out).
    Replay {
        /// The actions.
        actions: Vec<Vec<f64>>,
        /// How many have been taken.
        next: std::cell::Cell<usize>,
    },
    /// A trained run's deterministic policy.
    Run(Box<Actor>),
}

impl PolicyArg {
    /// `random`, `zero`, or a run directory whose policy must fit `env`.
    pub fn parse(arg: &str, env: &Env) -> Result<Self> {
        Ok(match arg {
            "random" => Self::Random,
            "zero" => Self::Zero,
            file if file.ends_with(".jsonl") => Self::Replay {
                actions: read_actions(Path::new(file), env.compiled().action_space.dim())?,
                next: std::cell::Cell::new(0),
            },
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
            Self::Replay { actions, next } => {
                let k = next.get();
                next.set(k + 1);
                actions
                    .get(k)
                    .cloned()
                    .unwrap_or_else(|| vec![0.0; env.compiled().action_space.dim()])
            }
            Self::Run(actor) => actor.act(obs, obs.len(), &env.compiled().action_space),
        }
    }
}

/// Read a `.jsonl` file of actions: one JSON array of `dim` numbers per line.
fn read_actions(path: &Path, dim: usize) -> Result<Vec<Vec<f64>>> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("--policy {}: reading the actions", path.display()))?;
    let mut actions = Vec::new();
    for (i, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let action: Vec<f64> = serde_json::from_str(line).with_context(|| {
            format!(
                "--policy {}:{}: expected a JSON array of numbers",
                path.display(),
                i + 1
            )
        })?;
        if action.len() != dim {
            anyhow::bail!(
                "--policy {}:{}: {} numbers, the action space has {dim}",
                path.display(),
                i + 1,
                action.len()
            );
        }
        actions.push(action);
    }
    Ok(actions)
}
