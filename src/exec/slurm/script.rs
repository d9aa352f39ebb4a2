//! The batch script of one job array: a bash `case` on `SLURM_ARRAY_TASK_ID` that runs
//! the task's `rewardsmith train` with its log, then leaves the task's exit record (its
//! exit code) where the submitting process looks for it.

use std::ffi::OsString;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

/// One array task: the arguments of the `rewardsmith` it runs and its log.
#[derive(Debug, Clone, PartialEq)]
pub struct ArrayTask {
    /// `train ...` arguments.
    pub args: Vec<OsString>,
    /// The file that receives its stdout and stderr.
    pub log: PathBuf,
}

/// The file in `records` holding the exit code of task `index` of array `job_id`.
pub fn exit_record(records: &Path, job_id: &str, index: usize) -> PathBuf {
    records.join(format!("{job_id}_{index}"))
}

/// `s` as one bash word, single-quoted (a `'` inside becomes `'\''`).
pub fn shell_quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', r"'\''"))
}

/// The script: `exe` runs task `$SLURM_ARRAY_TASK_ID` of `tasks`, its exit code goes to
/// `records/<array job id>_<task id>` (written whole, by rename).
pub fn array_script(exe: &Path, tasks: &[ArrayTask], records: &Path) -> String {
    let q = |p: &std::ffi::OsStr| shell_quote(&p.to_string_lossy());
    let mut s = String::from("#!/bin/bash\n");
    let _ = writeln!(
        s,
        "# rewardsmith: a Slurm job array of {} training runs (generated; sbatch --array=0-{}).",
        tasks.len(),
        tasks.len().saturating_sub(1)
    );
    s.push_str("set -u\ncase \"$SLURM_ARRAY_TASK_ID\" in\n");
    for (i, t) in tasks.iter().enumerate() {
        let args: Vec<String> = t.args.iter().map(|a| q(a)).collect();
        let _ = writeln!(
            s,
            "  {i}) log={}; args=({}) ;;",
            q(t.log.as_os_str()),
            args.join(" ")
        );
    }
    s.push_str("  *) echo \"no task $SLURM_ARRAY_TASK_ID in this array\" >&2; exit 2 ;;\nesac\n");
    s.push_str("export RAYON_NUM_THREADS=\"${RAYON_NUM_THREADS:-${SLURM_CPUS_PER_TASK:-1}}\"\n");
    s.push_str("mkdir -p \"$(dirname \"$log\")\"\n");
    let _ = writeln!(s, "{} \"${{args[@]}}\" > \"$log\" 2>&1", q(exe.as_os_str()));
    s.push_str("rc=$?\n");
    let _ = writeln!(
        s,
        "record={}/\"${{SLURM_ARRAY_JOB_ID}}_${{SLURM_ARRAY_TASK_ID}}\"",
        q(records.as_os_str())
    );
    s.push_str("echo \"$rc\" > \"$record.tmp\" && mv \"$record.tmp\" \"$record\"\nexit \"$rc\"\n");
    s
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;
    use std::process::Command;

    #[test]
    fn quoting_survives_spaces_quotes_and_dollars() {
        let nasty = "it's a $HOME `x` \"y\"";
        let out = Command::new("bash")
            .arg("-c")
            .arg(format!("printf %s {}", shell_quote(nasty)))
            .output()
            .unwrap();
        assert_eq!(String::from_utf8_lossy(&out.stdout), nasty);
    }

    /// Runs the script as Slurm would for task `id`, with a stand-in `rewardsmith`.
    fn run_task(dir: &Path, id: &str) -> (i32, String) {
        let exe = dir.join("fake exe");
        std::fs::write(
            &exe,
            "#!/bin/sh\nfor a in \"$@\"; do echo \"[$a]\"; done\necho \"threads $RAYON_NUM_THREADS\"\n\
             case \"$*\" in *fail*) exit 5;; esac\n",
        )
        .unwrap();
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&exe, std::fs::Permissions::from_mode(0o755)).unwrap();
        let records = dir.join("exit");
        std::fs::create_dir_all(&records).unwrap();
        let tasks = vec![
            ArrayTask {
                args: vec!["train".into(), "--task".into(), "it's \"ok\"".into()],
                log: dir.join("logs/a.log"),
            },
            ArrayTask {
                args: vec!["train".into(), "fail".into()],
                log: dir.join("logs/b.log"),
            },
        ];
        let script = dir.join("array.sh");
        std::fs::write(&script, array_script(&exe, &tasks, &records)).unwrap();
        let status = Command::new("bash")
            .arg(&script)
            .env("SLURM_ARRAY_TASK_ID", id)
            .env("SLURM_ARRAY_JOB_ID", "77")
            .env("SLURM_CPUS_PER_TASK", "3")
            .env_remove("RAYON_NUM_THREADS")
            .status()
            .unwrap();
        let record = std::fs::read_to_string(records.join(format!("77_{id}"))).unwrap_or_default();
        (status.code().unwrap(), record.trim().to_string())
    }

    #[test]
    fn a_task_runs_its_arguments_logs_and_leaves_its_exit_code() {
        let tmp = tempfile::tempdir().unwrap();
        assert_eq!(run_task(tmp.path(), "0"), (0, "0".into()));
        let log = std::fs::read_to_string(tmp.path().join("logs/a.log")).unwrap();
        assert_eq!(log, "[train]\n[--task]\n[it's \"ok\"]\nthreads 3\n");
        assert_eq!(run_task(tmp.path(), "1"), (5, "5".into()));
        assert_eq!(
            exit_record(&tmp.path().join("exit"), "77", 1),
            tmp.path().join("exit/77_1")
        );
    }

    #[test]
    fn an_unknown_task_id_fails_without_a_record() {
        let tmp = tempfile::tempdir().unwrap();
        assert_eq!(run_task(tmp.path(), "9"), (2, String::new()));
    }
}
