//! CLIP zero-shot reward (VLM-RM): each rendered frame is embedded by a CLIP image
//! encoder and scored against goal sentences embedded by the text encoder.
//!
//! The score follows Rocamonde et al., "Vision-Language Models are Zero-Shot Reward
//! Models for Reinforcement Learning" (ICLR 2024, arXiv:2310.12921): with g the mean of
//! the normalized goal-prompt embeddings, b the same for the baseline prompts,
//! u = g − b, P = α·uuᵀ/‖u‖² + (1−α)·I and x the normalized frame embedding,
//!
//! ```text
//! R = 1 − ½‖(x − g)P‖²
//! ```
//!
//! α = 0 is a plain cosine score (for unit g), α = 1 keeps only the goal–baseline
//! direction.
//!
//! Models are the Hugging Face ONNX export of CLIP ([`ClipModel`]), run through `ort`
//! against the ONNX Runtime shared library of the `onnxruntime` Python wheel
//! ([`runtime`]). Known models are listed by manifests in `assets/models/` and pulled
//! into the user cache ([`registry`]).

pub mod agreement;
mod background;
mod cache;
mod error;
pub mod model;
pub mod precision;
pub mod preprocess;
pub mod registry;
pub mod runtime;
mod term;
pub mod tokenize;

pub use error::ClipError;
pub use model::{ClipModel, LoadOptions, ModelFiles, read_frame};
pub use precision::Precision;
pub use runtime::Device;
pub use term::ClipTerm;

use nalgebra::{DMatrix, DVector};
use std::path::Path;

use crate::env::{State, World};
use crate::render::{Frame, Renderer};

/// The VLM-RM score of normalized embeddings against goal and baseline prompts.
#[derive(Debug, Clone)]
pub struct VlmRm {
    g: DVector<f64>,
    p: DMatrix<f64>,
    alpha: f64,
}

fn normalized(v: &[f32]) -> Result<DVector<f64>, ClipError> {
    let v = DVector::from_iterator(v.len(), v.iter().map(|&x| f64::from(x)));
    let n = v.norm();
    if !(n.is_finite() && n > 0.0) {
        return Err(ClipError::Score(format!(
            "an embedding has norm {n}; it cannot be normalized"
        )));
    }
    Ok(v / n)
}

fn mean_normalized(embs: &[Vec<f32>], what: &str) -> Result<DVector<f64>, ClipError> {
    let first = embs
        .first()
        .ok_or_else(|| ClipError::Score(format!("no {what} prompts")))?;
    let mut sum = DVector::zeros(first.len());
    for e in embs {
        if e.len() != first.len() {
            return Err(ClipError::Score(format!(
                "{what} embeddings of different sizes ({} and {})",
                first.len(),
                e.len()
            )));
        }
        sum += normalized(e)?;
    }
    Ok(sum / embs.len() as f64)
}

impl VlmRm {
    /// The score for goal and baseline prompt embeddings (not yet normalized) and the
    /// projection strength `alpha` in [0, 1]. Without baseline embeddings `alpha` must be 0.
    pub fn new(goal: &[Vec<f32>], baseline: &[Vec<f32>], alpha: f64) -> Result<Self, ClipError> {
        if !(0.0..=1.0).contains(&alpha) {
            return Err(ClipError::Score(format!(
                "alpha must be in [0, 1], got {alpha}"
            )));
        }
        let g = mean_normalized(goal, "goal")?;
        let d = g.len();
        let mut p = DMatrix::identity(d, d);
        if alpha > 0.0 {
            if baseline.is_empty() {
                return Err(ClipError::Score(format!(
                    "alpha = {alpha} needs baseline prompts (the projection is onto the goal − baseline direction); give --baseline or use alpha 0"
                )));
            }
            let b = mean_normalized(baseline, "baseline")?;
            if b.len() != d {
                return Err(ClipError::Score(format!(
                    "goal and baseline embeddings differ in size ({d} and {})",
                    b.len()
                )));
            }
            let u = &g - &b;
            let n2 = u.norm_squared();
            if n2 < 1e-12 {
                return Err(ClipError::Score(
                    "the goal and baseline prompts embed to the same direction; with alpha > 0 they must differ".into(),
                ));
            }
            p = (&u * u.transpose()) * (alpha / n2) + p * (1.0 - alpha);
        }
        Ok(Self { g, p, alpha })
    }

