//! `rewardsmith l2r`: Language to Rewards — an instruction (and follow-up corrections)
//! through the motion-descriptor and reward-coder prompts to a program, run at once by
//! the predictive-sampling controller.

use anyhow::Result;
use clap::Args;
use rewardsmith::env::AssetRoots;
use rewardsmith::mpc::l2r::{L2rOptions, L2rOutcome, run_l2r};
use rewardsmith::synth::config::{LlmSettings, SynthConfig};
use std::path::PathBuf;
use std::process::ExitCode;

use crate::cli::flags::{ENV_HELP, LlmFlags};
use crate::cli::mpc::PlannerFlags;

/// Arguments of `l2r`.
#[derive(Args, Debug)]
pub struct L2rArgs {
    /// The env (it needs an [mpc] table).
    #[arg(long, value_name = "ENV", help = ENV_HELP)]
    env: String,
    /// What the robot should do, in words.
    #[arg(long)]
    instruction: String,
    /// A correction after watching the result; repeatable, one turn each, in order.
    #[arg(long = "follow-up", value_name = "TEXT")]
    follow_up: Vec<String>,
    #[command(flatten)]
    llm: LlmFlags,
    /// Config file with an `[llm]` table (as synth's).
    #[arg(long)]
    config: Option<PathBuf>,
    /// Directory of prompt templates (default: the repository's prompts/).
    #[arg(long)]
    prompts: Option<PathBuf>,
    #[command(flatten)]
    planner: PlannerFlags,
    /// Session directory (rerunning the same command there resumes it).
    #[arg(long, default_value = "runs/l2r")]
    out: PathBuf,
}

/// Run `l2r`: success, or exit status 2 while a manual LLM reply is awaited.
pub fn run(a: L2rArgs) -> Result<ExitCode> {
    let roots = AssetRoots::discover();
    let mut llm = match &a.config {
        Some(p) => SynthConfig::load(p)?.llm,
        None => LlmSettings::default(),
    };
    a.llm.apply(&mut llm);
    let opts = L2rOptions {
        env: a.env,
        instruction: a.instruction,
        follow_ups: a.follow_up,
        out: a.out.clone(),
        llm,
        prompts: a.prompts.unwrap_or_else(|| roots.prompts_dir()),
        overrides: a.planner.overrides(),
        run: a.planner.session(a.out.join("mpc"))?,
    };
    let outcome = run_l2r(&opts, &roots, |t| {
        eprintln!(
            "turn {}: \"{}\"\n{}\n  program {} — success {}, mean reward {:.3}, realtime ×{:.2}",
            t.turn,
            t.said,
            t.description.trim(),
            t.program.display(),
            t.success,
            t.mean_reward,
            t.realtime_factor
        );
    })?;
    match outcome {
        L2rOutcome::Finished(turns) => {
            if let Some(last) = turns.last() {
                println!(
                    "success: {}\nmean_reward: {:.4}\nrealtime_factor: {:.3}",
                    last.success, last.mean_reward, last.realtime_factor
                );
            }
            eprintln!("wrote {}", a.out.display());
            Ok(ExitCode::SUCCESS)
        }
        L2rOutcome::Waiting {
            reply,
            conversation,
        } => {
            eprintln!(
                "waiting for the LLM's reply: send the conversation in {}\nto a chat, write the whole reply to {},\nthen run the same command again",
                conversation.display(),
                reply.display()
            );
            // Not an error: the session is paused. Exit 2 so scripts can tell.
            Ok(ExitCode::from(2))
        }
    }
}
