//! Deterministic evaluation of a policy: a batch of episodes with the mean action, one
//! per env, each seeded apart.

use crate::rl::{Actor, Episode};
use crate::run::setup::driver;
use crate::run::{EvalResult, RunConfig, RunError};

/// Seed offset of the final evaluation (and of `eval` by default): its episodes start at
/// the run's seed + 10,000, apart from the training envs' `seed + i`.
pub const FINAL_EVAL_SEED: u64 = 10_000;

/// Seed offset of the evaluation videos written during training.
pub const VIDEO_SEED: u64 = 20_000;

/// Seed offset of the periodic best-policy evaluations: episodes apart from the final
/// evaluation's, so picking the best does not also grade it.
pub const BEST_EVAL_SEED: u64 = 30_000;

/// Run `episodes` episodes (env `i` seeded `seed + i`, one episode each) with the mean
/// action and report return, success and length.
pub fn evaluate(
    cfg: &RunConfig,
    actor: &Actor,
    episodes: usize,
    seed: u64,
) -> Result<EvalResult, RunError> {
    let episodes = episodes.max(1);
    let mut drv = driver(cfg, episodes, seed)?;
    let d = drv.obs_dim();
    let space = drv.venv.compiled().action_space.clone();
    let mut result: Vec<Option<Episode>> = vec![None; episodes];
    while result.iter().any(Option::is_none) {
        let act = actor.act(&drv.obs, d, &space);
        drv.step(&act).map_err(RunError::Evaluation)?;
        for e in drv.take_stats().0 {
            result[e.env].get_or_insert(e);
        }
    }
    let eps: Vec<Episode> = result.into_iter().flatten().collect();
    let n = eps.len() as f64;
    let mean_return = eps.iter().map(|e| e.ret).sum::<f64>() / n;
    let var = eps
        .iter()
        .map(|e| (e.ret - mean_return).powi(2))
        .sum::<f64>()
        / n;
    Ok(EvalResult {
        episodes: eps.len(),
        mean_return,
        std_return: var.sqrt(),
        success_rate: eps.iter().filter(|e| e.success).count() as f64 / n,
        mean_length: eps.iter().map(|e| e.len as f64).sum::<f64>() / n,
        seed,
    })
}
