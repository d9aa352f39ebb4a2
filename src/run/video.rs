//! Evaluation videos: one episode of a run's deterministic policy, rendered from the env
//! camera and written as an animated GIF (and MP4 when `ffmpeg` is on PATH).

use std::path::{Path, PathBuf};

use crate::env::{AssetRoots, Env};
use crate::render::{Frame, Renderer, video};
use crate::rl::Actor;
use crate::run::{RunConfig, RunError};

/// Fastest frame rate written: GIF delays are whole hundredths of a second, and most
/// viewers slow anything faster than 50 frames/s down.
const MAX_FPS: f64 = 50.0;

/// Frames of one episode (the reset frame, then one per kept step) played back in real
/// time, and the frame rate to show them at.
pub struct EpisodeVideo {
    /// The frames.
    pub frames: Vec<Frame>,
    /// Frames per second for real-time playback.
    pub fps: f64,
    /// The episode's return under the run's reward is not known here; its length is.
    pub steps: u32,
}

/// Run one episode of `actor` in the run's env from `seed` (at most `max_steps`
/// steps) and render it, keeping every k-th step so playback is real time at ≤ 50 fps.
pub fn record_episode(
    cfg: &RunConfig,
    actor: &Actor,
    seed: u64,
    max_steps: u32,
) -> Result<EpisodeVideo, RunError> {
    let roots = AssetRoots::discover();
    let mut env = Env::load(&cfg.env.to_string_lossy(), &roots)?;
    let renderer = Renderer::for_env(&env)?;
    let space = env.compiled().action_space.clone();
    let dim = env.compiled().obs_dim();
    let dt = env.compiled().spec.sim.control_dt;
    let stride = ((1.0 / dt) / MAX_FPS).ceil().max(1.0) as u32;
    let mut obs = env.reset(Some(seed))?;
    let mut frames = vec![renderer.render(env.world())];
    let mut steps = 0;
    while steps < max_steps {
        let action = actor.act(&obs, dim, &space);
        let (next, flags) = env.step(&action)?;
        steps += 1;
        let done = flags.terminated || flags.truncated;
        if steps % stride == 0 || done {
            frames.push(renderer.render(env.world()));
        }
        if done {
            break;
        }
        obs = next;
    }
    Ok(EpisodeVideo {
        frames,
        fps: 1.0 / (dt * stride as f64),
        steps,
    })
}

/// Write `v` to `path`: an MP4 if `path` ends in `.mp4` (needs `ffmpeg`), else a GIF,
/// plus an MP4 beside the GIF when `ffmpeg` is on PATH. Returns the files written.
pub fn write_video(path: &Path, v: &EpisodeVideo) -> Result<Vec<PathBuf>, RunError> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(RunError::io("creating", dir))?;
    }
    let is_mp4 = path
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("mp4"));
    if is_mp4 {
        if !video::ffmpeg_available() {
            return Err(RunError::NeedsFfmpeg {
                path: path.to_path_buf(),
            });
        }
        video::write_mp4(path, &v.frames, v.fps)?;
        return Ok(vec![path.to_path_buf()]);
    }
    video::write_gif(path, &v.frames, v.fps)?;
    let mut written = vec![path.to_path_buf()];
    if video::ffmpeg_available() {
        let mp4 = path.with_extension("mp4");
        video::write_mp4(&mp4, &v.frames, v.fps)?;
        written.push(mp4);
    }
    Ok(written)
}
