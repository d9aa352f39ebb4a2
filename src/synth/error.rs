//! Errors of the synth loop: its settings, files, prompt templates, rankings and
//! candidate training, each naming the file, setting or round at fault.

use std::path::PathBuf;

use crate::error::{EncodeError, FileError};

use crate::env::EnvError;
use crate::exec::ExecError;
use crate::reward::RewardError;
use crate::run::RunError;

/// Everything that can stop a synth run or fail one candidate's training.
#[derive(Debug, thiserror::Error)]
pub enum SynthError {
    /// The env failed to load, reset or step.
    #[error(transparent)]
    Env(#[from] EnvError),
    /// A reward program, or a prompt template's slots, failed.
    #[error(transparent)]
    Reward(#[from] RewardError),
    /// Reading a candidate's run directory failed.
    #[error(transparent)]
    Run(#[from] RunError),
    /// A file or directory operation failed.
    #[error(transparent)]
    Io(#[from] FileError),
    /// The executor stopped the whole round (Ctrl-C, a cluster that stopped answering):
    /// the run stops, and no candidate is recorded as failed.
    #[error("the round's trainings stopped")]
    Stopped(#[source] std::sync::Arc<ExecError>),
    /// The `planner` trainer's controller failed.
    #[error(transparent)]
    Planner(#[from] crate::mpc::MpcError),
    /// A prompt template could not be read.
    #[error("prompt template {path}")]
    Template {
        /// The template file.
        path: PathBuf,
        /// The OS error.
        #[source]
        source: std::io::Error,
    },
    /// A file does not parse (the config file, a run's `metrics.jsonl`).
    #[error("{path}: {message}")]
    Parse {
        /// The file.
        path: PathBuf,
        /// Position and parser message.
        message: String,
    },
    /// Data could not be encoded for a file.
    #[error(transparent)]
    Encode(#[from] EncodeError),
    /// A setting the loop cannot use (no env, no task, a zero count, ...).
    #[error("{message}")]
    Setting {
        /// The setting, e.g. `samples` or `[llm] parallel`.
        key: &'static str,
        /// What is wrong and how to fix it.
        message: &'static str,
    },
    /// `progress.png` could not be drawn or written.
    #[error("{path}: {message}")]
    Plot {
        /// The image file.
        path: PathBuf,
        /// The plotting or image library's message.
        message: String,
    },
    /// `ranking.json` is malformed or names samples that were not evaluated.
    #[error("{file}: {message}")]
    Ranking {
        /// The ranking file.
        file: PathBuf,
        /// What is wrong.
        message: String,
    },
    /// The ranker gave a ranking that does not fit the round's evaluated samples.
    #[error("the ranking given for round {round}: {message}")]
    RankerAnswer {
        /// The round, from 1.
        round: usize,
        /// What is wrong.
        message: String,
    },
    /// Asking the person for a ranking failed (the terminal).
    #[error("asking for round {round}'s ranking")]
    Ranker {
        /// The round, from 1.
        round: usize,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// A candidate's training process could not be started or waited for.
    #[error(transparent)]
    Exec(#[from] ExecError),
    /// The `rewardsmith train` child exited with an error.
    #[error("`rewardsmith train` failed ({status}):\n{tail}")]
    TrainFailed {
        /// How it ended (exit code or signal).
        status: String,
        /// The last lines of its log.
        tail: String,
    },
    /// The child finished but left no `summary.json`.
    #[error("{run_dir}: no summary.json after training")]
    NoSummary {
        /// The candidate's run directory.
        run_dir: PathBuf,
    },
    /// Evaluating a candidate's final policy under the env's own reward failed.
    #[error("evaluating the final policy under the env's own reward")]
    TaskEvaluation(#[source] RunError),
    /// A candidate was asked to train for zero steps.
    #[error("the step budget must be at least 1")]
    ZeroSteps,
}

impl SynthError {
    /// An I/O error on `path` while `action` (`reading`, `writing`, ...), for `map_err`.
    pub(crate) fn io(
        action: &'static str,
        path: impl Into<PathBuf>,
    ) -> impl FnOnce(std::io::Error) -> Self {
        crate::error::io_error(action, path)
    }

    /// An encoding error for `path`, for `map_err`.
    pub(crate) fn encode<E: std::error::Error + Send + Sync + 'static>(
        path: impl Into<PathBuf>,
    ) -> impl FnOnce(E) -> Self {
        crate::error::encode_error(path)
    }
}
