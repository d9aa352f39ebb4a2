//! Finding and loading reward programs: an env's default programs in `rewards/`, or a
//! `.luau` file a user names.

use std::path::{Path, PathBuf};

use crate::env::{AssetRoots, StateLayout};
use crate::reward::{RewardError, ScriptProgram};

/// Path of the program `stem` in the rewards directory (`rewards/<stem>.luau`).
pub fn builtin_path(roots: &AssetRoots, stem: &str) -> PathBuf {
    roots.rewards.join(format!("{stem}.luau"))
}

/// Read and compile a program file for an env's State layout; the program is named by
/// its file name in every error.
pub fn load_program(path: &Path, layout: &StateLayout) -> Result<ScriptProgram, RewardError> {
    let source = std::fs::read_to_string(path).map_err(|e| RewardError::Io {
        path: path.display().to_string(),
        message: e.to_string(),
    })?;
    let name = path.file_name().map_or_else(
        || path.display().to_string(),
        |n| n.to_string_lossy().into_owned(),
    );
    ScriptProgram::compile(&name, &source, layout)
}
