//! What a run trains and evaluates with, built from its [`RunConfig`]: the envs with
//! their reward, success and CLIP terms ([`driver`]), and the learner on its device.

use std::path::Path;

use crate::env::{AssetRoots, StateLayout, VecEnv};
use crate::reward::{ScriptReward, load_program, load_reward};
use crate::rl::ppo::Ppo;
use crate::rl::sac::Sac;
use crate::rl::{EnvDriver, Learner};
use crate::run::config::device;
use crate::run::{AlgoConfig, RunConfig, RunError};

fn script(path: &Path, layout: &StateLayout) -> Result<Box<ScriptReward>, RunError> {
    let prog = load_program(path, layout)?;
    Ok(Box::new(ScriptReward::from_program(prog)?))
}

/// Build the envs with reward and success programs for `cfg`, `n` envs seeded `seed + i`.
pub(crate) fn driver(cfg: &RunConfig, n: usize, seed: u64) -> Result<EnvDriver, RunError> {
    let roots = AssetRoots::discover();
    let venv = VecEnv::new(&cfg.env.to_string_lossy(), &roots, n, None)?;
    let layout = venv.compiled().layout.clone();
    let when = venv.compiled().spec.rewards.success_when;
    let reward = load_reward(&cfg.reward, &venv.envs()[0])?;
    let success = script(&cfg.success, &layout)?;
    let term = match &cfg.clip {
        Some(c) => Some((c.term(&venv.envs()[0], n)?, c.program)),
        None => None,
    };
    let drv = EnvDriver::new(venv, reward, success, when, seed)?;
    Ok(match term {
        Some((t, program)) => drv.with_clip(t, program),
        None => drv,
    })
}

/// Seed of the learner's RNG stream (distinct from the envs' `seed + i`).
fn learner_seed(seed: u64) -> u64 {
    seed ^ 0x9E37_79B9_7F4A_7C15
}

/// The learner `cfg` asks for, sized for the envs of `drv`.
pub(crate) fn learner(cfg: &RunConfig, drv: &EnvDriver) -> Result<Box<dyn Learner>, RunError> {
    let c = drv.venv.compiled();
    let seed = learner_seed(cfg.seed);
    Ok(match &cfg.algo {
        AlgoConfig::Ppo(p) => Box::new(Ppo::new(
            p.clone(),
            drv.obs_dim(),
            &c.action_space,
            seed,
            device(cfg.device)?,
        )?),
        AlgoConfig::Sac(s) => {
            let Some(space) = c.action_space.as_box() else {
                return Err(RunError::SacNeedsBox {
                    env: c.spec.name.clone(),
                    space: c.action_space.to_string(),
                });
            };
            Box::new(Sac::new(s.clone(), space.clone(), drv.obs_dim(), seed)?)
        }
    })
}
