//! The bevy app: window, renderer and shared resources, the viewer's plugins (one per
//! concern, ordered by [`ViewerSet`]), and turning a renderer panic into an error.

use std::panic::AssertUnwindSafe;
use std::sync::{Arc, Mutex, PoisonError};

use bevy::log::{Level, LogPlugin};
use bevy::prelude::*;
use bevy::render::RenderPlugin;
use bevy::render::settings::{Backends, WgpuSettings};
use bevy::window::{ExitCondition, WindowResolution};
use bevy::winit::{UpdateMode, WinitSettings};

use super::capture::{Capture, CapturePlugin, KeyRecording};
use super::compare::Ranking;
use super::controls::ControlsPlugin;
use super::inspect::Inspected;
use super::layout::{Layout, MIN_VIEW};
use super::overlay::OverlayPlugin;
use super::resources::{Comparing, Failure, Playback, Sims, Views};
use super::sim::Sim;
use super::worlds::WorldsPlugin;
use super::{Output, ViewOptions, ViewerError, ViewerSet};
use crate::render::scene;

/// Viewport height the automatic scale aims at in an interactive window.
const COMFORT_H: f32 = 560.0;

/// Build and run the app; the error of a failed system, or of a renderer or window
/// that could not start, is returned.
pub(crate) fn run(
    opts: ViewOptions,
    sims: Vec<Sim>,
    inspected: Inspected,
) -> Result<(), ViewerError> {
    let failure = Failure::default();
    let slot = failure.clone();
    let outcome = run_catching(move || build(opts, sims, inspected, slot).run());
    if let Some(e) = failure
        .0
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .take()
    {
        return Err(e);
    }
    outcome
}

/// The app for `sims`: plugins, window, resources and systems.
fn build(opts: ViewOptions, sims: Vec<Sim>, inspected: Inspected, failure: Failure) -> App {
    let first = sims[0].env().compiled().spec.camera.clone();
    let scale = opts.scale.unwrap_or(match opts.output {
        Output::Window => (COMFORT_H / first.height as f32).max(1.0),
        _ => 1.0,
    });
    let layout = match opts.size {
        Some((w, h)) => Layout::fit(sims.len(), w, h),
        None => {
            let view_w = ((first.width as f32 * scale).round() as u32).max(MIN_VIEW);
            let view_h = ((first.height as f32 * scale).round() as u32).max(MIN_VIEW);
            Layout::new(sims.len(), view_w, view_h)
        }
    };
    let title = match &opts.compare {
        Some(_) => format!("rewardsmith view: {} runs", sims.len()),
        None => format!("rewardsmith view: {}", sims[0].env().compiled().spec.name),
    };
    let window = Window {
        title,
        resolution: WindowResolution::new(layout.width, layout.height)
            .with_scale_factor_override(1.0),
        resizable: false,
        ..default()
    };
    let backends = Backends::from_env().unwrap_or(Backends::VULKAN);
    let mut app = App::new();
    app.add_plugins(
        DefaultPlugins
            .set(WindowPlugin {
                primary_window: Some(window),
                exit_condition: ExitCondition::OnPrimaryClosed,
                ..default()
            })
            .set(LogPlugin {
                filter: "warn,wgpu=error,naga=error".into(),
                level: Level::WARN,
                ..default()
            })
            .set(RenderPlugin {
                render_creation: WgpuSettings {
                    backends: Some(backends),
                    ..default()
                }
                .into(),
                synchronous_pipeline_compilation: true,
                ..default()
            }),
    )
    .insert_resource(WinitSettings {
        focused_mode: UpdateMode::Continuous,
        unfocused_mode: UpdateMode::Continuous,
    })
    .insert_resource(ClearColor(Color::srgb_from_array(scene::SKY_HORIZON)))
    .insert_resource(Playback {
        paused: false,
        speed: opts.speed,
        acc: 0.0,
        single_steps: 0,
        fixed_left: match opts.output {
            Output::Window => None,
            Output::Screenshot { frames, .. } | Output::Record { frames, .. } => Some(frames),
        },
    })
    .insert_resource(Capture::new(&opts.output, &sims))
    .init_resource::<KeyRecording>()
    .insert_resource(Comparing {
        set: opts.compare.clone(),
        ranking: Ranking::default(),
    })
    .insert_resource(Views(layout))
    .insert_resource(inspected)
    .insert_resource(Sims {
        list: sims,
        seed: opts.seed,
        resets: 0,
    })
    .insert_resource(failure)
    .configure_sets(
        Update,
        (
            ViewerSet::Input,
            ViewerSet::Simulate,
            ViewerSet::Draw,
            ViewerSet::Capture,
        )
            .chain(),
    )
    .add_plugins((ControlsPlugin, WorldsPlugin, OverlayPlugin, CapturePlugin));
    app
}

/// Build and run the app with `start`, turning a panic of the window system or the
/// renderer (no display, no adapter) into an error with advice instead of a backtrace.
fn run_catching(start: impl FnOnce() -> AppExit) -> Result<(), ViewerError> {
    let message: Arc<Mutex<Option<String>>> = Arc::default();
    let slot = message.clone();
    let previous = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let text = info
            .payload()
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| info.payload().downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "unknown panic".into());
        slot.lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get_or_insert(text);
    }));
    let result = std::panic::catch_unwind(AssertUnwindSafe(start));
    std::panic::set_hook(previous);
    let text = message
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .take();
    match (result, text) {
        (Ok(AppExit::Success), _) => Ok(()),
        (Ok(AppExit::Error(code)), _) => Err(ViewerError::Window(format!(
            "the app exited with code {code}"
        ))),
        (Err(_), text) => Err(classify_panic(text.unwrap_or_default())),
    }
}

/// Name the cause of a window-system or renderer panic.
fn classify_panic(text: String) -> ViewerError {
    let lower = text.to_lowercase();
    if lower.contains("gpu") || lower.contains("adapter") || lower.contains("vulkan") {
        ViewerError::NoAdapter(text)
    } else if lower.contains("display")
        || lower.contains("event loop")
        || lower.contains("x11")
        || lower.contains("xlib")
    {
        ViewerError::NoDisplay(text)
    } else {
        ViewerError::Window(text)
    }
}
