//! Finding and loading reward programs: an env's default programs in `rewards/`, a
//! `.luau` file a user names, or a `.toml` reward file of several.

use std::path::{Path, PathBuf};

use crate::env::{AssetRoots, Env, StateLayout};
use crate::reward::composite::{CompositeReward, read_plan};
use crate::reward::{Limits, Reward, RewardError, ScriptProgram, ScriptReward};

/// Path of the program `stem` in the rewards directory (`rewards/<stem>.luau`).
pub fn builtin_path(roots: &AssetRoots, stem: &str) -> PathBuf {
    roots.rewards.join(format!("{stem}.luau"))
}

/// Read and compile a program file for an env's State layout, with the default sandbox
/// [`Limits`]; the program is named by its file name in every error. A reward file
/// (`.toml`) is refused: see [`load_reward`].
pub fn load_program(path: &Path, layout: &StateLayout) -> Result<ScriptProgram, RewardError> {
    load_program_with(path, layout, Limits::default())
}

/// [`load_program`] with explicit sandbox limits (a reward file's `[limits]`).
pub fn load_program_with(
    path: &Path,
    layout: &StateLayout,
    limits: Limits,
) -> Result<ScriptProgram, RewardError> {
    if is_reward_file(path) {
        return Err(RewardError::NotAProgram {
            path: path.display().to_string(),
        });
    }
    let source = std::fs::read_to_string(path).map_err(|e| RewardError::Io {
        path: path.display().to_string(),
        message: e.to_string(),
    })?;
    let name = path.file_name().map_or_else(
        || path.display().to_string(),
        |n| n.to_string_lossy().into_owned(),
    );
    ScriptProgram::compile_with(&name, &source, layout, limits)
}

/// Whether `path` names a reward file (`.toml`) rather than one program.
pub fn is_reward_file(path: &Path) -> bool {
    path.extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("toml"))
}

/// Load the reward `path` names for `env`: a `.luau` program (one term), or a `.toml`
/// reward file, validated whole (every program compiled, and evaluated once on `env`'s
/// current state so a constraint on a component no term produces fails here).
pub fn load_reward(path: &Path, env: &Env) -> Result<Box<dyn Reward>, RewardError> {
    let layout = &env.compiled().layout;
    if is_reward_file(path) {
        let mut r = CompositeReward::build(read_plan(path)?, layout)?;
        r.calibrate(env)?;
        r.probe(env.state())?;
        Ok(Box::new(r))
    } else {
        Ok(Box::new(ScriptReward::from_program(load_program(
            path, layout,
        )?)?))
    }
}
