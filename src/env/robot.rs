//! Load a spec's robot (URDF, or MJCF through dimforge's `rapier3d-mjcf`) into a
//! rapier world, on multibody or impulse joints, and apply the spec's joint
//! properties (`[[joints]]`: damping, armature, frictionloss, springs).

use rapier3d::prelude::*;
use rapier3d_urdf::{UrdfLoaderOptions, UrdfMultibodyOptions, UrdfRobot};
use std::path::{Path, PathBuf};

use crate::env::EnvError;
use crate::env::spec::{EnvSpec, JointModel, RobotSpec};
use crate::env::state::{JointInfo, JointKind};
use crate::env::urdf_check::check_urdf;
use crate::env::world::{JointSlot, MultibodyDof};

/// Collision group of every robot collider when the robot's links must not collide
/// with each other (`self_collisions = false`): members of this group filter it out.
pub(crate) const ROBOT_GROUP: Group = Group::GROUP_32;

/// A robot inserted into a world, with its name tables.
pub(crate) struct LoadedRobot {
    /// Link names, in insertion order.
    pub body_names: Vec<String>,
    /// Link bodies, same order.
    pub body_handles: Vec<RigidBodyHandle>,
    /// Link colours for renderers, same order.
    pub body_colors: Vec<[f64; 3]>,
    /// The robot's movable joints (parent and child are indices into the links).
    pub joints: Vec<JointInfo>,
    /// Where each of `joints` lives in rapier.
    pub slots: Vec<JointSlot>,
    /// Every joint (fixed ones too) as a parent→child link edge.
    pub edges: Vec<(usize, usize)>,
    /// Each of `joints`' damping as the robot file gives it (MJCF); `None`: 0 (URDF
    /// has no damping rapier reads).
    pub file_damping: Option<Vec<Real>>,
}

/// Where the robot file of `robot` is: relative to `robots`, or absolute.
pub(crate) fn robot_path(robot: &RobotSpec, robots: &Path) -> PathBuf {
    let file = Path::new(robot.file());
    if file.is_absolute() {
        file.to_path_buf()
    } else {
        robots.join(file)
    }
}

/// Load `robot` (from spec `file`) into `phys`.
pub(crate) fn load_robot(
    spec: &EnvSpec,
    robot: &RobotSpec,
    file: &Path,
    robots: &Path,
    phys: &mut PhysicsWorld,
) -> Result<LoadedRobot, EnvError> {
    let path = robot_path(robot, robots);
    let mut loaded = if robot.mjcf.is_some() {
        crate::env::mjcf::load_mjcf(robot, file, &path, phys)?
    } else {
        load_urdf(robot, file, &path, phys)?
    };
    if !robot.self_collisions {
        for &h in &loaded.body_handles {
            let colliders: Vec<ColliderHandle> = phys.bodies[h].colliders().to_vec();
            for c in colliders {
                let groups = InteractionGroups::new(
                    ROBOT_GROUP,
                    Group::ALL ^ ROBOT_GROUP,
                    InteractionTestMode::And,
                );
                phys.colliders[c].set_collision_groups(groups);
            }
        }
    }
    settle_multibodies(phys, &loaded.body_handles);
    resolve_dofs(phys, &mut loaded, robot, file, &path)?;
    apply_joint_params(spec, phys, &loaded, file)?;
    Ok(loaded)
}