    /// The projection strength α.
    pub fn alpha(&self) -> f64 {
        self.alpha
    }

    /// The embedding size.
    pub fn dim(&self) -> usize {
        self.g.len()
    }

    /// R = 1 − ½‖(x − g)P‖² for a frame embedding `x` (normalized here).
    pub fn score(&self, x: &[f32]) -> Result<f64, ClipError> {
        if x.len() != self.g.len() {
            return Err(ClipError::Score(format!(
                "frame embedding has size {}, the prompts' have {}",
                x.len(),
                self.g.len()
            )));
        }
        let x = normalized(x)?;
        let d = (x - &self.g).transpose() * &self.p;
        Ok(1.0 - 0.5 * d.norm_squared())
    }
}

/// Prompts and settings of a CLIP reward.
#[derive(Debug, Clone)]
pub struct ClipRewardSpec {
    /// Goal sentences (their normalized embeddings are averaged).
    pub goal: Vec<String>,
    /// Baseline sentences (may be empty when `alpha` is 0).
    pub baseline: Vec<String>,
    /// Projection strength α in [0, 1].
    pub alpha: f64,
}

/// A CLIP reward: a model and the VLM-RM score of its frame embeddings against the
/// prompts. Text embeddings are computed once (and cached on disk); frames are scored in
/// batches.
pub struct ClipReward {
    model: ClipModel,
    score: VlmRm,
}

impl ClipReward {
    /// Embeds the prompts (through the on-disk text-embedding cache under `cache_dir`,
    /// when given) and builds the score.
    pub fn new(
        mut model: ClipModel,
        spec: &ClipRewardSpec,
        cache_dir: Option<&Path>,
    ) -> Result<Self, ClipError> {
        let goal = cache::embed_texts_cached(&mut model, &spec.goal, cache_dir)?;
        let baseline = cache::embed_texts_cached(&mut model, &spec.baseline, cache_dir)?;
        let score = VlmRm::new(&goal, &baseline, spec.alpha)?;
        Ok(Self { model, score })
    }

    /// The score (for inspection).
    pub fn vlm_rm(&self) -> &VlmRm {
        &self.score
    }

    /// The model.
    pub fn model_mut(&mut self) -> &mut ClipModel {
        &mut self.model
    }

    /// Scores frames (embedded in batches of the model's batch size).
    pub fn score_frames(&mut self, frames: &[&Frame]) -> Result<Vec<f64>, ClipError> {
        let embs = self.model.embed_images(frames)?;
        embs.iter().map(|e| self.score.score(e)).collect()
    }

    /// Renders `worlds` (in parallel) and scores the frames.
    pub fn score_worlds(
        &mut self,
        renderer: &Renderer,
        worlds: &[&World],
    ) -> Result<Vec<f64>, ClipError> {
        let frames = renderer.render_batch(worlds);
        let refs: Vec<&Frame> = frames.iter().collect();
        self.score_frames(&refs)
    }

    /// Renders `states` (in parallel, from their body poses) and scores the frames.
    pub fn score_states(
        &mut self,
        renderer: &Renderer,
        states: &[&State],
    ) -> Result<Vec<f64>, ClipError> {
        let frames = renderer.render_states(states);
        let refs: Vec<&Frame> = frames.iter().collect();
        self.score_frames(&refs)
    }
}

/// Holds a per-env reward between CLIP evaluations: with `every = k`, env `i` is scored
/// on its 1st, (k+1)th, (2k+1)th … step of an episode and the last score is repeated in
/// between (so CLIP runs on 1/k of the frames).
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct HeldScores {
    every: u64,
    steps: Vec<u64>,
    held: Vec<f64>,
}

impl HeldScores {
    /// For `n` envs, scoring every `every`-th step (`every` ≥ 1).
    pub fn new(n: usize, every: u64) -> Self {
        Self {
            every: every.max(1),
            steps: vec![0; n],
            held: vec![0.0; n],
        }
    }

    /// The envs whose frame must be scored at this step.
    pub fn due(&self) -> Vec<usize> {
        (0..self.steps.len())
            .filter(|&i| self.steps[i].is_multiple_of(self.every))
            .collect()
    }

