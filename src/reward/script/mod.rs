//! `ScriptProgram`: one reward program (Luau source, `.luau` files) compiled into one
//! sandboxed VM, evaluated against `State`s one at a time.
//!
//! A program defines `function reward(s)` returning a number or a table of named numbers
//! (total = their sum unless a `total` field is given) and optionally `function success(s)`
//! returning a boolean. See `prelude.luau` for the library and the `s` view.
//!
//! Determinism: globals a program assigns *during* a call live only for that call (they are
//! cleared before the next one); its top-level definitions and the tables they hold are
//! frozen after the chunk runs, so assigning them later is an error. The one escape hatch is a
//! top-level `local` mutated from `reward` (an upvalue): it persists within one VM, and since
//! batches are spread over a pool of VMs such a program is not deterministic. Don't do that.
//! Body/joint objects from `s` are reused per VM but refilled from the state on first use in
//! each call, so mutating them never leaks into the next call.

use super::RewardOut;
use super::error::RewardError;
use super::lint::{check_names, check_param_names, uses_ident};
use super::luau_api::{Limits, Vm, internal, new_vm};
use super::pack::Offsets;
use super::params::Params;
use crate::env::{State, StateLayout};
use mlua::{Buffer, Function, Value};
use std::sync::Arc;

mod chunk;
mod env_success;
mod vm_errors;
mod vm_params;

use vm_errors::{budget_error, classify, lua_type};
use vm_params::{apply_params, read_params};

/// Contact pairs the state buffer has room for initially (it grows on demand).
const INITIAL_CONTACTS: usize = 64;

/// A compiled reward program bound to one `StateLayout`, with its own VM.
pub struct ScriptProgram {
    name: String,
    source: Arc<str>,
    layout: Arc<StateLayout>,
    limits: Limits,
    offsets: Offsets,
    vm: Vm,
    run_reward: Function,
    run_success: Function,
    set_buffer: Function,
    reward_fn: Function,
    success_fn: Option<Function>,
    state_buf: Buffer,
    state_cap: usize,
    out_buf: Buffer,
    scratch: Vec<u8>,
    /// Whether the source names `prev` (only then is the previous step packed).
    reads_prev: bool,
    names: Vec<String>,
    /// The parameters the program's `params` table declares, with their defaults.
    declared: Params,
    /// The values `s.param` reads: the defaults with the overrides applied.
    params: Params,
}

impl std::fmt::Debug for ScriptProgram {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ScriptProgram")
            .field("name", &self.name)
            .field("limits", &self.limits)
            .finish()
    }
}

impl ScriptProgram {
    /// Compiles `source` (named `name` in messages) against `layout` with default [`Limits`].
    pub fn compile(name: &str, source: &str, layout: &StateLayout) -> Result<Self, RewardError> {
        Self::compile_with(name, source, layout, Limits::default())
    }

    /// Compiles with explicit limits. Parses, checks literal names against the layout, runs
    /// the chunk's top level once (under the budget) and requires `function reward(s)`.
    pub fn compile_with(
        name: &str,
        source: &str,
        layout: &StateLayout,
        limits: Limits,
    ) -> Result<Self, RewardError> {
        Self::build(
            name,
            Arc::from(source),
            Arc::new(layout.clone()),
            limits,
            None,
        )
    }

    /// A second, independent VM running the same program with the same parameter
    /// values (for parallel evaluation).
    pub fn fork(&self) -> Result<Self, RewardError> {
        Self::build(
            &self.name,
            Arc::clone(&self.source),
            Arc::clone(&self.layout),
            self.limits,
            Some(&self.params),
        )
    }

    /// The parameters the program declares (`params = { name = default, ... }`), with
    /// their defaults.
    pub fn declared_params(&self) -> &Params {
        &self.declared
    }

    /// The parameter values `s.param` reads now.
    pub fn params(&self) -> &Params {
        &self.params
    }

    /// Set the parameters to the declared defaults with `overrides` applied. An
    /// override that names no declared parameter, has the other kind (number / vec3)
    /// or is not finite is an error, and nothing changes.
    pub fn set_params(&mut self, overrides: &Params) -> Result<(), RewardError> {
        let values = self.declared.overridden(overrides, &self.name)?;
        apply_params(&self.vm, &values).map_err(|e| self.vm_error(e))?;
        self.params = values;
        Ok(())
    }