/// Load a URDF robot.
fn load_urdf(
    robot: &RobotSpec,
    file: &Path,
    path: &Path,
    phys: &mut PhysicsWorld,
) -> Result<LoadedRobot, EnvError> {
    let urdf_err = |message: String| EnvError::Urdf {
        file: file.to_path_buf(),
        urdf: path.to_path_buf(),
        message,
    };
    let options = UrdfLoaderOptions {
        make_roots_fixed: robot.fixed_base,
        enable_joint_collisions: robot.joint_collisions,
        shift: Pose::from_translation(crate::env::convert::v3(robot.base_pos)),
        collider_blueprint: ColliderBuilder::default().density(0.0).friction(1.0),
        // Sleeping would freeze slow motions (a small swing) and change dynamics.
        rigid_body_blueprint: RigidBodyBuilder::dynamic().can_sleep(false),
        ..Default::default()
    };
    let raw = std::fs::read_to_string(path).map_err(|e| urdf_err(format!("reading: {e}")))?;
    // Parsed once: checked for what rapier's loader relies on (it panics on some
    // malformed files), then handed to it. A file urdf-rs cannot parse as written (an
    // empty `<geometry/>`, which the loader rewrites first) goes to the loader whole.
    let parsed = urdf_rs::read_from_string(&raw);
    if let Ok(robot) = &parsed {
        check_urdf(robot).map_err(urdf_err)?;
    }
    let mesh_dir = path.parent().unwrap_or(Path::new("."));
    let load = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| match parsed {
        Ok(robot) => Ok((UrdfRobot::from_robot(&robot, options, mesh_dir), robot)),
        Err(_) => UrdfRobot::from_str(&raw, options, mesh_dir),
    }));
    let (loaded, urdf) = match load {
        Ok(r) => r.map_err(|e| urdf_err(format!("{e:#}")))?,
        Err(_) => return Err(urdf_err("rapier's URDF loader failed on this file".into())),
    };
    let body_names: Vec<String> = loaded
        .links
        .iter()
        .map(|l| urdf.links[l.urdf_link_index].name.clone())
        .collect();
    let mut body_colors = Vec::new();
    for (i, link) in loaded.links.iter().enumerate() {
        let mass = urdf.links[link.urdf_link_index].inertial.mass.value;
        if !(mass.is_finite() && mass > 0.0) && link.body.is_dynamic() {
            return Err(urdf_err(format!(
                "link `{}` has mass {mass}: give it an <inertial> with a positive, finite mass",
                body_names[i]
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
    let (body_handles, rapier_joints): (Vec<RigidBodyHandle>, Vec<Option<JointSlot>>) =
        match robot.joint_model {
            JointModel::Impulse => {
                let handles = loaded.insert_using_impulse_joints(
                    &mut phys.bodies,
                    &mut phys.colliders,
                    &mut phys.impulse_joints,
                );
                (
                    handles.links.iter().map(|l| l.body).collect(),
                    handles
                        .joints
                        .iter()
                        .map(|j| Some(JointSlot::Impulse(j.joint)))
                        .collect(),
                )
            }
            JointModel::Multibody => {
                let handles = loaded.insert_using_multibody_joints(
                    &mut phys.bodies,
                    &mut phys.colliders,
                    &mut phys.multibody_joints,
                    UrdfMultibodyOptions::empty(),
                );
                let slots = handles
                    .joints
                    .iter()
                    .map(|j| j.joint.and_then(|_| multibody_slot(phys, j.link2)))
                    .collect();
                (handles.links.iter().map(|l| l.body).collect(), slots)
            }
        };
    let mut joints = Vec::new();
    let mut slots = Vec::new();
    let mut edges = Vec::new();
    for (k, slot) in rapier_joints.into_iter().enumerate() {
        let (name, kind, limits) = &meta[k];
        let (parent, child) = link_pairs[k];
        edges.push((parent, child));
        let kind = match kind {
            urdf_rs::JointType::Revolute | urdf_rs::JointType::Continuous => JointKind::Revolute,
            urdf_rs::JointType::Prismatic => JointKind::Prismatic,
            urdf_rs::JointType::Fixed => continue,
            other => {
                return Err(urdf_err(format!(
                    "joint `{name}` has type {other:?}; supported: revolute, continuous, \
                     prismatic, fixed"
                )));
            }
        };
        let Some(slot) = slot else {
            return Err(urdf_err(format!(
                "joint `{name}` closes a kinematic loop, which multibody joints cannot \
                 express: set robot.joint_model = \"impulse\""
            )));
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
        slots.push(slot);
    }
    Ok(LoadedRobot {
        body_names,
        body_handles,
        body_colors,
        joints,
        slots,
        edges,
        file_damping: None,
    })
}

/// The multibody DoF of the (one-DoF) joint whose child link is body `child`. The
/// DoF index is filled in by [`resolve_dofs`] once the multibody has its final shape.
pub(crate) fn multibody_slot(phys: &PhysicsWorld, child: RigidBodyHandle) -> Option<JointSlot> {
    let id = phys.multibody_joints.rigid_body_link(child)?;
    Some(JointSlot::Multibody(MultibodyDof {
        multibody: id.multibody,
        link: id.id,
        dof: 0,
        coord: 0,
    }))
}

/// Run forward kinematics once on every multibody of the robot, so a fixed root drops
/// its free DoFs and every DoF has its final index.
fn settle_multibodies(phys: &mut PhysicsWorld, bodies: &[RigidBodyHandle]) {
    let mut done: Vec<MultibodyIndex> = Vec::new();
    for &h in bodies {
        let Some(id) = phys.multibody_joints.rigid_body_link(h).copied() else {
            continue;
        };
        if done.contains(&id.multibody) {
            continue;
        }
        done.push(id.multibody);
        if let Some(mb) = phys.multibody_joints.get_multibody_mut(id.multibody) {
            mb.forward_kinematics(&phys.bodies, true);
            mb.update_rigid_bodies(&mut phys.bodies, true);
        }
    }
}

/// Fill in each multibody joint's DoF index and coordinate (the joint's one free
/// axis: AngX for a hinge, LinX for a slider).
fn resolve_dofs(
    phys: &PhysicsWorld,
    loaded: &mut LoadedRobot,
    robot: &RobotSpec,
    file: &Path,
    path: &Path,
) -> Result<(), EnvError> {
    for (info, slot) in loaded.joints.iter().zip(loaded.slots.iter_mut()) {
        let JointSlot::Multibody(d) = slot else {
            continue;
        };
        let link = phys
            .multibody_joints
            .get_multibody(d.multibody)
            .and_then(|mb| mb.link(d.link));
        let Some(link) = link else {
            continue;
        };
        let free = link.joint().data.locked_axes.complement();
        let axis = match info.kind {
            JointKind::Revolute => JointAxesMask::ANG_X,
            JointKind::Prismatic => JointAxesMask::LIN_X,
        };
        if free != axis {
            return Err(EnvError::Urdf {
                file: file.to_path_buf(),
                urdf: path.to_path_buf(),
                message: format!(
                    "joint `{}` of {}: expected one free axis ({:?}), found {:?}",
                    info.name,
                    robot.file(),
                    axis,
                    free
                ),
            });
        }
        d.dof = link.assembly_id();
        d.coord = match info.kind {
            JointKind::Revolute => 3,
            JointKind::Prismatic => 0,
        };
    }
    Ok(())
}

/// Apply `[[joints]]` to the robot's multibody DoFs. Damping starts from the robot
/// file's values (0 for a URDF, and for a free root), replacing rapier's default of
/// 0.1 on every angular DoF; armature, frictionloss and springs from what the MJCF
/// loader set (nothing for a URDF).
fn apply_joint_params(
    spec: &EnvSpec,
    phys: &mut PhysicsWorld,
    loaded: &LoadedRobot,
    file: &Path,
) -> Result<(), EnvError> {
    for slot in &loaded.slots {
        if let JointSlot::Multibody(d) = slot
            && let Some(mb) = phys.multibody_joints.get_multibody_mut(d.multibody)
        {
            mb.damping_mut().fill(0.0);
        }
    }
    for (k, slot) in loaded.slots.iter().enumerate() {
        let damping = loaded.file_damping.as_ref().map_or(0.0, |d| d[k]);
        if let JointSlot::Multibody(d) = slot
            && let Some(mb) = phys.multibody_joints.get_multibody_mut(d.multibody)
        {
            mb.damping_mut()[d.dof] = damping;
        }
    }
    for (i, p) in spec.joints.iter().enumerate() {
        let targets: Vec<usize> = if p.joint == "*" {
            (0..loaded.joints.len()).collect()
        } else {
            match loaded.joints.iter().position(|j| j.name == p.joint) {
                Some(j) => vec![j],
                None => {
                    let known: Vec<&str> = loaded.joints.iter().map(|j| j.name.as_str()).collect();
                    return Err(EnvError::unknown(
                        file,
                        format!("joints[{i}].joint"),
                        "joint",
                        &p.joint,
                        &known,
                    ));
                }
            }
        };
        for j in targets {
            let JointSlot::Multibody(d) = loaded.slots[j] else {
                // Validation refused non-zero values on impulse joints.
                continue;
            };
            let Some(mb) = phys.multibody_joints.get_multibody_mut(d.multibody) else {
                continue;
            };
            if let Some(v) = p.damping {
                mb.damping_mut()[d.dof] = v as Real;
            }
            if let Some(v) = p.armature {
                mb.armature_mut()[d.dof] = v as Real;
            }
            if let Some(v) = p.frictionloss {
                mb.frictions_mut()[d.dof] = v as Real;
            }
            if (p.stiffness.is_some() || p.springref.is_some())
                && let Some(link) = mb.link_mut(d.link)
            {
                let (k, rest) = link.joint.spring(d.coord);
                let k = p.stiffness.map_or(k, |v| v as Real);
                let rest = p.springref.map_or(rest, |v| v as Real);
                link.joint.set_spring(d.coord, k, rest);
            }
        }
    }
    Ok(())
}
