//! `rewardsmith reward prompt|check`.

use anyhow::{Result, bail};
use clap::Subcommand;
use rewardsmith::env::{AssetRoots, Env};
use rewardsmith::reward::check::check_program;
use rewardsmith::reward::load_program;
use rewardsmith::reward::prompt::reward_prompt;
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
    let report = check_program(&mut env, &mut program, steps, seed)?;
    print!("{}", report.text());
    Ok(())
}
