//! `rewardsmith reward prompt|check|lint|clip`.

use crate::cli::flags::{DeviceFlag, EnvArg, SeedFlag, ThreadsFlag};
use anyhow::{Context, Result, bail};
use clap::Subcommand;
use rewardsmith::env::{AssetRoots, Env};
use rewardsmith::reward::check::{check_program, check_reward};
use rewardsmith::reward::clip::runtime::SessionOptions;
use rewardsmith::reward::clip::{
    ClipModel, ClipReward, ClipRewardSpec, LoadOptions, Precision, read_frame, registry,
};
use rewardsmith::reward::prompt::reward_prompt;
use rewardsmith::reward::{builtin_path, hints, is_reward_file, load_program, load_reward};
use std::path::{Path, PathBuf};

/// `reward` subcommands.
#[derive(Subcommand, Debug)]
pub enum RewardCommand {
    /// Print the full LLM prompt for writing a reward program for TASK in ENV.
    Prompt {
        #[command(flatten)]
        env: EnvArg,
        /// The task in words.
        #[arg(long)]
        task: String,
        /// Directory of prompt templates.
        #[arg(long, default_value = None)]
        prompts: Option<PathBuf>,
    },
    /// Compile a reward program, or validate a whole reward file, and run it on a
    /// seeded random rollout; print per-component statistics. Exits non-zero on any
    /// error.
    Check {
        #[command(flatten)]
        env: EnvArg,
        /// The `.luau` program or `.toml` reward file.
        #[arg(long, visible_alias = "reward")]
        program: PathBuf,
        /// Env steps to run.
        #[arg(long, default_value_t = 1000)]
        steps: u64,
        #[command(flatten)]
        seed: SeedFlag,
    },
    /// Suggest the reward API's accessors where a program approximates them (a
    /// hand-copied mass table, typed-in joint limits or action bounds, a site's offset
    /// rotated by hand, a value kept from the previous call). Exits non-zero only if
    /// the program does not compile.
    Lint {
        #[command(flatten)]
        env: EnvArg,
        /// The `.luau` program.
        #[arg(long, visible_alias = "reward")]
        program: PathBuf,
    },
    /// Score PNG frames with a CLIP model against a goal sentence (VLM-RM:
    /// R = 1 − ½‖(x − g)P‖²); prints `path score`, one line per frame.
    Clip(ClipArgs),
}

/// Arguments of `reward clip`.
#[derive(clap::Args, Debug)]
pub struct ClipArgs {
    /// Known model name (`rewardsmith models list`) or a model directory.
    #[arg(long)]
    model: String,
    /// The goal sentence (repeat for several; their embeddings are averaged).
    #[arg(long, required = true)]
    goal: Vec<String>,
    /// A baseline sentence describing the scene without the goal (repeatable).
    #[arg(long)]
    baseline: Vec<String>,
    /// Projection strength α in [0, 1] onto the goal − baseline direction (default: 0.5
    /// with a baseline, 0 without).
    #[arg(long)]
    alpha: Option<f64>,
    #[command(flatten)]
    device: DeviceFlag,
    /// Precision of the image encoder: fp32, fp16 or int8 (the export's matching file).
    #[arg(long, value_enum, default_value_t = Precision::Fp32)]
    precision: Precision,
    /// Frames per CLIP batch.
    #[arg(long, default_value_t = 32)]
    batch: usize,
    #[command(flatten)]
    threads: ThreadsFlag,
    /// PNG frames to score.
    #[arg(required = true)]
    frames: Vec<PathBuf>,
}

/// Run a `reward` subcommand.
pub fn run(cmd: RewardCommand) -> Result<()> {
    let roots = AssetRoots::discover();
    match cmd {
        RewardCommand::Prompt { env, task, prompts } => {
            let env = Env::load(&env.env, &roots)?;
            let dir = prompts.unwrap_or_else(|| roots.prompts_dir());
            print!("{}", reward_prompt(env.compiled(), &task, &dir)?);
            Ok(())
        }
        RewardCommand::Check {
            env,
            program,
            steps,
            seed,
        } => check(&env.env, &program, steps, seed.seed, &roots),
        RewardCommand::Lint { env, program } => lint(&env.env, &program, &roots),
        RewardCommand::Clip(args) => clip(args),
    }
}

fn lint(env: &str, path: &Path, roots: &AssetRoots) -> Result<()> {
    let env = Env::load(env, roots)?;
    let layout = &env.compiled().layout;
    // Compiling first reports what is wrong before what could be better.
    load_program(path, layout)?;
    let source =
        std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    let found = hints(&source, layout);
    if found.is_empty() {
        println!("{}: no suggestions", path.display());
    }
    for h in found {
        println!("{}:{}: {}", path.display(), h.line, h.message);
    }
    Ok(())
}

fn check(env: &str, path: &Path, steps: u64, seed: u64, roots: &AssetRoots) -> Result<()> {
    if steps == 0 {
        bail!("--steps must be at least 1");
    }
    let mut env = Env::load(env, roots)?;
    let mut suggestions = Vec::new();
    let report = if is_reward_file(path) {
        let mut reward = load_reward(path, &env)?;
        // A reward file defines no success(s): the env's own program judges it.
        let success = builtin_path(roots, &env.compiled().spec.rewards.success);
        let mut success = load_reward(&success, &env)?;
        println!(
            "validated {} for env `{}`",
            path.display(),
            env.compiled().spec.name
        );
        check_reward(&mut env, reward.as_mut(), success.as_mut(), steps, seed)?
    } else {
        let mut program = load_program(path, &env.compiled().layout)?;
        println!(
            "compiled {} for env `{}`",
            path.display(),
            env.compiled().spec.name
        );
        let source =
            std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
        suggestions = hints(&source, &env.compiled().layout);
        check_program(&mut env, &mut program, steps, seed)?
    };
    print!("{}", report.text());
    for h in suggestions {
        println!("hint: {}:{}: {}", path.display(), h.line, h.message);
    }
    Ok(())
}

fn clip(args: ClipArgs) -> Result<()> {
    let cache = registry::cache_root();
    let dir = registry::resolve(
        &args.model,
        &cache,
        &registry::manifests_dir(),
        args.precision,
    )?;
    let opts = LoadOptions {
        session: SessionOptions {
            device: args.device.device,
            threads: args.threads.get(),
        },
        precision: args.precision,
        batch: args.batch.max(1),
    };
    let model = ClipModel::load(&dir, opts)?;
    let alpha = args
        .alpha
        .unwrap_or(if args.baseline.is_empty() { 0.0 } else { 0.5 });
    let spec = ClipRewardSpec {
        goal: args.goal,
        baseline: args.baseline,
        alpha,
    };
    let mut reward = ClipReward::new(model, &spec, Some(&cache))?;
    for chunk in args.frames.chunks(args.batch.max(1)) {
        let frames = chunk
            .iter()
            .map(|p| read_frame(p))
            .collect::<Result<Vec<_>, _>>()?;
        let refs: Vec<&_> = frames.iter().collect();
        let scores = reward.score_frames(&refs)?;
        for (p, s) in chunk.iter().zip(scores) {
            println!("{} {s:.6}", p.display());
        }
    }
    Ok(())
}
