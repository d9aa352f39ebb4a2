//! What a run reports: one [`Metrics`] line per update (`metrics.jsonl`, and the same
//! scalars to TensorBoard), evaluation results, and the final [`Summary`].

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};

use crate::rl::UpdateStats;
use crate::rl::{Actor, Episode, Learner};
use crate::run::RunError;
use crate::run::tensorboard::EventWriter;

/// One line of `metrics.jsonl`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Metrics {
    /// Updates done.
    pub update: u64,
    /// Env steps done.
    pub global_step: u64,
    /// Episodes finished during this update's rollout.
    pub episodes: usize,
    /// Mean undiscounted return of those episodes.
    pub ep_return: Option<f64>,
    /// Mean length of those episodes.
    pub ep_length: Option<f64>,
    /// Fraction of those episodes that succeeded.
    pub success_rate: Option<f64>,
    /// Per-step mean of every reward component over the rollout.
    pub components: BTreeMap<String, f64>,
    /// Losses and diagnostics.
    #[serde(flatten)]
    pub stats: UpdateStats,
    /// Env steps per wall-clock second over this update (rollout + update).
    pub steps_per_s: f64,
    /// Seconds of this update spent rendering and scoring frames for the CLIP reward.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub clip_s: Option<f64>,
    /// The best-policy evaluation run after this update (`eval_every`), if one was.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub eval: Option<EvalResult>,
    /// Wall-clock seconds since the run started (summed over resumes).
    pub wall_s: f64,
}

/// Result of a deterministic evaluation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EvalResult {
    /// Episodes run.
    pub episodes: usize,
    /// Mean undiscounted return.
    pub mean_return: f64,
    /// Standard deviation of the return.
    pub std_return: f64,
    /// Fraction of successful episodes.
    pub success_rate: f64,
    /// Mean episode length.
    pub mean_length: f64,
    /// Seed of the first env (env `i` uses `seed + i`).
    pub seed: u64,
}

/// `summary.json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Summary {
    /// Env steps trained.
    pub steps: u64,
    /// Updates done.
    pub updates: u64,
    /// Wall-clock seconds of training (summed over resumes), without the final eval.
    pub wall_s: f64,
    /// Final deterministic evaluation.
    pub eval: EvalResult,
    /// FNV-1a hash of the final policy's weights (bit-level identity check).
    pub policy_hash: String,
    /// Seconds of training spent in the CLIP reward (summed over resumes), if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub clip_s: Option<f64>,
    /// When `--stop-return` ended the run early: where the return threshold was met.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stopped_at_return: Option<ReturnReached>,
    /// With `eval_every`: the policy kept in `checkpoints/best` and its evaluation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub best: Option<BestPolicy>,
}

/// The best policy of the periodic evaluations, kept in `checkpoints/best/` (its
/// `actor.json` and this as `best.json`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BestPolicy {
    /// Updates done when it was evaluated.
    pub update: u64,
    /// Env steps done when it was evaluated.
    pub global_step: u64,
    /// Its evaluation (episodes seeded from the run's seed + [`BEST_EVAL_SEED`](crate::run::BEST_EVAL_SEED)).
    pub eval: EvalResult,
}

impl BestPolicy {
    /// Higher success rate, then higher mean return.
    pub(crate) fn beats(&self, other: &BestPolicy) -> bool {
        (self.eval.success_rate, self.eval.mean_return)
            > (other.eval.success_rate, other.eval.mean_return)
    }
}

/// Episodes in the rolling mean that `--stop-return` watches: the last 100, as
/// Stable-Baselines3 reports `rollout/ep_rew_mean` (`stats_window_size` = 100).
pub const RETURN_WINDOW: usize = 100;

/// The point where the mean return of the last [`RETURN_WINDOW`] training episodes
/// first reached the `--stop-return` threshold (checked after every update).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReturnReached {
    /// The threshold asked for.
    pub threshold: f64,
    /// The rolling mean that met it.
    pub mean_return: f64,
    /// Episodes in the rolling mean.
    pub window: usize,
    /// Env steps done when it was met.
    pub step: u64,
    /// Updates done when it was met.
    pub update: u64,
    /// Wall-clock seconds of training when it was met.
    pub wall_s: f64,
}

