//! Rewards: the `Reward` trait training calls, and the sandboxed Luau reward programs
//! ([`ScriptProgram`] for one VM, [`ScriptReward`] for a parallel pool of them).

pub mod check;
pub mod clip;
pub mod composite;
mod error;
mod hints;
mod lint;
mod luau_api;
mod pack;
pub mod params;
mod pool;
mod program_file;
pub mod prompt;
mod script;
pub mod stats;
mod suggest;
mod tokens;

pub use error::RewardError;
pub use hints::{Hint, hints};
pub use luau_api::Limits;
pub use params::{ParamValue, Params};
pub use pool::ScriptReward;
pub use program_file::{
    builtin_path, is_reward_file, load_program, load_program_with, load_reward,
};
pub use script::ScriptProgram;
pub use suggest::{edit_distance, unknown_name_message};

use crate::env::State;

/// One reward value: the total and its named components (sorted by name).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RewardOut {
    /// The reward: the sum of the components, unless the program returned a `total` field.
    pub total: f64,
    /// Named components, sorted by name. A program returning a plain number yields one
    /// component named `reward`.
    pub components: Vec<(String, f64)>,
}

impl RewardOut {
    /// Add `value` as component `name` (kept in name order) and to the total; returns
    /// false, changing nothing, if the reward already has a component of that name.
    pub fn add_component(&mut self, name: &str, value: f64) -> bool {
        match self
            .components
            .binary_search_by(|(n, _)| n.as_str().cmp(name))
        {
            Ok(_) => false,
            Err(at) => {
                self.components.insert(at, (name.to_string(), value));
                self.total += value;
                true
            }
        }
    }

    /// The value of a component by name.
    pub fn component(&self, name: &str) -> Option<f64> {
        self.components
            .iter()
            .find(|(n, _)| n == name)
            .map(|&(_, v)| v)
    }
}

/// A reward function over batches of states, as training uses it.
pub trait Reward: Send {
    /// A short name for logs.
    fn name(&self) -> &str;

    /// Evaluates every state: `out[i]` receives the reward of `states[i]`. Fails with the
    /// first error (in state order); `out` is then partly written.
    fn eval_batch(&mut self, states: &[State], out: &mut [RewardOut]) -> Result<(), RewardError>;

    /// Evaluates the success predicate of every state: `out[i]` is `None` when the reward
    /// defines no success predicate (the env's own criterion applies then).
    fn success_batch(
        &mut self,
        states: &[State],
        out: &mut [Option<bool>],
    ) -> Result<(), RewardError>;

    /// Episodes ended: `done[i]` is true for the envs whose episode ended at the last
    /// evaluated step (per-episode state such as subgoal progress starts over).
    fn end_episodes(&mut self, _done: &[bool]) {}

    /// The policy was updated (constraint multipliers take their step).
    fn end_update(&mut self) {}

    /// State a resumed run needs to continue bit for bit (`Null` when there is none).
    fn save_state(&self) -> serde_json::Value {
        serde_json::Value::Null
    }

    /// Restore what [`Reward::save_state`] returned.
    fn load_state(&mut self, _state: serde_json::Value) -> Result<(), RewardError> {
        Ok(())
    }
}
