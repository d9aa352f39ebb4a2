//! The worlds in the window: each world's entities (scene meshes, sky, camera), the
//! systems that step the sims, reload reward programs and pose the entities every frame.

use bevy::camera::Viewport;
use bevy::camera::visibility::RenderLayers;
use bevy::core_pipeline::tonemapping::{DebandDither, Tonemapping};
use bevy::prelude::*;
use bevy::render::view::Msaa;
use rapier3d::prelude::ColliderHandle;

use super::ViewerSet;
use super::camera::ViewCamera;
use super::mesh::{self, Shading};
use super::resources::{Failure, Playback, Sims, Views};
use crate::render::scene::{self, Scene};

/// Most env steps one frame may take (beyond it the playback falls behind real time).
const MAX_STEPS_PER_FRAME: u32 = 64;

/// Spawns the worlds' entities, steps the sims and poses what they show.
pub(crate) struct WorldsPlugin;

impl Plugin for WorldsPlugin {
    fn build(&self, app: &mut App) {
        app.add_systems(Startup, setup_worlds).add_systems(
            Update,
            (step_sims, poll_rewards, pose_worlds)
                .chain()
                .in_set(ViewerSet::Simulate),
        );
    }
}

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
