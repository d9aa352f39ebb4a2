//! `World`: one rapier world of an env, with actuation and state readout; its
//! snapshots, fidelity diagnostics and hand-set poses are in the submodules.
//!
//! A robot's joints are either rapier multibody joints (reduced coordinates: the
//! joint coordinates are the state, so joints hold exactly) or impulse joints (every
//! link a free body held by constraints). [`JointSlot`] hides which from the rest.

use rapier3d::prelude::*;
use std::sync::Arc;

use crate::env::convert::{joint_axis, v3};
use crate::env::ee_control::EeDrive;
use crate::env::spec::ActuatorKind;
use crate::env::state::{BodyState, JointKind, JointState, StateLayout};

mod diagnostics;
mod pose;
mod snapshot;

pub use snapshot::PhysicsSnapshot;

/// One actuator, resolved to a joint index.
#[derive(Debug, Clone)]
pub(crate) struct Actuator {
    pub joint: usize,
    pub kind: ActuatorKind,
    pub ctrl_range: [f64; 2],
    /// Torque: gear (effort per unit control); motors: stiffness or velocity factor.
    pub gain: f64,
    pub damping: f64,
    /// Where a `position_delta` target is kept (unused by the other kinds).
    pub target_range: [f64; 2],
    /// The action component this actuator reads (`None`: driven by the end-effector
    /// controller, or holding a fixed target).
    pub slot: Option<usize>,
}

/// Where one joint of the layout lives in rapier.
#[derive(Debug, Clone, Copy)]
pub(crate) enum JointSlot {
    /// An impulse joint between the joint's two bodies.
    Impulse(ImpulseJointHandle),
    /// One degree of freedom of a multibody.
    Multibody(MultibodyDof),
}

/// A multibody degree of freedom: which multibody, which link, and where its
/// coordinate and velocity are kept.
#[derive(Debug, Clone, Copy)]
pub(crate) struct MultibodyDof {
    /// The multibody.
    pub multibody: MultibodyIndex,
    /// The link whose joint this is.
    pub link: usize,
    /// Index of the DoF in the multibody's generalized vectors (velocity, damping,
    /// armature).
    pub dof: usize,
    /// Index of the coordinate in the joint's spatial coordinates (3 = AngX for a
    /// hinge, 0 = LinX for a slider).
    pub coord: usize,
}

/// The tables a world is built from (see [`World::new`]).
pub(crate) struct WorldParts {
    pub phys: PhysicsWorld,
    pub layout: Arc<StateLayout>,
    pub bodies: Vec<RigidBodyHandle>,
    pub colors: Vec<[f64; 3]>,
    pub joints: Vec<JointSlot>,
    pub actuators: Vec<Actuator>,
    pub ee: Option<EeDrive>,
    pub subtrees: Vec<Vec<usize>>,
}

/// A rapier world plus the name tables and actuators of its env.
pub struct World {
    phys: PhysicsWorld,
    layout: Arc<StateLayout>,
    bodies: Vec<RigidBodyHandle>,
    colors: Vec<[f64; 3]>,
    joints: Vec<JointSlot>,
    actuators: Vec<Actuator>,
    ee: Option<EeDrive>,
    subtrees: Vec<Vec<usize>>,
    /// For each body (layout order), the multibody link it is, if any.
    body_links: Vec<Option<(MultibodyIndex, usize)>>,
    /// Every multibody of the world.
    multibodies: Vec<MultibodyIndex>,
}

impl World {
    /// Assemble a world; called by the builder. Multibodies are brought to their
    /// final shape (a fixed root drops its six free DoFs at the first forward
    /// kinematics), so DoF indices are read after that.
    pub(crate) fn new(parts: WorldParts) -> Self {
        let WorldParts {
            phys,
            layout,
            bodies,
            colors,
            joints,
            actuators,
            ee,
            subtrees,
        } = parts;
        let mut multibodies: Vec<MultibodyIndex> = Vec::new();
        let body_links: Vec<Option<(MultibodyIndex, usize)>> = bodies
            .iter()
            .map(|&h| {
                phys.multibody_joints
                    .rigid_body_link(h)
                    .map(|l| (l.multibody, l.id))
            })
            .collect();
        for (mb, _) in body_links.iter().flatten() {
            if !multibodies.contains(mb) {
                multibodies.push(*mb);
            }
        }
        let mut world = Self {
            phys,
            layout,
            bodies,
            colors,
            joints,
            actuators,
            ee,
            subtrees,
            body_links,
            multibodies,
        };
        world.sync_multibodies();
        world
    }

