//! Keyboard and mouse: playback, camera and ranking.

use bevy::input::mouse::{AccumulatedMouseMotion, AccumulatedMouseScroll, MouseScrollUnit};
use bevy::prelude::*;
use bevy::window::PrimaryWindow;

use super::SPEED_RANGE;
use super::ViewerSet;
use super::camera::ViewCamera;
use super::inspect::Inspected;
use super::overlay::OverlayState;
use super::pick::{pick_body, viewport_ray};
use super::resources::{Comparing, Failure, Playback, Sims, Views};

/// Keyboard and mouse: playback keys, camera orbit/pan/zoom, picking and ranking.
pub(crate) struct ControlsPlugin;

impl Plugin for ControlsPlugin {
    fn build(&self, app: &mut App) {
        app.add_systems(Update, (keyboard, mouse).chain().in_set(ViewerSet::Input));
    }
}

/// The digit keys that rank viewports 1–9.
const DIGITS: [KeyCode; 9] = [
    KeyCode::Digit1,
    KeyCode::Digit2,
    KeyCode::Digit3,
    KeyCode::Digit4,
    KeyCode::Digit5,
    KeyCode::Digit6,
    KeyCode::Digit7,
    KeyCode::Digit8,
    KeyCode::Digit9,
];

/// Playback, camera and ranking keys.
#[allow(clippy::too_many_arguments)]
fn keyboard(
    keys: Res<ButtonInput<KeyCode>>,
    mut playback: ResMut<Playback>,
    mut sims: ResMut<Sims>,
    mut cameras: Query<&mut ViewCamera>,
    mut comparing: ResMut<Comparing>,
    mut overlay: ResMut<OverlayState>,
    failure: Res<Failure>,
    mut exit: MessageWriter<AppExit>,
) {
    if keys.just_pressed(KeyCode::Space) {
        playback.paused = !playback.paused;
        playback.acc = 0.0;
    }
    if keys.any_just_pressed([KeyCode::Period, KeyCode::KeyN]) {
        playback.paused = true;
        playback.single_steps += 1;
    }
    if keys.just_pressed(KeyCode::KeyR) {
        match sims.reset_all() {
            Ok(seed) => overlay.note = Some(format!("reset with seed {seed}")),
            Err(e) => failure.set(e),
        }
    }
    if keys.just_pressed(KeyCode::BracketLeft) {
        playback.speed = (playback.speed * 0.5).max(SPEED_RANGE.0);
    }
    if keys.just_pressed(KeyCode::BracketRight) {
        playback.speed = (playback.speed * 2.0).min(SPEED_RANGE.1);
    }
    for mut cam in &mut cameras {
        let Some(sim) = sims.list.get(cam.sim) else {
            continue;
        };
        if keys.just_pressed(KeyCode::KeyC) {
            cam.snap_to_env(sim.env().world());
        }
        if keys.just_pressed(KeyCode::KeyF) {
            cam.cycle_follow(sim.env().world());
        }
    }
    if keys.just_pressed(KeyCode::KeyH) {
        overlay.help = !overlay.help;
    }
    if keys.just_pressed(KeyCode::Escape) {
        exit.write(AppExit::Success);
    }
    if comparing.set.is_none() {
        return;
    }
    let n = sims.list.len();
    for (i, key) in DIGITS.iter().enumerate() {
        if i < n && keys.just_pressed(*key) {
            comparing.ranking.pick(i);
        }
    }
    if keys.just_pressed(KeyCode::Backspace) {
        comparing.ranking.undo();
    }
    if keys.any_just_pressed([KeyCode::Enter, KeyCode::NumpadEnter]) {
        if comparing.ranking.order().is_empty() {
            overlay.note = Some("rank at least one viewport first".into());
            return;
        }
        let Some(set) = &comparing.set else {
            return;
        };
        match comparing.ranking.submit(set) {
            Ok(Some(path)) => {
                eprintln!("wrote {}", path.display());
                exit.write(AppExit::Success);
            }
            Ok(None) => {
                exit.write(AppExit::Success);
            }
            Err(e) => overlay.note = Some(e.to_string()),
        }
    }
}

/// Where the left button went down, to tell a click from a drag.
#[derive(Default)]
pub(crate) struct Press {
    at: Option<Vec2>,
    moved: f32,
}

/// Most pointer travel (pixels) between press and release that is still a click.
const CLICK_SLOP: f32 = 4.0;

/// Orbit, pan and zoom every view together; a click (a press and release without a
/// drag) inspects the body under the cursor, or in a comparison ranks the viewport.
#[allow(clippy::too_many_arguments)]
fn mouse(
    buttons: Res<ButtonInput<MouseButton>>,
    motion: Res<AccumulatedMouseMotion>,
    scroll: Res<AccumulatedMouseScroll>,
    window: Query<&Window, With<PrimaryWindow>>,
    views: Res<Views>,
    sims: Res<Sims>,
    mut cameras: Query<(&mut ViewCamera, &Transform, &Projection)>,
    mut comparing: ResMut<Comparing>,
    mut inspected: ResMut<Inspected>,
    mut press: Local<Press>,
) {
    let cursor = window.single().ok().and_then(Window::cursor_position);
    let over_views = cursor.is_some_and(|c| views.0.view_at(c.x, c.y).is_some());
    if buttons.just_pressed(MouseButton::Left) {
        *press = Press {
            at: cursor.filter(|_| over_views),
            moved: 0.0,
        };
    }
    let d = motion.delta;
    let lines = match scroll.unit {
        MouseScrollUnit::Line => scroll.delta.y,
        MouseScrollUnit::Pixel => scroll.delta.y / 40.0,
    };
    let dragging = press.at.is_some() && buttons.pressed(MouseButton::Left);
    if dragging {
        press.moved += d.length();
    }
    let panning = over_views && buttons.any_pressed([MouseButton::Right, MouseButton::Middle]);
    for (mut cam, _, _) in &mut cameras {
        if dragging {
            cam.orbit.rotate(d);
        }
        if panning {
            cam.orbit.pan(d);
        }
        if over_views && lines != 0.0 {
            cam.orbit.zoom(lines);
        }
    }
    if !buttons.just_released(MouseButton::Left) {
        return;
    }
    let click = press.at.filter(|_| press.moved < CLICK_SLOP);
    press.at = None;
    let Some(at) = click else {
        return;
    };
    let Some(i) = views.0.view_at(at.x, at.y) else {
        return;
    };
    if comparing.set.is_some() {
        comparing.ranking.pick(i);
        return;
    }
    let rect = views.0.views[i];
    let hit = cameras
        .iter()
        .find(|(cam, _, _)| cam.sim == i)
        .zip(sims.list.get(i))
        .and_then(|((_, transform, projection), sim)| {
            let Projection::Perspective(p) = projection else {
                return None;
            };
            let size = Vec2::new(rect.w as f32, rect.h as f32);
            let point = at - Vec2::new(rect.x as f32, rect.y as f32);
            pick_body(
                sim.env().world(),
                viewport_ray(transform, p.fov, size, point),
            )
        });
    inspected.0 = hit;
}
