//! `rewardsmith rollout`: run a policy and write one JSON object per step.

use crate::cli::flags::{EnvArg, SeedFlag};
use crate::cli::policy::PolicyArg;
use anyhow::{Context, Result, bail};
use clap::Args;
use rewardsmith::env::{ActionSpace, AssetRoots, Env};
use rewardsmith::fs::AtomicFile;
use rewardsmith::reward::{RewardOut, builtin_path, load_program, load_reward};
use serde_json::json;
use std::io::Write;
use std::path::PathBuf;

/// Arguments of `rollout`.
#[derive(Args, Debug)]
pub struct RolloutArgs {
    #[command(flatten)]
    env: EnvArg,
    #[arg(long, default_value = "random", help = crate::cli::policy::HELP)]
    policy: String,
    /// Number of env steps.
    #[arg(long, default_value_t = 1000)]
    steps: u64,
    #[command(flatten)]
    seed: SeedFlag,
    /// Reward program (`.luau`) or reward file (`.toml`); defaults to the env's own
    /// reward in `rewards/`.
    #[arg(long)]
    reward: Option<PathBuf>,
    /// Output JSONL file (one object per step).
    #[arg(long)]
    out: PathBuf,
}

/// Run `rollout`.
pub fn run(args: RolloutArgs) -> Result<()> {
    let roots = AssetRoots::discover();
    let mut env = Env::load(&args.env.env, &roots)?;
    if args.steps == 0 {
        bail!("--steps must be at least 1");
    }
    let reward_path = args
        .reward
        .clone()
        .unwrap_or_else(|| builtin_path(&roots, &env.compiled().spec.rewards.reward));
    let mut program = load_reward(&reward_path, &env)?;
    // Success is the env's own predicate, whichever program pays the reward.
    let success_path = builtin_path(&roots, &env.compiled().spec.rewards.success);
    let mut success = load_program(&success_path, &env.compiled().layout)?;
    let policy = PolicyArg::parse(&args.policy, &env)?;
    let mut reward = [RewardOut::default()];
    // Written beside the target and moved into place at the end, so a crash never
    // leaves a truncated file that looks complete.
    let mut out = std::io::BufWriter::new(AtomicFile::create(&args.out)?);
    let bar = crate::cli::progress_bar(args.steps, "steps");
    let mut obs = env.reset(Some(args.seed.seed))?;
    let mut episode = 0u64;
    let mut next = vec![0.0f32; obs.len()];
    for step in 0..args.steps {
        let action = policy.action(&mut env, &obs);
        let flags = env.step_into(&action, &mut next)?;
        program
            .eval_batch(std::slice::from_ref(env.state()), &mut reward)
            .with_context(|| format!("at step {step}"))?;
        let [reward] = &reward;
        let components: serde_json::Map<String, serde_json::Value> = reward
            .components
            .iter()
            .map(|(k, v)| (k.clone(), json!(v)))
            .collect();
        let mut row = json!({
            "episode": episode,
            "step": step,
            "obs": obs,
            "action": env.state().action,
            "next_obs": next,
            "reward": reward.total,
            "reward_components": components,
            "success": success.success(env.state())?,
            "terminated": flags.terminated,
            "truncated": flags.truncated,
            "state": env.state().to_json(),
        });
        if let ActionSpace::Discrete(_) = env.compiled().action_space {
            // `action` holds the controls the choice applied; `choice` the index.
            row["choice"] = json!(action[0] as usize);
        }
        serde_json::to_writer(&mut out, &row)?;
        out.write_all(b"\n")?;
        let done = flags.terminated || flags.truncated;
        program.end_episodes(&[done]);
        if done {
            episode += 1;
            obs = env.reset(None)?;
        } else {
            std::mem::swap(&mut obs, &mut next);
        }
        bar.inc(1);
    }
    out.into_inner()
        .map_err(|e| e.into_error())
        .with_context(|| format!("writing {}", args.out.display()))?
        .commit()?;
    bar.finish_and_clear();
    eprintln!(
        "wrote {} steps ({} episodes ended) to {}",
        args.steps,
        episode,
        args.out.display()
    );
    Ok(())
}