    /// Names and sizes of this world's States.
    pub fn layout(&self) -> &Arc<StateLayout> {
        &self.layout
    }

    /// RGB colour of each body (from the URDF material or the spec), in layout order.
    pub fn body_colors(&self) -> &[[f64; 3]] {
        &self.colors
    }

    /// Borrow the underlying rapier world (for renderers and debugging).
    pub fn physics(&self) -> &PhysicsWorld {
        &self.phys
    }

    /// Handle of body `i` (layout order).
    pub fn body_handle(&self, i: usize) -> RigidBodyHandle {
        self.bodies[i]
    }

    /// Index (layout order) of the body with rapier handle `handle`, if it is one of
    /// this world's bodies.
    pub fn body_index_of(&self, handle: RigidBodyHandle) -> Option<usize> {
        self.bodies.iter().position(|&h| h == handle)
    }

    /// Whether the robot's joints are multibody joints (reduced coordinates).
    pub fn uses_multibody_joints(&self) -> bool {
        !self.multibodies.is_empty()
    }

    /// Actuator `i`.
    pub(crate) fn actuator(&self, i: usize) -> &Actuator {
        &self.actuators[i]
    }

    /// Apply a (clipped) action for the next control step: each actuator reads its
    /// slot, and the end-effector controller (if any) turns the first three components
    /// into its joints' target changes.
    pub(crate) fn apply_action(&mut self, action: &[f64]) {
        let ee_deltas = self
            .ee
            .as_ref()
            .map(|ee| (ee.actuators.clone(), ee.joint_deltas(self, &action[..3])));
        for i in 0..self.actuators.len() {
            let u = match &ee_deltas {
                Some((driven, dq)) if driven.contains(&i) => {
                    driven.iter().position(|&a| a == i).map(|k| dq[k])
                }
                _ => self.actuators[i].slot.map(|k| action[k]),
            };
            // A held motor was pointed at its target when the world was built.
            let Some(u) = u else { continue };
            self.actuate(i, u);
        }
    }

    /// Drive actuator `i` with control value `u` for the next control step.
    fn actuate(&mut self, i: usize, u: f64) {
        let a = self.actuators[i].clone();
        let info = &self.layout.joints[a.joint];
        let axis = joint_axis(info.kind);
        match a.kind {
            ActuatorKind::Torque => {
                let effort = (a.gain * u) as Real;
                let (p, c) = (self.bodies[info.parent], self.bodies[info.child]);
                let (frame, child_frame) = self.joint_frames(a.joint);
                let dir = frame.rotation * Vector::X;
                let kind = info.kind;
                for (h, sign) in [(c, 1.0), (p, -1.0)] {
                    let rb = &mut self.phys.bodies[h];
                    if !rb.is_dynamic() {
                        continue;
                    }
                    match kind {
                        JointKind::Revolute => rb.add_torque(dir * effort * sign, true),
                        // Both forces act at the joint's anchor, so the pair exerts no
                        // torque on the links above the joint.
                        JointKind::Prismatic => rb.add_force_at_point(
                            dir * effort * sign,
                            child_frame.translation,
                            true,
                        ),
                    }
                }
            }
            ActuatorKind::Velocity => {
                if let Some(data) = self.joint_data_mut(a.joint) {
                    data.set_motor_velocity(axis, u as Real, a.gain as Real);
                }
            }
            ActuatorKind::Position | ActuatorKind::PositionDelta => {
                if let Some(data) = self.joint_data_mut(a.joint) {
                    let target = if a.kind == ActuatorKind::Position {
                        u
                    } else {
                        // The target lives in the rapier motor, so snapshots carry it.
                        let current = data.motor(axis).map_or(0.0, |m| m.target_pos as f64);
                        let [lo, hi] = a.target_range;
                        (current + u).clamp(lo, hi)
                    };
                    data.set_motor_position(
                        axis,
                        target as Real,
                        a.gain as Real,
                        a.damping as Real,
                    );
                }
            }
        }
    }

    /// Make actuator `i`'s joint motor force-based (MuJoCo's actuators apply forces),
    /// capped at `max_force`, and point it at `hold` if the actuator holds its joint.
    pub(crate) fn setup_motor(&mut self, i: usize, max_force: Option<f64>, hold: Option<f64>) {
        let a = self.actuators[i].clone();
        let axis = joint_axis(self.layout.joints[a.joint].kind);
        if let Some(data) = self.joint_data_mut(a.joint) {
            data.set_motor_model(axis, MotorModel::ForceBased);
            if let Some(f) = max_force {
                data.set_motor_max_force(axis, f as Real);
            }
            if let Some(h) = hold {
                data.set_motor_position(axis, h as Real, a.gain as Real, a.damping as Real);
            }
        }
    }

