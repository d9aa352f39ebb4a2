//! `rewardsmith mpc`: run the predictive-sampling controller on an env with a reward
//! program (and its parameters), no training; write rollout.jsonl, rollout.gif and
//! summary.json.

use anyhow::Result;
use clap::Args;
use rewardsmith::env::AssetRoots;
use rewardsmith::mpc::session::{MpcSummary, SessionOptions, run_session};
use rewardsmith::mpc::{Interpolation, MpcOverrides, MpcSetup};
use rewardsmith::reward::Params;
use std::path::PathBuf;

use crate::cli::flags::{ENV_HELP, SeedFlag, ThreadsFlag};

/// Reward parameters from the command line: `--param name=value` and `--params FILE`.
#[derive(Args, Debug, Clone, Default)]
pub struct ParamFlags {
    /// Set a reward parameter the program declares: `name=value` (a number) or
    /// `name=x,y,z` (a vec3); repeatable, later ones win over `--params`.
    #[arg(long = "param", value_name = "NAME=VALUE")]
    param: Vec<String>,
    /// A JSON object of reward parameters (`{"height": 0.3, "goal": [0.1, 0, 0]}`).
    #[arg(long = "params", value_name = "FILE.json")]
    params: Option<PathBuf>,
}

impl ParamFlags {
    /// The overrides: the file's, then each `--param`.
    pub fn resolve(&self) -> Result<Params> {
        let mut out = match &self.params {
            Some(p) => Params::from_json_file(p)?,
            None => Params::new(),
        };
        for a in &self.param {
            let (name, value) = Params::parse_assignment(a)?;
            out.insert(&name, value);
        }
        Ok(out)
    }

    /// The `--params` file, if any (the viewer watches it).
    #[cfg(feature = "viewer")]
    pub fn file(&self) -> Option<&PathBuf> {
        self.params.as_ref()
    }
}

/// The controller's flags, shared by `mpc` and `l2r`.
#[derive(Args, Debug, Clone)]
pub struct PlannerFlags {
    /// Simulated seconds per episode (default: the env's horizon × control step).
    #[arg(long)]
    seconds: Option<f64>,
    /// Candidate plans per planning step (default: the env's [mpc] samples, else 10).
    #[arg(long)]
    samples: Option<usize>,
    /// Planning horizon in seconds (default: the env's [mpc] horizon, else 0.5).
    #[arg(long)]
    horizon: Option<f64>,
    /// Knot noise as a fraction of half each control's range (default: [mpc], else 0.1).
    #[arg(long)]
    sigma: Option<f64>,
    /// Knots of the control spline (default: [mpc], else 5).
    #[arg(long)]
    knots: Option<usize>,
    /// Spline interpolation: zero, linear or cubic (default: [mpc], else cubic).
    #[arg(long)]
    interpolation: Option<Interpolation>,
    /// Control steps between planning steps (default: [mpc], else 1).
    #[arg(long)]
    replan_every: Option<usize>,
    #[command(flatten)]
    seed: SeedFlag,
    /// Episodes, with seeds SEED, SEED+1, ...; the summary reports the success rate.
    #[arg(long, default_value_t = 1)]
    episodes: u64,
    #[command(flatten)]
    threads: ThreadsFlag,
    /// Skip rendering rollout.gif.
    #[arg(long)]
    no_video: bool,
}

impl PlannerFlags {
    /// The planner overrides.
    pub fn overrides(&self) -> MpcOverrides {
        MpcOverrides {
            samples: self.samples,
            horizon: self.horizon,
            sigma: self.sigma,
            knots: self.knots,
            interpolation: self.interpolation,
            replan_every: self.replan_every,
        }
    }

    /// Set up the rayon pool (`--threads`) and the session options writing to `out`.
    pub fn session(&self, out: PathBuf) -> Result<SessionOptions> {
        self.threads.install()?;
        Ok(SessionOptions {
            seconds: self.seconds,
            seed: self.seed.seed,
            episodes: self.episodes,
            out,
            video: !self.no_video,
            workers: rayon::current_num_threads(),
        })
    }
}

/// Arguments of `mpc`.
#[derive(Args, Debug)]
pub struct MpcArgs {
    /// The env (it needs an [mpc] table).
    #[arg(long, value_name = "ENV", help = ENV_HELP)]
    env: String,
    /// Reward program the planner maximises (default: the env's [mpc] program, else its
    /// own reward).
    #[arg(long)]
    program: Option<PathBuf>,
    #[command(flatten)]
    params: ParamFlags,
    #[command(flatten)]
    planner: PlannerFlags,
    /// Output directory.
    #[arg(long, default_value = "runs/mpc")]
    out: PathBuf,
}

/// Run `mpc`.
pub fn run(args: MpcArgs) -> Result<()> {
    let roots = AssetRoots::discover();
    let params = args.params.resolve()?;
    let opts = args.planner.session(args.out.clone())?;
    let mut setup = MpcSetup::load(
        &args.env,
        &roots,
        args.program.as_deref(),
        &params,
        &args.planner.overrides(),
    )?;
    let c = &setup.config;
    eprintln!(
        "mpc: {} with {} ({} samples, horizon {} s, sigma {}, {} {:?} knots, {} workers)",
        args.env,
        setup.program_path.display(),
        c.samples,
        c.horizon,
        c.sigma,
        c.knots,
        c.interpolation,
        opts.workers
    );
    let bar = crate::cli::progress_bar(opts.episodes, "episodes");
    let summary = run_session(&mut setup, &opts, |e, ep| {
        // suspend, not println: println prints nothing where the bar is hidden (no tty).
        bar.suspend(|| {
            eprintln!(
                "episode {e} (seed {}): success {}, mean reward {:.3}, {} steps, realtime ×{:.2}",
                ep.seed,
                ep.success,
                ep.mean_reward,
                ep.steps,
                ep.simulated_s / ep.wall_s.max(1e-12)
            )
        });
        bar.inc(1);
    })?;
    bar.finish_and_clear();
    print_summary(&summary);
    eprintln!("wrote {}", args.out.display());
    Ok(())
}

/// Print the summary's headline figures (the same as summary.json).
pub fn print_summary(s: &MpcSummary) {
    println!(
        "success: {} (rate {:.3} over {} episodes)\nmean_reward: {:.4}\nplans_per_s: {:.1}\nrealtime_factor: {:.3}",
        s.success,
        s.success_rate,
        s.episodes.len(),
        s.mean_reward,
        s.plans_per_s,
        s.realtime_factor
    );
}
