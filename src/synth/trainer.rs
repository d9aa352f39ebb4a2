//! Turning one candidate reward program into a fitness: the [`Trainer`] trait,
//! [`TrainTrainer`](super::train_trainer::TrainTrainer) (one `rewardsmith train`
//! subprocess per candidate, the default) and
//! [`PlannerTrainer`](crate::mpc::PlannerTrainer), a fast offline evaluator without
//! learning (the predictive-sampling controller).

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::synth::SynthError;

/// What to train: one candidate program for one env, within a step budget.
#[derive(Debug, Clone)]
pub struct CandidateRequest {
    /// Built-in env name or spec path.
    pub env: String,
    /// The candidate's `.luau` file.
    pub program: PathBuf,
    /// Env-step budget of this candidate.
    pub steps: u64,
    /// Seed of the run.
    pub seed: u64,
}

/// One component's statistics over a stretch of training.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ComponentPoint {
    /// Component name (`total` for the total).
    pub name: String,
    /// Mean per step.
    pub mean: f64,
    /// Smallest value.
    pub min: f64,
    /// Largest value.
    pub max: f64,
}

/// Metrics at one point of training (Eureka's reward reflection samples ~10 of these).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CurvePoint {
    /// Env steps done at the end of this stretch.
    pub step: u64,
    /// Success rate of the episodes that ended so far (the env's own criterion).
    pub success_rate: f64,
    /// Mean episode return (of the candidate reward) of the episodes ended so far.
    pub mean_return: f64,
    /// Mean episode return of the env's own reward, episodes ended so far (absent when
    /// the trainer does not measure it during training, as `rewardsmith train`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub task_return: Option<f64>,
    /// Mean episode length of the episodes ended so far.
    pub episode_length: f64,
    /// Each component over this stretch, and `total`.
    pub components: Vec<ComponentPoint>,
}

/// What training one candidate produced.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CandidateResult {
    /// Which trainer produced it (e.g. `planner`, later `train:ppo`).
    pub trainer: String,
    /// Final success rate by the env's own success criterion: the fitness.
    pub success_rate: f64,
    /// Final mean episode return of the candidate reward.
    pub mean_return: f64,
    /// Mean episode return of the env's own (expert) reward, `rewards.reward` in its
    /// spec: the task score that breaks ties between equal success rates.
    pub task_return: f64,
    /// Mean episode length.
    pub episode_length: f64,
    /// Episodes evaluated.
    pub episodes: u64,
    /// Curves over training, ~10 points.
    pub curves: Vec<CurvePoint>,
    /// The trainer's run directory, when it wrote one.
    pub run_dir: Option<PathBuf>,
}

/// Trains (or evaluates) one candidate.
pub trait Trainer: Send + Sync {
    /// A short name, recorded in every result.
    fn name(&self) -> &str;
    /// Train `req` with `run_dir` as its own run directory (created by the caller).
    /// An error is a failed candidate, reported to the LLM with its message.
    fn train_candidate(
        &self,
        req: &CandidateRequest,
        run_dir: &Path,
    ) -> Result<CandidateResult, SynthError>;
    /// How many candidates may train at once without oversubscribing the cores.
    fn workers(&self) -> usize {
        std::thread::available_parallelism().map_or(1, |n| n.get())
    }
    /// Train every candidate, each in its own run directory (created by the caller);
    /// results in candidate order. By default [`Trainer::workers`] candidates at a time
    /// on threads of this process; a trainer that runs processes hands them all to an
    /// executor at once.
    fn train_candidates(
        &self,
        candidates: &[(CandidateRequest, PathBuf)],
    ) -> Vec<Result<CandidateResult, SynthError>> {
        crate::exec::map_threads(candidates, self.workers(), |(req, run_dir)| {
            self.train_candidate(req, run_dir)
        })
    }
}

/// Number of curve points reported.
pub const CURVE_POINTS: u64 = 10;
