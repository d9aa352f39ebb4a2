//! `rewardsmith train` and `rewardsmith eval`.

use crate::cli::clip_flags::ClipFlags;
use crate::cli::flags::{DeviceFlag, ENV_HELP, SeedFlag, ThreadsFlag};
use anyhow::{Context, Result, bail};
use clap::Args;
use rewardsmith::env::AssetRoots;
use rewardsmith::run::{self, Algo, Metrics, RunConfig, TrainOptions};
use std::path::PathBuf;

/// Arguments of `train`.
#[derive(Args, Debug)]
pub struct TrainArgs {
    #[arg(long, value_name = "ENV", required_unless_present = "resume", help = ENV_HELP)]
    env: Option<String>,
    /// Reward program (`.luau`) or reward file (`.toml`: weighted terms, ensembles,
    /// constraints, subgoals); defaults to the env's own reward in `rewards/`.
    #[arg(long)]
    reward: Option<PathBuf>,
    /// Algorithm (default: the env's `[train] algo`, else ppo).
    #[arg(long, value_enum)]
    algo: Option<Algo>,
    /// Total env steps (default: the env's `[train] total_steps`, else 1,000,000).
    #[arg(long)]
    steps: Option<u64>,
    /// Parallel envs (default: the env's `[train] n_envs`, else 8 for PPO, 1 for SAC).
    #[arg(long)]
    envs: Option<usize>,
    /// SAC: gradient steps per env step, summed over the envs (default: the env's
    /// `[train] utd`, else 1).
    #[arg(long, value_name = "RATIO")]
    utd: Option<f64>,
    #[command(flatten)]
    seed: SeedFlag,
    /// Run directory (default: `runs/<env>-<algo>-s<seed>`).
    #[arg(long)]
    out: Option<PathBuf>,
    #[command(flatten)]
    device: DeviceFlag,
    /// Updates between checkpoints (default: the env's `[train] checkpoint_every`, else 10).
    #[arg(long)]
    checkpoint_every: Option<u64>,
    /// Evaluate the deterministic policy every N updates (PPO) or iterations (SAC) on
    /// `eval_episodes` held-out episodes and keep the best in `checkpoints/best`, as SB3's
    /// `EvalCallback` (default: the env's `[train] eval_every`, else 0 = never).
    #[arg(long, value_name = "N")]
    eval_every: Option<u64>,
    /// Continue the run in this directory from its latest checkpoint, with the settings
    /// of its config.toml (flags that would change them are refused).
    #[arg(long, value_name = "DIR", conflicts_with_all = [
        "env", "reward", "algo", "steps", "envs", "utd", "seed", "out", "device",
        "checkpoint_every", "eval_every", "stop_return", "clip_goal",
    ])]
    resume: Option<PathBuf>,
    /// Stop after this many updates in total, as if killed (for resume tests).
    #[arg(long, hide = true)]
    stop_after: Option<u64>,
    /// The CLIP reward term.
    #[command(flatten)]
    clip: ClipFlags,
    /// Write a short evaluation video (GIF) to `videos/` every K updates and at the end;
    /// 0 writes none.
    #[arg(long, default_value_t = 50)]
    video_every: u64,
    #[command(flatten)]
    threads: ThreadsFlag,
    /// Stop early once the mean return of the last 100 training episodes reaches R
    /// (checked after every update; recorded in summary.json as `stopped_at_return`).
    #[arg(long, value_name = "R")]
    stop_return: Option<f64>,
}