    /// Point every `position_delta` motor at its joint's current coordinate (after a
    /// reset), so a zero action holds the pose the episode starts in.
    pub(crate) fn hold_current_pose(&mut self) {
        for i in 0..self.actuators.len() {
            let a = &self.actuators[i];
            if a.kind != ActuatorKind::PositionDelta {
                continue;
            }
            let (joint, [lo, hi]) = (a.joint, a.target_range);
            let (gain, damping) = (a.gain as Real, a.damping as Real);
            let q = self.joint_state(joint).q.clamp(lo, hi) as Real;
            let axis = joint_axis(self.layout.joints[joint].kind);
            if let Some(data) = self.joint_data_mut(joint) {
                data.set_motor_position(axis, q, gain, damping);
            }
        }
    }

    /// Clear the user forces of the previous control step.
    pub(crate) fn clear_forces(&mut self) {
        for a in &self.actuators {
            if a.kind != ActuatorKind::Torque {
                continue;
            }
            let info = &self.layout.joints[a.joint];
            for b in [info.parent, info.child] {
                let rb = &mut self.phys.bodies[self.bodies[b]];
                rb.reset_forces(false);
                rb.reset_torques(false);
            }
        }
    }

    /// Advance physics by `n` steps.
    pub(crate) fn step_physics(&mut self, n: u32) {
        for _ in 0..n {
            self.phys.step();
        }
    }

    /// The rapier description (frames, motors, limits) of joint `j`.
    fn joint_data(&self, j: usize) -> Option<&GenericJoint> {
        match self.joints[j] {
            JointSlot::Impulse(h) => self.phys.impulse_joints.get(h).map(|j| &j.data),
            JointSlot::Multibody(d) => self
                .phys
                .multibody_joints
                .get_multibody(d.multibody)
                .and_then(|mb| mb.link(d.link))
                .map(|l| &l.joint().data),
        }
    }

    /// The rapier description of joint `j`, to change its motor.
    fn joint_data_mut(&mut self, j: usize) -> Option<&mut GenericJoint> {
        match self.joints[j] {
            JointSlot::Impulse(h) => self
                .phys
                .impulse_joints
                .get_mut(h, true)
                .map(|j| &mut j.data),
            JointSlot::Multibody(d) => self
                .phys
                .multibody_joints
                .get_multibody_mut(d.multibody)
                .and_then(|mb| mb.link_mut(d.link))
                .map(|l| &mut l.joint.data),
        }
    }

    /// World frames of joint `j` on its parent and child sides (equal for an exact joint).
    pub(crate) fn joint_frames(&self, j: usize) -> (Pose, Pose) {
        let info = &self.layout.joints[j];
        let parent = *self.phys.bodies[self.bodies[info.parent]].position();
        let child = *self.phys.bodies[self.bodies[info.child]].position();
        match self.joint_data(j) {
            Some(data) => (parent * data.local_frame1, child * data.local_frame2),
            None => (parent, child),
        }
    }

    /// World frame of joint `j` on its parent side.
    pub(crate) fn joint_frame(&self, j: usize) -> Pose {
        self.joint_frames(j).0
    }

    /// Joint `j`'s coordinate and velocity: read from the multibody's reduced
    /// coordinates, or from the two bodies' poses for an impulse joint.
    fn joint_state(&self, j: usize) -> JointState {
        let info = &self.layout.joints[j];
        let (q, qd) = match self.joints[j] {
            JointSlot::Multibody(d) => {
                let Some(mb) = self.phys.multibody_joints.get_multibody(d.multibody) else {
                    return JointState::default();
                };
                let q = mb.link(d.link).map_or(0.0, |l| l.joint().coords()[d.coord]);
                (q as f64, mb.generalized_velocity()[d.dof] as f64)
            }
            JointSlot::Impulse(_) => {
                let rb1 = &self.phys.bodies[self.bodies[info.parent]];
                let rb2 = &self.phys.bodies[self.bodies[info.child]];
                let (f1, f2) = self.joint_frames(j);
                let axis = f1.rotation * Vector::X;
                match info.kind {
                    JointKind::Revolute => {
                        let rel = f1.rotation.inverse() * f2.rotation;
                        let q = 2.0 * (rel.x as f64).atan2(rel.w as f64);
                        (q, (rb2.angvel() - rb1.angvel()).dot(axis) as f64)
                    }
                    JointKind::Prismatic => {
                        let d = f2.translation - f1.translation;
                        let p = f2.translation;
                        let v = rb2.velocity_at_point(p) - rb1.velocity_at_point(p);
                        (d.dot(axis) as f64, v.dot(axis) as f64)
                    }
                }
            }
        };
        let q = match info.kind {
            // Hinge angles are reported in [-π, π] whichever way they were reached.
            JointKind::Revolute if q.abs() > std::f64::consts::PI => {
                (q + std::f64::consts::PI).rem_euclid(std::f64::consts::TAU) - std::f64::consts::PI
            }
            _ => q,
        };
        JointState { q, qd }
    }

