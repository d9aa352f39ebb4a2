//! The bevy app: plugins and window, the entities of each world (scene meshes, sky,
//! camera), and the systems that step the sims and pose the entities every frame.

use std::panic::AssertUnwindSafe;
use std::sync::{Arc, Mutex, PoisonError};

use bevy::camera::Viewport;
use bevy::camera::visibility::RenderLayers;
use bevy::core_pipeline::tonemapping::{DebandDither, Tonemapping};
use bevy::log::{Level, LogPlugin};
use bevy::prelude::*;
use bevy::render::RenderPlugin;
use bevy::render::settings::{Backends, WgpuSettings};
use bevy::render::view::Msaa;
use bevy::window::{ExitCondition, WindowResolution};
use bevy::winit::{UpdateMode, WinitSettings};
use rapier3d::prelude::ColliderHandle;

use super::camera::ViewCamera;
use super::capture::{self, Capture, KeyRecording};
use super::compare::Ranking;
use super::inspect::Inspected;
use super::layout::{Layout, MIN_VIEW};
use super::mesh::{self, Shading};
use super::resources::{Comparing, Failure, Playback, Sims, Views};
use super::sim::Sim;
use super::{Output, ViewOptions, ViewerError, controls, overlay};
use crate::render::scene::{self, Scene};

/// Viewport height the automatic scale aims at in an interactive window.
const COMFORT_H: f32 = 560.0;
/// Most env steps one frame may take (beyond it the playback falls behind real time).
const MAX_STEPS_PER_FRAME: u32 = 64;

/// A scene mesh of world `sim`, posed by its collider.
#[derive(Component)]
pub(crate) struct SceneMesh {
    sim: usize,
    collider: ColliderHandle,
    shading: Shading,
    mesh: Handle<Mesh>,
}

/// The sky sphere of world `sim`.
#[derive(Component)]
pub(crate) struct Sky(usize);

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
    .add_systems(Startup, (setup_worlds, overlay::setup))
    .add_systems(
        Update,
        (
            controls::keyboard,
            controls::mouse,
            step_sims,
            poll_rewards,
            pose_worlds,
            overlay::update,
            capture::request,
            capture::finish,
            capture::key_record,
        )
            .chain(),
    );
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

/// Spawn every world's meshes, its sky and its camera (each world on its own render
/// layer, seen only by its own camera).
fn setup_worlds(
    mut commands: Commands,
    sims: Res<Sims>,
    views: Res<Views>,
    mut meshes: ResMut<Assets<Mesh>>,
    mut materials: ResMut<Assets<StandardMaterial>>,
    mut images: ResMut<Assets<Image>>,
) {
    let checker = images.add(mesh::checker_image());
    let sky_mesh = meshes.add(mesh::sky_mesh());
    let sky_material = materials.add(mesh::sky_material());
    for (i, sim) in sims.list.iter().enumerate() {
        let layer = RenderLayers::layer(i);
        let world = sim.env().world();
        for m in Scene::from_world(world).meshes {
            let (bevy_mesh, shading) = mesh::build(&m);
            let handle = meshes.add(bevy_mesh);
            commands.spawn((
                Mesh3d(handle.clone()),
                MeshMaterial3d(materials.add(mesh::material(&m, &checker))),
                Transform::IDENTITY,
                layer.clone(),
                SceneMesh {
                    sim: i,
                    collider: m.collider,
                    shading,
                    mesh: handle,
                },
            ));
        }
        commands.spawn((
            Mesh3d(sky_mesh.clone()),
            MeshMaterial3d(sky_material.clone()),
            Transform::IDENTITY,
            layer.clone(),
            Sky(i),
        ));
        let spec = &sim.env().compiled().spec.camera;
        let track = spec
            .track
            .as_ref()
            .and_then(|name| world.layout().body_index(name));
        let view = ViewCamera::new(i, spec, track, world);
        let rect = views.0.views[i];
        commands.spawn((
            Camera3d::default(),
            Camera {
                viewport: Some(Viewport {
                    physical_position: UVec2::new(rect.x, rect.y),
                    physical_size: UVec2::new(rect.w, rect.h),
                    ..default()
                }),
                order: i as isize,
                // A clear covers the whole window, not the viewport: only the first
                // camera clears (every viewport is covered by its sky anyway).
                clear_color: if i == 0 {
                    ClearColorConfig::Default
                } else {
                    ClearColorConfig::None
                },
                ..default()
            },
            Projection::Perspective(PerspectiveProjection {
                fov: (spec.fov_deg as f32).clamp(1.0, 179.0).to_radians(),
                near: 0.02,
                far: 2.0 * mesh::SKY_RADIUS,
                ..default()
            }),
            Tonemapping::None,
            DebandDither::Disabled,
            Msaa::Off,
            view.orbit.transform(),
            layer,
            view,
        ));
    }
}

