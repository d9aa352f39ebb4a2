//! Where trainings run. An [`Executor`] takes a batch of [`TrainJob`]s — each a
//! `rewardsmith train` process with its own run directory — and runs them to their end.
//! [`LocalPool`] runs them as child processes on this machine, a few at a time;
//! [`SlurmExecutor`] as the tasks of a Slurm job array. `batch` and `synth` choose one by
//! their [`ExecutorSettings`]. In-process work that only needs threads (LLM requests, the
//! planner) uses [`map_threads`].

mod error;
mod job;
mod local;
mod settings;
mod slurm;
mod threads;

pub use error::ExecError;
use job::log_tail;
pub use job::{JobEvent, JobOutcome, TrainJob};
pub use local::LocalPool;
pub use settings::{ExecutorKind, ExecutorSettings, SlurmSettings};
pub use slurm::{SlurmExecutor, parse_sacct, parse_squeue, shell_quote};
pub use threads::map_threads;

/// Runs batches of training jobs.
pub trait Executor: Send + Sync {
    /// Run every job to its end and return the outcomes in job order. `progress` hears
    /// each job start and end as they happen (with the job's index). An error ends the
    /// whole batch (an interrupted wait, a cluster that stopped answering).
    fn run(
        &self,
        jobs: &[TrainJob],
        progress: &mut dyn FnMut(usize, JobEvent<'_>),
    ) -> Result<Vec<JobOutcome>, ExecError>;
}