impl Metrics {
    /// The line for the update `learner` just made: its rollout's `eps`isodes and
    /// reward components (sum, count), its losses, its duration `secs` and the run's
    /// wall-clock seconds so far.
    pub fn from_update(
        learner: &dyn Learner,
        eps: &[Episode],
        comps: &BTreeMap<String, (f64, u64)>,
        stats: UpdateStats,
        secs: f64,
        wall_s: f64,
    ) -> Self {
        let n = eps.len();
        let mean = |f: &dyn Fn(&Episode) -> f64| {
            (n > 0).then(|| eps.iter().map(f).sum::<f64>() / n as f64)
        };
        Metrics {
            update: learner.update(),
            global_step: learner.global_step(),
            episodes: n,
            ep_return: mean(&|e| e.ret),
            ep_length: mean(&|e| e.len as f64),
            success_rate: mean(&|e| if e.success { 1.0 } else { 0.0 }),
            components: comps
                .iter()
                .map(|(k, &(s, c))| (k.clone(), s / c.max(1) as f64))
                .collect(),
            stats,
            steps_per_s: learner.steps_per_iteration() as f64 / secs.max(1e-9),
            clip_s: None,
            eval: None,
            wall_s,
        }
    }

    /// The line's scalars under CleanRL's TensorBoard tags (SB3's for evaluations).
    pub fn tensorboard_scalars(&self) -> Vec<(String, f64)> {
        let m = self;
        let s = &m.stats;
        let mut v: Vec<(String, f64)> = [
            ("charts/episodic_return", m.ep_return),
            ("charts/episodic_length", m.ep_length),
            ("charts/success_rate", m.success_rate),
            ("charts/learning_rate", Some(s.lr)),
            ("charts/SPS", Some(m.steps_per_s)),
            ("losses/policy_loss", Some(s.policy_loss)),
            ("losses/value_loss", Some(s.value_loss)),
            ("losses/entropy", Some(s.entropy)),
            ("losses/approx_kl", Some(s.approx_kl)),
            ("losses/clipfrac", Some(s.clip_frac)),
            ("losses/explained_variance", Some(s.explained_var)),
            ("losses/alpha", s.alpha),
            // SB3's EvalCallback tags.
            ("eval/mean_reward", m.eval.as_ref().map(|e| e.mean_return)),
            ("eval/success_rate", m.eval.as_ref().map(|e| e.success_rate)),
        ]
        .into_iter()
        .filter_map(|(k, v)| v.map(|v| (k.to_string(), v)))
        .collect();
        v.extend(
            m.components
                .iter()
                .map(|(k, &x)| (format!("reward/{k}"), x)),
        );
        v
    }
}

/// Where a run's metrics lines go: appended to `metrics.jsonl` (flushed per line) and
/// written as scalars to this process's TensorBoard event file.
pub(crate) struct MetricsLog {
    path: PathBuf,
    file: std::fs::File,
    tensorboard: EventWriter,
    dir: PathBuf,
}

impl MetricsLog {
    /// Open `metrics.jsonl` of the run in `dir` for appending, and a new event file.
    pub(crate) fn open(dir: &Path) -> Result<Self, RunError> {
        let path = dir.join("metrics.jsonl");
        let file = std::fs::OpenOptions::new()
            .append(true)
            .open(&path)
            .map_err(RunError::io("opening", &path))?;
        let tensorboard = EventWriter::create(dir).map_err(|source| RunError::TensorBoard {
            action: "creating",
            dir: dir.to_path_buf(),
            source,
        })?;
        Ok(Self {
            path,
            file,
            tensorboard,
            dir: dir.to_path_buf(),
        })
    }

    /// Append one line.
    pub(crate) fn append(&mut self, m: &Metrics) -> Result<(), RunError> {
        let mut line = serde_json::to_string(m).map_err(RunError::encode(&self.path))?;
        line.push('\n');
        self.file
            .write_all(line.as_bytes())
            .and_then(|()| self.file.flush())
            .map_err(RunError::io("writing", &self.path))?;
        self.tensorboard
            .scalars(m.global_step, &m.tensorboard_scalars())
            .map_err(|source| RunError::TensorBoard {
                action: "writing",
                dir: self.dir.clone(),
                source,
            })
    }
}

/// Keep only the lines of `metrics.jsonl` up to update `last` (a resumed run drops what
/// the killed part wrote after its checkpoint).
pub(crate) fn truncate_metrics(path: &Path, last: u64) -> Result<(), RunError> {
    let kept: Vec<String> = std::fs::read_to_string(path)
        .unwrap_or_default()
        .lines()
        .filter(|l| serde_json::from_str::<Metrics>(l).is_ok_and(|m| m.update <= last))
        .map(|l| format!("{l}\n"))
        .collect();
    crate::fs::write_atomic(path, kept.concat().as_bytes())?;
    Ok(())
}

/// FNV-1a over the policy's serialized weights.
pub fn policy_hash(actor: &Actor) -> String {
    let bytes = serde_json::to_vec(actor).unwrap_or_default();
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in bytes {
        h ^= b as u64;
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    format!("{h:016x}")
}
