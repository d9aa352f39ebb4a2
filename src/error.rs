//! Error pieces shared by the library's stages: a failed file operation, a failed
//! encoding, and printing an error with its causes.

use std::fmt;
use std::path::PathBuf;

/// A file or directory operation that failed: what was being done, and on which path.
#[derive(Debug, thiserror::Error)]
#[error("{action} {path}")]
pub struct FileError {
    /// What was being done: `reading`, `writing`, `creating`, ...
    pub action: &'static str,
    /// The file or directory.
    pub path: PathBuf,
    /// The OS error.
    #[source]
    pub source: std::io::Error,
}

/// Data that could not be encoded for a file.
#[derive(Debug, thiserror::Error)]
#[error("encoding {path}")]
pub struct EncodeError {
    /// The file it was meant for.
    pub path: PathBuf,
    /// The encoder's error.
    #[source]
    pub source: Box<dyn std::error::Error + Send + Sync>,
}

/// For `map_err`: an I/O error on `path` while `action`, as any error wrapping a
/// [`FileError`].
pub(crate) fn io_error<E: From<FileError>>(
    action: &'static str,
    path: impl Into<PathBuf>,
) -> impl FnOnce(std::io::Error) -> E {
    let path = path.into();
    move |source| {
        FileError {
            action,
            path,
            source,
        }
        .into()
    }
}

/// For `map_err`: an encoding error for `path`, as any error wrapping an [`EncodeError`].
pub(crate) fn encode_error<S, E>(path: impl Into<PathBuf>) -> impl FnOnce(S) -> E
where
    S: std::error::Error + Send + Sync + 'static,
    E: From<EncodeError>,
{
    let path = path.into();
    move |e| {
        EncodeError {
            path,
            source: Box::new(e),
        }
        .into()
    }
}

/// Displays an error followed by each of its `source()` causes, joined by `: ` (what
/// the command line prints with `{:#}`).
pub struct Chain<'a>(pub &'a (dyn std::error::Error + 'static));

impl fmt::Display for Chain<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)?;
        let mut cause = self.0.source();
        while let Some(e) = cause {
            write!(f, ": {e}")?;
            cause = e.source();
        }
        Ok(())
    }
}
