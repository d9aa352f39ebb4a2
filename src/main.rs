//! The `rewardsmith` command line: parse arguments, then call the library.

use anyhow::Result;
use clap::{Parser, Subcommand};

mod cli;

/// Reward synthesis for robot learning: rapier3d envs, sandboxed reward programs.
#[derive(Parser, Debug)]
#[command(name = "rewardsmith", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// List and inspect environments.
    Envs {
        #[command(subcommand)]
        command: cli::envs::EnvsCommand,
    },
    /// Reward programs: the LLM prompt for an env, and checking a program.
    Reward {
        #[command(subcommand)]
        command: cli::reward::RewardCommand,
    },
    /// Run a policy in an env and write every step as JSON lines.
    Rollout(cli::rollout::RolloutArgs),
    /// Run a policy in an env and write the camera's frames (PNGs, GIF, optional MP4).
    Frames(cli::frames::FramesArgs),
    /// Train a policy (PPO or SAC) on an env with a reward program; writes a run directory.
    Train(cli::train::TrainArgs),
    /// Run a list or grid of training runs in a worker pool; write results.csv/.md.
    Batch(cli::batch::BatchArgs),
    /// Evaluate a run's latest checkpoint with the deterministic policy.
    Eval(cli::train::EvalArgs),
}

fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

fn run(cli: Cli) -> Result<()> {
    match cli.command {
        Command::Envs { command } => cli::envs::run(command),
        Command::Reward { command } => cli::reward::run(command),
        Command::Rollout(args) => cli::rollout::run(args),
        Command::Frames(args) => cli::frames::run(args),
        Command::Train(args) => cli::train::run(args),
        Command::Eval(args) => cli::train::eval(args),
        Command::Batch(args) => cli::batch::run(args),
    }
}
