//! `MpcError`: what can go wrong setting up or running the controller, or a Language
//! to Rewards session.

use std::path::PathBuf;

use thiserror::Error;

use crate::env::EnvError;
use crate::error::{EncodeError, FileError};
use crate::reward::RewardError;
use crate::synth::llm::LlmError;

/// An error of the `mpc` stage.
#[derive(Debug, Error)]
pub enum MpcError {
    /// The env failed (spec, snapshot, action).
    #[error(transparent)]
    Env(#[from] EnvError),
    /// A reward or success program failed to compile or run, or a parameter is bad.
    #[error(transparent)]
    Reward(#[from] RewardError),
    /// The env's spec has no `[mpc]` table.
    #[error(
        "{file}: no [mpc] table: this env is not set up for the predictive-sampling controller; add one (every key is optional: samples, horizon, sigma, knots, interpolation, program, terminal_weight, replan_every)"
    )]
    NoMpcTable {
        /// The spec file.
        file: PathBuf,
    },
    /// A planner setting is out of range.
    #[error("{file}: [mpc].{key} (or --{}): expected {expected}", key.replace('_', "-"))]
    Config {
        /// The spec file.
        file: String,
        /// The key.
        key: String,
        /// What is accepted.
        expected: String,
    },
    /// A command-line value is out of range.
    #[error("{flag}: {message}")]
    Usage {
        /// The flag.
        flag: String,
        /// What is wrong.
        message: String,
    },
    /// A file could not be written or read.
    #[error(transparent)]
    File(#[from] FileError),
    /// A run-directory file could not be written atomically.
    #[error(transparent)]
    Run(#[from] crate::run::RunError),
    /// A file's contents could not be encoded.
    #[error(transparent)]
    Encode(#[from] EncodeError),
    /// A video could not be rendered or written.
    #[error("writing the video {path}: {message}")]
    Video {
        /// The video file.
        path: PathBuf,
        /// What failed.
        message: String,
    },
    /// The LLM endpoint failed for good.
    #[error("{stage}: {source}")]
    Llm {
        /// Which stage asked (`motion descriptor`, `reward coder`).
        stage: String,
        /// The client's error.
        #[source]
        source: LlmError,
    },
    /// An LLM reply cannot be used (no program, unknown parameters, a program that does
    /// not compile); the conversation so far is on disk.
    #[error("{stage} reply {reply}: {message} (the conversation so far is in {dir})")]
    BadReply {
        /// Which stage replied.
        stage: String,
        /// The reply file.
        reply: PathBuf,
        /// What is wrong with it.
        message: String,
        /// The session directory.
        dir: PathBuf,
    },
    /// A prompt template is missing or does not fill.
    #[error("prompt template {path}: {message}")]
    Template {
        /// The template file.
        path: PathBuf,
        /// What is wrong.
        message: String,
    },
    /// The session directory holds another session.
    #[error("{dir}: {message}")]
    Session {
        /// The session directory.
        dir: PathBuf,
        /// What differs.
        message: String,
    },
}

impl MpcError {
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
