//! `--screenshot` and `--record`: capture the window after the frames' env steps and
//! write a PNG, or a GIF/MP4 through [`crate::run::video`], then exit. In a window,
//! the V key starts and stops recording the session as a GIF in the working directory,
//! at [`KEY_FPS`] whatever the render rate.

use std::path::PathBuf;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Instant;

use bevy::prelude::*;
use bevy::render::view::screenshot::{Screenshot, ScreenshotCaptured};

use super::ViewerSet;
use super::overlay::OverlayState;
use super::resources::{Failure, Playback, Sims};
use super::sim::Sim;
use super::{Output, ViewerError};
use crate::error::Chain;
use crate::render::{Frame, RenderError};
use crate::run::video::{EpisodeVideo, write_video};

/// Screenshots, `--record` videos and V-key recordings of the drawn frames.
pub(crate) struct CapturePlugin;

impl Plugin for CapturePlugin {
    fn build(&self, app: &mut App) {
        app.add_systems(
            Update,
            (request, finish, key_record)
                .chain()
                .in_set(ViewerSet::Capture),
        );
    }
}

/// Fastest frame rate of a recording (GIF delays are whole hundredths of a second).
const MAX_FPS: f64 = 50.0;
/// Frame rate of a V-key recording (a GIF delay of 4 hundredths).
pub const KEY_FPS: f64 = 25.0;

type Slots = Arc<Mutex<Vec<Option<Result<Frame, String>>>>>;

enum Kind {
    None,
    Screenshot(PathBuf),
    Record { path: PathBuf, fps: f64 },
}

/// What is being captured and what has arrived.
#[derive(Resource)]
pub(crate) struct Capture {
    kind: Kind,
    frames: u32,
    requested: u32,
    slots: Slots,
    started: Option<Instant>,
    finished: bool,
}

impl Capture {
    /// The capture `output` asks for, over `sims` (their control step sets the
    /// recording's frame rate).
    pub fn new(output: &Output, sims: &[Sim]) -> Self {
        let dt = sims
            .first()
            .map_or(0.02, |s| s.env().compiled().spec.sim.control_dt);
        let (kind, frames) = match output {
            Output::Window => (Kind::None, 0),
            Output::Screenshot { path, frames } => (Kind::Screenshot(path.clone()), *frames),
            Output::Record { path, frames } => (
                Kind::Record {
                    path: path.clone(),
                    fps: (1.0 / dt).min(MAX_FPS),
                },
                *frames,
            ),
        };
        let expected = match kind {
            Kind::None => 0,
            Kind::Screenshot(_) => 1,
            Kind::Record { .. } => frames as usize,
        };
        Self {
            kind,
            frames,
            requested: 0,
            slots: Arc::new(Mutex::new(vec![None; expected])),
            started: None,
            finished: false,
        }
    }
}

fn grab(commands: &mut Commands, slots: &Slots, index: usize) {
    let slots = slots.clone();
    commands
        .spawn(Screenshot::primary_window())
        .observe(move |ev: On<ScreenshotCaptured>| {
            let frame = ev
                .image
                .clone()
                .try_into_dynamic()
                .map_err(|e| e.to_string())
                .and_then(|img| {
                    let rgb = img.to_rgb8();
                    let (w, h) = rgb.dimensions();
                    Frame::from_raw(w, h, rgb.into_raw())
                        .ok_or_else(|| "screenshot has the wrong size".to_string())
                });
            let mut s = slots.lock().unwrap_or_else(PoisonError::into_inner);
            if let Some(slot) = s.get_mut(index) {
                *slot = Some(frame);
            }
        });
}

/// Ask for the frames: the screenshot once the last step is done, a recording's
/// frame after every step.
fn request(mut commands: Commands, playback: Res<Playback>, mut cap: ResMut<Capture>) {
    let Some(left) = playback.fixed_left else {
        return;
    };
    cap.started.get_or_insert_with(Instant::now);
    let stepped = cap.frames - left;
    match cap.kind {
        Kind::None => {}
        Kind::Screenshot(_) => {
            if left == 0 && cap.requested == 0 {
                grab(&mut commands, &cap.slots, 0);
                cap.requested = 1;
            }
        }
        Kind::Record { .. } => {
            if stepped > cap.requested {
                let i = cap.requested as usize;
                grab(&mut commands, &cap.slots, i);
                cap.requested += 1;
            }
        }
    }
}