    fn build(
        name: &str,
        source: Arc<str>,
        layout: Arc<StateLayout>,
        limits: Limits,
        values: Option<&Params>,
    ) -> Result<Self, RewardError> {
        let vm_err = |e: mlua::Error| RewardError::Vm {
            program: name.to_string(),
            message: e.to_string(),
        };
        let vm = new_vm(name, &limits).map_err(vm_err)?;
        let offsets = Offsets::new(&layout);
        let lua = &vm.lua;
        let cfg = lua.create_table().map_err(vm_err)?;
        let task = lua.create_table().map_err(vm_err)?;
        for (i, p) in layout.task.iter().enumerate() {
            let entry = lua.create_table().map_err(vm_err)?;
            entry.raw_set(1, p.name.as_str()).map_err(vm_err)?;
            entry.raw_set(2, (8 * p.offset) as f64).map_err(vm_err)?;
            entry.raw_set(3, p.dim as f64).map_err(vm_err)?;
            task.raw_set(i + 1, entry).map_err(vm_err)?;
        }
        let joints: Vec<&str> = layout.joints.iter().map(|j| j.name.as_str()).collect();
        let set = |k: &str, v: Value| cfg.raw_set(k, v).map_err(vm_err);
        set(
            "bodies",
            Value::Table(
                lua.create_sequence_from(layout.bodies.iter().map(String::as_str))
                    .map_err(vm_err)?,
            ),
        )?;
        set(
            "joints",
            Value::Table(lua.create_sequence_from(joints).map_err(vm_err)?),
        )?;
        set("task", Value::Table(task))?;
        let limits_seq = lua.create_table().map_err(vm_err)?;
        for (i, j) in layout.joints.iter().enumerate() {
            let v = match j.limits {
                Some(l) => Value::Table(lua.create_sequence_from(l).map_err(vm_err)?),
                None => Value::Boolean(false),
            };
            limits_seq.raw_set(i + 1, v).map_err(vm_err)?;
        }
        set("joint_limits", Value::Table(limits_seq))?;
        let ranges = lua.create_table().map_err(vm_err)?;
        for (i, r) in layout.action_ranges.iter().enumerate() {
            let v = lua.create_sequence_from(*r).map_err(vm_err)?;
            ranges.raw_set(i + 1, v).map_err(vm_err)?;
        }
        set("action_ranges", Value::Table(ranges))?;
        let (masses, coms) = (
            lua.create_table().map_err(vm_err)?,
            lua.create_table().map_err(vm_err)?,
        );
        for i in 0..layout.bodies.len() {
            let m = layout.body_masses.get(i).copied().unwrap_or(0.0);
            let c = layout.body_coms.get(i).copied().unwrap_or([0.0; 3]);
            masses.raw_set(i + 1, m).map_err(vm_err)?;
            let c = lua.create_sequence_from(c).map_err(vm_err)?;
            coms.raw_set(i + 1, c).map_err(vm_err)?;
        }
        set("body_masses", Value::Table(masses))?;
        let sites = lua.create_table().map_err(vm_err)?;
        for (i, site) in layout.sites.iter().enumerate() {
            // {name, body index (0-based), offset x, y, z}
            let entry = lua.create_table().map_err(vm_err)?;
            entry.raw_set(1, site.name.as_str()).map_err(vm_err)?;
            let [x, y, z] = site.offset;
            for (k, v) in [site.body as f64, x, y, z].into_iter().enumerate() {
                entry.raw_set(k + 2, v).map_err(vm_err)?;
            }
            sites.raw_set(i + 1, entry).map_err(vm_err)?;
        }
        set("sites", Value::Table(sites))?;
        set("robot_links", Value::Number(layout.robot_links as f64))?;
        set("body_coms", Value::Table(coms))?;
        for (k, v) in [
            ("off_b", offsets.bodies),
            ("off_j", offsets.joints),
            ("off_a", offsets.action),
            ("off_t", offsets.task),
            ("off_c", offsets.contacts),
            ("na", offsets.n_action),
            ("max_components", limits.max_components),
        ] {
            set(k, Value::Number(v as f64))?;
        }
        set("dt", Value::Number(layout.dt))?;
        let out_buf: Buffer = internal(&vm, "setup")
            .and_then(|f| f.call(cfg))
            .map_err(vm_err)?;
        let state_cap = offsets.size(INITIAL_CONTACTS);
        let state_buf = lua.create_buffer_with_capacity(state_cap).map_err(vm_err)?;
        let set_buffer = internal(&vm, "set_buffer").map_err(vm_err)?;
        set_buffer.call::<()>(&state_buf).map_err(vm_err)?;
        let (env, top) = chunk::compile(&vm, name, &source)?;
        if let Some(l) = check_names(&source, &layout) {
            return Err(RewardError::UnknownName {
                program: name.to_string(),
                line: Some(l.line),
                message: l.message,
            });
        }
        let run_reward = internal(&vm, "run_reward").map_err(vm_err)?;
        let run_success = internal(&vm, "run_success").map_err(vm_err)?;
        chunk::run_top_level(&vm, name, &top)?;
        let declared = read_params(&vm, &env, name)?;
        if let Some(l) = check_param_names(&source, &declared.names()) {
            return Err(RewardError::UnknownName {
                program: name.to_string(),
                line: Some(l.line),
                message: l.message,
            });
        }
        let params = match values {
            Some(v) => v.clone(),
            None => declared.clone(),
        };
        apply_params(&vm, &params).map_err(vm_err)?;
        let (reward_fn, success_fn) = chunk::seal(&vm, name, &env)?;
        // The env's success program, compiled only for programs that can read it.
        let mut reads_prev = uses_ident(&source, "prev");
        if let Some(program) = layout.success.as_ref()
            && uses_ident(&source, "success")
        {
            env_success::install(&vm, program)?;
            reads_prev |= uses_ident(&program.source, "prev");
        }
        let missing = |message: String| RewardError::MissingFunction {
            program: name.to_string(),
            message,
        };
        let reward_fn = match reward_fn {
            Value::Function(f) => f,
            Value::Nil => return Err(missing("does not define `function reward(s)`".into())),
            other => {
                return Err(missing(format!(
                    "`reward` is a {}, not a function",
                    lua_type(&other)
                )));
            }
        };
        let success_fn = match success_fn {
            Value::Function(f) => Some(f),
            Value::Nil => None,
            other => {
                return Err(missing(format!(
                    "`success` is a {}, not a function",
                    lua_type(&other)
                )));
            }
        };
        Ok(ScriptProgram {
            name: name.to_string(),
            reads_prev,
            source,
            layout,
            limits,
            offsets,
            vm,
            run_reward,
            run_success,
            set_buffer,
            reward_fn,
            success_fn,
            state_buf,
            state_cap,
            out_buf,
            scratch: Vec::new(),
            names: Vec::new(),
            declared,
            params,
        })
    }

