//! Loading what the controller needs for one env: the env (whose spec must have an
//! `[mpc]` table), the reward program it follows with its parameters, the env's own
//! success predicate, and the resolved planner settings.

use std::path::{Path, PathBuf};

use super::MpcError;
use super::config::{MpcOverrides, PlannerConfig};
use crate::env::spec::SuccessWhen;
use crate::env::{AssetRoots, Env, EnvSpec};
use crate::reward::{Params, ScriptProgram, builtin_path, load_program};

/// An env ready for the controller.
pub struct MpcSetup {
    /// The env the controller acts in.
    pub env: Env,
    /// The spec file.
    pub spec_file: PathBuf,
    /// The reward program the planner maximises, parameters applied.
    pub program: ScriptProgram,
    /// Its file.
    pub program_path: PathBuf,
    /// The env's own success predicate (`rewards.success`): success is judged by it,
    /// whatever program the planner follows (with the same parameters when it is the
    /// program's own file).
    pub judge: ScriptProgram,
    /// Whether success is any state's or the last state's.
    pub success_when: SuccessWhen,
    /// Planner settings: defaults, the `[mpc]` table, the overrides.
    pub config: PlannerConfig,
}

impl MpcSetup {
    /// Load `env` (built-in name or spec path). `program` defaults to the `[mpc]`
    /// table's `program`, else the env's `rewards.reward`; `params` override the
    /// program's declared parameters.
    pub fn load(
        env: &str,
        roots: &AssetRoots,
        program: Option<&Path>,
        params: &Params,
        overrides: &MpcOverrides,
    ) -> Result<Self, MpcError> {
        let spec_file = roots.resolve_env(env)?;
        let spec = EnvSpec::from_file(&spec_file)?;
        let Some(table) = spec.mpc.clone() else {
            return Err(MpcError::NoMpcTable { file: spec_file });
        };
        let config = PlannerConfig::resolve(&table, overrides, &spec_file.display().to_string())?;
        let env = Env::from_spec(spec, &spec_file, roots)?;
        let c = env.compiled().clone();
        let program_path = match program {
            Some(p) => p.to_path_buf(),
            None => {
                let stem = table.program.as_deref().unwrap_or(&c.spec.rewards.reward);
                builtin_path(roots, stem)
            }
        };
        let mut program = load_program(&program_path, &c.layout)?;
        program.set_params(params)?;
        let judge_path = builtin_path(roots, &c.spec.rewards.success);
        let mut judge = load_program(&judge_path, &c.layout)?;
        // One file holding both the reward and the success predicate judges with the
        // same parameters.
        if same_file(&judge_path, &program_path) {
            judge.set_params(params)?;
        }
        Ok(Self {
            env,
            spec_file,
            program,
            program_path,
            judge,
            success_when: c.spec.rewards.success_when,
            config,
        })
    }
}

/// Whether two paths name the same file.
fn same_file(a: &Path, b: &Path) -> bool {
    match (a.canonicalize(), b.canonicalize()) {
        (Ok(a), Ok(b)) => a == b,
        _ => a == b,
    }
}
