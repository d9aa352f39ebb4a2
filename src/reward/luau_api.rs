//! The sandboxed Luau VM: safe libraries only, the prelude (vec3/quat library, scalar
//! helpers, the `s` view and call drivers from `prelude.luau`), memory limit, and the
//! per-call operation/time budget enforced through `Lua::set_interrupt`.

use super::suggest::unknown_name_message;
use mlua::{Function, Lua, LuaOptions, StdLib, Table, Variadic, VmState};
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering::Relaxed};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// The prelude's source; its chunk name (`rewardsmith`) marks errors raised inside it.
const PRELUDE: &str = include_str!("prelude.luau");
/// Chunk name of the prelude.
pub const PRELUDE_NAME: &str = "rewardsmith";
/// How many `print` lines a VM keeps (older lines are dropped).
const MAX_PRINT_LINES: usize = 64;
/// Longest kept `print` line, in bytes.
const MAX_PRINT_LEN: usize = 256;

/// Resource limits for one reward program (per VM, per call).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Limits {
    /// Interrupts (loop back-edges and calls) allowed per call: the primary bound, the
    /// same on an idle and on a loaded machine.
    pub max_ops: u64,
    /// Wall time allowed per call: only a backstop for time spent inside one operation
    /// (a library call on a large string or table), set far above what `max_ops`
    /// operations take even on a loaded machine, so a program within its operation
    /// budget never trips it.
    pub max_call_time: Duration,
    /// Memory limit of the VM in bytes.
    pub memory_bytes: usize,
    /// Most named components a reward may return.
    pub max_components: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_ops: 200_000,
            // 200k operations of a loop calling into the library took over 20 ms (the
            // old limit) on a loaded 2-core machine (tests/reward_script.rs,
            // a_program_within_its_operation_budget_passes_on_a_loaded_machine); a
            // second leaves room for any scheduler.
            max_call_time: Duration::from_secs(1),
            memory_bytes: 64 << 20,
            max_components: 256,
        }
    }
}

/// Why a call was stopped by the budget.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tripped {
    /// Too many operations.
    Ops,
    /// Too much wall time.
    Time,
}

/// Per-VM call budget, reset before every call and checked by the interrupt.
#[derive(Debug)]
pub struct Budget {
    base: Instant,
    ops: AtomicU64,
    start_ns: AtomicU64,
    max_ops: u64,
    max_ns: u64,
    /// 0 = not tripped, 1 = ops, 2 = time.
    tripped: AtomicU32,
    /// Program line executing when tripped (0 = unknown).
    line: AtomicU32,
}

impl Budget {
    fn new(limits: &Limits) -> Self {
        Budget {
            base: Instant::now(),
            ops: AtomicU64::new(0),
            start_ns: AtomicU64::new(0),
            max_ops: limits.max_ops,
            max_ns: u64::try_from(limits.max_call_time.as_nanos()).unwrap_or(u64::MAX),
            tripped: AtomicU32::new(0),
            line: AtomicU32::new(0),
        }
    }

    fn now_ns(&self) -> u64 {
        u64::try_from(self.base.elapsed().as_nanos()).unwrap_or(u64::MAX)
    }

    /// Starts a new call: zero operations, clock restarted.
    pub fn reset(&self) {
        self.ops.store(0, Relaxed);
        self.tripped.store(0, Relaxed);
        self.line.store(0, Relaxed);
        self.start_ns.store(self.now_ns(), Relaxed);
    }

    /// Whether (and why) the current call ran out of budget, with the line if known.
    pub fn tripped(&self) -> Option<(Tripped, Option<u32>)> {
        let line = match self.line.load(Relaxed) {
            0 => None,
            l => Some(l),
        };
        match self.tripped.load(Relaxed) {
            1 => Some((Tripped::Ops, line)),
            2 => Some((Tripped::Time, line)),
            _ => None,
        }
    }

    /// Human-readable limit that was hit.
    pub fn describe(&self, t: Tripped) -> String {
        match t {
            Tripped::Ops => format!("{} operations", self.max_ops),
            Tripped::Time => format!("{} ms", self.max_ns as f64 / 1e6),
        }
    }
}

