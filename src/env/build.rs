//! Build a rapier world from an env spec: robot from URDF, extra objects, joints,
//! actuators, and the name tables that `State` exposes.

use rapier3d::parry::utils::Array2;
use rapier3d::prelude::*;
use rapier3d_urdf::{UrdfLoaderOptions, UrdfRobot};
use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;

use crate::env::convert::{joint_axis, v3};
use crate::env::spec::{ActuatorKind, Control, EeControlSpec, EnvSpec, ShapeSpec};
use crate::env::state::{JointInfo, JointKind, StateLayout, TaskParamInfo};
use crate::env::world::{Actuator, EeDrive, World};
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

    let mut body_names: Vec<String> = Vec::new();
    let mut body_handles: Vec<RigidBodyHandle> = Vec::new();
    let mut body_colors: Vec<[f64; 3]> = Vec::new();
    let mut joints: Vec<JointInfo> = Vec::new();
    let mut joint_handles: Vec<ImpulseJointHandle> = Vec::new();
    // Every joint (fixed ones too) as a parent→child edge, for moving subtrees at reset.
    let mut edges: Vec<(usize, usize)> = Vec::new();

    if let Some(robot) = &spec.robot {
        let urdf_path = roots.robots.join(&robot.urdf);
        let urdf_err = |message: String| EnvError::Urdf {
            file: file.to_path_buf(),
            urdf: urdf_path.clone(),
            message,
        };
        let options = UrdfLoaderOptions {
            make_roots_fixed: robot.fixed_base,
            enable_joint_collisions: robot.joint_collisions,
            shift: Pose::from_translation(v3(robot.base_pos)),
            collider_blueprint: ColliderBuilder::default().density(0.0).friction(1.0),
            // Sleeping would freeze slow motions (a small swing) and change dynamics.
            rigid_body_blueprint: RigidBodyBuilder::dynamic().can_sleep(false),
            ..Default::default()
        };
        let (loaded, urdf) = UrdfRobot::from_file(&urdf_path, options, None)
            .map_err(|e| urdf_err(format!("{e:#}")))?;
        let link_names: Vec<String> = loaded
            .links
            .iter()
            .map(|l| urdf.links[l.urdf_link_index].name.clone())
            .collect();
        for (i, link) in loaded.links.iter().enumerate() {
            let mass = urdf.links[link.urdf_link_index].inertial.mass.value;
            if !(mass.is_finite() && mass > 0.0) && link.body.is_dynamic() {
                return Err(urdf_err(format!(
                    "link `{}` has mass {mass}: give it an <inertial> with a positive, finite mass",
                    link_names[i]
                )));
            }
            let color = urdf.links[link.urdf_link_index]
                .visual
                .first()
                .and_then(|v| v.material.as_ref())
                .and_then(|m| m.color.as_ref())
                .map(|c| [c.rgba[0], c.rgba[1], c.rgba[2]]);
            body_colors.push(color.unwrap_or([0.8, 0.6, 0.4]));
        }
        let meta: Vec<(String, urdf_rs::JointType, [f64; 2])> = loaded
            .joints
            .iter()
            .map(|j| {
                let u = &urdf.joints[j.urdf_joint_index];
                (
                    u.name.clone(),
                    u.joint_type.clone(),
                    [u.limit.lower, u.limit.upper],
                )
            })
            .collect();
        let link_pairs: Vec<(usize, usize)> =
            loaded.joints.iter().map(|j| (j.link1, j.link2)).collect();
        let offset = body_names.len();
        let handles = loaded.insert_using_impulse_joints(
            &mut phys.bodies,
            &mut phys.colliders,
            &mut phys.impulse_joints,
        );
        for link in &handles.links {
            body_handles.push(link.body);
        }
        body_names.extend(link_names);
        for (k, jh) in handles.joints.iter().enumerate() {
            let (name, kind, limits) = &meta[k];
            let (parent, child) = (link_pairs[k].0 + offset, link_pairs[k].1 + offset);
            edges.push((parent, child));
            let kind = match kind {
                urdf_rs::JointType::Revolute | urdf_rs::JointType::Continuous => {
                    JointKind::Revolute
                }
                urdf_rs::JointType::Prismatic => JointKind::Prismatic,
                urdf_rs::JointType::Fixed => continue,
                other => {
                    return Err(urdf_err(format!(
                        "joint `{name}` has type {other:?}; supported: revolute, continuous, \
                         prismatic, fixed"
                    )));
                }
            };
            let has_limits = matches!(meta[k].1, urdf_rs::JointType::Revolute)
                || (kind == JointKind::Prismatic && limits[0] < limits[1]);
            joints.push(JointInfo {
                name: name.clone(),
                kind,
                limits: has_limits.then_some(*limits),
                parent,
                child,
            });
            joint_handles.push(jh.joint);
        }
    }

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
            gain: a.gain,
            damping: a.damping,
            target_range,
            slot: controls.iter().position(|c| c.actuator == Some(i)),
        });
        if a.kind != ActuatorKind::Torque {
            let axis = joint_axis(joints[joint].kind);
            let data = &mut phys
                .impulse_joints
                .get_mut(joint_handles[joint], false)
                .expect("joint handle from this world")
                .data;
            data.set_motor_model(axis, MotorModel::ForceBased);
            if let Some(f) = a.max_force {
                data.set_motor_max_force(axis, f as Real);
            }
            if let Some(h) = a.hold {
                data.set_motor_position(axis, h as Real, a.gain as Real, a.damping as Real);
            }
        }
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

    let layout = StateLayout {
        bodies: body_names.clone(),
        joints: joints.clone(),
        actuators: controls.iter().map(|c| c.name.clone()).collect(),
        task,
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
    Ok(World::new(
        phys,
        Arc::new(layout),
        body_handles,
        body_colors,
        joint_handles,
        actuators,
        ee,
        subtrees,
    ))
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
