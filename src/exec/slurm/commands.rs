//! Slurm's client commands (`sbatch`, `squeue`, `sacct`, `scancel`, `scontrol`) run
//! with a deadline, and the parsers of what they print.

use std::io::Read;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::exec::ExecError;

/// How long a Slurm command may take before the controller counts as not answering.
pub const COMMAND_TIMEOUT: Duration = Duration::from_secs(30);

/// Run `program args`: its stdout when it succeeds; otherwise an error with Slurm's own
/// message (its stderr), or saying it is not installed or did not answer in time.
pub fn run(program: &str, args: &[String], timeout: Duration) -> Result<String, ExecError> {
    let command = format!("{program} {}", args.join(" "));
    let failed = |message: String| ExecError::Slurm {
        command: command.clone(),
        message,
    };
    let mut child = Command::new(program)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| match e.kind() {
            std::io::ErrorKind::NotFound => ExecError::SlurmMissing {
                program: program.to_string(),
            },
            _ => failed(e.to_string()),
        })?;
    let drain = |pipe: Option<Box<dyn Read + Send>>| {
        std::thread::spawn(move || {
            let mut text = String::new();
            if let Some(mut p) = pipe {
                let _ = p.read_to_string(&mut text);
            }
            text
        })
    };
    let out = drain(
        child
            .stdout
            .take()
            .map(|p| Box::new(p) as Box<dyn Read + Send>),
    );
    let err = drain(
        child
            .stderr
            .take()
            .map(|p| Box::new(p) as Box<dyn Read + Send>),
    );
    let deadline = Instant::now() + timeout;
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break status,
            Ok(None) if Instant::now() < deadline => std::thread::sleep(Duration::from_millis(20)),
            Ok(None) => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(failed(format!(
                    "no answer within {} s (is slurmctld running?)",
                    timeout.as_secs()
                )));
            }
            Err(e) => return Err(failed(e.to_string())),
        }
    };
    let stdout = out.join().unwrap_or_default();
    let stderr = err.join().unwrap_or_default();
    if status.success() {
        Ok(stdout)
    } else {
        let message = stderr.trim();
        Err(failed(if message.is_empty() {
            format!("exited with {status}")
        } else {
            message.to_string()
        }))
    }
}

/// The job id in `sbatch --parsable`'s answer (`ID` or `ID;CLUSTER`).
pub fn parse_sbatch(stdout: &str) -> Option<String> {
    let id = stdout.trim().split(';').next()?.trim();
    (!id.is_empty() && id.bytes().all(|b| b.is_ascii_digit())).then(|| id.to_string())
}

/// One array task as a Slurm command lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TaskState {
    /// The array's job id.
    pub job_id: String,
    /// The task's index in the array.
    pub index: usize,
    /// Slurm's state name (`PENDING`, `RUNNING`, `TIMEOUT`, ...).
    pub state: String,
    /// `sacct`'s `ExitCode` (`code:signal`), when known.
    pub exit: Option<String>,
}

impl TaskState {
    /// Whether the task is still queued or running (it will end by itself).
    pub fn is_live(&self) -> bool {
        !matches!(
            self.state.as_str(),
            "COMPLETED"
                | "FAILED"
                | "TIMEOUT"
                | "CANCELLED"
                | "NODE_FAIL"
                | "OUT_OF_MEMORY"
                | "BOOT_FAIL"
                | "DEADLINE"
                | "PREEMPTED"
        )
    }
}

/// `squeue -h -r -o '%F|%K|%T'`: one line per array task (other jobs' lines are
/// skipped).
pub fn parse_squeue(stdout: &str) -> Vec<TaskState> {
    stdout
        .lines()
        .filter_map(|line| {
            let mut f = line.trim().split('|');
            let job_id = f.next()?.to_string();
            let index = f.next()?.parse().ok()?;
            let state = f.next()?.to_string();
            Some(TaskState {
                job_id,
                index,
                state,
                exit: None,
            })
        })
        .collect()
}

/// `sacct -n -P -X --format=JobID,State,ExitCode`: one line per array task
/// (`ID_INDEX|STATE|CODE:SIGNAL`; `CANCELLED by UID` becomes `CANCELLED`; pending ranges
/// such as `ID_[3-5]` are skipped).
pub fn parse_sacct(stdout: &str) -> Vec<TaskState> {
    stdout
        .lines()
        .filter_map(|line| {
            let mut f = line.trim().split('|');
            let (job_id, index) = f.next()?.split_once('_')?;
            let index = index.parse().ok()?;
            let state = f.next()?.split_whitespace().next()?.to_string();
            let exit = f.next().map(str::to_string);
            Some(TaskState {
                job_id: job_id.to_string(),
                index,
                state,
                exit,
            })
        })
        .collect()
}

