//! What the submitting process keeps in its state directory so that a new process can
//! re-attach: `submissions.jsonl`, one line per job array (its id and the run directory
//! of each task, in array order), appended right after `sbatch` answers and before any
//! waiting.

use std::io::Write;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::error::io_error;
use crate::exec::ExecError;

/// The file of submissions in a state directory.
pub const SUBMISSIONS: &str = "submissions.jsonl";

/// One submitted job array.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Submission {
    /// Slurm's job id of the array.
    pub job_id: String,
    /// Task `i`'s run directory.
    pub run_dirs: Vec<PathBuf>,
}

/// Every submission recorded in `state_dir`, oldest first (none when the file is
/// missing); a line that does not parse is an error naming the file and line.
pub fn load(state_dir: &Path) -> Result<Vec<Submission>, ExecError> {
    let path = state_dir.join(SUBMISSIONS);
    let text = match std::fs::read_to_string(&path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(io_error::<ExecError>("reading", &path)(e)),
    };
    let lines: Vec<&str> = text.lines().collect();
    let mut out = Vec::new();
    for (i, line) in lines.iter().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        match serde_json::from_str(line) {
            Ok(s) => out.push(s),
            // A process killed while appending leaves at most a torn last line: its
            // array was submitted but never waited for; its runs are looked at afresh.
            Err(_) if i + 1 == lines.len() && !text.ends_with('\n') => {}
            Err(e) => {
                return Err(ExecError::Record {
                    path: path.clone(),
                    line: i + 1,
                    message: e.to_string(),
                });
            }
        }
    }
    Ok(out)
}

/// Append `s` to `state_dir`'s submissions and flush it to disk.
pub fn append(state_dir: &Path, s: &Submission) -> Result<(), ExecError> {
    let path = state_dir.join(SUBMISSIONS);
    let mut line = serde_json::to_string(s).map_err(|e| ExecError::Record {
        path: path.clone(),
        line: 0,
        message: e.to_string(),
    })?;
    line.push('\n');
    let mut f = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&path)
        .map_err(io_error::<ExecError>("opening", &path))?;
    f.write_all(line.as_bytes())
        .and_then(|()| f.sync_all())
        .map_err(io_error::<ExecError>("writing", &path))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sub(id: &str) -> Submission {
        Submission {
            job_id: id.into(),
            run_dirs: vec!["/runs/a".into(), "/runs/b c".into()],
        }
    }

    #[test]
    fn submissions_append_and_load_in_order() {
        let tmp = tempfile::tempdir().unwrap();
        assert!(load(tmp.path()).unwrap().is_empty());
        append(tmp.path(), &sub("5")).unwrap();
        append(tmp.path(), &sub("9")).unwrap();
        assert_eq!(load(tmp.path()).unwrap(), vec![sub("5"), sub("9")]);
    }

    #[test]
    fn a_torn_last_line_is_dropped_and_a_corrupt_one_is_an_error() {
        let tmp = tempfile::tempdir().unwrap();
        append(tmp.path(), &sub("5")).unwrap();
        let path = tmp.path().join(SUBMISSIONS);
        let mut text = std::fs::read_to_string(&path).unwrap();
        std::fs::write(&path, format!("{text}{{\"job_id\": \"6\", \"run")).unwrap();
        assert_eq!(load(tmp.path()).unwrap(), vec![sub("5")]);
        text.insert_str(0, "not json\n");
        std::fs::write(&path, text).unwrap();
        let err = load(tmp.path()).unwrap_err();
        assert!(matches!(&err, ExecError::Record { line: 1, .. }), "{err:?}");
    }
}
