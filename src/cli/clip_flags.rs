//! The `--clip-*` flags shared by `train` and `view`: a CLIP reward (VLM-RM) term.

use anyhow::Result;
use clap::Args;
use rewardsmith::device::Device;
use rewardsmith::reward::clip::Precision;
use rewardsmith::run::clip::{ClipConfig, DEFAULT_MODEL};
use std::path::PathBuf;

/// `--clip-goal` and the settings that go with it.
#[derive(Args, Debug, Clone)]
pub struct ClipFlags {
    /// CLIP reward (VLM-RM): the goal sentence the rendered frames are scored against
    /// (repeat for several; their embeddings are averaged). Without --reward the CLIP
    /// score is the whole reward; with it, it is added as the component `clip`.
    #[arg(long, value_name = "TEXT")]
    pub clip_goal: Vec<String>,
    /// A baseline sentence describing the scene without the goal (repeatable).
    #[arg(long, value_name = "TEXT", requires = "clip_goal")]
    pub clip_baseline: Vec<String>,
    /// Projection strength α in [0, 1] onto the goal − baseline direction (default:
    /// 0.5 with a baseline, 0 without).
    #[arg(long, value_name = "A", requires = "clip_goal")]
    pub clip_alpha: Option<f64>,
    /// CLIP model: a known name (`rewardsmith models list`) or a model directory.
    #[arg(long, value_name = "NAME", requires = "clip_goal", default_value = DEFAULT_MODEL)]
    pub clip_model: String,
    /// Score every K-th step of an episode with CLIP and hold the score in between.
    #[arg(long, value_name = "K", requires = "clip_goal", default_value_t = 1)]
    pub clip_every: u64,
    /// Where the CLIP model runs: cpu, or gpu (CUDA/TensorRT through onnxruntime-gpu).
    #[arg(long, value_enum, requires = "clip_goal", default_value_t = Device::Cpu)]
    pub clip_device: Device,
    /// Precision of the CLIP image encoder: fp32 (the reference), fp16, or int8 (the
    /// export's quantized file; check it first with `rewardsmith models check`).
    #[arg(long, value_enum, requires = "clip_goal", default_value_t = Precision::Fp32)]
    pub clip_precision: Precision,
    /// Score frames inline instead of on a thread of their own that overlaps the next
    /// step (the rewards are the same either way).
    #[arg(long, requires = "clip_goal")]
    pub no_clip_overlap: bool,
    /// Weight W of the CLIP term: reward = program + W × CLIP (or W × CLIP alone).
    #[arg(long, value_name = "W", requires = "clip_goal", default_value_t = 1.0)]
    pub clip_weight: f64,
}

impl ClipFlags {
    /// The CLIP settings, if `--clip-goal` was given; `program`: whether the reward
    /// program's terms are added to the CLIP term.
    pub fn config(&self, program: bool) -> Result<Option<ClipConfig>> {
        if self.clip_goal.is_empty() {
            return Ok(None);
        }
        let mut c = ClipConfig::new(self.clip_goal.clone(), self.clip_baseline.clone());
        c.alpha = self.clip_alpha.unwrap_or(c.alpha);
        // A directory is kept as an absolute path so a run can be resumed from
        // anywhere; a name stays a name.
        let model = PathBuf::from(&self.clip_model);
        c.model = if model.is_dir() {
            std::path::absolute(&model)?.to_string_lossy().into_owned()
        } else {
            self.clip_model.clone()
        };
        c.every = self.clip_every;
        c.weight = self.clip_weight;
        c.device = self.clip_device;
        c.precision = self.clip_precision;
        c.overlap = !self.no_clip_overlap;
        c.program = program;
        c.validate()?;
        Ok(Some(c))
    }
}