/// The tasks of arrays `job_ids` still in the queue (pending, running, completing).
pub fn queued(job_ids: &[String]) -> Result<Vec<TaskState>, ExecError> {
    if job_ids.is_empty() {
        return Ok(Vec::new());
    }
    let args = [
        "-h".into(),
        "-r".into(),
        format!("--jobs={}", job_ids.join(",")),
        "-o".into(),
        "%F|%K|%T".into(),
    ];
    match run("squeue", &args, COMMAND_TIMEOUT) {
        Ok(out) => Ok(parse_squeue(&out)),
        // Every id given has left the controller's memory.
        Err(ExecError::Slurm { message, .. }) if message.contains("Invalid job id") => {
            Ok(Vec::new())
        }
        Err(e) => Err(e),
    }
}

/// What accounting says of array `job_id`'s tasks; `None` where the cluster keeps no
/// accounting (many small ones).
pub fn accounted(job_id: &str) -> Option<Vec<TaskState>> {
    let args = [
        "-n".into(),
        "-P".into(),
        "-X".into(),
        format!("--jobs={job_id}"),
        "--format=JobID,State,ExitCode".into(),
    ];
    run("sacct", &args, COMMAND_TIMEOUT)
        .ok()
        .map(|out| parse_sacct(&out))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sbatch_answers_with_or_without_a_cluster_name() {
        assert_eq!(parse_sbatch("123\n").as_deref(), Some("123"));
        assert_eq!(parse_sbatch("456;west\n").as_deref(), Some("456"));
        assert_eq!(parse_sbatch("Submitted batch job 7"), None);
        assert_eq!(parse_sbatch(""), None);
    }

    #[test]
    fn squeue_lines_of_array_tasks_are_read_and_others_skipped() {
        let out = "12|0|RUNNING\n12|3|PENDING\n13|N/A|RUNNING\ngarbage\n";
        let got = parse_squeue(out);
        assert_eq!(got.len(), 2);
        assert_eq!(
            (got[1].job_id.as_str(), got[1].index, got[1].state.as_str()),
            ("12", 3, "PENDING")
        );
        assert!(got.iter().all(TaskState::is_live));
    }

    #[test]
    fn sacct_states_parse_with_their_exit_codes() {
        let out = "40_0|COMPLETED|0:0\n40_1|TIMEOUT|0:15\n40_2|CANCELLED by 0|0:15\n\
                   40_3|NODE_FAIL|1:0\n40_[4-6]|PENDING|0:0\n41|COMPLETED|0:0\n";
        let got = parse_sacct(out);
        let states: Vec<(usize, &str, Option<&str>)> = got
            .iter()
            .map(|t| (t.index, t.state.as_str(), t.exit.as_deref()))
            .collect();
        assert_eq!(
            states,
            [
                (0, "COMPLETED", Some("0:0")),
                (1, "TIMEOUT", Some("0:15")),
                (2, "CANCELLED", Some("0:15")),
                (3, "NODE_FAIL", Some("1:0")),
            ]
        );
        assert!(!got[1].is_live() && !got[2].is_live() && !got[3].is_live());
    }

    #[test]
    fn a_missing_command_says_which_and_a_failing_one_quotes_its_stderr() {
        match run("no-such-slurm-command", &[], COMMAND_TIMEOUT) {
            Err(ExecError::SlurmMissing { program }) => {
                assert_eq!(program, "no-such-slurm-command");
            }
            other => panic!("{other:?}"),
        }
        let args = [
            "-c".into(),
            "echo 'sbatch: error: invalid partition' >&2; exit 1".into(),
        ];
        match run("sh", &args, COMMAND_TIMEOUT) {
            Err(e @ ExecError::Slurm { .. }) => {
                assert!(e.to_string().contains("invalid partition"), "{e}");
            }
            other => panic!("{other:?}"),
        }
        let args = ["-c".into(), "sleep 5".into()];
        let err = run("sh", &args, Duration::from_millis(200)).unwrap_err();
        assert!(err.to_string().contains("no answer"), "{err}");
    }
}
