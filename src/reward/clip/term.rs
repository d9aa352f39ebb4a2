//! The CLIP term of a training reward: renders each env's state, scores it with a
//! [`ClipReward`] every k-th step of an episode (holding the score in between), weights
//! it, and keeps the time spent so a run can report CLIP's share of training.
//!
//! Steps are submitted and their terms collected in order. Scored inline, a step's terms
//! are ready at once; scored in the background ([`ClipTerm::in_background`]), the image
//! encoder works on a step's frames while the caller goes on with the next step, and the
//! terms are the same bit for bit (same frames, same batches, same order).

use std::collections::VecDeque;
use std::time::Instant;

use super::background::Background;
use super::{ClipError, ClipReward, HeldScores};
use crate::env::State;
use crate::render::Renderer;

/// Where frames are scored.
enum Scorer {
    /// On the calling thread, when submitted.
    Inline(Box<ClipReward>),
    /// On a thread of its own.
    Background(Background),
}

/// A submitted step: the envs scored afresh, and their scores once known (`None` while
/// the background thread works on them).
struct Pending {
    due: Vec<usize>,
    scores: Option<Result<Vec<f64>, ClipError>>,
}

/// A weighted, held CLIP reward over `n` envs.
pub struct ClipTerm {
    scorer: Scorer,
    renderer: Renderer,
    held: HeldScores,
    weight: f64,
    seconds: f64,
    pending: VecDeque<Pending>,
}

impl ClipTerm {
    /// A term for `n` envs rendered by `renderer`, scored every `every`-th step of an
    /// episode, contributing `weight` × score; frames are scored inline.
    pub fn new(reward: ClipReward, renderer: Renderer, n: usize, every: u64, weight: f64) -> Self {
        Self {
            scorer: Scorer::Inline(Box::new(reward)),
            renderer,
            held: HeldScores::new(n, every),
            weight,
            seconds: 0.0,
            pending: VecDeque::new(),
        }
    }

    /// The same term with frames scored on a thread of its own, overlapping the caller's
    /// next steps.
    pub fn in_background(self) -> Result<Self, ClipError> {
        let scorer = match self.scorer {
            Scorer::Inline(reward) => Scorer::Background(Background::spawn(*reward)?),
            s => s,
        };
        Ok(Self { scorer, ..self })
    }

    /// Whether frames are scored in the background.
    pub fn overlaps(&self) -> bool {
        matches!(self.scorer, Scorer::Background(_))
    }

    /// Submits a step: `states` (one per env, in env order) are rendered and scored where
    /// due. Envs whose `ended[i]` is true start their next episode with a fresh score.
    pub fn submit(&mut self, states: &[State], ended: &[bool]) -> Result<(), ClipError> {
        let t = Instant::now();
        let due = self.held.due();
        self.held.advance(ended);
        let scores = if due.is_empty() {
            Some(Ok(Vec::new()))
        } else {
            let due_states: Vec<&State> = due.iter().map(|&i| &states[i]).collect();
            let frames = self.renderer.render_states(&due_states);
            match &mut self.scorer {
                Scorer::Inline(reward) => {
                    Some(reward.score_frames(&frames.iter().collect::<Vec<_>>()))
                }
                Scorer::Background(b) => {
                    b.send(frames)?;
                    None
                }
            }
        };
        self.seconds += t.elapsed().as_secs_f64();
        self.pending.push_back(Pending { due, scores });
        Ok(())
    }

    /// The weighted term per env of the oldest submitted step not yet collected; waits
    /// for it when `wait`, else gives `None` while it is not ready (or nothing is pending).
    pub fn collect(&mut self, wait: bool) -> Result<Option<Vec<f64>>, ClipError> {
        let Some(front) = self.pending.front_mut() else {
            return Ok(None);
        };
        if front.scores.is_none() {
            let Scorer::Background(b) = &self.scorer else {
                unreachable!("inline scores are set when submitted");
            };
            let t = Instant::now();
            let received = b.receive(wait);
            self.seconds += t.elapsed().as_secs_f64();
            let Some(scores) = received else {
                return Ok(None);
            };
            front.scores = Some(scores);
        }
        let Some(Pending {
            due,
            scores: Some(scores),
        }) = self.pending.pop_front()
        else {
            unreachable!("the front's scores were set above");
        };
        let held = self.held.record(&due, &scores?);
        Ok(Some(held.into_iter().map(|s| self.weight * s).collect()))
    }

    /// Steps submitted and not yet collected.
    pub fn pending(&self) -> usize {
        self.pending.len()
    }

    /// Submits a step and waits for its weighted term per env (collecting any step
    /// submitted before it first).
    pub fn step(&mut self, states: &[State], ended: &[bool]) -> Result<Vec<f64>, ClipError> {
        self.submit(states, ended)?;
        let mut last = Vec::new();
        while let Some(terms) = self.collect(true)? {
            last = terms;
        }
        Ok(last)
    }

    /// Seconds the caller has spent on the term so far: rendering, and scoring inline or
    /// waiting for the background thread (its work that overlapped the caller's is not
    /// counted, so this is CLIP's share of the caller's wall time).
    pub fn seconds(&self) -> f64 {
        self.seconds
    }

    /// The held scores (saved in checkpoints, when no step is pending).
    pub fn held(&self) -> &HeldScores {
        &self.held
    }

    /// Restore held scores saved by [`ClipTerm::held`]; fails if they are for another
    /// number of envs.
    pub fn set_held(&mut self, held: HeldScores) -> Result<(), ClipError> {
        if held.len() != self.held.len() {
            return Err(ClipError::Score(format!(
                "saved CLIP scores are for {} envs, this run has {}",
                held.len(),
                self.held.len()
            )));
        }
        self.held = held;
        Ok(())
    }
}
