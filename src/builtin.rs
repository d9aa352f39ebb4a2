//! The built-in files — env specs, reward programs, prompt templates, robots and CLIP
//! model manifests — embedded in the binary at build time (see `build.rs`), so an
//! installed `rewardsmith` runs from any directory with no checkout.
//!
//! On first use they are written, whole, to a directory of the user's cache named after
//! the version and a hash of the files (`<cache>/builtin-0.1.0-<hash>/`, laid out like
//! the repository); specs, programs and robots are then read from there like any user's
//! files, and a run's `config.toml` can name them. A new build with other files writes
//! a new directory and leaves the old one for the runs that name it.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use crate::error::{FileError, io_error};

include!(concat!(env!("OUT_DIR"), "/builtin_files.rs"));

/// Marks a complete directory of built-in files.
const COMPLETE: &str = ".complete";

/// Every built-in file: its path in the repository layout (`envs/cartpole.toml`), and
/// its bytes.
pub fn files() -> &'static [(&'static str, &'static [u8])] {
    FILES
}

/// The bytes of one built-in file, by its path in the repository layout.
pub fn file(path: &str) -> Option<&'static [u8]> {
    FILES.iter().find(|(p, _)| *p == path).map(|(_, b)| *b)
}

/// The user's cache directory for rewardsmith: `$REWARDSMITH_CACHE` if set, else
/// `<user cache dir>/rewardsmith` (`~/.cache/rewardsmith` on Linux).
pub fn cache_root() -> PathBuf {
    match std::env::var_os("REWARDSMITH_CACHE").filter(|v| !v.is_empty()) {
        Some(p) => PathBuf::from(p),
        None => dirs::cache_dir()
            .unwrap_or_else(std::env::temp_dir)
            .join("rewardsmith"),
    }
}

/// Name of the directory of this build's built-in files.
fn dir_name() -> String {
    format!("builtin-{}-{HASH}", env!("CARGO_PKG_VERSION"))
}

/// The directory holding the built-in files, written on first use (once per process):
/// in the user's cache, else (a cache that cannot be written) in the system's temporary
/// directory. When neither can be written, a warning says why and the cache path is
/// returned, so the first file read names it.
pub fn root() -> &'static Path {
    static ROOT: OnceLock<PathBuf> = OnceLock::new();
    ROOT.get_or_init(|| {
        let cache = cache_root();
        materialize(&cache)
            .or_else(|_| materialize(&std::env::temp_dir().join("rewardsmith")))
            .unwrap_or_else(|e| {
                eprintln!(
                    "warning: the built-in envs, rewards and prompts could not be written out: {}",
                    crate::error::Chain(&e)
                );
                cache.join(dir_name())
            })
    })
}

/// Write the built-in files to `base/builtin-<version>-<hash>/` unless they are there:
/// into a temporary directory first, renamed into place, so a reader never sees half.
pub fn materialize(base: &Path) -> Result<PathBuf, FileError> {
    let name = dir_name();
    let dir = base.join(&name);
    if dir.join(COMPLETE).is_file() {
        return Ok(dir);
    }
    let tmp = base.join(format!(".{name}.{}", std::process::id()));
    if tmp.exists() {
        std::fs::remove_dir_all(&tmp).map_err(io_error::<FileError>("clearing", &tmp))?;
    }
    for (rel, bytes) in FILES {
        let path = tmp.join(rel);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).map_err(io_error::<FileError>("creating", parent))?;
        }
        std::fs::write(&path, bytes).map_err(io_error::<FileError>("writing", &path))?;
    }
    let marker = tmp.join(COMPLETE);
    std::fs::write(&marker, env!("CARGO_PKG_VERSION"))
        .map_err(io_error::<FileError>("writing", &marker))?;
    if dir.exists() && !dir.join(COMPLETE).is_file() {
        // Left by a writer that died between its rename and now cannot happen (the
        // marker moves with the directory); anything else here is not ours to keep.
        std::fs::remove_dir_all(&dir).map_err(io_error::<FileError>("clearing", &dir))?;
    }
    match std::fs::rename(&tmp, &dir) {
        Ok(()) => Ok(dir),
        // Another process wrote the same files first.
        Err(_) if dir.join(COMPLETE).is_file() => {
            let _ = std::fs::remove_dir_all(&tmp);
            Ok(dir)
        }
        Err(e) => Err(FileError {
            action: "moving the built-in files to",
            path: dir,
            source: e,
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Files under `dir`, subdirectories included.
    fn files_under(dir: &Path) -> usize {
        std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .map(|p| if p.is_dir() { files_under(&p) } else { 1 })
            .sum()
    }

    #[test]
    fn every_builtin_directory_is_embedded_and_matches_the_checkout() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        for dir in [
            "envs",
            "rewards",
            "prompts",
            "assets/robots",
            "assets/models",
        ] {
            let on_disk = files_under(&root.join(dir));
            let embedded = FILES
                .iter()
                .filter(|(p, _)| p.strip_prefix(dir).is_some_and(|r| r.starts_with('/')));
            assert_eq!(embedded.count(), on_disk, "{dir}");
        }
        let spec = std::fs::read(root.join("envs/cartpole.toml")).unwrap();
        assert_eq!(file("envs/cartpole.toml"), Some(spec.as_slice()));
        let nested = std::fs::read(root.join("prompts/l2r/coder.txt")).unwrap();
        assert_eq!(file("prompts/l2r/coder.txt"), Some(nested.as_slice()));
    }

    #[test]
    fn the_files_are_written_once_whole_and_reused() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = materialize(tmp.path()).unwrap();
        assert!(dir.join(COMPLETE).is_file());
        for (rel, bytes) in FILES {
            assert_eq!(std::fs::read(dir.join(rel)).unwrap(), *bytes, "{rel}");
        }
        // A second call (another process) finds them and leaves no temporary directory.
        std::fs::write(dir.join("envs/cartpole.toml"), "edited").unwrap();
        assert_eq!(materialize(tmp.path()).unwrap(), dir);
        assert_eq!(
            std::fs::read(dir.join("envs/cartpole.toml")).unwrap(),
            b"edited"
        );
        let names: Vec<String> = std::fs::read_dir(tmp.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        assert_eq!(names.len(), 1, "{names:?}");
    }
}
