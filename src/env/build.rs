//! Build a rapier world from an env spec: robot from URDF, extra objects, joints,
//! actuators, and the name tables that `State` exposes.

use rapier3d::parry::utils::Array2;
use rapier3d::prelude::*;
use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;

use crate::env::convert::v3;
use crate::env::ee_control::EeDrive;
use crate::env::robot::load_robot;
use crate::env::spec::{ActuatorKind, Control, EeControlSpec, EnvSpec, ShapeSpec};
use crate::env::state::{JointInfo, SiteInfo, StateLayout, SuccessSource, TaskParamInfo};
use crate::env::world::{Actuator, JointSlot, World, WorldParts};
use crate::env::{AssetRoots, EnvError};

/// Build the world described by `spec` (read from `file`), with robots found under `roots`;
/// `controls` is `spec.controls()`, computed once by the caller.
pub fn build_world(
    spec: &EnvSpec,
    controls: &[Control],
    file: &Path,
    roots: &AssetRoots,
) -> Result<World, EnvError> {
    let mut phys = PhysicsWorld {
        gravity: v3(spec.sim.gravity),
        ..Default::default()
    };
    phys.integration_parameters.dt = spec.physics_dt() as Real;
    phys.integration_parameters.num_solver_iterations = spec.sim.solver_iterations as usize;
    phys.integration_parameters.num_internal_pgs_iterations = spec.sim.pgs_iterations as usize;
    phys.integration_parameters.warmstart_joints = spec.sim.warmstart_joints;
    // No continuous collision detection (MuJoCo has none either): its motion clamping
    // moves a fast multibody link's body without its joint coordinates, pulling the
    // link off its joint for a step, and it costs a sweep per step.
    phys.integration_parameters.max_ccd_substeps = 0;
    let params = &mut phys.integration_parameters;
    if let Some(hz) = spec.sim.contact_frequency {
        params.contact_softness.natural_frequency = hz as Real;
        params.static_contact_softness.natural_frequency = hz as Real;
    }
    if let Some(ratio) = spec.sim.contact_damping_ratio {
        params.contact_softness.damping_ratio = ratio as Real;
        params.static_contact_softness.damping_ratio = ratio as Real;
    }
    if let Some(d) = spec.sim.contact_prediction {
        params.normalized_prediction_distance = d as Real;
    }

    let mut body_names: Vec<String> = Vec::new();
    let mut body_handles: Vec<RigidBodyHandle> = Vec::new();
    let mut body_colors: Vec<[f64; 3]> = Vec::new();
    let mut joints: Vec<JointInfo> = Vec::new();
    let mut joint_slots: Vec<JointSlot> = Vec::new();
    // Every joint (fixed ones too) as a parent→child edge, for moving subtrees at reset.
    let mut edges: Vec<(usize, usize)> = Vec::new();

    if let Some(robot) = &spec.robot {
        let loaded = load_robot(spec, robot, file, &roots.robots, &mut phys)?;
        body_names = loaded.body_names;
        body_handles = loaded.body_handles;
        body_colors = loaded.body_colors;
        joints = loaded.joints;
        joint_slots = loaded.slots;
        edges = loaded.edges;
    }

    let robot_links = body_names.len();
    for o in &spec.objects {
        if body_names.contains(&o.name) {
            return Err(EnvError::Invalid {
                file: file.to_path_buf(),
                key: format!("objects ({})", o.name),
                expected: "a name not used by another body or robot link".into(),
            });
        }
        let rot = Rotation::from_euler(
            rapier3d::glamx::EulerRot::XYZ,
            o.rpy[0] as Real,
            o.rpy[1] as Real,
            o.rpy[2] as Real,
        );
        let pose = Pose::from_parts(v3(o.pos), rot);
        let rb = match o.mass {
            Some(_) if !o.sensor => RigidBodyBuilder::dynamic(),
            _ => RigidBodyBuilder::fixed(),
        }
        .pose(pose)
        .can_sleep(false);
        let mut co = match &o.shape {
            ShapeSpec::Plane { .. } => {
                ColliderBuilder::halfspace(rapier3d::na::Unit::new_unchecked(Vector::Z))
            }
            ShapeSpec::Box { half_extents: h } => {
                ColliderBuilder::cuboid(h[0] as Real, h[1] as Real, h[2] as Real)
            }
            ShapeSpec::Sphere { radius } => ColliderBuilder::ball(*radius as Real),
            ShapeSpec::Capsule {
                half_length,
                radius,
            } => ColliderBuilder::capsule_z(*half_length as Real, *radius as Real),
            ShapeSpec::Cylinder {
                half_height,
                radius,
            } => ColliderBuilder::cylinder(*half_height as Real, *radius as Real)
                // rapier cylinders stand along y; turn them to stand along z.
                .rotation(Vector::X * std::f32::consts::FRAC_PI_2),
            ShapeSpec::Heightfield { heights, size } => heightfield(heights, *size),
        }
        .friction(o.friction as Real)
        // Everything, tested with MuJoCo's either-way rule, so an MJCF robot's geoms
        // with `conaffinity="0"` still touch the ground (see `env::mjcf`).
        .collision_groups(InteractionGroups::new(
            Group::ALL,
            Group::ALL,
            InteractionTestMode::Or,
        ))
        .sensor(o.sensor);
        if let Some(m) = o.mass {
            co = co.mass(m as Real);
        }
        let h = phys.bodies.insert(rb);
        let index = body_names.len();
        phys.colliders
            .insert_with_parent(co.user_data(index as u128), h, &mut phys.bodies);
        body_handles.push(h);
        body_names.push(o.name.clone());
        body_colors.push(o.color);
    }
    // Robot colliders carry their body index too (used for contact reporting).
    for (i, &h) in body_handles.iter().enumerate() {
        let colliders: Vec<ColliderHandle> = phys.bodies[h].colliders().to_vec();
        for c in colliders {
            phys.colliders[c].user_data = i as u128;
        }
    }

    let unknown = |key: String, what: &'static str, name: &str, known: Vec<&str>| {
        EnvError::unknown(file, key, what, name, &known)
    };
    let joint_names = || joints.iter().map(|j| j.name.as_str()).collect::<Vec<_>>();

    let mut actuators = Vec::new();
    for (i, a) in spec.actuators.iter().enumerate() {
        let joint = joints
            .iter()
            .position(|j| j.name == a.joint)
            .ok_or_else(|| {
                unknown(
                    format!("actuators[{i}].joint"),
                    "joint",
                    &a.joint,
                    joint_names(),
                )
            })?;
        let target_range = match (a.kind, a.target_range, joints[joint].limits) {
            (ActuatorKind::PositionDelta, Some(r), _)
            | (ActuatorKind::PositionDelta, None, Some(r)) => r,
            (ActuatorKind::PositionDelta, None, None) => {
                return Err(EnvError::Invalid {
                    file: file.to_path_buf(),
                    key: format!("actuators[{i}] ({}).target_range", a.joint),
                    expected: "a target_range: the joint has no limits to keep a \
                               position_delta target in"
                        .into(),
                });
            }
            _ => [f64::NEG_INFINITY, f64::INFINITY],
        };
        actuators.push(Actuator {
            joint,
            kind: a.kind,
            ctrl_range: a.ctrl_range,
            gain: a.gain(),
            damping: a.damping,
            target_range,
            slot: controls.iter().position(|c| c.actuator == Some(i)),
        });
    }

    let mut task = Vec::new();
    let mut offset = 0;
    for p in &spec.task {
        task.push(TaskParamInfo {
            name: p.name.clone(),
            doc: p.doc.clone(),
            offset,
            dim: p.low.len(),
            low: p.low.clone(),
            high: p.high.clone(),
        });
        offset += p.low.len();
    }
    for (i, o) in spec.objects.iter().enumerate() {
        if let Some(param) = &o.pos_from_task {
            match task.iter().find(|t| &t.name == param) {
                Some(t) if t.dim == 3 => {}
                Some(_) => {
                    return Err(EnvError::Invalid {
                        file: file.to_path_buf(),
                        key: format!("objects[{i}].pos_from_task"),
                        expected: format!("a 3-vector task parameter (`{param}` is not)"),
                    });
                }
                None => {
                    let known = task.iter().map(|t| t.name.as_str()).collect();
                    return Err(unknown(
                        format!("objects[{i}].pos_from_task"),
                        "task parameter",
                        param,
                        known,
                    ));
                }
            }
        }
    }

    let mut sites: Vec<SiteInfo> = Vec::with_capacity(spec.sites.len());
    for (i, site) in spec.sites.iter().enumerate() {
        let body = body_names
            .iter()
            .position(|b| *b == site.body)
            .ok_or_else(|| {
                let known = body_names.iter().map(String::as_str).collect();
                unknown(format!("sites[{i}].body"), "body", &site.body, known)
            })?;
        let invalid = |key: &str, expected: &str| EnvError::Invalid {
            file: file.to_path_buf(),
            key: format!("sites[{i}].{key}"),
            expected: expected.to_string(),
        };
        if sites.iter().any(|s| s.name == site.name) || site.name.is_empty() {
            return Err(invalid("name", "a name no other site has"));
        }
        if !site.offset.iter().all(|x| x.is_finite()) {
            return Err(invalid("offset", "three finite numbers (metres)"));
        }
        sites.push(SiteInfo {
            name: site.name.clone(),
            body,
            offset: site.offset,
        });
    }

    let mut layout = StateLayout {
        bodies: body_names.clone(),
        robot_links,
        body_masses: Vec::new(),
        body_coms: Vec::new(),
        joints: joints.clone(),
        actuators: controls.iter().map(|c| c.name.clone()).collect(),
        action_ranges: controls.iter().map(|c| c.range).collect(),
        task,
        sites,
        success: success_source(spec, roots),
        dt: spec.sim.control_dt,
    };
    let subtrees: Vec<Vec<usize>> = (0..body_names.len()).map(|b| subtree(b, &edges)).collect();
    let ee = match &spec.ee_control {
        Some(ee) => {
            let mut drive = ee_drive(ee, spec, &joints, &body_names, &subtrees, file)?;
            // The world is still in the robot's initial pose (q = 0).
            drive.tilt_axis = *phys.bodies[body_handles[drive.body]].rotation() * Vector::Z;
            Some(drive)
        }
        None => None,
    };
    // Mass properties are otherwise only combined at the first step; the initial State
    // (and its energy) needs them.
    let handles: Vec<RigidBodyHandle> = phys.bodies.iter().map(|(h, _)| h).collect();
    for h in handles {
        phys.bodies[h].recompute_mass_properties_from_colliders(&phys.colliders);
    }
    for &h in &body_handles {
        let rb = &phys.bodies[h];
        let c = rb.local_center_of_mass();
        let mass = if rb.is_dynamic() {
            rb.mass() as f64
        } else {
            0.0
        };
        layout.body_masses.push(mass);
        layout.body_coms.push([c.x as f64, c.y as f64, c.z as f64]);
    }
    let mut world = World::new(WorldParts {
        phys,
        layout: Arc::new(layout),
        bodies: body_handles,
        colors: body_colors,
        joints: joint_slots,
        actuators,
        ee,
        subtrees,
    });
    for (i, a) in spec.actuators.iter().enumerate() {
        if a.kind != ActuatorKind::Torque {
            world.setup_motor(i, a.max_force, a.hold);
        }
    }
    for (i, n) in spec.reset.bodies.iter().enumerate() {
        if let Some(b) = world.layout().body_index(&n.body)
            && !world.can_perturb_body(b)
        {
            return Err(EnvError::Invalid {
                file: file.to_path_buf(),
                key: format!("reset.bodies[{i}].body"),
                expected: format!(
                    "a free body or the robot's root link (\"{}\" moves with its joint: \
                     give its joint reset noise in [[reset.joints]])",
                    n.body
                ),
            });
        }
    }
    Ok(world)
}

