//! [`TrainTrainer`]: each candidate trained by its own `rewardsmith train` process.
//!
//! The child runs `train --env ENV --reward PROGRAM --steps S --seed SEED --out RUN_DIR`
//! with its stdout and stderr in `train.log` next to `RUN_DIR`. The result is read back
//! from the run directory: the final deterministic evaluation of `summary.json` (the
//! fitness: the env's own success criterion), ~10 stretches of `metrics.jsonl` (reward
//! reflection) and one more evaluation of the final policy under the env's own reward
//! (the task score that breaks ties). A child that fails (a NaN reward, a panic) is a
//! failed candidate whose reason is the end of its log.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use super::SynthError;
use super::trainer::{
    CURVE_POINTS, CandidateRequest, CandidateResult, ComponentPoint, CurvePoint, Trainer,
};
use crate::env::AssetRoots;
use crate::run::{self, Metrics, RunConfig, Summary};

/// Lines of the child's log quoted when it fails.
const TAIL_LINES: usize = 8;

/// Trains every candidate with a `rewardsmith train` subprocess.
#[derive(Debug, Clone)]
pub struct TrainTrainer {
    /// The `rewardsmith` executable.
    pub exe: PathBuf,
    /// Asset roots (for the env's own reward).
    pub roots: AssetRoots,
    /// Threads each child may use (`RAYON_NUM_THREADS`); the pool runs
    /// `max(1, cores / threads)` children at once.
    pub threads: usize,
}

impl TrainTrainer {
    /// Children run this very executable, one thread each.
    pub fn new(roots: AssetRoots) -> Result<Self, SynthError> {
        let exe = std::env::current_exe().map_err(SynthError::CurrentExe)?;
        Ok(Self::with_exe(exe, roots))
    }

    /// Children run `exe` (tests pass `env!("CARGO_BIN_EXE_rewardsmith")`).
    pub fn with_exe(exe: impl Into<PathBuf>, roots: AssetRoots) -> Self {
        Self {
            exe: exe.into(),
            roots,
            threads: 1,
        }
    }

    fn log_path(run_dir: &Path) -> PathBuf {
        match run_dir.parent() {
            Some(p) => p.join("train.log"),
            None => run_dir.join("train.log"),
        }
    }

    /// Run the child to completion (resuming a checkpointed run left by an interrupted
    /// synth); an error carries the end of its log.
    fn run_child(&self, req: &CandidateRequest, run_dir: &Path) -> Result<(), SynthError> {
        let log_path = Self::log_path(run_dir);
        let log =
            std::fs::File::create(&log_path).map_err(SynthError::io("creating", &log_path))?;
        let mut cmd = Command::new(&self.exe);
        if run::latest_checkpoint(run_dir).is_some() {
            cmd.arg("train").arg("--resume").arg(run_dir);
        } else {
            // A run that died before its first checkpoint starts over.
            if run_dir.join("config.toml").exists() {
                std::fs::remove_dir_all(run_dir).map_err(SynthError::io("clearing", run_dir))?;
            }
            cmd.arg("train")
                .arg("--env")
                .arg(&req.env)
                .arg("--reward")
                .arg(
                    std::path::absolute(&req.program)
                        .map_err(SynthError::io("resolving", &req.program))?,
                )
                .arg("--steps")
                .arg(req.steps.to_string())
                .arg("--seed")
                .arg(req.seed.to_string())
                .arg("--out")
                .arg(run_dir);
        }
        let status = cmd
            .env("RAYON_NUM_THREADS", self.threads.max(1).to_string())
            .stdin(Stdio::null())
            .stdout(
                log.try_clone()
                    .map_err(SynthError::io("opening", &log_path))?,
            )
            .stderr(log)
            .status()
            .map_err(SynthError::io("starting", &self.exe))?;
        if !status.success() {
            let text = std::fs::read_to_string(&log_path).unwrap_or_default();
            let lines: Vec<&str> = text
                .lines()
                .map(str::trim_end)
                .filter(|l| !l.is_empty())
                .collect();
            let tail = lines[lines.len().saturating_sub(TAIL_LINES)..].join("\n");
            return Err(SynthError::TrainFailed { status, tail });
        }
        Ok(())
    }
}

