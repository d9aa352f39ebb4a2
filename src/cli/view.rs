//! `rewardsmith view`: the interactive bevy viewer (cargo feature `viewer`, off by default).

use anyhow::Result;
use clap::Args;

use crate::cli::clip_flags::ClipFlags;
use crate::cli::flags::SeedFlag;
use crate::cli::mpc::ParamFlags;
use std::path::PathBuf;

/// Arguments of `view`.
#[derive(Args, Debug)]
pub struct ViewArgs {
    /// Built-in env name or path to a spec file (default with --run or --compare: the
    /// run's env).
    #[arg(long, value_name = "ENV")]
    env: Option<String>,
    /// A training run directory whose latest checkpoint's deterministic policy acts.
    #[arg(long, conflicts_with_all = ["policy", "compare"])]
    run: Option<PathBuf>,
    /// `random` or `zero` actions (when no --run is given).
    #[arg(long, value_parser = ["random", "zero"], default_value = "random")]
    policy: String,
    /// Reward program (`.luau`), reloaded when it changes; default: the env's own (with
    /// --run or --compare: each run's; with --mpc: the env's [mpc] program).
    #[arg(long, visible_alias = "program")]
    reward: Option<PathBuf>,
    /// Let the predictive-sampling controller act on the reward program (as
    /// `rewardsmith mpc`), replanning as the program or its parameters change.
    #[arg(long, conflicts_with_all = ["run", "compare"])]
    mpc: bool,
    /// Reward parameters (`--param name=value`, `--params FILE.json`, the file
    /// reloaded when it changes).
    #[command(flatten)]
    params: ParamFlags,
    /// The seed of the first episode (every compared run gets the same).
    #[command(flatten)]
    seed: SeedFlag,
    /// Playback speed, real time × X (0.25 to 8).
    #[arg(long, default_value_t = 1.0)]
    speed: f64,
    /// Viewport size relative to the env camera's image (default: 1 when capturing).
    #[arg(long)]
    scale: Option<f32>,
    /// Window size in pixels, WIDTHxHEIGHT; the viewports fill what the panel leaves
    /// (default: the env camera's image × --scale, beside the panel).
    #[arg(long, value_name = "WxH", value_parser = parse_size, conflicts_with = "scale")]
    size: Option<(u32, u32)>,
    /// Save a PNG of the window after --frames frames (one env step each) and exit.
    #[arg(long, requires = "frames", conflicts_with = "record")]
    screenshot: Option<PathBuf>,
    /// Record --frames frames (one env step each) as a GIF (or MP4 with ffmpeg) and exit.
    #[arg(long, requires = "frames")]
    record: Option<PathBuf>,
    /// Frames to step before --screenshot, or to --record.
    #[arg(long)]
    frames: Option<u32>,
    /// Inspect this body from the start (its State fields and its joint's, in the
    /// panel); a click on another body, or on the sky, changes it.
    #[arg(long, value_name = "BODY")]
    inspect: Option<String>,
    /// A CLIP reward term shown beside the program's components.
    #[command(flatten)]
    clip: ClipFlags,
    /// Runs or synth round directories to show side by side, in lockstep from one seed;
    /// the ranking given (clicks or digits, Enter) goes to ROUND/ranking.json for a
    /// round, else to stdout.
    #[arg(long, num_args = 1.., conflicts_with = "policy")]
    compare: Vec<PathBuf>,
}

/// Run `view`.
#[cfg(feature = "viewer")]
pub fn run(args: ViewArgs) -> Result<()> {
    use anyhow::{Context, bail};
    use rewardsmith::env::AssetRoots;
    use rewardsmith::run::RunConfig;
    use rewardsmith::viewer::sim::{PolicySpec, SimSpec};
    use rewardsmith::viewer::{Output, ViewOptions, compare};

    let roots = AssetRoots::discover();
    let clip = args.clip.config(true)?;
    let params = args.params.resolve()?;
    let params_file = args.params.file().cloned();
    let run_env = |dir: &std::path::Path| -> Result<String> {
        let cfg = RunConfig::load(dir).with_context(|| format!("{}: not a run", dir.display()))?;
        Ok(cfg.env.to_string_lossy().into_owned())
    };
    let (sims, compare_set) = if !args.compare.is_empty() {
        let set = compare::discover(&args.compare)?;
        let sims = set
            .candidates
            .iter()
            .map(|c| {
                let reward = match &args.reward {
                    Some(r) => Some(r.clone()),
                    None => Some(RunConfig::load(&c.run)?.reward),
                };
                Ok(SimSpec {
                    label: c.label.clone(),
                    env: match &args.env {
                        Some(e) => e.clone(),
                        None => run_env(&c.run)?,
                    },
                    policy: PolicySpec::Run(c.run.clone()),
                    reward,
                    clip: clip.clone(),
                    params: params.clone(),
                    params_file: params_file.clone(),
                })
            })
            .collect::<Result<Vec<_>>>()?;
        (sims, Some(set))
    } else if let Some(dir) = &args.run {
        let reward = match &args.reward {
            Some(r) => Some(r.clone()),
            None => Some(RunConfig::load(dir)?.reward),
        };
        let env = match &args.env {
            Some(e) => e.clone(),
            None => run_env(dir)?,
        };
        let label = dir.display().to_string();
        let policy = PolicySpec::Run(dir.clone());
        (
            vec![SimSpec {
                label,
                env,
                policy,
                reward,
                clip: clip.clone(),
                params: params.clone(),
                params_file: params_file.clone(),
            }],
            None,
        )
    } else {
        let Some(env) = args.env.clone() else {
            bail!("--env is required (unless --run or --compare names runs)");
        };
        let policy = match args.policy.as_str() {
            _ if args.mpc => PolicySpec::Mpc,
            "zero" => PolicySpec::Zero,
            _ => PolicySpec::Random,
        };
        let sim = SimSpec {
            label: env.clone(),
            env,
            policy,
            reward: args.reward.clone(),
            clip: clip.clone(),
            params,
            params_file,
        };
        (vec![sim], None)
    };
    let output = match (&args.screenshot, &args.record, args.frames) {
        (Some(path), _, Some(frames)) => Output::Screenshot {
            path: path.clone(),
            frames,
        },
        (_, Some(path), Some(frames)) => Output::Record {
            path: path.clone(),
            frames,
        },
        (None, None, Some(_)) => bail!("--frames goes with --screenshot or --record"),
        _ => Output::Window,
    };
    let opts = ViewOptions {
        sims,
        compare: compare_set,
        seed: args.seed.seed,
        speed: args.speed,
        scale: args.scale,
        size: args.size,
        output,
        inspect: args.inspect.clone(),
    };
    rewardsmith::viewer::run(opts, &roots)?;
    Ok(())
}

/// `WIDTHxHEIGHT` in pixels.
fn parse_size(s: &str) -> std::result::Result<(u32, u32), String> {
    let bad = || format!("expected WIDTHxHEIGHT in pixels (like 1280x800), got `{s}`");
    let (w, h) = s.split_once(['x', 'X']).ok_or_else(bad)?;
    let w: u32 = w.trim().parse().map_err(|_| bad())?;
    let h: u32 = h.trim().parse().map_err(|_| bad())?;
    Ok((w, h))
}

/// Run `view` in a build without the viewer.
#[cfg(not(feature = "viewer"))]
pub fn run(args: ViewArgs) -> Result<()> {
    let _ = args;
    anyhow::bail!(
        "this build has no viewer: build it with `--features viewer` \
         (e.g. `cargo install --path . --features viewer`)"
    )
}