/// Run `train`.
pub fn run(args: TrainArgs) -> Result<()> {
    args.threads.install()?;
    let (cfg, dir, resume) = match &args.resume {
        Some(dir) => (RunConfig::load(dir)?, dir.clone(), true),
        None => {
            let env = args.env.as_deref().context("--env is required")?;
            let roots = AssetRoots::discover();
            let mut cfg = RunConfig::for_env(env, &roots)?;
            if let Some(r) = &args.reward {
                if !r.is_file() {
                    bail!("{}: no such reward program", r.display());
                }
                cfg.reward = std::path::absolute(r)?;
            }
            if let Some(algo) = args.algo {
                cfg.set_algo(algo)?;
            }
            cfg.algo.override_run(&run::RunOverrides {
                steps: args.steps,
                envs: args.envs,
                checkpoint_every: args.checkpoint_every,
                eval_every: args.eval_every,
                utd: args.utd,
            })?;
            cfg.seed = args.seed.seed;
            cfg.device = args.device.device;
            cfg.clip = args.clip.config(args.reward.is_some())?;
            if let Some(r) = args.stop_return.filter(|r| !r.is_finite()) {
                bail!("--stop-return {r}: expected a finite return");
            }
            cfg.stop_return = args.stop_return;
            cfg.validate()?;
            let stem = std::path::Path::new(env)
                .file_stem()
                .map_or(env.to_string(), |s| s.to_string_lossy().into_owned());
            let dir = args.out.clone().unwrap_or_else(|| {
                PathBuf::from(format!("runs/{stem}-{}-s{}", cfg.algo.algo(), cfg.seed))
            });
            (cfg, dir, false)
        }
    };
    let bar = crate::cli::progress_bar(cfg.shape().total_steps, "steps");
    let opts = TrainOptions {
        resume,
        stop_after: args.stop_after,
        video_every: (args.video_every > 0).then_some(args.video_every),
    };
    let fmt = |x: Option<f64>, p: usize| x.map_or("-".to_string(), |v| format!("{v:.p$}"));
    let result = run::train(&cfg, &dir, &opts, |m: &Metrics| {
        bar.set_position(m.global_step);
        bar.set_message(format!(
            "return {}  success {}  ({:.0} steps/s)",
            fmt(m.ep_return, 1),
            fmt(m.success_rate, 2),
            m.steps_per_s
        ));
    });
    bar.finish_and_clear();
    match result? {
        Some(s) => {
            if let Some(r) = &s.stopped_at_return {
                eprintln!(
                    "stopped early: mean return of the last {} episodes {:.1} ≥ {} after {} steps ({:.2} s)",
                    r.window, r.mean_return, r.threshold, r.step, r.wall_s
                );
            }
            eprintln!(
                "trained {} steps in {:.1} s; eval over {} episodes: return {:.2} ± {:.2}, success {:.2}, length {:.1}",
                s.steps,
                s.wall_s,
                s.eval.episodes,
                s.eval.mean_return,
                s.eval.std_return,
                s.eval.success_rate,
                s.eval.mean_length
            );
            if let Some(c) = s.clip_s {
                eprintln!(
                    "CLIP reward: {c:.1} s, {:.0}% of training wall time",
                    100.0 * c / s.wall_s.max(1e-9)
                );
            }
            eprintln!("run directory: {}", dir.display());
        }
        None => eprintln!(
            "stopped early as asked; resume with `rewardsmith train --resume {}`",
            dir.display()
        ),
    }
    Ok(())
}

/// Arguments of `eval`.
#[derive(Args, Debug)]
pub struct EvalArgs {
    /// Run directory.
    #[arg(long)]
    run: PathBuf,
    /// Episodes (one per env, run in parallel).
    #[arg(long, default_value_t = 10)]
    episodes: usize,
    /// Seed of the first episode (default: the run's seed + 10000, as its summary).
    #[arg(long)]
    seed: Option<u64>,
    /// Which policy: the `latest` checkpoint's or the `best` one the periodic
    /// evaluations kept (`train --eval-every`).
    #[arg(long, default_value = "latest", value_parser = ["latest", "best"])]
    checkpoint: String,
    /// Also record the first episode to this file: a GIF (plus an MP4 beside it when
    /// ffmpeg is on PATH), or an MP4 if the name ends in `.mp4`.
    #[arg(long)]
    video: Option<PathBuf>,
}

/// Run `eval`: the deterministic policy (mean action) of the latest or the best checkpoint.
pub fn eval(args: EvalArgs) -> Result<()> {
    let cfg = RunConfig::load(&args.run)?;
    let actor = if args.checkpoint == "best" {
        let best = run::best_dir(&args.run);
        if !best.join("actor.json").is_file() {
            bail!(
                "{}: no best policy (train with --eval-every N to keep one)",
                args.run.display()
            );
        }
        run::load_actor(&best)?
    } else {
        run::load_actor(&args.run)?
    };
    let r = run::evaluate(
        &cfg,
        &actor,
        args.episodes,
        args.seed.unwrap_or(cfg.seed + run::FINAL_EVAL_SEED),
    )?;
    println!("{}", serde_json::to_string_pretty(&r)?);
    if let Some(path) = &args.video {
        // The whole episode: the env's horizon ends it.
        let v = run::video::record_episode(&cfg, &actor, r.seed, u32::MAX)?;
        for f in run::video::write_video(path, &v)? {
            eprintln!(
                "wrote {} ({} frames, {} steps)",
                f.display(),
                v.frames.len(),
                v.steps
            );
        }
    }
    eprintln!(
        "{} episodes: mean return {:.2} ± {:.2}, success rate {:.2}, mean length {:.1}",
        r.episodes, r.mean_return, r.std_return, r.success_rate, r.mean_length
    );
    Ok(())
}
