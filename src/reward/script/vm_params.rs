//! Moving a program's `params` between the VM and [`Params`]: reading the declared
//! table (checked) and handing override values to the VM.

use mlua::Table;

use crate::reward::error::RewardError;
use crate::reward::luau_api::{Vm, internal};
use crate::reward::params::{ParamValue, Params};

/// The program's declared parameters (its top-level `params` table), checked: numbers
/// and vec3s, all finite.
pub(super) fn read_params(vm: &Vm, env: &Table, program: &str) -> Result<Params, RewardError> {
    let vm_err = |e: mlua::Error| RewardError::Vm {
        program: program.to_string(),
        message: e.to_string(),
    };
    let (list, message): (Option<Table>, Option<String>) = internal(vm, "read_params")
        .and_then(|f| f.call(env))
        .map_err(vm_err)?;
    let bad = |message: String| RewardError::Param {
        source_name: program.to_string(),
        message,
    };
    let Some(list) = list else {
        return Err(bad(message.unwrap_or_else(|| "bad `params` table".into())));
    };
    let mut out = Params::new();
    for entry in list.sequence_values::<Table>() {
        let e = entry.map_err(vm_err)?;
        let name: String = e.raw_get(1).map_err(vm_err)?;
        let kind: i64 = e.raw_get(2).map_err(vm_err)?;
        let num = |k: usize| e.raw_get::<f64>(k).map_err(vm_err);
        let v = if kind == 0 {
            ParamValue::Number(num(3)?)
        } else {
            ParamValue::Vec3([num(3)?, num(4)?, num(5)?])
        };
        if !v.is_finite() {
            return Err(bad(format!("parameter `{name}` = {v} is not finite")));
        }
        out.insert(&name, v);
    }
    Ok(out)
}

/// Hand `values` to the VM: `s.param` and the program's `params` read them.
pub(super) fn apply_params(vm: &Vm, values: &Params) -> mlua::Result<()> {
    let lua = &vm.lua;
    let list = lua.create_table()?;
    for (i, (name, v)) in values.0.iter().enumerate() {
        let e = lua.create_table()?;
        e.raw_set(1, name.as_str())?;
        match *v {
            ParamValue::Number(x) => {
                e.raw_set(2, 0)?;
                e.raw_set(3, x)?;
            }
            ParamValue::Vec3([x, y, z]) => {
                e.raw_set(2, 1)?;
                e.raw_set(3, x)?;
                e.raw_set(4, y)?;
                e.raw_set(5, z)?;
            }
        }
        list.raw_set(i + 1, e)?;
    }
    internal(vm, "set_params")?.call::<()>(list)
}
