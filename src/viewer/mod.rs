//! The interactive viewer (`rewardsmith view`): a bevy window over the live
//! simulation, drawn from the same scene description as the CPU frames renderer
//! ([`crate::render::scene`]) and seen through the env camera.
//!
//! Controls: space play/pause, `.`/N single step, R reset (new seed), `[`/`]` speed
//! ×¼…×8, mouse orbit (left drag), pan (right or middle drag) and zoom (wheel), C back
//! to the env camera, F follow the next body, V start/stop recording a GIF, H hide the
//! help, Esc quit; in a comparison digits or clicks rank the viewports, Backspace takes
//! back, Enter submits. The overlay shows the episode's return, step, success flag and
//! reward with its components, and plots them over the episode. A `--reward` file is
//! reloaded when it changes on disk.
//!
//! `--screenshot FILE --frames N` and `--record FILE --frames N` step the env once per
//! rendered frame (not by the clock), so what they show is deterministic.

mod app;
pub mod camera;
mod capture;
pub mod compare;
mod controls;
mod error;
pub mod layout;
pub mod mesh;
mod overlay;
pub mod plot;
pub mod reload;
pub mod sim;

use std::path::PathBuf;

pub use error::ViewerError;

use crate::env::AssetRoots;
use compare::CompareSet;
use sim::{Sim, SimSpec};

/// Slowest and fastest playback speed.
pub const SPEED_RANGE: (f64, f64) = (0.25, 8.0);

/// What the session produces besides the window.
#[derive(Debug, Clone, PartialEq)]
pub enum Output {
    /// An interactive window until it is closed.
    Window,
    /// Step `frames` frames, save a PNG of the window to `path`, exit.
    Screenshot {
        /// The PNG.
        path: PathBuf,
        /// Frames (env steps) before the capture.
        frames: u32,
    },
    /// Capture `frames` frames (one env step each) and write them as a GIF or MP4.
    Record {
        /// The video (`.mp4` needs ffmpeg; anything else is a GIF).
        path: PathBuf,
        /// Frames to record.
        frames: u32,
    },
}

/// A viewer session.
#[derive(Debug, Clone)]
pub struct ViewOptions {
    /// One world per entry (several: a comparison grid).
    pub sims: Vec<SimSpec>,
    /// The comparison the worlds come from, for ranking.
    pub compare: Option<CompareSet>,
    /// Seed of the first episode (every world gets the same).
    pub seed: u64,
    /// Playback speed (real time × speed).
    pub speed: f64,
    /// Viewport size relative to the env camera's image (default: 1 when capturing,
    /// else enough for a comfortable window).
    pub scale: Option<f32>,
    /// Screenshot, recording or plain window.
    pub output: Output,
}

/// Open the viewer and run it until the window closes or the capture is written.
pub fn run(opts: ViewOptions, roots: &AssetRoots) -> Result<(), ViewerError> {
    if opts.sims.is_empty() {
        return Err(ViewerError::Usage("nothing to show".into()));
    }
    if !(opts.speed.is_finite() && (SPEED_RANGE.0..=SPEED_RANGE.1).contains(&opts.speed)) {
        return Err(ViewerError::Usage(format!(
            "--speed must be between {} and {}, got {}",
            SPEED_RANGE.0, SPEED_RANGE.1, opts.speed
        )));
    }
    if let Some(s) = opts.scale
        && !(s.is_finite() && (0.1..=8.0).contains(&s))
    {
        return Err(ViewerError::Usage(format!(
            "--scale must be between 0.1 and 8, got {s}"
        )));
    }
    if let Output::Screenshot { frames: 0, .. } | Output::Record { frames: 0, .. } = opts.output {
        return Err(ViewerError::Usage("--frames must be at least 1".into()));
    }
    check_display()?;
    let sims = opts
        .sims
        .iter()
        .map(|s| Sim::new(s, roots, opts.seed))
        .collect::<Result<Vec<_>, _>>()?;
    app::run(opts, sims)
}

/// Fail early, with advice, when there is no X display to open a window on.
fn check_display() -> Result<(), ViewerError> {
    match std::env::var("DISPLAY") {
        Ok(d) if !d.trim().is_empty() => Ok(()),
        _ => Err(ViewerError::NoDisplay("DISPLAY is not set".into())),
    }
}
