//! [`SlurmExecutor`]: a batch's (or a synthesis round's) trainings as one Slurm job
//! array, submitted with `sbatch --parsable --array=0-(K-1)`, waited for with `squeue`
//! and each task's own exit record, failed tasks resubmitted as a smaller array.
//!
//! Its state directory holds the generated scripts (`array-N.sh`), `submissions.jsonl`
//! (each array's id and its tasks' run directories, written before any waiting), the
//! tasks' exit records (`exit/ID_TASK`) and Slurm's own output (`slurm-ID_TASK.out`). A
//! new process on the same state directory re-attaches: a task still queued or running
//! is waited for, not submitted again; one that ended while nobody watched is
//! collected from its record. It cancels only arrays it recorded, and only when asked.

mod commands;
mod interrupt;
mod record;
mod script;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::error::io_error;
use crate::exec::{ExecError, Executor, JobEvent, JobOutcome, SlurmSettings, TrainJob};
use commands::{COMMAND_TIMEOUT, TaskState};
use record::Submission;
use script::ArrayTask;

pub use commands::{parse_sacct, parse_squeue};
pub use script::shell_quote;

/// Polls a task may be missing from the queue without an exit record before it counts as
/// lost (its record may still be on its way through a shared filesystem).
const MISSING_POLLS: u32 = 3;

/// Failed `squeue` calls in a row before the controller counts as gone.
const QUEUE_FAILURES: u32 = 10;

/// Runs jobs as the tasks of Slurm job arrays.
#[derive(Debug, Clone)]
pub struct SlurmExecutor {
    /// The `rewardsmith` executable the tasks run (on a filesystem the nodes share).
    pub exe: PathBuf,
    /// What each task asks for, and the waiting.
    pub settings: SlurmSettings,
    /// Where scripts, submissions, exit records and Slurm's output go.
    pub state_dir: PathBuf,
    /// The command that re-attaches (said when the wait is interrupted).
    pub resume_hint: String,
    /// Asked on Ctrl-C with the arrays still running: whether to `scancel` them
    /// (`None`: they are left running).
    pub confirm_cancel: Option<fn(&[String]) -> bool>,
}

/// A task being waited for.
#[derive(Debug, Clone)]
struct Watched {
    job_id: String,
    index: usize,
    started: bool,
    missing: u32,
}

impl SlurmExecutor {
    /// Check, before anything is written, that `sbatch` is installed, the controller
    /// answers and would accept a task with `settings` (`sbatch --test-only`).
    pub fn check(settings: &SlurmSettings) -> Result<(), ExecError> {
        let mut args = vec![
            "--test-only".to_string(),
            "--job-name=rewardsmith-check".into(),
            "--output=/dev/null".into(),
        ];
        args.extend(settings.sbatch_options());
        args.push("--wrap=true".into());
        commands::run("sbatch", &args, COMMAND_TIMEOUT).map(drop)
    }

    fn records_dir(&self) -> PathBuf {
        self.state_dir.join("exit")
    }

    /// How task `w` ended, once its exit record is there: `Ok` for exit code 0, else
    /// the status a failure is reported with.
    fn ended(&self, w: &Watched) -> Option<Result<(), String>> {
        let path = script::exit_record(&self.records_dir(), &w.job_id, w.index);
        let code: i32 = std::fs::read_to_string(path).ok()?.trim().parse().ok()?;
        Some(if code == 0 {
            Ok(())
        } else {
            Err(format!("exit {code}"))
        })
    }

    /// Submit `tasks` (job index, arguments) as one array; record it before returning.
    fn submit(
        &self,
        jobs: &[TrainJob],
        tasks: &[(usize, Vec<std::ffi::OsString>)],
    ) -> Result<String, ExecError> {
        let abs = |p: &Path| std::path::absolute(p).unwrap_or_else(|_| p.to_path_buf());
        let array: Vec<ArrayTask> = tasks
            .iter()
            .map(|(i, args)| ArrayTask {
                args: args.clone(),
                log: abs(&jobs[*i].log),
            })
            .collect();
        let n = record::load(&self.state_dir)?.len();
        let path = self.state_dir.join(format!("array-{n}.sh"));
        let text = script::array_script(&self.exe, &array, &abs(&self.records_dir()));
        crate::fs::write_atomic(&path, text.as_bytes())?;
        let mut args = vec![
            "--parsable".to_string(),
            format!("--array=0-{}", tasks.len() - 1),
            "--job-name=rewardsmith".into(),
            format!(
                "--output={}",
                abs(&self.state_dir).join("slurm-%A_%a.out").display()
            ),
        ];
        args.extend(self.settings.sbatch_options());
        args.push(path.display().to_string());
        let out = commands::run("sbatch", &args, COMMAND_TIMEOUT)?;
        let job_id = commands::parse_sbatch(&out).ok_or_else(|| ExecError::Slurm {
            command: "sbatch --parsable".into(),
            message: format!("answered {out:?}, not a job id"),
        })?;
        record::append(
            &self.state_dir,
            &Submission {
                job_id: job_id.clone(),
                run_dirs: tasks.iter().map(|(i, _)| abs(&jobs[*i].run_dir)).collect(),
            },
        )?;
        Ok(job_id)
    }