fn read_summary(run_dir: &Path) -> Option<Summary> {
    let text = std::fs::read_to_string(run_dir.join("summary.json")).ok()?;
    serde_json::from_str(&text).ok()
}

/// ~[`CURVE_POINTS`] stretches of consecutive metrics rows, each summarised: success,
/// return and length weighted by the episodes that ended in it; each component's mean,
/// min and max over the stretch's per-update means.
pub fn curves(rows: &[Metrics]) -> Vec<CurvePoint> {
    if rows.is_empty() {
        return Vec::new();
    }
    let n = rows.len();
    let points = (CURVE_POINTS as usize).min(n);
    (0..points)
        .map(|i| {
            let chunk = &rows[i * n / points..(i + 1) * n / points];
            let weighted = |f: fn(&Metrics) -> Option<f64>| {
                let (mut s, mut w) = (0.0, 0.0);
                for m in chunk {
                    if let Some(v) = f(m) {
                        let k = m.episodes.max(1) as f64;
                        s += k * v;
                        w += k;
                    }
                }
                if w > 0.0 { s / w } else { 0.0 }
            };
            let mut names: Vec<&String> = chunk.iter().flat_map(|m| m.components.keys()).collect();
            names.sort();
            names.dedup();
            let components = names
                .into_iter()
                .map(|name| {
                    let vals: Vec<f64> = chunk
                        .iter()
                        .filter_map(|m| m.components.get(name).copied())
                        .collect();
                    ComponentPoint {
                        name: name.clone(),
                        mean: vals.iter().sum::<f64>() / vals.len().max(1) as f64,
                        min: vals.iter().copied().fold(f64::INFINITY, f64::min),
                        max: vals.iter().copied().fold(f64::NEG_INFINITY, f64::max),
                    }
                })
                .collect();
            CurvePoint {
                step: chunk.last().map_or(0, |m| m.global_step),
                success_rate: weighted(|m| m.success_rate),
                mean_return: weighted(|m| m.ep_return),
                task_return: None,
                episode_length: weighted(|m| m.ep_length),
                components,
            }
        })
        .collect()
}

impl Trainer for TrainTrainer {
    fn name(&self) -> &str {
        "train:ppo"
    }

    fn workers(&self) -> usize {
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        (cores / self.threads.max(1)).max(1)
    }

    fn train_candidate(
        &self,
        req: &CandidateRequest,
        run_dir: &Path,
    ) -> Result<CandidateResult, SynthError> {
        // A finished run (an interrupted synth resumed) is reused as it is.
        let summary = match read_summary(run_dir) {
            Some(s) => s,
            None => {
                self.run_child(req, run_dir)?;
                read_summary(run_dir).ok_or_else(|| SynthError::NoSummary {
                    run_dir: run_dir.to_path_buf(),
                })?
            }
        };
        let metrics_path = run_dir.join("metrics.jsonl");
        let text = std::fs::read_to_string(&metrics_path)
            .map_err(SynthError::io("reading", &metrics_path))?;
        let rows: Vec<Metrics> = text
            .lines()
            .filter(|l| !l.trim().is_empty())
            .map(serde_json::from_str)
            .collect::<Result<_, _>>()
            .map_err(|e| SynthError::Parse {
                path: metrics_path.clone(),
                message: e.to_string(),
            })?;
        // The final policy once more under the env's own reward: the task score.
        let mut cfg = RunConfig::load(run_dir)?;
        cfg.reward = RunConfig::for_env(&cfg.env.to_string_lossy(), &self.roots)?.reward;
        let actor = run::load_actor(run_dir)?;
        let task = run::evaluate(&cfg, &actor, summary.eval.episodes, summary.eval.seed)
            .map_err(SynthError::TaskEvaluation)?;
        Ok(CandidateResult {
            trainer: self.name().to_string(),
            success_rate: summary.eval.success_rate,
            mean_return: summary.eval.mean_return,
            task_return: task.mean_return,
            episode_length: summary.eval.mean_length,
            episodes: summary.eval.episodes as u64,
            curves: curves(&rows),
            run_dir: Some(run_dir.to_path_buf()),
        })
    }
}