    /// Records the fresh scores of the envs a step's `due` returned (in that order) and
    /// returns that step's reward of every env. Steps are recorded in the order they were
    /// advanced.
    pub fn record(&mut self, due: &[usize], scores: &[f64]) -> Vec<f64> {
        for (&i, &s) in due.iter().zip(scores) {
            self.held[i] = s;
        }
        self.held.clone()
    }

    /// Moves every env to its next step; the envs whose `ended[i]` is true start a new
    /// episode there (scored afresh).
    pub fn advance(&mut self, ended: &[bool]) {
        for (s, &e) in self.steps.iter_mut().zip(ended) {
            *s = if e { 0 } else { *s + 1 };
        }
    }

    /// The number of envs.
    pub fn len(&self) -> usize {
        self.steps.len()
    }

    /// Whether there are no envs.
    pub fn is_empty(&self) -> bool {
        self.steps.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64) {
        assert!((a - b).abs() < 1e-9, "{a} != {b}");
    }

    // g = e1, b = e2, u = (1, −1), x = (3, 4)/5 = (0.6, 0.8), x − g = (−0.4, 0.8).
    // α = 0:   ‖x − g‖² = 0.8                          → R = 0.6
    // α = 1:   (x − g)·u = −1.2, (x − g)P = −0.6·u      → ‖·‖² = 0.72 → R = 0.64
    // α = 0.5: ½(−0.6, 0.6) + ½(−0.4, 0.8) = (−0.5, 0.7) → ‖·‖² = 0.74 → R = 0.63
    #[test]
    fn formula_matches_hand_computed_values() {
        let goal = vec![vec![2.0, 0.0]];
        let base = vec![vec![0.0, 0.5]];
        for (alpha, want) in [(0.0, 0.6), (0.5, 0.63), (1.0, 0.64)] {
            let rm = VlmRm::new(&goal, &base, alpha).unwrap();
            close(rm.score(&[3.0, 4.0]).unwrap(), want);
        }
    }

    // Two goal prompts e1, e2 → g = (0.5, 0.5); α = 0, x = e1: x − g = (0.5, −0.5) → R = 0.75.
    #[test]
    fn goal_is_mean_of_normalized_prompts() {
        let rm = VlmRm::new(&[vec![5.0, 0.0], vec![0.0, 0.1]], &[], 0.0).unwrap();
        close(rm.score(&[1.0, 0.0]).unwrap(), 0.75);
        // α = 0 is the cosine for a single goal prompt
        let rm = VlmRm::new(&[vec![1.0, 1.0]], &[], 0.0).unwrap();
        close(rm.score(&[1.0, 0.0]).unwrap(), 0.5f64.sqrt());
    }

    #[test]
    fn formula_errors() {
        let e = VlmRm::new(&[vec![1.0, 0.0]], &[], 0.5).unwrap_err();
        assert!(e.to_string().contains("baseline"), "{e}");
        let e = VlmRm::new(&[vec![1.0, 0.0]], &[vec![2.0, 0.0]], 1.0).unwrap_err();
        assert!(e.to_string().contains("same direction"), "{e}");
        let e = VlmRm::new(&[vec![1.0, 0.0]], &[], 1.5).unwrap_err();
        assert!(e.to_string().contains("[0, 1]"), "{e}");
        let rm = VlmRm::new(&[vec![1.0, 0.0]], &[], 0.0).unwrap();
        assert!(rm.score(&[1.0, 0.0, 0.0]).is_err());
        assert!(rm.score(&[0.0, 0.0]).is_err());
    }

    #[test]
    fn held_scores_repeat_between_evaluations() {
        let mut h = HeldScores::new(2, 3);
        assert_eq!(h.due(), vec![0, 1]);
        assert_eq!(h.record(&[0, 1], &[1.0, 2.0]), vec![1.0, 2.0]);
        h.advance(&[false, false]);
        assert!(h.due().is_empty());
        assert_eq!(h.record(&[], &[]), vec![1.0, 2.0]);
        h.advance(&[false, true]);
        assert_eq!(h.due(), vec![1]);
        assert_eq!(h.record(&[1], &[5.0]), vec![1.0, 5.0]);
        h.advance(&[false, false]);
        assert_eq!(h.due(), vec![0]);
    }
}
