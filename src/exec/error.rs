//! Errors of executors: preparing a job's directory and log, starting and waiting for it.

use std::path::PathBuf;

use crate::error::FileError;

/// Why a job could not be run (a job that ran and failed is a
/// [`JobOutcome::Failed`](crate::exec::JobOutcome::Failed), not an error).
#[derive(Debug, thiserror::Error)]
pub enum ExecError {
    /// Preparing the run directory or the log failed.
    #[error(transparent)]
    Io(#[from] FileError),
    /// The child process could not be started.
    #[error("starting {exe}")]
    Spawn {
        /// The executable.
        exe: PathBuf,
        /// The OS error.
        #[source]
        source: std::io::Error,
    },
    /// Waiting for a running child failed.
    #[error("waiting for the training of {run_dir}")]
    Wait {
        /// The job's run directory.
        run_dir: PathBuf,
        /// The OS error.
        #[source]
        source: std::io::Error,
    },
    /// The path of the running executable is unknown.
    #[error("locating the rewardsmith executable")]
    CurrentExe(#[source] std::io::Error),
}
