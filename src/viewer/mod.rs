//! The interactive viewer (`rewardsmith view`): a bevy window over the live
//! simulation, drawn from the same scene description as the CPU frames renderer
//! ([`crate::render::scene`]) and seen through the env camera.
//!
//! Controls: space play/pause, `.`/N single step, R reset (new seed), `[`/`]` speed
//! ×¼…×8, mouse orbit (left drag), pan (right or middle drag) and zoom (wheel), C back
//! to the env camera, F follow the next body, V start/stop recording a GIF (at a fixed
//! frame rate), H hide the help, Esc quit; a click on a body inspects it (on the sky:
//! nothing); in a comparison digits or clicks rank the viewports instead, Backspace
//! takes back, Enter submits.
//! The overlay shows the episode's return, step, success flag and reward with its
//! components, plots them over the episode, and inspects the clicked (or `--inspect`)
//! body: its State fields and its joint's, under the names a reward program reads
//! (`s.body("pole").pos`, `s.joint("hinge").q`). A `--reward` file is reloaded when it
//! changes on disk.
//!
//! The window is the viewports (the env camera's image × `--scale`) beside the panel,
//! or `--size WxH` with the viewports filling what the panel leaves.
//!
//! `--screenshot FILE --frames N` and `--record FILE --frames N` step the env once per
//! rendered frame (not by the clock), so what they show is deterministic.

mod app;
pub mod camera;
mod capture;
pub mod compare;
mod controls;
mod error;
pub mod inspect;
mod keys;
pub mod layout;
pub mod mesh;
mod overlay;
pub mod pick;
pub mod plot;
pub mod reload;
mod resources;
pub mod sim;
mod worlds;

use std::path::PathBuf;

use bevy::ecs::schedule::SystemSet;

pub use error::ViewerError;

use crate::env::AssetRoots;
use compare::CompareSet;
use inspect::Inspected;
use sim::{Sim, SimSpec};

/// The stages of a viewer frame, run in this order: input, simulation, drawing of the
/// overlay, capture of the finished frame. Each plugin puts its systems in one.
#[derive(SystemSet, Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum ViewerSet {
    /// Keyboard and mouse.
    Input,
    /// Stepping the sims and posing their entities.
    Simulate,
    /// The overlay panel and plots.
    Draw,
    /// Screenshots and recordings of the drawn frame.
    Capture,
}

/// Largest window side `--size` accepts, in pixels.
pub const MAX_SIDE: u32 = 8192;

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
    /// Window width and height in pixels, the viewports filling what the panel
    /// leaves (instead of `scale`).
    pub size: Option<(u32, u32)>,
    /// Screenshot, recording or plain window.
    pub output: Output,
    /// Body of the first world to inspect from the start (by name).
    pub inspect: Option<String>,
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
    if let Some((w, h)) = opts.size
        && !(w > layout::PANEL_W && (1..=MAX_SIDE).contains(&w) && (1..=MAX_SIDE).contains(&h))
    {
        return Err(ViewerError::Usage(format!(
            "--size must be wider than the panel ({} pixels) and at most {MAX_SIDE} a side, \
             got {w}x{h}",
            layout::PANEL_W
        )));
    }
    if let Output::Screenshot { frames: 0, .. } | Output::Record { frames: 0, .. } = opts.output {
        return Err(ViewerError::Usage("--frames must be at least 1".into()));
    }
    let sims = opts
        .sims
        .iter()
        .map(|s| Sim::new(s, roots, opts.seed))
        .collect::<Result<Vec<_>, _>>()?;
    let inspected = match (&opts.inspect, sims.first()) {
        (Some(name), Some(first)) => Inspected(Some(body_named(first, name)?)),
        _ => Inspected(None),
    };
    check_display()?;
    app::run(opts, sims, inspected)
}

/// The index of body `name` in `sim`'s world, or an error listing the bodies.
fn body_named(sim: &Sim, name: &str) -> Result<usize, ViewerError> {
    let layout = sim.env().world().layout();
    layout
        .body_index(name)
        .ok_or_else(|| ViewerError::UnknownBody {
            name: name.to_string(),
            env: sim.env().compiled().spec.name.clone(),
            known: layout.bodies.join(", "),
        })
}

/// Fail early, with advice, when there is no X display to open a window on.
fn check_display() -> Result<(), ViewerError> {
    match std::env::var("DISPLAY") {
        Ok(d) if !d.trim().is_empty() => Ok(()),
        _ => Err(ViewerError::NoDisplay("DISPLAY is not set".into())),
    }
}
