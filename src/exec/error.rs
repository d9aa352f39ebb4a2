//! Errors of executors: preparing a job's directory and log, starting and waiting for it,
//! and talking to Slurm.

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
    /// A Slurm client command is not installed.
    #[error("no `{program}` on PATH: install Slurm's client commands, or use --executor local")]
    SlurmMissing {
        /// The command.
        program: String,
    },
    /// A Slurm command failed or did not answer; `message` is Slurm's own.
    #[error("`{command}` failed: {message}")]
    Slurm {
        /// The command line.
        command: String,
        /// What Slurm said (its stderr), or that it did not answer.
        message: String,
    },
    /// The executor's record of its submissions does not parse.
    #[error("{path}, line {line}: {message}")]
    Record {
        /// The file.
        path: PathBuf,
        /// Its line (1-based).
        line: usize,
        /// The parser's message.
        message: String,
    },
    /// Ctrl-C while waiting for submitted tasks.
    #[error(
        "interrupted while waiting for Slurm arrays {job_ids}: {}",
        if *left_running { format!("they are left running; re-attach with {resume_hint}") }
        else { "they were cancelled".to_string() }
    )]
    Interrupted {
        /// The arrays' job ids, comma-separated.
        job_ids: String,
        /// Whether they were left running (not cancelled).
        left_running: bool,
        /// The command that re-attaches.
        resume_hint: String,
    },
    /// The path of the running executable is unknown.
    #[error("locating the rewardsmith executable")]
    CurrentExe(#[source] std::io::Error),
}
