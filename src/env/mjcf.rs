//! `[robot] mjcf = "..."`: a MuJoCo model as the robot, loaded with dimforge's
//! `rapier3d-mjcf` onto multibody joints (or impulse joints).
//!
//! What the loader maps: bodies, hinge and slide joints (several joints in one body
//! become a chain through massless intermediate bodies), limits, `ref`, geoms as
//! colliders with `contype`/`conaffinity`, masses from `<inertial>` or geom density,
//! joint `damping`, `armature`, `frictionloss` and `stiffness`/`springref`,
//! `<equality>` constraints. What rewardsmith adds or changes, so a model behaves as
//! in MuJoCo:
//! - Contact filtering follows MuJoCo's rule (two geoms collide when
//!   `contype₁ & conaffinity₂ || contype₂ & conaffinity₁`): memberships are
//!   `contype`, filters `conaffinity`, tested with rapier's `Or` mode.
//! - Joint damping is exactly the file's (rapier gives every angular DoF 0.1 by
//!   default, including a free root's).
//! - `<tendon><fixed>`: the loader turns each into a rigid coupling of its joints,
//!   but a MuJoCo fixed tendon constrains nothing unless it has a range or a spring
//!   (which `mjcf-rs` 0.36 does not parse); such tendons are dropped.
//! - Ball and free joints inside the tree, planes (the spec's objects give the
//!   ground) and `<actuator>`s (the spec's `[[actuators]]` drive the robot) are not
//!   used: a ball joint is an error naming the joint.

use rapier3d::prelude::*;
use rapier3d_mjcf::{ContactFilterMode, MjcfLoaderOptions, MjcfMultibodyOptions, MjcfRobot};
use std::path::Path;

use crate::env::EnvError;
use crate::env::robot::{LoadedRobot, multibody_slot};
use crate::env::spec::{JointModel, RobotSpec};
use crate::env::state::{JointInfo, JointKind};
use crate::env::world::JointSlot;

/// A joint's name, free axes, limits and MuJoCo damping.
type JointMeta = (Option<String>, JointAxesMask, Option<[f64; 2]>, Real);

