//! Writing files so that a reader never sees half of one: every file rewardsmith
//! replaces (run configs, checkpoints' pointers, summaries, rankings, replies, plots,
//! model manifests) goes through [`write_atomic`] or [`AtomicFile`].
//!
//! The bytes go to a temporary file beside the target, named uniquely for it (so two
//! targets in one directory, or two processes writing one target, never share a
//! temporary file), are flushed to disk, and the temporary file is renamed over the
//! target: a crash leaves the old file or the new one, never a mix.

use std::io::Write;
use std::path::{Path, PathBuf};

use crate::error::FileError;

/// How an [`AtomicFile`]'s temporary is named: `.NAME.XXXXXX.tmp`.
const TEMP_PREFIX: &str = ".";
const TEMP_SUFFIX: &str = ".tmp";

/// A file being written in place of `path`; [`AtomicFile::commit`] puts it there.
/// Dropped without a commit, it is removed and `path` is untouched.
pub struct AtomicFile {
    path: PathBuf,
    tmp: tempfile::NamedTempFile,
}

impl AtomicFile {
    /// Start writing a replacement for `path` (its directory must exist).
    pub fn create(path: &Path) -> Result<Self, FileError> {
        let dir = match path.parent() {
            Some(d) if !d.as_os_str().is_empty() => d,
            _ => Path::new("."),
        };
        let name = path
            .file_name()
            .map_or_else(|| "file".into(), |n| n.to_string_lossy());
        let tmp = tempfile::Builder::new()
            .prefix(&format!("{TEMP_PREFIX}{name}."))
            .suffix(TEMP_SUFFIX)
            .tempfile_in(dir)
            .map_err(|source| FileError {
                action: "creating a temporary file for",
                path: path.to_path_buf(),
                source,
            })?;
        Ok(Self {
            path: path.to_path_buf(),
            tmp,
        })
    }

    /// Flush the bytes to disk and rename the file onto its target.
    pub fn commit(self) -> Result<(), FileError> {
        let err = |action, source| FileError {
            action,
            path: self.path.clone(),
            source,
        };
        self.tmp
            .as_file()
            .sync_all()
            .map_err(|e| err("writing", e))?;
        let path = self.path.clone();
        self.tmp.persist(&path).map_err(|e| FileError {
            action: "moving a temporary file onto",
            path,
            source: e.error,
        })?;
        Ok(())
    }
}

impl Write for AtomicFile {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.tmp.write(buf)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.tmp.flush()
    }
}

/// Whether a directory entry is a temporary file an [`AtomicFile`] left behind when its
/// process was killed before the commit (`.NAME.XXXXXX.tmp`): not a result.
pub fn is_leftover_temporary(name: &std::ffi::OsStr) -> bool {
    let name = name.to_string_lossy();
    name.starts_with(TEMP_PREFIX) && name.ends_with(TEMP_SUFFIX)
}

/// Replace `path` with `bytes` atomically (see the module doc).
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), FileError> {
    let mut f = AtomicFile::create(path)?;
    f.write_all(bytes).map_err(|source| FileError {
        action: "writing",
        path: path.to_path_buf(),
        source,
    })?;
    f.commit()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn leftovers(dir: &Path) -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|n| n.ends_with(".tmp"))
            .collect();
        names.sort();
        names
    }

    #[test]
    fn replaces_the_target_and_leaves_no_temporary_file() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("summary.json");
        write_atomic(&p, b"old").unwrap();
        write_atomic(&p, b"new").unwrap();
        assert_eq!(std::fs::read(&p).unwrap(), b"new");
        assert!(leftovers(dir.path()).is_empty());
    }

    #[test]
    fn two_targets_with_one_stem_write_through_separate_temporary_files() {
        // reply.md and reply.json once shared `reply.tmp~`: open both at once.
        let dir = tempfile::tempdir().unwrap();
        let (md, json) = (dir.path().join("reply.md"), dir.path().join("reply.json"));
        let mut a = AtomicFile::create(&md).unwrap();
        let mut b = AtomicFile::create(&json).unwrap();
        assert_eq!(leftovers(dir.path()).len(), 2);
        a.write_all(b"# reply").unwrap();
        b.write_all(b"{}").unwrap();
        b.commit().unwrap();
        a.commit().unwrap();
        assert_eq!(std::fs::read(&md).unwrap(), b"# reply");
        assert_eq!(std::fs::read(&json).unwrap(), b"{}");
    }

    #[test]
    fn an_abandoned_write_leaves_the_old_file_and_no_temporary_file() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("ranking.json");
        write_atomic(&p, b"[1]").unwrap();
        let mut f = AtomicFile::create(&p).unwrap();
        f.write_all(b"[2, half").unwrap();
        drop(f);
        assert_eq!(std::fs::read(&p).unwrap(), b"[1]");
        assert!(leftovers(dir.path()).is_empty());
    }

    #[test]
    fn a_missing_directory_is_an_error_naming_the_target() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("no").join("such.json");
        let e = write_atomic(&p, b"x").unwrap_err();
        assert_eq!(e.path, p);
    }
}