/// Resolve `[ee_control]`: the body must exist and every listed joint must move it.
fn ee_drive(
    ee: &EeControlSpec,
    spec: &EnvSpec,
    joints: &[JointInfo],
    body_names: &[String],
    subtrees: &[Vec<usize>],
    file: &Path,
) -> Result<EeDrive, EnvError> {
    let body = body_names
        .iter()
        .position(|b| b == &ee.body)
        .ok_or_else(|| {
            EnvError::unknown(
                file,
                "ee_control.body".into(),
                "body",
                &ee.body,
                &body_names.iter().map(String::as_str).collect::<Vec<_>>(),
            )
        })?;
    let mut actuators = Vec::new();
    for (k, name) in ee.joints.iter().enumerate() {
        // The spec check made every name one of the actuators'.
        let Some(a) = spec.actuators.iter().position(|a| &a.joint == name) else {
            continue;
        };
        let moves_body = joints
            .iter()
            .find(|j| &j.name == name)
            .is_some_and(|j| subtrees[j.child].contains(&body));
        if !moves_body {
            return Err(EnvError::Invalid {
                file: file.to_path_buf(),
                key: format!("ee_control.joints[{k}]"),
                expected: format!(
                    "a joint between the base and \"{}\" (\"{name}\" does not move it)",
                    ee.body
                ),
            });
        }
        actuators.push(a);
    }
    Ok(EeDrive {
        body,
        actuators,
        tilt_axis: Vector::Z,
        workspace: ee.workspace,
    })
}

