//! The CLIP term of a training reward: renders each env's state, scores it with a
//! [`ClipReward`] every k-th step of an episode (holding the score in between), weights
//! it, and keeps the time spent so a run can report CLIP's share of training.

use std::time::Instant;

use super::{ClipError, ClipReward, HeldScores};
use crate::env::State;
use crate::render::Renderer;

/// A weighted, held CLIP reward over `n` envs.
pub struct ClipTerm {
    reward: ClipReward,
    renderer: Renderer,
    held: HeldScores,
    weight: f64,
    seconds: f64,
}

impl ClipTerm {
    /// A term for `n` envs rendered by `renderer`, scored every `every`-th step of an
    /// episode, contributing `weight` × score.
    pub fn new(reward: ClipReward, renderer: Renderer, n: usize, every: u64, weight: f64) -> Self {
        Self {
            reward,
            renderer,
            held: HeldScores::new(n, every),
            weight,
            seconds: 0.0,
        }
    }

    /// This step's weighted term per env for `states` (one per env, in env order). Envs
    /// whose `ended[i]` is true start their next episode with a fresh score.
    pub fn step(&mut self, states: &[State], ended: &[bool]) -> Result<Vec<f64>, ClipError> {
        let t = Instant::now();
        let scores = self
            .reward
            .step_held(&mut self.held, &self.renderer, states)?;
        for (i, _) in ended.iter().enumerate().filter(|(_, e)| **e) {
            self.held.reset(i);
        }
        self.seconds += t.elapsed().as_secs_f64();
        Ok(scores.into_iter().map(|s| self.weight * s).collect())
    }

    /// Wall-clock seconds spent rendering and scoring so far.
    pub fn seconds(&self) -> f64 {
        self.seconds
    }

    /// The held scores (saved in checkpoints).
    pub fn held(&self) -> &HeldScores {
        &self.held
    }

    /// Restore held scores saved by [`ClipTerm::held`]; fails if they are for another
    /// number of envs.
    pub fn set_held(&mut self, held: HeldScores) -> Result<(), ClipError> {
        if held.steps.len() != self.held.steps.len() {
            return Err(ClipError::Score(format!(
                "saved CLIP scores are for {} envs, this run has {}",
                held.steps.len(),
                self.held.steps.len()
            )));
        }
        self.held = held;
        Ok(())
    }
}
