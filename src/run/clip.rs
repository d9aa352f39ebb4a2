//! The `[clip]` table of a run's `config.toml`: a CLIP zero-shot reward (VLM-RM,
//! Rocamonde et al. 2023, arXiv:2310.12921) used alone or added to the reward program.

use serde::{Deserialize, Serialize};

use crate::env::Env;
use crate::render::Renderer;
use crate::reward::clip::runtime::SessionOptions;
use crate::reward::clip::{
    ClipModel, ClipReward, ClipRewardSpec, ClipTerm, Device, LoadOptions, Precision, registry,
};
use crate::run::RunError;

/// Model used when `--clip-model` is not given: OpenAI's ViT-B/32, the model VLM-RM
/// reports most of its CLIP-reward results with besides the larger ViT-bigG.
pub const DEFAULT_MODEL: &str = "clip-vit-base-patch32";

/// CLIP reward settings (everything to rebuild the term).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClipConfig {
    /// Known model name (`rewardsmith models list`) or a model directory.
    pub model: String,
    /// Goal sentences (their normalized embeddings are averaged).
    pub goal: Vec<String>,
    /// Baseline sentences (may be empty when `alpha` is 0).
    #[serde(default)]
    pub baseline: Vec<String>,
    /// Projection strength α in [0, 1] onto the goal − baseline direction.
    pub alpha: f64,
    /// Score every `every`-th step of an episode and hold the score in between.
    pub every: u64,
    /// Weight of the CLIP term in the reward.
    pub weight: f64,
    /// Whether the reward program's terms are added (`--reward` given) or the CLIP term
    /// is the whole reward.
    pub program: bool,
    /// Frames per CLIP batch.
    pub batch: usize,
    /// Where the model runs: `cpu`, or `gpu` (CUDA/TensorRT through onnxruntime-gpu).
    pub device: Device,
    /// Precision of the image encoder: `fp32`, `fp16` or `int8`.
    #[serde(default)]
    pub precision: Precision,
    /// Score frames on a thread of their own, overlapping the next step's acting,
    /// physics and rendering (PPO); the rewards are the same bit for bit.
    #[serde(default = "overlap_default")]
    pub overlap: bool,
}

fn overlap_default() -> bool {
    true
}

impl ClipConfig {
    /// Settings for a goal with VLM-RM's defaults: α = 0.5 with a baseline (0 without),
    /// every step scored, weight 1, the default model.
    pub fn new(goal: Vec<String>, baseline: Vec<String>) -> Self {
        let alpha = if baseline.is_empty() { 0.0 } else { 0.5 };
        Self {
            model: DEFAULT_MODEL.to_string(),
            goal,
            baseline,
            alpha,
            every: 1,
            weight: 1.0,
            program: false,
            batch: LoadOptions::default().batch,
            device: Device::Cpu,
            precision: Precision::Fp32,
            overlap: overlap_default(),
        }
    }

    /// Check the settings (the model is checked when the term is built).
    pub fn validate(&self) -> Result<(), RunError> {
        let bad = |key, message: String| Err(RunError::ClipSetting { key, message });
        if self.goal.is_empty() || self.goal.iter().any(|g| g.trim().is_empty()) {
            return bad(
                "goal",
                "goal: give at least one non-empty goal sentence (--clip-goal)".into(),
            );
        }
        if !(0.0..=1.0).contains(&self.alpha) {
            return bad(
                "alpha",
                format!("alpha must be in [0, 1], got {}", self.alpha),
            );
        }
        if self.alpha > 0.0 && self.baseline.is_empty() {
            return bad(
                "alpha",
                format!(
                    "alpha = {} projects onto the goal − baseline direction and needs a baseline sentence (--clip-baseline), or use --clip-alpha 0",
                    self.alpha
                ),
            );
        }
        if self.every == 0 {
            return bad("every", "every must be at least 1 (--clip-every)".into());
        }
        if !self.weight.is_finite() {
            return bad(
                "weight",
                format!("weight must be a finite number, got {}", self.weight),
            );
        }
        if self.batch == 0 {
            return bad("batch", "batch must be at least 1".into());
        }
        Ok(())
    }

    /// Load the model, embed the prompts (through the on-disk cache) and build the term
    /// for `n` envs of `env`'s kind, rendered by its camera.
    pub fn term(&self, env: &Env, n: usize) -> Result<ClipTerm, RunError> {
        let cache = registry::cache_root();
        let dir = registry::resolve(
            &self.model,
            &cache,
            &registry::manifests_dir(),
            self.precision,
        )?;
        let opts = LoadOptions {
            session: SessionOptions {
                device: self.device,
                threads: 0,
            },
            precision: self.precision,
            batch: self.batch,
        };
        let model = ClipModel::load(&dir, opts).map_err(|source| RunError::ClipModel {
            model: self.model.clone(),
            source,
        })?;
        let spec = ClipRewardSpec {
            goal: self.goal.clone(),
            baseline: self.baseline.clone(),
            alpha: self.alpha,
        };
        let reward = ClipReward::new(model, &spec, Some(&cache))?;
        let renderer = Renderer::for_env(env)?;
        let term = ClipTerm::new(reward, renderer, n, self.every, self.weight);
        Ok(if self.overlap {
            term.in_background()?
        } else {
            term
        })
    }
}