    /// The program's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The limits it runs under.
    pub fn limits(&self) -> Limits {
        self.limits
    }

    /// Whether the program defines `success(s)`.
    pub fn has_success(&self) -> bool {
        self.success_fn.is_some()
    }

    /// Lines the program printed since the last call to this (at most the last 64).
    pub fn take_output(&mut self) -> Vec<String> {
        self.vm
            .printed
            .lock()
            .map(|mut p| std::mem::take(&mut *p))
            .unwrap_or_default()
    }

    /// Evaluates `reward(s)`.
    pub fn reward(&mut self, s: &State) -> Result<RewardOut, RewardError> {
        let mut out = RewardOut::default();
        self.reward_into(s, &mut out)?;
        Ok(out)
    }

    /// Evaluates `reward(s)` into `out`, reusing its allocations.
    pub fn reward_into(&mut self, s: &State, out: &mut RewardOut) -> Result<(), RewardError> {
        self.load_state(s)?;
        let r = self
            .run_reward
            .call::<(i64, i64, Option<f64>, Value)>(&self.reward_fn);
        let (status, n, total, aux) = self.finish(r)?;
        match status {
            0 if n < 0 => {
                let total = total.unwrap_or(f64::NAN);
                out.total = total;
                out.components.truncate(1);
                match out.components.first_mut() {
                    Some(c) => {
                        if c.0 != "reward" {
                            c.0 = "reward".into();
                        }
                        c.1 = total;
                    }
                    None => out.components.push(("reward".into(), total)),
                }
                Ok(())
            }
            0 => {
                if let Value::Table(t) = aux {
                    self.names = t
                        .sequence_values::<String>()
                        .collect::<mlua::Result<_>>()
                        .map_err(|e| self.vm_error(e))?;
                }
                let n = usize::try_from(n).unwrap_or(0).min(self.names.len());
                out.components.truncate(n);
                let mut sum = 0.0;
                for (i, name) in self.names.iter().take(n).enumerate() {
                    let v = f64::from_le_bytes(self.out_buf.read_bytes::<8>(8 * i));
                    sum += v;
                    match out.components.get_mut(i) {
                        Some(c) => {
                            if c.0 != *name {
                                c.0.clone_from(name);
                            }
                            c.1 = v;
                        }
                        None => out.components.push((name.clone(), v)),
                    }
                }
                out.total = total.unwrap_or(sum);
                if !out.total.is_finite() {
                    return Err(RewardError::NonFinite {
                        program: self.name.clone(),
                        component: Some("total (sum)".into()),
                        value: out.total,
                    });
                }
                Ok(())
            }
            2 => Err(RewardError::NonFinite {
                program: self.name.clone(),
                component: match aux {
                    Value::String(s) => Some(s.to_string_lossy()),
                    _ => None,
                },
                value: total.unwrap_or(f64::NAN),
            }),
            3 => Err(RewardError::BadReturn {
                program: self.name.clone(),
                message: format!(
                    "reward returned {n} components; at most {} are allowed",
                    self.limits.max_components
                ),
            }),
            _ => Err(self.bad_return(aux)),
        }
    }

