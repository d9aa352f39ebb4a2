//! [`RunLock`]: one process at a time trains a run directory. The lock is the OS's
//! advisory file lock on `DIR/.lock`, so it ends with the process however it ends
//! (a SIGKILL included) and never needs cleaning up.

use std::fs::{File, TryLockError};
use std::io::{Read, Seek, Write};
use std::path::Path;

use crate::run::RunError;

/// The held lock of a run directory; released when dropped.
#[derive(Debug)]
pub struct RunLock {
    _file: File,
}

impl RunLock {
    /// Takes the lock of the existing directory `dir`, or fails with
    /// [`RunError::InUse`] naming the process that holds it.
    pub fn acquire(dir: &Path) -> Result<Self, RunError> {
        let path = dir.join(".lock");
        let mut file = File::options()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&path)
            .map_err(RunError::io("opening", &path))?;
        match file.try_lock() {
            Ok(()) => {}
            Err(TryLockError::WouldBlock) => {
                let mut text = String::new();
                let pid = file
                    .read_to_string(&mut text)
                    .ok()
                    .and_then(|_| text.trim().parse().ok());
                return Err(RunError::InUse {
                    dir: dir.to_path_buf(),
                    pid,
                });
            }
            Err(TryLockError::Error(e)) => return Err(RunError::io("locking", &path)(e)),
        }
        // The holder's pid, for the message another process gives.
        let written = file
            .set_len(0)
            .and_then(|()| file.rewind())
            .and_then(|()| write!(file, "{}", std::process::id()));
        written.map_err(RunError::io("writing", &path))?;
        Ok(Self { _file: file })
    }
}

#[cfg(test)]
mod tests {
    use super::RunLock;
    use crate::run::RunError;

    #[test]
    fn a_second_holder_is_refused_until_the_first_lets_go() {
        let dir = tempfile::tempdir().unwrap();
        let first = RunLock::acquire(dir.path()).unwrap();
        match RunLock::acquire(dir.path()) {
            Err(RunError::InUse { pid, .. }) => assert_eq!(pid, Some(std::process::id())),
            other => panic!("expected InUse, got {other:?}"),
        }
        drop(first);
        RunLock::acquire(dir.path()).unwrap();
    }
}
