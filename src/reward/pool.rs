//! `ScriptReward`: a reward program evaluated over batches in parallel with rayon.
//!
//! Luau VMs are single-threaded, so the reward keeps a pool of independent VMs running the
//! same program (forked lazily, at most one per rayon thread). A batch is split into one
//! contiguous chunk per VM; each VM evaluates its chunk in order. Because every call starts
//! from the same VM state (per-call globals cleared, top level frozen), the result does not
//! depend on how the batch was split.

use super::luau_api::Limits;
use super::script::ScriptProgram;
use super::{Reward, RewardError, RewardOut};
use crate::env::{State, StateLayout};
use rayon::prelude::*;

/// A compiled reward program with a pool of VMs for parallel batch evaluation.
#[derive(Debug)]
pub struct ScriptReward {
    pool: Vec<ScriptProgram>,
    max_workers: usize,
}

impl ScriptReward {
    /// Compiles `source` against `layout` (one VM now; more are forked when batches need them).
    pub fn compile(name: &str, source: &str, layout: &StateLayout) -> Result<Self, RewardError> {
        Self::compile_with(name, source, layout, Limits::default())
    }

    /// Compiles with explicit limits.
    pub fn compile_with(
        name: &str,
        source: &str,
        layout: &StateLayout,
        limits: Limits,
    ) -> Result<Self, RewardError> {
        Self::from_program(ScriptProgram::compile_with(name, source, layout, limits)?)
    }

    /// Wraps an already compiled program.
    pub fn from_program(p: ScriptProgram) -> Result<Self, RewardError> {
        Ok(ScriptReward {
            pool: vec![p],
            max_workers: rayon::current_num_threads().max(1),
        })
    }

    /// Caps the number of VMs (and parallel chunks); 1 evaluates sequentially.
    pub fn with_max_workers(mut self, n: usize) -> Self {
        self.max_workers = n.max(1);
        self
    }

    /// The first VM's program (e.g. for single evaluations or `take_output`).
    pub fn program(&mut self) -> &mut ScriptProgram {
        &mut self.pool[0]
    }

    /// Number of VMs currently in the pool.
    pub fn pool_size(&self) -> usize {
        self.pool.len()
    }

    fn workers_for(&mut self, n: usize) -> Result<usize, RewardError> {
        let w = self.max_workers.min(n).max(1);
        while self.pool.len() < w {
            let vm = self.pool[0].fork()?;
            self.pool.push(vm);
        }
        Ok(w)
    }

    /// Runs `f` over `states`/`out` split into one chunk per VM, in parallel.
    fn run<O: Send>(
        &mut self,
        states: &[State],
        out: &mut [O],
        f: impl Fn(&mut ScriptProgram, &State, &mut O) -> Result<(), RewardError> + Sync,
    ) -> Result<(), RewardError> {
        if states.len() != out.len() {
            return Err(RewardError::Vm {
                program: self.pool[0].name().to_string(),
                message: format!("{} states but {} output slots", states.len(), out.len()),
            });
        }
        if states.is_empty() {
            return Ok(());
        }
        let w = self.workers_for(states.len())?;
        let chunk = states.len().div_ceil(w);
        let eval = |vm: &mut ScriptProgram, ss: &[State], oo: &mut [O]| {
            ss.iter()
                .zip(oo.iter_mut())
                .try_for_each(|(s, o)| f(vm, s, o))
        };
        if w == 1 {
            return eval(&mut self.pool[0], states, out);
        }
        let results: Vec<Result<(), RewardError>> = states
            .par_chunks(chunk)
            .zip(out.par_chunks_mut(chunk))
            .zip(self.pool.par_iter_mut())
            .map(|((ss, oo), vm)| eval(vm, ss, oo))
            .collect();
        results.into_iter().collect()
    }
}

impl Reward for ScriptReward {
    fn name(&self) -> &str {
        self.pool[0].name()
    }

    fn eval_batch(&mut self, states: &[State], out: &mut [RewardOut]) -> Result<(), RewardError> {
        self.run(states, out, |vm, s, o| vm.reward_into(s, o))
    }

    fn success_batch(
        &mut self,
        states: &[State],
        out: &mut [Option<bool>],
    ) -> Result<(), RewardError> {
        if !self.pool[0].has_success() {
            out.fill(None);
            return Ok(());
        }
        self.run(states, out, |vm, s, o| {
            *o = vm.success(s)?;
            Ok(())
        })
    }
}
