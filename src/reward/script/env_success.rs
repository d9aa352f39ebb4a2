//! `s.success`: the env's own success program compiled into a reward program's VM, in
//! an environment of its own, so a reward can read the env's judgement of a State.

use mlua::Value;

use super::chunk;
use crate::env::SuccessSource;
use crate::reward::error::RewardError;
use crate::reward::luau_api::{Vm, internal};

/// Compiles `program` in a fresh environment of `vm`, runs its top level under the
/// budget and hands its `success(s)` to the prelude (which `s.success` calls). A
/// program without `success` leaves `s.success` an error.
pub(super) fn install(vm: &Vm, program: &SuccessSource) -> Result<(), RewardError> {
    let name = program.name.as_str();
    let (env, top) = chunk::compile(vm, name, &program.source)?;
    chunk::run_top_level(vm, name, &top)?;
    if let (_, Value::Function(f)) = chunk::seal(vm, name, &env)? {
        internal(vm, "set_env_success")
            .and_then(|set| set.call::<()>((f, name)))
            .map_err(|e| RewardError::Vm {
                program: name.to_string(),
                message: e.to_string(),
            })?;
    }
    Ok(())
}