/// Bodies moved together with `root` (itself and everything below it through joints).
fn subtree(root: usize, edges: &[(usize, usize)]) -> Vec<usize> {
    let mut children: HashMap<usize, Vec<usize>> = HashMap::new();
    for &(p, c) in edges {
        children.entry(p).or_default().push(c);
    }
    let mut out = vec![root];
    let mut i = 0;
    while i < out.len() {
        if let Some(cs) = children.get(&out[i]) {
            for &c in cs {
                if !out.contains(&c) {
                    out.push(c);
                }
            }
        }
        i += 1;
    }
    out
}

/// A z-up heightfield collider from `heights[i][j]` (i along x, j along y).
fn heightfield(heights: &[Vec<f64>], size: [f64; 3]) -> ColliderBuilder {
    let nx = heights.len();
    let ny = heights[0].len();
    // parry's heightfield is y-up with rows along z and columns along x; turning it by
    // +90° about x maps its y to our z and its z to our −y, so rows run along −y.
    let grid = Array2::from_fn(ny, nx, |r, c| heights[c][ny - 1 - r] as Real);
    let scale = Vector::new(size[0] as Real, size[2] as Real, size[1] as Real);
    ColliderBuilder::heightfield(grid, scale).rotation(Vector::X * std::f32::consts::FRAC_PI_2)
}

/// The env's success program for `s.success`, if its file can be read (a spec whose
/// program is missing still builds: loading that program for training reports it).
fn success_source(spec: &EnvSpec, roots: &AssetRoots) -> Option<SuccessSource> {
    let name = format!("{}.luau", spec.rewards.success);
    let source = std::fs::read_to_string(roots.rewards.join(&name)).ok()?;
    Some(SuccessSource {
        name,
        source: Arc::from(source),
    })
}
