//! Ordered subgoals: a bonus the first time each subgoal's `success(s)` holds in an
//! episode, in the declared order (subgoal k pays only after subgoals 0..k have), as
//! LLM-proposed subgoals shape sparse tasks in CALM.

use crate::env::State;
use crate::reward::{Reward, RewardError, ScriptReward};

/// One subgoal: its program (whose `success(s)` says when it holds) and bonus.
pub struct Subgoal {
    /// Component name it is logged as (`subgoal/<name>`).
    pub component: String,
    /// Program defining `success(s)`.
    pub program: ScriptReward,
    /// Reward paid when it is reached.
    pub bonus: f64,
}

/// The subgoals with each env's progress through them.
pub struct Subgoals {
    goals: Vec<Subgoal>,
    /// Per env: the index of the next subgoal to reach.
    progress: Vec<usize>,
    /// Per subgoal, per state of the current batch: whether it holds.
    holds: Vec<Vec<Option<bool>>>,
}

impl Subgoals {
    /// Subgoals in the order they must be reached.
    pub fn new(goals: Vec<Subgoal>) -> Self {
        let holds = vec![Vec::new(); goals.len()];
        Self {
            goals,
            progress: Vec::new(),
            holds,
        }
    }

    /// The subgoals.
    pub fn goals(&self) -> &[Subgoal] {
        &self.goals
    }

    /// Evaluate every subgoal on a batch (state `i` belongs to env `i`).
    pub fn eval(&mut self, states: &[State]) -> Result<(), RewardError> {
        if self.progress.len() != states.len() {
            self.progress.resize(states.len(), 0);
        }
        for (g, h) in self.goals.iter_mut().zip(&mut self.holds) {
            h.resize(states.len(), None);
            g.program.success_batch(states, h)?;
        }
        Ok(())
    }

    /// The subgoal env `i` reaches at this step, if any: the next one in order, when
    /// it holds (advancing the env's progress).
    pub fn reach(&mut self, i: usize) -> Option<usize> {
        let next = *self.progress.get(i)?;
        let holds = self.holds.get(next)?.get(i).copied().flatten();
        if holds == Some(true) {
            self.progress[i] += 1;
            Some(next)
        } else {
            None
        }
    }

    /// Episodes ended: envs with `done[i]` start from the first subgoal again.
    pub fn end_episodes(&mut self, done: &[bool]) {
        for (p, &d) in self.progress.iter_mut().zip(done) {
            if d {
                *p = 0;
            }
        }
    }

    /// Each env's progress (for checkpoints).
    pub fn progress(&self) -> &[usize] {
        &self.progress
    }

    /// Restore each env's progress.
    pub fn set_progress(&mut self, progress: Vec<usize>) {
        self.progress = progress;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Subgoals without programs whose "holds" table is scripted per step.
    fn scripted(n_goals: usize, n_envs: usize) -> Subgoals {
        Subgoals {
            goals: Vec::new(),
            progress: vec![0; n_envs],
            holds: vec![vec![None; n_envs]; n_goals],
        }
    }

    fn set(s: &mut Subgoals, holds: &[&[bool]]) {
        for (h, row) in s.holds.iter_mut().zip(holds) {
            for (slot, &b) in h.iter_mut().zip(row.iter()) {
                *slot = Some(b);
            }
        }
    }

    #[test]
    fn bonus_once_per_episode_and_in_order() {
        let mut s = scripted(2, 2);
        // Subgoal 1 holds first: nothing is paid, 0 has not been reached.
        set(&mut s, &[&[false, false], &[true, true]]);
        assert_eq!((s.reach(0), s.reach(1)), (None, None));
        // Both hold: subgoal 0 is paid (one per step).
        set(&mut s, &[&[true, true], &[true, true]]);
        assert_eq!((s.reach(0), s.reach(1)), (Some(0), Some(0)));
        // Still both hold: now subgoal 1.
        assert_eq!((s.reach(0), s.reach(1)), (Some(1), Some(1)));
        // Holding again pays nothing: each is paid once per episode.
        assert_eq!((s.reach(0), s.reach(1)), (None, None));
        // Env 0's episode ends: its progress restarts, env 1's does not.
        s.end_episodes(&[true, false]);
        assert_eq!((s.reach(0), s.reach(1)), (Some(0), None));
        assert_eq!(s.progress(), &[1, 2]);
    }
}