/// Step every world: by the clock × speed when playing, single steps when paused,
/// exactly one step per frame when capturing.
fn step_sims(
    time: Res<Time>,
    mut playback: ResMut<Playback>,
    mut sims: ResMut<Sims>,
    failure: Res<Failure>,
) {
    let Some(first) = sims.list.first() else {
        return;
    };
    let dt = first.env().compiled().spec.sim.control_dt;
    let steps = if let Some(left) = playback.fixed_left {
        playback.fixed_left = Some(left.saturating_sub(1));
        u32::from(left > 0)
    } else if playback.paused {
        std::mem::take(&mut playback.single_steps)
    } else {
        playback.acc += time.delta_secs_f64() * playback.speed;
        let owed = (playback.acc / dt).floor().max(0.0);
        if owed > f64::from(MAX_STEPS_PER_FRAME) {
            playback.acc = 0.0;
            MAX_STEPS_PER_FRAME
        } else {
            playback.acc -= owed * dt;
            owed as u32
        }
    };
    for _ in 0..steps {
        for sim in &mut sims.list {
            if let Err(e) = sim.step() {
                failure.set(e);
                return;
            }
        }
    }
}

/// Recompile changed reward programs (a few times a second).
fn poll_rewards(time: Res<Time>, mut since: Local<f32>, mut sims: ResMut<Sims>) {
    *since += time.delta_secs();
    if *since < 0.25 {
        return;
    }
    *since = 0.0;
    for sim in &mut sims.list {
        sim.poll_reward();
    }
}

/// Pose every mesh by its collider and shade it for its camera's eye; move the
/// cameras (following bodies) and the skies.
#[allow(clippy::type_complexity)]
fn pose_worlds(
    sims: Res<Sims>,
    mut cameras: Query<(&mut ViewCamera, &mut Transform), (Without<SceneMesh>, Without<Sky>)>,
    mut scene_meshes: Query<(&SceneMesh, &mut Transform), (Without<ViewCamera>, Without<Sky>)>,
    mut skies: Query<(&Sky, &mut Transform), (Without<ViewCamera>, Without<SceneMesh>)>,
    mut meshes: ResMut<Assets<Mesh>>,
    mut colors: Local<Vec<[f32; 4]>>,
) {
    let mut eyes = vec![Vec3::ZERO; sims.list.len()];
    for (mut cam, mut t) in &mut cameras {
        let Some(sim) = sims.list.get(cam.sim) else {
            continue;
        };
        cam.apply_follow(sim.env().world());
        *t = cam.orbit.transform();
        eyes[cam.sim] = t.translation;
    }
    for (sky, mut t) in &mut skies {
        t.translation = eyes.get(sky.0).copied().unwrap_or_default();
    }
    for (m, mut t) in &mut scene_meshes {
        let Some(sim) = sims.list.get(m.sim) else {
            continue;
        };
        let Some(pose) = scene::collider_pose(sim.env().world(), m.collider) else {
            continue;
        };
        let r = pose.rotation;
        let p = pose.translation;
        *t = Transform {
            translation: Vec3::new(p.x, p.y, p.z),
            rotation: Quat::from_xyzw(r.x, r.y, r.z, r.w),
            scale: Vec3::ONE,
        };
        m.shading.shade(&t, eyes[m.sim], &mut colors);
        if let Some(mut mesh) = meshes.get_mut(&m.mesh) {
            mesh.insert_attribute(Mesh::ATTRIBUTE_COLOR, colors.clone());
        }
    }
}