/// When every frame has arrived, write the file and exit.
fn finish(
    mut cap: ResMut<Capture>,
    sims: Res<Sims>,
    failure: Res<Failure>,
    mut exit: MessageWriter<AppExit>,
) {
    if cap.finished || matches!(cap.kind, Kind::None) {
        return;
    }
    let frames: Vec<Frame> = {
        let slots = cap.slots.lock().unwrap_or_else(PoisonError::into_inner);
        if slots.iter().any(Option::is_none) {
            return;
        }
        let mut frames = Vec::with_capacity(slots.len());
        for s in slots.iter().flatten() {
            match s {
                Ok(f) => frames.push(f.clone()),
                Err(e) => {
                    failure.set(ViewerError::Window(format!("screenshot: {e}")));
                    exit.write(AppExit::error());
                    return;
                }
            }
        }
        frames
    };
    cap.finished = true;
    let secs = cap.started.map_or(0.0, |t| t.elapsed().as_secs_f64());
    let result = match &cap.kind {
        Kind::None => Ok(Vec::new()),
        Kind::Screenshot(path) => match frames.first() {
            Some(f) => f.save(path).map(|()| vec![path.clone()]).map_err(|cause| {
                ViewerError::Render(RenderError::Image {
                    path: path.display().to_string(),
                    cause,
                })
            }),
            None => Ok(Vec::new()),
        },
        Kind::Record { path, fps } => write_video(
            path,
            &EpisodeVideo {
                steps: cap.frames,
                frames,
                fps: *fps,
            },
        )
        .map_err(|e| ViewerError::Window(Chain(&e).to_string())),
    };
    match result {
        Ok(written) => {
            let names: Vec<String> = written.iter().map(|p| p.display().to_string()).collect();
            // What the overlay showed last, for scripts and logs.
            for sim in &sims.list {
                let st = sim.stats();
                let comps: Vec<String> = st
                    .last
                    .components
                    .iter()
                    .map(|(n, v)| format!("{n} {v:.4}"))
                    .collect();
                println!(
                    "{}: step {}, return {:.4}, last reward {:.4} ({})",
                    sim.label(),
                    st.step,
                    st.ret,
                    st.last.total,
                    comps.join(", ")
                );
            }
            eprintln!(
                "{} frames in {secs:.2} s ({:.1} ms per frame); wrote {}",
                cap.frames,
                1000.0 * secs / f64::from(cap.frames.max(1)),
                names.join(", ")
            );
            exit.write(AppExit::Success);
        }
        Err(e) => {
            failure.set(e);
            exit.write(AppExit::error());
        }
    }
}

/// Recording started and stopped with the V key, on the wall clock at [`KEY_FPS`]: a
/// rendered frame stands for every recording frame due since the one before it (a
/// slow render repeats frames, a fast one skips some).
#[derive(Resource, Default)]
pub(crate) struct KeyRecording {
    active: bool,
    stopping: bool,
    slots: Slots,
    /// How many recording frames each slot stands for.
    repeats: Vec<u32>,
    /// Recording frames covered so far.
    taken: u64,
    started: Option<Instant>,
}

/// Recording frames due `secs` after the start at `fps`: the first at once, then one
/// per 1/`fps` seconds.
pub fn frames_due(secs: f64, fps: f64) -> u64 {
    // A hair of slack so a frame due at exactly k/fps is not lost to rounding.
    (secs * fps + 1e-9).floor().max(0.0) as u64 + 1
}

/// V starts a recording, V again stops it; once every frame has arrived it is
/// written to `rewardsmith-view-<unix seconds>.gif` (and `.mp4` with ffmpeg).
fn key_record(
    mut commands: Commands,
    keys: Res<ButtonInput<KeyCode>>,
    playback: Res<Playback>,
    mut rec: ResMut<KeyRecording>,
    mut overlay: ResMut<OverlayState>,
) {
    if playback.fixed_left.is_some() {
        return;
    }
    if keys.just_pressed(KeyCode::KeyV) && !rec.stopping {
        if rec.active {
            rec.active = false;
            rec.stopping = true;
        } else {
            rec.active = true;
            rec.started = Some(Instant::now());
            rec.taken = 0;
            rec.repeats.clear();
            rec.slots
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .clear();
            overlay.note = Some("recording (V to stop)".into());
        }
    }
    let secs = rec.started.map_or(0.0, |t| t.elapsed().as_secs_f64());
    let due = frames_due(secs, KEY_FPS);
    if rec.active && due > rec.taken {
        let index = {
            let mut s = rec.slots.lock().unwrap_or_else(PoisonError::into_inner);
            s.push(None);
            s.len() - 1
        };
        grab(&mut commands, &rec.slots, index);
        let repeat = u32::try_from(due - rec.taken).unwrap_or(u32::MAX);
        rec.repeats.push(repeat);
        rec.taken = due;
    }
    if !rec.stopping {
        return;
    }
    let frames: Vec<Frame> = {
        let s = rec.slots.lock().unwrap_or_else(PoisonError::into_inner);
        if s.iter().any(Option::is_none) {
            return;
        }
        s.iter()
            .zip(&rec.repeats)
            .filter_map(|(f, &k)| match f {
                Some(Ok(f)) => Some(std::iter::repeat_n(f, k as usize)),
                _ => None,
            })
            .flatten()
            .cloned()
            .collect()
    };
    rec.stopping = false;
    let n = frames.len();
    let stamp = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let path = PathBuf::from(format!("rewardsmith-view-{stamp}.gif"));
    let video = EpisodeVideo {
        steps: u32::try_from(n).unwrap_or(u32::MAX),
        frames,
        fps: KEY_FPS,
    };
    overlay.note = Some(match write_video(&path, &video) {
        Ok(written) if n > 0 => format!("wrote {} ({n} frames)", written[0].display()),
        Ok(_) => "nothing recorded".into(),
        Err(e) => format!("recording: {}", Chain(&e)),
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recording_frames_fall_due_at_the_fixed_rate() {
        assert_eq!(frames_due(0.0, KEY_FPS), 1);
        assert_eq!(frames_due(0.039, KEY_FPS), 1);
        assert_eq!(frames_due(0.04, KEY_FPS), 2);
        assert_eq!(frames_due(1.0, KEY_FPS), 26);
        // a render 0.2 s late stands for the 5 frames it covers
        assert_eq!(frames_due(0.2, KEY_FPS) - frames_due(0.0, KEY_FPS), 5);
    }
}