    /// Evaluates `success(s)`; `None` if the program defines no `success`.
    pub fn success(&mut self, s: &State) -> Result<Option<bool>, RewardError> {
        let Some(f) = self.success_fn.clone() else {
            return Ok(None);
        };
        self.load_state(s)?;
        let r = self.run_success.call::<(i64, i64, Option<f64>, Value)>(&f);
        let (status, v, _, aux) = self.finish(r)?;
        match status {
            0 => Ok(Some(v != 0)),
            _ => Err(self.bad_return(aux)),
        }
    }

    fn bad_return(&self, aux: Value) -> RewardError {
        let message = match aux {
            Value::String(s) => s.to_string_lossy(),
            other => format!("bad return value ({})", other.type_name()),
        };
        RewardError::BadReturn {
            program: self.name.clone(),
            message,
        }
    }

    fn vm_error(&self, e: mlua::Error) -> RewardError {
        RewardError::Vm {
            program: self.name.clone(),
            message: e.to_string(),
        }
    }

    /// Checks the layout, writes `s` into the state buffer and resets the budget.
    fn load_state(&mut self, s: &State) -> Result<(), RewardError> {
        if let Some(message) = self.offsets.mismatch(s) {
            return Err(RewardError::LayoutMismatch {
                program: self.name.clone(),
                message,
            });
        }
        self.offsets.pack(s, self.reads_prev, &mut self.scratch);
        if self.scratch.len() > self.state_cap {
            let cap = self.scratch.len().next_power_of_two();
            let buf = self
                .vm
                .lua
                .create_buffer_with_capacity(cap)
                .map_err(|e| self.vm_error(e))?;
            self.set_buffer
                .call::<()>(&buf)
                .map_err(|e| self.vm_error(e))?;
            self.state_buf = buf;
            self.state_cap = cap;
        }
        self.state_buf.write_bytes(0, &self.scratch);
        self.vm.budget.reset();
        Ok(())
    }

    /// Maps a driver result to an error if the call failed or overran its budget.
    fn finish<T>(&self, r: mlua::Result<T>) -> Result<T, RewardError> {
        match r {
            Err(e) => Err(classify(&self.name, &self.vm, e)),
            Ok(v) => match budget_error(&self.name, &self.vm) {
                Some(e) => Err(e),
                None => Ok(v),
            },
        }
    }
}