    /// Linear (of the link frame's origin, the point `pos` is) and angular velocity of
    /// body `i`. A multibody
    /// link's are computed from the generalized velocities at the current pose (rapier
    /// leaves the link bodies' own velocities one solver substep behind).
    fn body_velocity(&self, i: usize) -> (Vector, Vector) {
        let rb = &self.phys.bodies[self.bodies[i]];
        let (v_com, w) = if let Some((idx, link)) = self.body_links[i]
            && let Some(mb) = self.phys.multibody_joints.get_multibody(idx)
            && mb.ndofs() > 0
        {
            let v = mb.body_jacobian(link) * mb.generalized_velocity();
            (Vector::new(v[0], v[1], v[2]), Vector::new(v[3], v[4], v[5]))
        } else {
            (rb.linvel(), rb.angvel())
        };
        // rapier's linear velocity is the centre of mass's; the State's is the velocity
        // of the point `pos` names, the link frame's origin: v_o = v_c + ω × (o − c).
        (v_com + w.cross(rb.translation() - rb.center_of_mass()), w)
    }

    /// Fill `bodies` and `joints` with the current state.
    pub(crate) fn read(&self, bodies: &mut Vec<BodyState>, joints: &mut Vec<JointState>) {
        bodies.clear();
        bodies.extend(self.bodies.iter().enumerate().map(|(i, &h)| {
            let rb = &self.phys.bodies[h];
            let p = rb.translation();
            let q = rb.rotation();
            let (v, w) = self.body_velocity(i);
            BodyState {
                pos: [p.x as f64, p.y as f64, p.z as f64],
                quat: [q.w as f64, q.x as f64, q.y as f64, q.z as f64],
                linvel: [v.x as f64, v.y as f64, v.z as f64],
                angvel: [w.x as f64, w.y as f64, w.z as f64],
            }
        }));
        joints.clear();
        joints.extend((0..self.joints.len()).map(|j| self.joint_state(j)));
    }

    /// Pairs of body indices whose colliders touch (within 1 mm), sorted, each `(a, b)`
    /// with `a < b`, and the contact force on `a` from `b` (N, world frame: the normal
    /// impulse of the last substep over the substep's duration), summed over their
    /// colliders.
    pub(crate) fn contacts(&self, out: &mut Vec<(u16, u16)>, forces: &mut Vec<[f64; 3]>) {
        let dt = self.phys.integration_parameters.dt as f64;
        let mut found: Vec<((u16, u16), [f64; 3])> = Vec::new();
        for pair in self.phys.narrow_phase.contact_pairs() {
            // rapier keeps predicted contacts within a small margin; report only
            // touching (or penetrating, up to 1 mm apart) pairs.
            let touching = pair
                .manifolds()
                .iter()
                .any(|m| m.points.iter().any(|p| p.dist <= 1e-3));
            if !touching {
                continue;
            }
            let (Some(c1), Some(c2)) = (
                self.phys.colliders.get(pair.collider1),
                self.phys.colliders.get(pair.collider2),
            ) else {
                continue;
            };
            let (a, b) = (c1.user_data as u16, c2.user_data as u16);
            if a == b {
                continue;
            }
            // rapier's total impulse is along the normal from collider 1 to collider 2:
            // it pushes collider 2's body (a resting box on the ground: up, with m·g).
            let j = -pair.total_impulse();
            let on_1 = [j.x as f64 / dt, j.y as f64 / dt, j.z as f64 / dt];
            let on_lower = if a < b { on_1 } else { on_1.map(|x| -x) };
            found.push(((a.min(b), a.max(b)), on_lower));
        }
        found.sort_unstable_by_key(|&(pair, _)| pair);
        out.clear();
        forces.clear();
        for (pair, f) in found {
            match (out.last(), forces.last_mut()) {
                (Some(&last), Some(sum)) if last == pair => {
                    (0..3).for_each(|k| sum[k] += f[k]);
                }
                _ => {
                    out.push(pair);
                    forces.push(f);
                }
            }
        }
    }

