//! Where trainings run. An [`Executor`] takes a batch of [`TrainJob`]s — each a
//! `rewardsmith train` process with its own run directory — and runs them to their end.
//! [`LocalPool`] runs them as child processes on this machine, a few at a time; `batch`
//! and `synth` both go through it, and a cluster executor (Slurm job arrays) plugs in
//! behind the same trait. In-process work that only needs threads (LLM requests, the
//! planner) uses [`map_threads`].

mod error;
mod job;
mod local;
mod threads;

pub use error::ExecError;
pub use job::{JobEvent, JobOutcome, TrainJob};
pub use local::LocalPool;
pub use threads::map_threads;

/// Runs batches of training jobs.
pub trait Executor: Send + Sync {
    /// Run every job to its end and return the outcomes in job order. `progress` hears
    /// each job start and end as they happen (with the job's index).
    fn run(
        &self,
        jobs: &[TrainJob],
        progress: &mut dyn FnMut(usize, JobEvent<'_>),
    ) -> Vec<JobOutcome>;
}
