//! [`LocalPool`]: jobs as child processes of this machine, a fixed number at a time.

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use crate::error::io_error;
use crate::exec::{ExecError, Executor, JobEvent, JobOutcome, TrainJob};

/// How often running children are checked for their end.
const POLL: Duration = Duration::from_millis(100);

/// Runs jobs as `rewardsmith train` child processes, `workers` at a time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LocalPool {
    /// The `rewardsmith` executable the children run.
    pub exe: PathBuf,
    /// Jobs running at once (at least 1).
    pub workers: usize,
    /// Worker threads of each child (its `RAYON_NUM_THREADS`); `None` leaves the
    /// child's environment as it is.
    pub threads_per_job: Option<usize>,
}

impl LocalPool {
    /// A pool running this very executable.
    pub fn of_this_exe(workers: usize, threads_per_job: Option<usize>) -> Result<Self, ExecError> {
        let exe = std::env::current_exe().map_err(ExecError::CurrentExe)?;
        Ok(Self {
            exe,
            workers,
            threads_per_job,
        })
    }

    /// Threads for each of `workers` children so that together they use every core once
    /// (`None` when `RAYON_NUM_THREADS` is set: the user's choice is inherited).
    pub fn share_cores(workers: usize) -> Option<usize> {
        std::env::var_os("RAYON_NUM_THREADS").is_none().then(|| {
            let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
            (cores / workers.max(1)).max(1)
        })
    }

    /// Start `job`'s process, or say why it need not or cannot run.
    fn start(&self, job: &TrainJob) -> Result<Option<Child>, ExecError> {
        let Some(args) = job.args()? else {
            return Ok(None);
        };
        if let Some(parent) = job.log.parent() {
            std::fs::create_dir_all(parent).map_err(io_error::<ExecError>("creating", parent))?;
        }
        let log =
            std::fs::File::create(&job.log).map_err(io_error::<ExecError>("creating", &job.log))?;
        let log2 = log
            .try_clone()
            .map_err(io_error::<ExecError>("opening", &job.log))?;
        let mut cmd = Command::new(&self.exe);
        cmd.args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::from(log2))
            .stderr(Stdio::from(log));
        if let Some(t) = self.threads_per_job {
            cmd.env("RAYON_NUM_THREADS", t.max(1).to_string());
        }
        die_with_parent(&mut cmd);
        let child = cmd.spawn().map_err(|source| ExecError::Spawn {
            exe: self.exe.clone(),
            source,
        })?;
        Ok(Some(child))
    }
}

/// Makes the child be killed when this process dies, however it dies (a SIGKILLed
/// `batch` must not leave its runs training on, holding their directories' locks).
/// The pool's thread waits for every child, so it outlives them on the normal path.
#[cfg(target_os = "linux")]
fn die_with_parent(cmd: &mut Command) {
    use std::os::unix::process::CommandExt;
    let parent = std::process::id();
    // SAFETY: the closure runs in the forked child before exec and only calls prctl and
    // getppid, which are async-signal-safe; it allocates nothing.
    unsafe {
        cmd.pre_exec(move || {
            if libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL) == -1 {
                return Err(std::io::Error::last_os_error());
            }
            // The parent may have died before prctl took effect (ESRCH: no parent).
            if libc::getppid() as u32 != parent {
                return Err(std::io::Error::from_raw_os_error(libc::ESRCH));
            }
            Ok(())
        });
    }
}

/// Elsewhere children outlive a killed parent; their run locks still keep a second
/// process out of their directories.
#[cfg(not(target_os = "linux"))]
fn die_with_parent(_cmd: &mut Command) {}