    /// Slurm's own output of task `w` (where it says "CANCELLED DUE TO TIME LIMIT").
    fn slurm_output_tail(&self, w: &Watched) -> String {
        crate::exec::log_tail(
            &self
                .state_dir
                .join(format!("slurm-{}_{}.out", w.job_id, w.index)),
        )
    }

    /// How a task that left the queue without an exit record ended, from accounting
    /// where the cluster keeps it.
    fn lost_status(&self, w: &Watched) -> String {
        let accounted = commands::accounted(&w.job_id).and_then(|tasks| {
            tasks
                .into_iter()
                .find(|t| t.index == w.index && !t.is_live())
        });
        match accounted {
            Some(t) => format!(
                "Slurm state {} (exit {})",
                t.state,
                t.exit.as_deref().unwrap_or("?")
            ),
            None => "left the queue without an exit record (cancelled, time limit or node \
                     failure)"
                .into(),
        }
    }

    /// The waiting loop behind [`Executor::run`].
    fn drive(
        &self,
        jobs: &[TrainJob],
        progress: &mut dyn FnMut(usize, JobEvent<'_>),
    ) -> Result<Vec<JobOutcome>, ExecError> {
        let records = self.records_dir();
        std::fs::create_dir_all(&records).map_err(io_error::<ExecError>("creating", &records))?;
        let mut outcomes: Vec<Option<JobOutcome>> = (0..jobs.len()).map(|_| None).collect();
        let mut attempts = vec![0u32; jobs.len()];
        let mut watched: HashMap<usize, Watched> = self.reattach(jobs)?;
        let mut fresh: Vec<usize> = (0..jobs.len())
            .filter(|i| !watched.contains_key(i))
            .collect();
        let mut queue_failures = 0;
        let _waiting = interrupt::watch();
        loop {
            self.submit_fresh(jobs, &mut fresh, &mut watched, &mut outcomes, progress);
            if watched.is_empty() {
                break;
            }
            if interrupt::requested() {
                return Err(self.interrupted(&watched));
            }
            std::thread::sleep(Duration::from_secs_f64(self.settings.poll_s.max(0.05)));
            let mut ended: Vec<(usize, Result<(), String>)> = Vec::new();
            for (&i, w) in &watched {
                if let Some(r) = self.ended(w) {
                    ended.push((i, r));
                }
            }
            let ended_ids: Vec<usize> = ended.iter().map(|(i, _)| *i).collect();
            let rest: Vec<usize> = watched
                .keys()
                .copied()
                .filter(|i| !ended_ids.contains(i))
                .collect();
            if !rest.is_empty() {
                let ids = unique_ids(rest.iter().map(|i| &watched[i]));
                match commands::queued(&ids) {
                    Ok(live) => {
                        queue_failures = 0;
                        for i in rest {
                            let w = watched.get_mut(&i).expect("watched");
                            match live
                                .iter()
                                .find(|t| t.job_id == w.job_id && t.index == w.index)
                            {
                                Some(t) => {
                                    w.missing = 0;
                                    if !w.started && t.state != "PENDING" {
                                        w.started = true;
                                        progress(i, JobEvent::Started);
                                    }
                                }
                                None => {
                                    w.missing += 1;
                                    // A record may have landed since it was looked for.
                                    if let Some(r) = self.ended(w) {
                                        ended.push((i, r));
                                    } else if w.missing >= MISSING_POLLS {
                                        ended.push((i, Err(self.lost_status(w))));
                                    }
                                }
                            }
                        }
                    }
                    Err(e) => {
                        queue_failures += 1;
                        if queue_failures >= QUEUE_FAILURES {
                            return Err(ExecError::Slurm {
                                command: "squeue".into(),
                                message: format!(
                                    "{}; the tasks may still be running: re-attach with {}",
                                    crate::error::Chain(&e),
                                    self.resume_hint
                                ),
                            });
                        }
                    }
                }
            }
            for (i, result) in ended {
                let w = watched.remove(&i).expect("watched");
                if !w.started {
                    progress(i, JobEvent::Started);
                }
                match result {
                    Ok(()) => {
                        progress(i, JobEvent::Ended(&JobOutcome::Finished));
                        outcomes[i] = Some(JobOutcome::Finished);
                    }
                    Err(status) => {
                        let log_tail = match jobs[i].log_tail() {
                            t if t.is_empty() => self.slurm_output_tail(&w),
                            t => t,
                        };
                        if attempts[i] < self.settings.retries {
                            attempts[i] += 1;
                            progress(
                                i,
                                JobEvent::Retrying {
                                    status: &status,
                                    attempt: attempts[i],
                                },
                            );
                            fresh.push(i);
                        } else {
                            let o = JobOutcome::Failed { status, log_tail };
                            progress(i, JobEvent::Ended(&o));
                            outcomes[i] = Some(o);
                        }
                    }
                }
            }
        }
        Ok(outcomes
            .into_iter()
            .map(|o| o.expect("every job ends"))
            .collect())
    }

    /// Tasks of earlier submissions to wait for again: the latest task of each unfinished
    /// job's run directory that is still queued or running, or that left an exit record.
    fn reattach(&self, jobs: &[TrainJob]) -> Result<HashMap<usize, Watched>, ExecError> {
        let subs = record::load(&self.state_dir)?;
        let mut latest: HashMap<usize, Watched> = HashMap::new();
        for s in &subs {
            for (index, dir) in s.run_dirs.iter().enumerate() {
                let found = jobs
                    .iter()
                    .position(|j| std::path::absolute(&j.run_dir).ok().as_ref() == Some(dir));
                if let Some(i) = found {
                    latest.insert(
                        i,
                        Watched {
                            job_id: s.job_id.clone(),
                            index,
                            started: false,
                            missing: 0,
                        },
                    );
                }
            }
        }
        if latest.is_empty() {
            return Ok(latest);
        }
        let live: Vec<TaskState> = commands::queued(&unique_ids(latest.values()))?;
        // A finished run is looked at afresh (and skipped); an ended task of an unfinished
        // one is collected from its record.
        latest.retain(|&i, w| {
            let finished = jobs[i].run_dir.join("summary.json").is_file();
            let live = || {
                live.iter()
                    .any(|t| t.job_id == w.job_id && t.index == w.index)
            };
            !finished && (self.ended(w).is_some() || live())
        });
        Ok(latest)
    }

    /// Submit the `fresh` jobs that still have work (one array); the others end here.
    fn submit_fresh(
        &self,
        jobs: &[TrainJob],
        fresh: &mut Vec<usize>,
        watched: &mut HashMap<usize, Watched>,
        outcomes: &mut [Option<JobOutcome>],
        progress: &mut dyn FnMut(usize, JobEvent<'_>),
    ) {
        let mut tasks = Vec::new();
        for i in fresh.drain(..) {
            match jobs[i].args() {
                Ok(Some(args)) => tasks.push((i, args)),
                Ok(None) => {
                    progress(i, JobEvent::Ended(&JobOutcome::AlreadyFinished));
                    outcomes[i] = Some(JobOutcome::AlreadyFinished);
                }
                Err(e) => {
                    let o = JobOutcome::Error(e);
                    progress(i, JobEvent::Ended(&o));
                    outcomes[i] = Some(o);
                }
            }
        }
        if tasks.is_empty() {
            return;
        }
        match self.submit(jobs, &tasks) {
            Ok(job_id) => {
                for (index, (i, _)) in tasks.iter().enumerate() {
                    let w = Watched {
                        job_id: job_id.clone(),
                        index,
                        started: false,
                        missing: 0,
                    };
                    watched.insert(*i, w);
                }
            }
            Err(e) => {
                let message = crate::error::Chain(&e).to_string();
                for (i, _) in tasks {
                    let o = JobOutcome::Error(ExecError::Slurm {
                        command: "sbatch".into(),
                        message: message.clone(),
                    });
                    progress(i, JobEvent::Ended(&o));
                    outcomes[i] = Some(o);
                }
            }
        }
    }

    /// Ctrl-C while tasks run: cancel them if the user says so, else leave them.
    fn interrupted(&self, watched: &HashMap<usize, Watched>) -> ExecError {
        let ids = unique_ids(watched.values());
        let cancel = self.confirm_cancel.is_some_and(|ask| ask(&ids));
        let mut left_running = !cancel;
        if cancel {
            let args: Vec<String> = ids.clone();
            if commands::run("scancel", &args, COMMAND_TIMEOUT).is_err() {
                left_running = true;
            }
        }
        ExecError::Interrupted {
            job_ids: ids.join(","),
            left_running,
            resume_hint: self.resume_hint.clone(),
        }
    }
}

/// The distinct array ids of `tasks`, sorted.
fn unique_ids<'a>(tasks: impl Iterator<Item = &'a Watched>) -> Vec<String> {
    let mut ids: Vec<String> = tasks.map(|w| w.job_id.clone()).collect();
    ids.sort();
    ids.dedup();
    ids
}

impl Executor for SlurmExecutor {
    fn run(
        &self,
        jobs: &[TrainJob],
        progress: &mut dyn FnMut(usize, JobEvent<'_>),
    ) -> Result<Vec<JobOutcome>, ExecError> {
        self.drive(jobs, progress)
    }
}