    /// Turn joint `j` (and everything below it) by `dq` and add `dqd` to its velocity.
    /// Multibody links follow at [`World::settle_after_reset`].
    pub(crate) fn perturb_joint(&mut self, j: usize, dq: f64, dqd: f64) {
        if let JointSlot::Multibody(d) = self.joints[j] {
            if let Some(mb) = self.phys.multibody_joints.get_multibody_mut(d.multibody) {
                let mut disp = vec![0.0; mb.ndofs()];
                disp[d.dof] = dq as Real;
                mb.apply_displacements(&disp);
                mb.generalized_velocity_mut()[d.dof] += dqd as Real;
            }
            return;
        }
        let info = self.layout.joints[j].clone();
        let frame = self.joint_frame(j);
        let axis = frame.rotation * Vector::X;
        let anchor = frame.translation;
        let (dq, dqd) = (dq as Real, dqd as Real);
        for &b in &self.subtrees[info.child] {
            let rb = &mut self.phys.bodies[self.bodies[b]];
            let pos = *rb.position();
            let com = rb.center_of_mass();
            match info.kind {
                JointKind::Revolute => {
                    let r = Rotation::from_axis_angle(axis, dq);
                    let t = anchor + r * (pos.translation - anchor);
                    rb.set_position(Pose::from_parts(t, r * pos.rotation), true);
                    let w = axis * dqd;
                    let new_com = anchor + r * (com - anchor);
                    rb.set_linvel(rb.linvel() + w.cross(new_com - anchor), true);
                    rb.set_angvel(rb.angvel() + w, true);
                }
                JointKind::Prismatic => {
                    let t = pos.translation + axis * dq;
                    rb.set_position(Pose::from_parts(t, pos.rotation), true);
                    rb.set_linvel(rb.linvel() + axis * dqd, true);
                }
            }
        }
    }

    /// Whether [`World::perturb_body`] can move body `b`: a free body, an impulse-joint
    /// link, or a multibody's root (a multibody's other links follow their joints).
    pub(crate) fn can_perturb_body(&self, b: usize) -> bool {
        !matches!(self.body_links[b], Some((_, link)) if link != 0)
    }

    /// Move body `b` and everything attached below it: translate by `dp`, turn by `yaw`
    /// about the vertical through the body, and add `dv` to their linear velocities.
    pub(crate) fn perturb_body(&mut self, b: usize, dp: [f64; 3], yaw: f64, dv: [f64; 3]) {
        let pivot = self.phys.bodies[self.bodies[b]].translation();
        let r = Rotation::from_axis_angle(Vector::Z, yaw as Real);
        let dp = v3(dp);
        let dv = v3(dv);
        if let Some((idx, _)) = self.body_links[b] {
            // A multibody root: move its body; the links follow at `settle_after_reset`.
            let rb = &mut self.phys.bodies[self.bodies[b]];
            let pos = *rb.position();
            let t = pivot + r * (pos.translation - pivot) + dp;
            rb.set_position(Pose::from_parts(t, r * pos.rotation), true);
            if let Some(mb) = self.phys.multibody_joints.get_multibody_mut(idx)
                && mb.root().joint().ndofs() == 6
            {
                let mut v = mb.generalized_velocity_mut();
                for k in 0..3 {
                    v[k] += dv[k];
                }
            }
            return;
        }
        for &i in &self.subtrees[b] {
            let rb = &mut self.phys.bodies[self.bodies[i]];
            let pos = *rb.position();
            let t = pivot + r * (pos.translation - pivot) + dp;
            rb.set_position(Pose::from_parts(t, r * pos.rotation), true);
            rb.set_linvel(rb.linvel() + dv, true);
        }
    }

    /// After reset noise: place every multibody link where its joint coordinates (and
    /// its root body's pose) put it.
    pub(crate) fn settle_after_reset(&mut self) {
        self.sync_multibodies();
    }

    /// Forward kinematics of every multibody from its joint coordinates and root body
    /// pose, written to the link bodies.
    fn sync_multibodies(&mut self) {
        let PhysicsWorld {
            bodies,
            multibody_joints,
            ..
        } = &mut self.phys;
        for &idx in &self.multibodies {
            if let Some(mb) = multibody_joints.get_multibody_mut(idx) {
                mb.forward_kinematics(bodies, true);
                mb.update_rigid_bodies(bodies, true);
            }
        }
    }

    /// Place body `b` at `pos` (used for goal markers that follow a task parameter).
    pub(crate) fn place_body(&mut self, b: usize, pos: [f64; 3]) {
        let rb = &mut self.phys.bodies[self.bodies[b]];
        rb.set_translation(v3(pos), true);
    }
}
