//! [`TrainTrainer`]: each candidate trained by its own `rewardsmith train` process, a
//! round's candidates together through an executor ([`crate::exec`]): the local process
//! pool, or one Slurm job array per round (its state in `round_R/slurm/`).
//!
//! The child runs `train --env ENV --reward PROGRAM --steps S --seed SEED --out RUN_DIR`
//! with its stdout and stderr in `train.log` next to `RUN_DIR`. The result is read back
//! from the run directory: the final deterministic evaluation of `summary.json` (the
//! fitness: the env's own success criterion), ~10 stretches of `metrics.jsonl` (reward
//! reflection) and one more evaluation of the final policy under the env's own reward
//! (the task score that breaks ties). A child that fails (a NaN reward, a panic) is a
//! failed candidate whose reason is the end of its log.

use std::path::{Path, PathBuf};

use super::SynthError;
use super::trainer::{
    CURVE_POINTS, CandidateRequest, CandidateResult, ComponentPoint, CurvePoint, Trainer,
};
use crate::env::AssetRoots;
use crate::exec::{ExecError, ExecutorSettings, JobOutcome, LocalPool, TrainJob};
use crate::run::{self, Metrics, RunConfig, Summary};

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
    /// Local processes or Slurm arrays.
    pub executor: ExecutorSettings,
    /// The command that re-attaches to a round's Slurm array.
    pub resume_hint: String,
    /// Asked on Ctrl-C while a round's Slurm array runs: whether to cancel it.
    pub confirm_cancel: Option<fn(&[String]) -> bool>,
}

impl TrainTrainer {
    /// Children run this very executable, one thread each.
    pub fn new(roots: AssetRoots) -> Result<Self, SynthError> {
        let exe = std::env::current_exe()
            .map_err(ExecError::CurrentExe)
            .map_err(SynthError::Exec)?;
        Ok(Self::with_exe(exe, roots))
    }

    /// Children run `exe` (tests pass `env!("CARGO_BIN_EXE_rewardsmith")`).
    pub fn with_exe(exe: impl Into<PathBuf>, roots: AssetRoots) -> Self {
        Self {
            exe: exe.into(),
            roots,
            threads: 1,
            executor: ExecutorSettings::default(),
            resume_hint: "`rewardsmith synth --resume DIR`".into(),
            confirm_cancel: None,
        }
    }

    /// The local process pool the children run in.
    fn pool(&self) -> LocalPool {
        LocalPool {
            exe: self.exe.clone(),
            workers: self.workers(),
            threads_per_job: Some(self.threads.max(1)),
        }
    }

    /// The `rewardsmith train` job of one candidate; its log is `train.log` beside
    /// `run_dir`.
    fn job(req: &CandidateRequest, run_dir: &Path) -> Result<TrainJob, SynthError> {
        let program =
            std::path::absolute(&req.program).map_err(SynthError::io("resolving", &req.program))?;
        let log = match run_dir.parent() {
            Some(p) => p.join("train.log"),
            None => run_dir.join("train.log"),
        };
        Ok(TrainJob {
            run_dir: run_dir.to_path_buf(),
            train_args: vec![
                "--env".into(),
                req.env.clone().into(),
                "--reward".into(),
                program.into(),
                "--steps".into(),
                req.steps.to_string().into(),
                "--seed".into(),
                req.seed.to_string().into(),
            ],
            log,
        })
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
        let mut one = self.train_candidates(&[(req.clone(), run_dir.to_path_buf())]);
        one.pop().expect("one result per candidate")
    }

    fn train_candidates(
        &self,
        candidates: &[(CandidateRequest, PathBuf)],
    ) -> Vec<Result<CandidateResult, SynthError>> {
        let jobs: Vec<Result<TrainJob, SynthError>> = candidates
            .iter()
            .map(|(req, dir)| Self::job(req, dir))
            .collect();
        let runnable: Vec<TrainJob> = jobs
            .iter()
            .filter_map(|j| j.as_ref().ok())
            .cloned()
            .collect();
        // A round's candidates live in round_R/sample_K/run: its Slurm state in round_R.
        let state_dir = candidates
            .first()
            .and_then(|(_, dir)| dir.ancestors().nth(2))
            .unwrap_or(Path::new("."))
            .join("slurm");
        let executor = self.executor.executor(
            self.pool(),
            state_dir,
            self.resume_hint.clone(),
            self.confirm_cancel,
        );
        let outcomes = match executor.run(&runnable, &mut |_, _| {}) {
            Ok(o) => o,
            // The whole round stopped (interrupted, cluster gone): no candidate failed.
            Err(e) => {
                let e = std::sync::Arc::new(e);
                return candidates
                    .iter()
                    .map(|_| Err(SynthError::Stopped(e.clone())))
                    .collect();
            }
        };
        let mut outcomes = outcomes.into_iter();
        jobs.into_iter()
            .zip(candidates)
            .map(|(job, (_, run_dir))| {
                job?;
                match outcomes.next().expect("one outcome per job") {
                    // A finished run (an interrupted synth resumed) is reused as it is.
                    JobOutcome::Finished | JobOutcome::AlreadyFinished => self.collect(run_dir),
                    JobOutcome::Failed { status, log_tail } => Err(SynthError::TrainFailed {
                        status,
                        tail: log_tail,
                    }),
                    JobOutcome::Error(e) => Err(SynthError::Exec(e)),
                }
            })
            .collect()
    }
}

impl TrainTrainer {
    /// The result of a finished run: its summary, curves and task score.
    fn collect(&self, run_dir: &Path) -> Result<CandidateResult, SynthError> {
        let summary = read_summary(run_dir).ok_or_else(|| SynthError::NoSummary {
            run_dir: run_dir.to_path_buf(),
        })?;
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
