//! Errors of the env stage: spec files, robots, and runtime misuse.

use std::path::PathBuf;

/// Everything that can go wrong loading or running an environment.
#[derive(Debug, thiserror::Error)]
pub enum EnvError {
    /// A file could not be read.
    #[error("{path}: {cause}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The OS error (in the message, so not also a `source()`).
        cause: std::io::Error,
    },
    /// The TOML did not match the spec schema.
    #[error("{file}: {message}")]
    Parse {
        /// The spec file.
        file: PathBuf,
        /// Position and parser message.
        message: String,
    },
    /// A value is out of its allowed range.
    #[error("{file}: key `{key}`: expected {expected}")]
    Invalid {
        /// The spec file.
        file: PathBuf,
        /// Dotted key path.
        key: String,
        /// What would have been accepted.
        expected: String,
    },
    /// A name in the spec refers to nothing.
    #[error("{file}: key `{key}`: unknown {what} `{name}`; known: {known}")]
    UnknownName {
        /// The spec file.
        file: PathBuf,
        /// Dotted key path.
        key: String,
        /// body, joint, or task parameter.
        what: &'static str,
        /// The name given.
        name: String,
        /// The names that exist.
        known: String,
    },
    /// The URDF file could not be loaded.
    #[error("{file}: robot `{urdf}`: {message}")]
    Urdf {
        /// The spec file.
        file: PathBuf,
        /// The URDF path.
        urdf: PathBuf,
        /// Loader message.
        message: String,
    },
    /// `--env` named no built-in env and no file.
    #[error("unknown env `{name}`; built-in envs: {known} (or give a path to a .toml spec)")]
    UnknownEnv {
        /// The name given.
        name: String,
        /// Built-in names.
        known: String,
    },
    /// `envs export` found a file of another content where it would write.
    #[error("{path} exists and differs from the built-in file; move it away or export elsewhere")]
    ExportConflict {
        /// The file in the export directory.
        path: PathBuf,
    },
    /// An action had the wrong length or a non-finite value.
    #[error("action for env {env}: {message}")]
    BadAction {
        /// Env index in the batch.
        env: usize,
        /// What was wrong.
        message: String,
    },
    /// A snapshot could not be encoded or decoded.
    #[error("snapshot: {0}")]
    Snapshot(String),
    /// A hand-set pose ([`crate::env::World::set_joint_positions`],
    /// [`crate::env::World::set_body_pose`]) named nothing, left a joint's range or was
    /// not finite.
    #[error("setting a pose: {0}")]
    Pose(String),
}

impl EnvError {
    /// An unknown name at `key` in `file`, listing the names that exist.
    pub(crate) fn unknown(
        file: &std::path::Path,
        key: String,
        what: &'static str,
        name: &str,
        known: &[&str],
    ) -> Self {
        EnvError::UnknownName {
            file: file.to_path_buf(),
            key,
            what,
            name: name.to_string(),
            known: known.join(", "),
        }
    }
}

/// Turns a TOML error into "line L, column C: message" (the parser gives a byte span).
pub(crate) fn toml_position(text: &str, err: &toml::de::Error) -> String {
    let msg = err.message().trim().to_string();
    match err.span() {
        Some(span) => {
            let before = &text[..span.start.min(text.len())];
            let line = before.matches('\n').count() + 1;
            let col = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
            format!("line {line}, column {col}: {msg}")
        }
        None => msg,
    }
}
