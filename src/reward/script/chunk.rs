//! The steps every program chunk takes into a VM (the reward program's and the env's
//! success program's alike): compiled in an environment of its own, its top level run
//! under the call budget, then sealed.

use mlua::{Function, Table, Value};

use super::vm_errors::{budget_error, classify, syntax_error};
use crate::reward::error::RewardError;
use crate::reward::luau_api::{Vm, internal};

fn vm_error(name: &str, e: mlua::Error) -> RewardError {
    RewardError::Vm {
        program: name.to_string(),
        message: e.to_string(),
    }
}

/// Compiles `source` (named `name`) in a fresh environment of `vm`; returns the
/// environment and the chunk, not yet run.
pub(super) fn compile(vm: &Vm, name: &str, source: &str) -> Result<(Table, Function), RewardError> {
    let env: Table = internal(vm, "make_env")
        .and_then(|f| f.call(()))
        .map_err(|e| vm_error(name, e))?;
    let chunk = vm
        .lua
        .load(source)
        .set_name(format!("={name}"))
        .set_environment(env.clone())
        .into_function()
        .map_err(|e| syntax_error(name, source, e))?;
    Ok((env, chunk))
}

/// Runs a chunk's top level under the call budget.
pub(super) fn run_top_level(vm: &Vm, name: &str, chunk: &Function) -> Result<(), RewardError> {
    vm.budget.reset();
    if let Err(e) = chunk.call::<()>(()) {
        return Err(classify(name, vm, e));
    }
    match budget_error(name, vm) {
        Some(e) => Err(e),
        None => Ok(()),
    }
}

/// Freezes what the chunk defined and returns its `reward` and `success` globals. The
/// environment is frozen then, so Luau may use builtin fastcalls in it.
pub(super) fn seal(vm: &Vm, name: &str, env: &Table) -> Result<(Value, Value), RewardError> {
    let defined = internal(vm, "seal")
        .and_then(|f| f.call(env))
        .map_err(|e| vm_error(name, e))?;
    env.set_safeenv(true);
    Ok(defined)
}
