//! The `rewardsmith` command line: parse arguments, then call the library.

use anyhow::Result;
use clap::{CommandFactory, FromArgMatches, Parser, Subcommand};
use std::fmt::Write as _;
use std::process::ExitCode;

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
    /// Print a shell completion script (e.g. `rewardsmith completions bash >
    /// ~/.local/share/bash-completion/completions/rewardsmith`).
    Completions {
        /// The shell.
        shell: clap_complete::Shell,
    },
    /// Print the manual page (roff; `rewardsmith man > rewardsmith.1; man ./rewardsmith.1`).
    Man,
}

/// The commands as `rewardsmith --help` lists them: grouped by what a user is doing.
const GROUPS: &[(&str, &[&str])] = &[
    ("Environments", &["envs"]),
    ("Rewards", &["reward"]),
    ("Training", &["train", "eval", "batch"]),
    ("Synthesis", &["synth"]),
    ("Real-time control", &["mpc", "l2r"]),
    ("Viewing and recording", &["view", "frames", "rollout"]),
    ("Models", &["models"]),
    ("Shell", &["completions", "man"]),
];

/// The command line with its commands listed by [`GROUPS`] in `--help`.
fn command() -> clap::Command {
    let cmd = Cli::command();
    let mut listing = String::new();
    for (title, names) in GROUPS {
        let _ = writeln!(listing, "{title}:");
        for name in *names {
            let about = cmd
                .find_subcommand(name)
                .and_then(|c| c.get_about())
                .map(|a| a.to_string())
                .unwrap_or_default();
            let _ = writeln!(listing, "  {name:<12} {about}");
        }
        listing.push('\n');
    }
    cmd.help_template(format!(
        "{{about-with-newline}}\n{{usage-heading}} {{usage}}\n\n{listing}\
         Options:\n{{options}}{{after-help}}"
    ))
}

fn main() -> ExitCode {
    restore_sigpipe();
    let cli = Cli::from_arg_matches(&command().get_matches()).unwrap_or_else(|e| e.exit());
    match run(cli) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
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

fn run(cli: Cli) -> Result<ExitCode> {
    let done = match cli.command {
        Command::Synth(args) => return cli::synth::run(args),
        Command::Envs { command } => cli::envs::run(command),
        Command::Reward { command } => cli::reward::run(command),
        Command::Models { command } => cli::models::run(command),
        Command::Rollout(args) => cli::rollout::run(args),
        Command::Frames(args) => cli::frames::run(args),
        Command::Train(args) => cli::train::run(args),
        Command::Eval(args) => cli::train::eval(args),
        Command::Batch(args) => cli::batch::run(args),
        Command::Mpc(args) => cli::mpc::run(args),
        Command::L2r(args) => return cli::l2r::run(args),
        Command::View(args) => cli::view::run(args),
        Command::Completions { shell } => {
            clap_complete::generate(shell, &mut command(), "rewardsmith", &mut std::io::stdout());
            Ok(())
        }
        Command::Man => clap_mangen::Man::new(command())
            .render(&mut std::io::stdout())
            .map_err(Into::into),
    };
    done.map(|()| ExitCode::SUCCESS)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_command_is_listed_in_exactly_one_group() {
        let cmd = Cli::command();
        for sub in cmd.get_subcommands() {
            let name = sub.get_name();
            let n = GROUPS
                .iter()
                .filter(|(_, names)| names.contains(&name))
                .count();
            assert_eq!(n, 1, "{name}");
        }
        for (_, names) in GROUPS {
            for name in *names {
                assert!(cmd.find_subcommand(name).is_some(), "{name}");
            }
        }
    }

    #[test]
    fn help_lists_the_groups_in_order() {
        let help = command().render_help().to_string();
        let mut at = 0;
        for (title, _) in GROUPS {
            let i = help[at..].find(&format!("{title}:")).expect(title);
            at += i;
        }
        assert!(help.contains("  train        Train a policy"), "{help}");
        Cli::command().debug_assert();
    }
}
