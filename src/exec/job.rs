//! One training job: a run directory, the `rewardsmith train` arguments that start it,
//! and its log; and what became of it.

use std::ffi::OsString;
use std::path::{Path, PathBuf};

use crate::error::io_error;
use crate::exec::ExecError;

/// Lines of a failed job's log quoted in its outcome.
const TAIL_LINES: usize = 8;

/// A `rewardsmith train` run to execute in its own directory.
#[derive(Debug, Clone, PartialEq)]
pub struct TrainJob {
    /// The run directory (`train --out`; `train --resume` once it holds a checkpoint).
    pub run_dir: PathBuf,
    /// The `train` arguments of a fresh run, without `train` itself and `--out`.
    pub train_args: Vec<OsString>,
    /// The file that receives the process's stdout and stderr.
    pub log: PathBuf,
}

impl TrainJob {
    /// The command-line arguments that bring the run directory to a finished run, or
    /// `None` when it already holds one (`summary.json`): `train --resume DIR` from its
    /// latest checkpoint, else a fresh `train … --out DIR` (a directory that died before
    /// its first checkpoint is cleared first).
    pub fn args(&self) -> Result<Option<Vec<OsString>>, ExecError> {
        let dir = &self.run_dir;
        if dir.join("summary.json").exists() {
            return Ok(None);
        }
        if crate::run::latest_checkpoint(dir).is_some() {
            return Ok(Some(vec!["train".into(), "--resume".into(), dir.into()]));
        }
        if dir.exists() {
            std::fs::remove_dir_all(dir).map_err(io_error::<ExecError>("clearing", dir))?;
        }
        let mut args: Vec<OsString> = vec!["train".into()];
        args.extend(self.train_args.iter().cloned());
        args.extend(["--out".into(), dir.into()]);
        Ok(Some(args))
    }

    /// The last lines of the job's log (what a failure is reported with).
    pub fn log_tail(&self) -> String {
        log_tail(&self.log)
    }
}

/// The last [`TAIL_LINES`] non-empty lines of the file `log` (empty if unreadable).
pub(crate) fn log_tail(log: &Path) -> String {
    let text = std::fs::read_to_string(log).unwrap_or_default();
    let lines: Vec<&str> = text
        .lines()
        .map(str::trim_end)
        .filter(|l| !l.is_empty())
        .collect();
    lines[lines.len().saturating_sub(TAIL_LINES)..].join("\n")
}

/// What became of a job.
#[derive(Debug)]
pub enum JobOutcome {
    /// Its run directory already held a finished run; nothing ran.
    AlreadyFinished,
    /// It ran and exited successfully.
    Finished,
    /// It ran and failed.
    Failed {
        /// How it ended (exit code or signal).
        status: String,
        /// The last lines of its log.
        log_tail: String,
    },
    /// It could not be started or waited for.
    Error(ExecError),
}

impl JobOutcome {
    /// Whether the run directory now holds a finished run.
    pub fn is_success(&self) -> bool {
        matches!(self, JobOutcome::AlreadyFinished | JobOutcome::Finished)
    }
}

/// A moment in a job's life, as an executor reports it.
#[derive(Debug, Clone, Copy)]
pub enum JobEvent<'a> {
    /// The job's process started.
    Started,
    /// The job ended (or was found finished, or could not start).
    Ended(&'a JobOutcome),
    /// The job failed and is submitted again (Slurm's `--retries`).
    Retrying {
        /// How the failed attempt ended.
        status: &'a str,
        /// The retry this is (1 for the first).
        attempt: u32,
    },
}

#[cfg(test)]
mod tests {
    use super::*;

    fn job(dir: &Path) -> TrainJob {
        TrainJob {
            run_dir: dir.join("run"),
            train_args: vec!["--env".into(), "cartpole".into()],
            log: dir.join("train.log"),
        }
    }

    #[test]
    fn a_fresh_job_starts_train_with_its_directory_as_out() {
        let tmp = tempfile::tempdir().unwrap();
        let j = job(tmp.path());
        let args = j.args().unwrap().unwrap();
        let want: Vec<OsString> = vec![
            "train".into(),
            "--env".into(),
            "cartpole".into(),
            "--out".into(),
            j.run_dir.clone().into(),
        ];
        assert_eq!(args, want);
    }

    #[test]
    fn a_finished_run_is_not_run_again_and_a_checkpointed_one_resumes() {
        let tmp = tempfile::tempdir().unwrap();
        let j = job(tmp.path());
        let ck = j.run_dir.join("checkpoints");
        std::fs::create_dir_all(ck.join("update-000001")).unwrap();
        std::fs::write(ck.join("latest"), "update-000001").unwrap();
        let args = j.args().unwrap().unwrap();
        assert_eq!(args[..2], [OsString::from("train"), "--resume".into()]);
        std::fs::write(j.run_dir.join("summary.json"), "{}").unwrap();
        assert_eq!(j.args().unwrap(), None);
    }

    #[test]
    fn a_run_killed_before_its_first_checkpoint_starts_over() {
        let tmp = tempfile::tempdir().unwrap();
        let j = job(tmp.path());
        std::fs::create_dir_all(&j.run_dir).unwrap();
        std::fs::write(j.run_dir.join("config.toml"), "half").unwrap();
        let args = j.args().unwrap().unwrap();
        assert!(args.contains(&OsString::from("--env")));
        assert!(!j.run_dir.exists());
    }

    #[test]
    fn the_log_tail_keeps_the_last_non_empty_lines() {
        let tmp = tempfile::tempdir().unwrap();
        let j = job(tmp.path());
        let text: String = (1..=20).map(|i| format!("line {i}\n\n")).collect();
        std::fs::write(&j.log, text).unwrap();
        let tail = j.log_tail();
        assert_eq!(tail.lines().count(), TAIL_LINES);
        assert!(
            tail.starts_with("line 13") && tail.ends_with("line 20"),
            "{tail}"
        );
    }
}
