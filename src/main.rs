//! The `rewardsmith` command line: parse arguments, then call the library.

use anyhow::Result;
use clap::{Parser, Subcommand};

mod cli;

/// mimalloc keeps freed tensor buffers for reuse; see Cargo.toml.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

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
    /// Reward programs (the LLM prompt for an env, checking a program) and CLIP scores of frames.
    Reward {
        #[command(subcommand)]
        command: cli::reward::RewardCommand,
    },
    /// CLIP models: list known ones, pull (download) or import a local export.
    Models {
        #[command(subcommand)]
        command: cli::models::ModelsCommand,
    },
    /// Run a policy in an env and write every step as JSON lines.
    Rollout(cli::rollout::RolloutArgs),
    /// Run a policy in an env and write the camera's frames (PNGs, GIF, optional MP4).
    Frames(cli::frames::FramesArgs),
    /// The reward-synthesis loop: an LLM writes reward programs, rewardsmith checks and
    /// evaluates them and feeds the results back, round after round.
    Synth(cli::synth::SynthArgs),
    /// Train a policy (PPO or SAC) on an env with a reward program; writes a run directory.
    Train(cli::train::TrainArgs),
    /// Run a list or grid of training runs in a worker pool; write results.csv/.md.
    Batch(cli::batch::BatchArgs),
    /// Evaluate a run's latest (or best) checkpoint with the deterministic policy.
    Eval(cli::train::EvalArgs),
    /// Act on a reward program at once, no training: predictive-sampling model-predictive
    /// control over copies of the world; writes rollout.jsonl, rollout.gif, summary.json.
    Mpc(cli::mpc::MpcArgs),
    /// Language to Rewards: an LLM describes the motion and writes a reward program with
    /// parameters; the controller runs it at once; follow-ups correct it.
    L2r(cli::l2r::L2rArgs),
    /// Watch an env live in a window (bevy): a policy or a run acting, the reward and its
    /// components plotted, reward hot reload, runs compared side by side.
    View(cli::view::ViewArgs),
}

fn main() -> std::process::ExitCode {
    restore_sigpipe();
    let cli = Cli::parse();
    match run(cli) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

/// Die quietly when stdout is a closed pipe (`rewardsmith envs show ant | head`), as
/// command-line tools do, instead of panicking inside `println!`.
fn restore_sigpipe() {
    #[cfg(unix)]
    // SAFETY: called first thing in main, before any thread exists; SIG_DFL is a
    // valid disposition for SIGPIPE.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
}

fn run(cli: Cli) -> Result<()> {
    match cli.command {
        Command::Envs { command } => cli::envs::run(command),
        Command::Reward { command } => cli::reward::run(command),
        Command::Models { command } => cli::models::run(command),
        Command::Rollout(args) => cli::rollout::run(args),
        Command::Frames(args) => cli::frames::run(args),
        Command::Synth(args) => cli::synth::run(args),
        Command::Train(args) => cli::train::run(args),
        Command::Eval(args) => cli::train::eval(args),
        Command::Batch(args) => cli::batch::run(args),
        Command::Mpc(args) => cli::mpc::run(args),
        Command::L2r(args) => cli::l2r::run(args),
        Command::View(args) => cli::view::run(args),
    }
}