/// A fresh sandboxed VM with the prelude loaded.
pub struct Vm {
    /// The VM.
    pub lua: Lua,
    /// The prelude's internal functions (`setup`, `make_env`, `seal`, `run_reward`, ...).
    pub internals: Table,
    /// The call budget the interrupt enforces.
    pub budget: Arc<Budget>,
    /// Captured `print` output.
    pub printed: Arc<Mutex<Vec<String>>>,
    /// The memory limit in bytes.
    pub memory_limit: usize,
}

/// Creates a sandboxed VM for the program `program` (its chunk name, used to find the
/// program's line when the budget trips).
pub fn new_vm(program: &str, limits: &Limits) -> mlua::Result<Vm> {
    let libs =
        StdLib::MATH | StdLib::TABLE | StdLib::STRING | StdLib::BIT | StdLib::UTF8 | StdLib::BUFFER;
    let lua = Lua::new_with(libs, LuaOptions::default())?;
    // Level 2 adds function inlining and loop unrolling; programs and the prelude are
    // small, so the extra compile time is negligible next to millions of calls.
    lua.set_compiler(mlua::chunk::Compiler::new().set_optimization_level(2));
    let g = lua.globals();
    g.set(
        "__suggest",
        lua.create_function(|_, (kind, name, known): (String, String, Vec<String>)| {
            Ok(unknown_name_message(&kind, &name, &known))
        })?,
    )?;
    let printed = Arc::new(Mutex::new(Vec::new()));
    let sink = Arc::clone(&printed);
    g.set(
        "__print",
        lua.create_function(move |_, args: Variadic<mlua::LuaString>| {
            let mut line = String::new();
            for (i, a) in args.iter().enumerate() {
                if i > 0 {
                    line.push('\t');
                }
                line.push_str(&a.to_string_lossy());
            }
            line.truncate(line.floor_char_boundary(MAX_PRINT_LEN));
            if let Ok(mut p) = sink.lock() {
                if p.len() >= MAX_PRINT_LINES {
                    p.remove(0);
                }
                p.push(line);
            }
            Ok(())
        })?,
    )?;
    let internals: Table = lua
        .load(PRELUDE)
        .set_name(format!("={PRELUDE_NAME}"))
        .call(())?;
    lua.sandbox(true)?;
    lua.set_memory_limit(limits.memory_bytes)?;
    let budget = Arc::new(Budget::new(limits));
    let b = Arc::clone(&budget);
    let source = format!("={program}");
    lua.set_interrupt(move |lua| {
        let n = b.ops.load(Relaxed) + 1;
        b.ops.store(n, Relaxed);
        let over = if n > b.max_ops {
            1
        } else if n.is_multiple_of(256)
            && b.now_ns().saturating_sub(b.start_ns.load(Relaxed)) > b.max_ns
        {
            2
        } else {
            0
        };
        if over == 0 {
            return Ok(VmState::Continue);
        }
        if b.tripped.load(Relaxed) == 0 {
            b.tripped.store(over, Relaxed);
            b.line
                .store(program_line(lua, &source).unwrap_or(0), Relaxed);
        }
        Err(mlua::Error::runtime("reward program exceeded its budget"))
    });
    Ok(Vm {
        lua,
        internals,
        budget,
        printed,
        memory_limit: limits.memory_bytes,
    })
}

/// The line of the innermost stack frame that belongs to the chunk named `source`.
fn program_line(lua: &Lua, source: &str) -> Option<u32> {
    (0..64).find_map(|level| {
        lua.inspect_stack(level, |d| {
            let src = d.source();
            if src.source.as_deref() == Some(source) {
                d.current_line().and_then(|l| u32::try_from(l).ok())
            } else {
                None
            }
        })
        .flatten()
    })
}

/// Fetches a prelude internal function by name.
pub fn internal(vm: &Vm, name: &str) -> mlua::Result<Function> {
    vm.internals.get(name)
}