impl Executor for LocalPool {
    fn run(
        &self,
        jobs: &[TrainJob],
        progress: &mut dyn FnMut(usize, JobEvent<'_>),
    ) -> Result<Vec<JobOutcome>, ExecError> {
        let mut outcomes: Vec<Option<JobOutcome>> = (0..jobs.len()).map(|_| None).collect();
        let mut end = |i: usize, o: JobOutcome, progress: &mut dyn FnMut(usize, JobEvent<'_>)| {
            progress(i, JobEvent::Ended(&o));
            outcomes[i] = Some(o);
        };
        let mut queue = 0..jobs.len();
        let mut running: Vec<(usize, Child)> = Vec::new();
        loop {
            while running.len() < self.workers.max(1) {
                let Some(i) = queue.next() else { break };
                match self.start(&jobs[i]) {
                    Ok(Some(child)) => {
                        progress(i, JobEvent::Started);
                        running.push((i, child));
                    }
                    Ok(None) => end(i, JobOutcome::AlreadyFinished, progress),
                    Err(e) => end(i, JobOutcome::Error(e), progress),
                }
            }
            if running.is_empty() {
                break;
            }
            let mut k = 0;
            while k < running.len() {
                let (i, child) = &mut running[k];
                let i = *i;
                let outcome = match child.try_wait() {
                    Ok(None) => {
                        k += 1;
                        continue;
                    }
                    Ok(Some(status)) if status.success() => JobOutcome::Finished,
                    Ok(Some(status)) => JobOutcome::Failed {
                        status: status.to_string(),
                        log_tail: jobs[i].log_tail(),
                    },
                    Err(source) => JobOutcome::Error(ExecError::Wait {
                        run_dir: jobs[i].run_dir.clone(),
                        source,
                    }),
                };
                running.swap_remove(k);
                end(i, outcome, progress);
            }
            if !running.is_empty() {
                std::thread::sleep(POLL);
            }
        }
        Ok(outcomes
            .into_iter()
            .map(|o| o.expect("every job ends"))
            .collect())
    }
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;
    use std::path::Path;

    /// A stand-in for `rewardsmith`: prints its arguments, fails when one is `fail`.
    fn fake_exe(dir: &Path) -> PathBuf {
        let exe = dir.join("fake-rewardsmith");
        std::fs::write(
            &exe,
            "#!/bin/sh\necho \"args: $*\"\necho \"threads: $RAYON_NUM_THREADS\"\n\
             case \"$*\" in *fail*) echo boom >&2; exit 3;; esac\nexit 0\n",
        )
        .unwrap();
        std::fs::set_permissions(&exe, std::fs::Permissions::from_mode(0o755)).unwrap();
        exe
    }

    fn job(dir: &Path, name: &str) -> TrainJob {
        TrainJob {
            run_dir: dir.join(name),
            train_args: vec!["--env".into(), name.into()],
            log: dir.join("logs").join(format!("{name}.log")),
        }
    }

    #[test]
    fn jobs_run_to_their_end_and_outcomes_come_back_in_job_order() {
        let tmp = tempfile::tempdir().unwrap();
        let pool = LocalPool {
            exe: fake_exe(tmp.path()),
            workers: 2,
            threads_per_job: Some(3),
        };
        let jobs = vec![
            job(tmp.path(), "ok"),
            job(tmp.path(), "fail"),
            job(tmp.path(), "done"),
        ];
        std::fs::create_dir_all(&jobs[2].run_dir).unwrap();
        std::fs::write(jobs[2].run_dir.join("summary.json"), "{}").unwrap();
        let mut started = Vec::new();
        let mut ended = Vec::new();
        let out = pool
            .run(&jobs, &mut |i, e| match e {
                JobEvent::Started => started.push(i),
                JobEvent::Ended(_) => ended.push(i),
                JobEvent::Retrying { .. } => panic!("the local pool never retries"),
            })
            .unwrap();
        assert!(matches!(out[0], JobOutcome::Finished), "{:?}", out[0]);
        match &out[1] {
            JobOutcome::Failed { status, log_tail } => {
                assert!(status.contains('3'), "{status}");
                assert!(log_tail.ends_with("boom"), "{log_tail}");
            }
            o => panic!("{o:?}"),
        }
        assert!(matches!(out[2], JobOutcome::AlreadyFinished));
        started.sort();
        ended.sort();
        assert_eq!((started, ended), (vec![0, 1], vec![0, 1, 2]));
        let log = std::fs::read_to_string(&jobs[0].log).unwrap();
        let out_dir = jobs[0].run_dir.display();
        assert!(
            log.contains(&format!("args: train --env ok --out {out_dir}")),
            "{log}"
        );
        assert!(log.contains("threads: 3"), "{log}");
    }

    #[test]
    fn a_missing_executable_is_an_error_outcome_naming_it() {
        let tmp = tempfile::tempdir().unwrap();
        let pool = LocalPool {
            exe: tmp.path().join("no-such-exe"),
            workers: 1,
            threads_per_job: None,
        };
        let out = pool.run(&[job(tmp.path(), "a")], &mut |_, _| {}).unwrap();
        match &out[0] {
            JobOutcome::Error(e @ ExecError::Spawn { exe, .. }) => {
                assert_eq!(exe, &pool.exe, "{e}");
            }
            o => panic!("{o:?}"),
        }
    }
}
