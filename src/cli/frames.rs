//! `rewardsmith frames`: run a policy and write the env camera's frames as PNGs, an
//! animated GIF and (with ffmpeg on PATH) an MP4.

use crate::cli::flags::{EnvArg, SeedFlag};
use crate::cli::policy::PolicyArg;
use anyhow::{Context, Result, bail};
use clap::Args;
use rewardsmith::env::{AssetRoots, Env};
use rewardsmith::render::{self, Frame, RenderError, Renderer};
use std::path::PathBuf;

/// Arguments of `frames`.
#[derive(Args, Debug)]
pub struct FramesArgs {
    #[command(flatten)]
    env: EnvArg,
    #[arg(long, default_value = "random", help = crate::cli::policy::HELP)]
    policy: String,
    /// Number of env steps; frame 0 is the reset state, frame k the state after step k.
    #[arg(long, default_value_t = 100)]
    steps: u64,
    #[command(flatten)]
    seed: SeedFlag,
    /// Frame width in pixels (default: the env camera's).
    #[arg(long)]
    width: Option<u32>,
    /// Frame height in pixels (default: the env camera's).
    #[arg(long)]
    height: Option<u32>,
    /// Frames per second of the GIF/MP4 (default: 1 / the env's control step).
    #[arg(long)]
    fps: Option<f64>,
    /// Also write `rollout.mp4` through ffmpeg (skipped with a message if absent).
    #[arg(long)]
    mp4: bool,
    /// Output directory (created if missing).
    #[arg(long)]
    out: PathBuf,
}

/// Run `frames`.
pub fn run(args: FramesArgs) -> Result<()> {
    let roots = AssetRoots::discover();
    let mut env = Env::load(&args.env.env, &roots)?;
    let cam = &env.compiled().spec.camera;
    let (w, h) = (
        args.width.unwrap_or(cam.width),
        args.height.unwrap_or(cam.height),
    );
    let fps = args.fps.unwrap_or(1.0 / env.compiled().layout.dt);
    if !(fps.is_finite() && fps > 0.0) {
        bail!("--fps must be positive");
    }
    std::fs::create_dir_all(&args.out)
        .with_context(|| format!("creating {}", args.out.display()))?;
    let policy = PolicyArg::parse(&args.policy, &env)?;
    let mut obs = env.reset(Some(args.seed.seed))?;
    let renderer = Renderer::for_env(&env)?.with_size(w, h)?;
    let bar = crate::cli::progress_bar(args.steps + 1, "frames");
    let mut frames: Vec<Frame> = Vec::with_capacity(args.steps as usize + 1);
    let mut episodes = 0u64;
    for step in 0..=args.steps {
        if step > 0 {
            let action = policy.action(&mut env, &obs);
            let (next, flags) = env.step(&action)?;
            obs = next;
            if flags.terminated || flags.truncated {
                episodes += 1;
                obs = env.reset(None)?;
            }
        }
        let frame = renderer.render(env.world());
        let path = render::video::frame_path(&args.out, frames.len());
        frame
            .save(&path)
            .with_context(|| format!("writing {}", path.display()))?;
        frames.push(frame);
        bar.inc(1);
    }
    bar.finish_and_clear();
    let gif = args.out.join("rollout.gif");
    render::write_gif(&gif, &frames, fps)?;
    eprintln!(
        "wrote {} frames ({w}×{h}, {} episodes ended) and {} to {}",
        frames.len(),
        episodes,
        gif.file_name().unwrap_or_default().to_string_lossy(),
        args.out.display()
    );
    if args.mp4 {
        let mp4 = args.out.join("rollout.mp4");
        match render::write_mp4(&mp4, &frames, fps) {
            Ok(()) => eprintln!("wrote {}", mp4.display()),
            Err(RenderError::NoFfmpeg) => eprintln!("note: {}", RenderError::NoFfmpeg),
            Err(e) => return Err(e.into()),
        }
    }
    Ok(())
}
