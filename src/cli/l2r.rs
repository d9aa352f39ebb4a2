//! `rewardsmith l2r`: Language to Rewards — an instruction (and follow-up corrections)
//! through the motion-descriptor and reward-coder prompts to a program, run at once by
//! the predictive-sampling controller.

use anyhow::Result;
use clap::{Args, ValueEnum};
use rewardsmith::env::AssetRoots;
use rewardsmith::mpc::l2r::{L2rOptions, L2rOutcome, run_l2r};
use rewardsmith::synth::config::{Backend, LlmSettings, SynthConfig};
use std::path::PathBuf;

use crate::cli::mpc::PlannerFlags;

/// `--llm`.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum LlmKind {
    /// An OpenAI-compatible endpoint (`--llm-url`).
    Http,
    /// Write each conversation to a file; read the reply a person writes.
    Manual,
}

/// Arguments of `l2r`.
#[derive(Args, Debug)]
pub struct L2rArgs {
    /// Built-in env name or path to a spec file (it needs an [mpc] table).
    #[arg(long)]
    env: String,
    /// What the robot should do, in words.
    #[arg(long)]
    instruction: String,
    /// A correction after watching the result; repeatable, one turn each, in order.
    #[arg(long = "follow-up", value_name = "TEXT")]
    follow_up: Vec<String>,
    /// LLM backend.
    #[arg(long, value_enum)]
    llm: Option<LlmKind>,
    /// Base URL of an OpenAI-compatible API (e.g. http://127.0.0.1:8000/v1).
    #[arg(long)]
    llm_url: Option<String>,
    /// Model name.
    #[arg(long)]
    llm_model: Option<String>,
    /// Environment variable holding the API key.
    #[arg(long)]
    llm_key_env: Option<String>,
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

/// Run `l2r`.
pub fn run(a: L2rArgs) -> Result<()> {
    let roots = AssetRoots::discover();
    let mut llm = match &a.config {
        Some(p) => SynthConfig::load(p)?.llm,
        None => LlmSettings::default(),
    };
    if let Some(v) = a.llm {
        llm.backend = match v {
            LlmKind::Http => Backend::Http,
            LlmKind::Manual => Backend::Manual,
        };
    }
    if let Some(v) = a.llm_url {
        llm.url = v;
    }
    if let Some(v) = a.llm_model {
        llm.model = v;
    }
    if let Some(v) = a.llm_key_env {
        llm.key_env = v;
    }
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
            Ok(())
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
            std::process::exit(2)
        }
    }
}