/// Load the MJCF robot at `path` (named by spec `file`) into `phys`.
pub(crate) fn load_mjcf(
    robot: &RobotSpec,
    file: &Path,
    path: &Path,
    phys: &mut PhysicsWorld,
) -> Result<LoadedRobot, EnvError> {
    let err = |message: String| EnvError::Urdf {
        file: file.to_path_buf(),
        urdf: path.to_path_buf(),
        message,
    };
    let mut model =
        rapier3d_mjcf::mjcf_rs::model::Model::from_file(path).map_err(|e| err(format!("{e:#}")))?;
    // See the module doc: fixed tendons without range or spring constrain nothing.
    model.tendons.clear();
    let options = MjcfLoaderOptions {
        make_roots_fixed: robot.fixed_base,
        enable_joint_collisions: robot.joint_collisions,
        shift: Pose::from_translation(crate::env::convert::v3(robot.base_pos)),
        contact_filter_mode: ContactFilterMode::Asymmetric,
        // Sleeping would freeze slow motions (a small swing) and change dynamics.
        rigid_body_blueprint: RigidBodyBuilder::dynamic().can_sleep(false),
        ..Default::default()
    };
    let base = path.parent().unwrap_or(Path::new("."));
    let mjcf = MjcfRobot::from_model(&model, options, base);

    for j in &mjcf.joints {
        let free = j.joint.locked_axes.complement();
        let ok = [
            JointAxesMask::empty(),
            JointAxesMask::ANG_X,
            JointAxesMask::LIN_X,
        ]
        .contains(&free);
        if !ok {
            return Err(err(format!(
                "joint `{}` has {} free axes; rewardsmith supports hinge and slide joints \
                 (and one free joint at the root)",
                j.name.as_deref().unwrap_or("<unnamed>"),
                6 - j.joint.locked_axes.bits().count_ones()
            )));
        }
    }
    // Name, free axes, limits and MuJoCo damping of each joint before the robot is consumed.
    let joint_meta: Vec<JointMeta> = mjcf
        .joints
        .iter()
        .map(|j| {
            let free = j.joint.locked_axes.complement();
            let limits = (j.joint.limit_axes.intersects(free)).then(|| {
                let axis = if free == JointAxesMask::ANG_X {
                    JointAxis::AngX
                } else {
                    JointAxis::LinX
                };
                let l = j.joint.limits(axis).map_or([0.0, 0.0], |l| [l.min, l.max]);
                [l[0] as f64, l[1] as f64]
            });
            (j.name.clone(), free, limits, j.damping_per_dof)
        })
        .collect();
    let link_pairs: Vec<(usize, usize)> = mjcf.joints.iter().map(|j| (j.link1, j.link2)).collect();
    let mut body_meta: Vec<(String, [f64; 3])> = Vec::new();
    for (i, b) in mjcf.bodies.iter().enumerate() {
        let name = b.name.clone().unwrap_or_else(|| format!("body{i}"));
        let rgba = b
            .visual_meshes
            .first()
            .and_then(|m| m.rgba)
            .map_or([0.8, 0.6, 0.4], |c| [c[0] as f64, c[1] as f64, c[2] as f64]);
        body_meta.push((name, rgba));
    }

    let (handles, slots): (Vec<Option<RigidBodyHandle>>, Vec<Option<JointSlot>>) =
        match robot.joint_model {
            JointModel::Impulse => {
                let h = mjcf.insert_using_impulse_joints(
                    &mut phys.bodies,
                    &mut phys.colliders,
                    &mut phys.impulse_joints,
                );
                (
                    h.bodies
                        .iter()
                        .map(|b| b.as_ref().map(|b| b.body))
                        .collect(),
                    h.joints
                        .iter()
                        .map(|j| Some(JointSlot::Impulse(j.joint)))
                        .collect(),
                )
            }
            JointModel::Multibody => {
                let h = mjcf.insert_using_multibody_joints(
                    &mut phys.bodies,
                    &mut phys.colliders,
                    &mut phys.multibody_joints,
                    &mut phys.impulse_joints,
                    MjcfMultibodyOptions::empty(),
                );
                let slots = h
                    .joints
                    .iter()
                    .map(|j| j.joint.and_then(|_| multibody_slot(phys, j.link2)))
                    .collect();
                (
                    h.bodies
                        .iter()
                        .map(|b| b.as_ref().map(|b| b.body))
                        .collect(),
                    slots,
                )
            }
        };

    // Body index 0 is MuJoCo's world body: inserted only when something is attached
    // to it; never a body of the layout.
    let mut index_of = vec![None; handles.len()];
    let mut body_names = Vec::new();
    let mut body_handles = Vec::new();
    let mut body_colors = Vec::new();
    for (i, h) in handles.iter().enumerate().skip(1) {
        let Some(h) = h else { continue };
        index_of[i] = Some(body_handles.len());
        body_names.push(body_meta[i].0.clone());
        body_colors.push(body_meta[i].1);
        body_handles.push(*h);
        // MuJoCo's contact rule: contype & conaffinity, either way round.
        for c in phys.bodies[*h].colliders().to_vec() {
            let g = phys.colliders[c].collision_groups();
            let groups = InteractionGroups::new(g.memberships, g.filter, InteractionTestMode::Or);
            phys.colliders[c].set_collision_groups(groups);
        }
    }

    let mut joints = Vec::new();
    let mut out_slots = Vec::new();
    let mut edges = Vec::new();
    let mut dampings: Vec<Real> = Vec::new();
    for (k, slot) in slots.into_iter().enumerate() {
        let (name, free, limits, damping) = &joint_meta[k];
        let (Some(parent), Some(child)) = (index_of[link_pairs[k].0], index_of[link_pairs[k].1])
        else {
            // A joint to the world body (a fixed base's anchor): not part of the tree
            // the layout describes.
            continue;
        };
        edges.push((parent, child));
        if free.is_empty() {
            continue;
        }
        let name = name.clone().unwrap_or_else(|| format!("joint{k}"));
        let Some(slot) = slot else {
            return Err(err(format!(
                "joint `{name}` closes a kinematic loop, which multibody joints cannot \
                 express: set robot.joint_model = \"impulse\""
            )));
        };
        dampings.push(*damping);
        joints.push(JointInfo {
            name,
            kind: if *free == JointAxesMask::ANG_X {
                JointKind::Revolute
            } else {
                JointKind::Prismatic
            },
            limits: *limits,
            parent,
            child,
        });
        out_slots.push(slot);
    }
    Ok(LoadedRobot {
        body_names,
        body_handles,
        body_colors,
        joints,
        slots: out_slots,
        edges,
        file_damping: Some(dampings),
    })
}
