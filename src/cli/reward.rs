//! `rewardsmith reward prompt|check`.

use anyhow::{Context, Result, bail};
use clap::Subcommand;
use rewardsmith::env::spec::SuccessWhen;
use rewardsmith::env::{AssetRoots, Env};
use rewardsmith::reward::prompt::reward_prompt;
use rewardsmith::reward::stats::RewardStats;
use rewardsmith::reward::{RewardOut, load_program};
use std::path::{Path, PathBuf};

/// `reward` subcommands.
#[derive(Subcommand, Debug)]
pub enum RewardCommand {
    /// Print the full LLM prompt for writing a reward program for TASK in ENV.
    Prompt {
        /// Built-in env name or path to a spec file.
        #[arg(long)]
        env: String,
        /// The task in words.
        #[arg(long)]
        task: String,
        /// Directory of prompt templates.
        #[arg(long, default_value = None)]
        prompts: Option<PathBuf>,
    },
    /// Compile a reward program and run it on a seeded random rollout; print
    /// per-component statistics. Exits non-zero on any error.
    Check {
        /// Built-in env name or path to a spec file.
        #[arg(long)]
        env: String,
        /// The `.luau` program.
        #[arg(long)]
        program: PathBuf,
        /// Env steps to run.
        #[arg(long, default_value_t = 1000)]
        steps: u64,
        /// Seed of the rollout.
        #[arg(long, default_value_t = 0)]
        seed: u64,
    },
}

/// Run a `reward` subcommand.
pub fn run(cmd: RewardCommand) -> Result<()> {
    let roots = AssetRoots::discover();
    match cmd {
        RewardCommand::Prompt { env, task, prompts } => {
            let env = Env::load(&env, &roots)?;
            let dir = prompts.unwrap_or_else(|| roots.prompts_dir());
            print!("{}", reward_prompt(env.compiled(), &task, &dir)?);
            Ok(())
        }
        RewardCommand::Check {
            env,
            program,
            steps,
            seed,
        } => check(&env, &program, steps, seed, &roots),
    }
}

fn check(env: &str, path: &Path, steps: u64, seed: u64, roots: &AssetRoots) -> Result<()> {
    if steps == 0 {
        bail!("--steps must be at least 1");
    }
    let mut env = Env::load(env, roots)?;
    let mut program = load_program(path, &env.compiled().layout)?;
    println!(
        "compiled {} for env `{}`",
        path.display(),
        env.compiled().spec.name
    );
    let success_when = env.compiled().spec.rewards.success_when;
    let mut stats = RewardStats::default();
    let mut out = RewardOut::default();
    let (mut episodes, mut successes, mut hit) = (0u64, 0u64, false);
    env.reset(Some(seed))?;
    for step in 0..steps {
        let action = env.sample_action();
        let (_, flags) = env.step(&action)?;
        program
            .reward_into(env.state(), &mut out)
            .with_context(|| format!("at step {step} of the check rollout (seed {seed})"))?;
        stats.push(&out);
        let ok = program.success(env.state())?;
        let done = flags.terminated || flags.truncated;
        if let Some(ok) = ok {
            match success_when {
                SuccessWhen::Any => hit |= ok,
                SuccessWhen::End => hit = ok,
            }
        }
        if done {
            episodes += 1;
            successes += hit as u64;
            hit = false;
            env.reset(None)?;
        }
    }
    println!("{steps} random-policy steps, {episodes} episodes ended\n");
    print!("{}", stats.table());
    if program.has_success() {
        println!("\nsuccess: {successes}/{episodes} ended episodes (random policy)");
    } else {
        println!("\nsuccess: the program defines no success(s)");
    }
    Ok(())
}
