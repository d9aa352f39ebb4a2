//! `s.success`: the env's own success program compiled into a reward program's VM, in
//! an environment of its own, so a reward can read the env's judgement of a State.

use mlua::{Table, Value};

use super::vm_errors::{budget_error, classify, syntax_error};
use crate::env::SuccessSource;
use crate::reward::error::RewardError;
use crate::reward::luau_api::{Vm, internal};

/// Compiles `program` in a fresh environment of `vm`, runs its top level under the
/// budget and hands its `success(s)` to the prelude (which `s.success` calls). A
/// program without `success` leaves `s.success` an error.
pub(super) fn install(vm: &Vm, program: &SuccessSource) -> Result<(), RewardError> {
    let name = program.name.as_str();
    let vm_err = |e: mlua::Error| RewardError::Vm {
        program: name.to_string(),
        message: e.to_string(),
    };
    let env: Table = internal(vm, "make_env")
        .and_then(|f| f.call(()))
        .map_err(vm_err)?;
    let chunk = vm
        .lua
        .load(&*program.source)
        .set_name(format!("={name}"))
        .set_environment(env.clone())
        .into_function()
        .map_err(|e| syntax_error(name, &program.source, e))?;
    vm.budget.reset();
    if let Err(e) = chunk.call::<()>(()) {
        return Err(classify(name, vm, e));
    }
    if let Some(e) = budget_error(name, vm) {
        return Err(e);
    }
    let (_, success): (Value, Value) = internal(vm, "seal")
        .and_then(|f| f.call(&env))
        .map_err(vm_err)?;
    env.set_safeenv(true);
    if let Value::Function(f) = success {
        internal(vm, "set_env_success")
            .and_then(|set| set.call::<()>((f, name)))
            .map_err(vm_err)?;
    }
    Ok(())
}
