//! `World`: one rapier world of an env, with actuation, joint readout and snapshots.

use rapier3d::prelude::*;
use std::sync::Arc;

use crate::env::EnvError;
use crate::env::convert::{joint_axis, v3};
use crate::env::spec::ActuatorKind;
use crate::env::state::{BodyState, JointKind, JointState, StateLayout};

/// One actuator, resolved to a joint index.
#[derive(Debug, Clone)]
pub(crate) struct Actuator {
    pub joint: usize,
    pub kind: ActuatorKind,
    pub ctrl_range: [f64; 2],
    pub gain: f64,
    pub damping: f64,
    /// Where a `position_delta` target is kept (unused by the other kinds).
    pub target_range: [f64; 2],
    /// The action component this actuator reads (`None`: driven by the end-effector
    /// controller, or holding a fixed target).
    pub slot: Option<usize>,
}

/// An end-effector position controller (`[ee_control]`), resolved to indices.
#[derive(Debug, Clone)]
pub(crate) struct EeDrive {
    /// The body the first three action components move (layout index).
    pub body: usize,
    /// The `position_delta` actuators (indices into the world's actuators) it drives.
    pub actuators: Vec<usize>,
    /// Where the body's z axis points in the robot's initial pose (q = 0): the tilt the
    /// controller holds.
    pub tilt_axis: Vector,
    /// The box the body is kept in (`[low, high]` corners), if any.
    pub workspace: Option<[[f64; 3]; 2]>,
}

/// Damping of the least-squares solve, in metres: small against a centimetre step, so
/// it matters only near a singular pose (Wampler 1986; Buss 2004, "Introduction to
/// inverse kinematics with Jacobian transpose, pseudoinverse and damped least squares").
const EE_DAMPING: f64 = 0.01;

/// Fraction of the body's tilt error the controller corrects each step, so contacts
/// that twist the tool do not leave it tilted.
const EE_TILT_GAIN: f64 = 0.5;

/// A serialized copy of a world's physics, restorable bit for bit.
#[derive(Debug, Clone)]
pub struct PhysicsSnapshot(Arc<Vec<u8>>);

impl PhysicsSnapshot {
    /// The encoded bytes.
    pub fn bytes(&self) -> &[u8] {
        &self.0
    }

    /// Wrap bytes from [`PhysicsSnapshot::bytes`].
    pub fn from_bytes(bytes: Vec<u8>) -> Self {
        Self(Arc::new(bytes))
    }

    /// Size of the encoded snapshot in bytes.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether the snapshot is empty (never, for a real world).
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// A rapier world plus the name tables and actuators of its env.
pub struct World {
    phys: PhysicsWorld,
    layout: Arc<StateLayout>,
    bodies: Vec<RigidBodyHandle>,
    colors: Vec<[f64; 3]>,
    joints: Vec<ImpulseJointHandle>,
    actuators: Vec<Actuator>,
    ee: Option<EeDrive>,
    subtrees: Vec<Vec<usize>>,
}

impl World {
    /// Assemble a world; called by the builder.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn new(
        phys: PhysicsWorld,
        layout: Arc<StateLayout>,
        bodies: Vec<RigidBodyHandle>,
        colors: Vec<[f64; 3]>,
        joints: Vec<ImpulseJointHandle>,
        actuators: Vec<Actuator>,
        ee: Option<EeDrive>,
        subtrees: Vec<Vec<usize>>,
    ) -> Self {
        Self {
            phys,
            layout,
            bodies,
            colors,
            joints,
            actuators,
            ee,
            subtrees,
        }
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

    /// Apply a (clipped) action for the next control step: each actuator reads its
    /// slot, and the end-effector controller (if any) turns the first three components
    /// into its joints' target changes.
    pub(crate) fn apply_action(&mut self, action: &[f64]) {
        let mut per_actuator: Vec<Option<f64>> = self
            .actuators
            .iter()
            .map(|a| a.slot.map(|k| action[k]))
            .collect();
        if let Some(ee) = &self.ee {
            let dq = self.ee_joint_deltas(ee, &action[..3]);
            for (&a, d) in ee.actuators.iter().zip(dq) {
                per_actuator[a] = Some(d);
            }
        }
        for (a, u) in self.actuators.iter().zip(per_actuator) {
            // A held motor was pointed at its target when the world was built.
            let Some(u) = u else { continue };
            let info = &self.layout.joints[a.joint];
            let handle = self.joints[a.joint];
            let axis = joint_axis(info.kind);
            match a.kind {
                ActuatorKind::Torque => {
                    let effort = (a.gain * u) as Real;
                    let (p, c) = (self.bodies[info.parent], self.bodies[info.child]);
                    let frame = self.joint_frame(a.joint);
                    let dir = frame.rotation * Vector::X;
                    for (h, sign) in [(c, 1.0), (p, -1.0)] {
                        let rb = &mut self.phys.bodies[h];
                        if !rb.is_dynamic() {
                            continue;
                        }
                        match info.kind {
                            JointKind::Revolute => rb.add_torque(dir * effort * sign, true),
                            JointKind::Prismatic => rb.add_force(dir * effort * sign, true),
                        }
                    }
                }
                ActuatorKind::Velocity => {
                    let j = self.phys.impulse_joints.get_mut(handle, true);
                    if let Some(j) = j {
                        j.data.set_motor_velocity(axis, u as Real, a.gain as Real);
                    }
                }
                ActuatorKind::Position | ActuatorKind::PositionDelta => {
                    let j = self.phys.impulse_joints.get_mut(handle, true);
                    if let Some(j) = j {
                        let target = if a.kind == ActuatorKind::Position {
                            u
                        } else {
                            // The target lives in the rapier motor, so snapshots carry it.
                            let current = j.data.motor(axis).map_or(0.0, |m| m.target_pos as f64);
                            let [lo, hi] = a.target_range;
                            (current + u).clamp(lo, hi)
                        };
                        j.data.set_motor_position(
                            axis,
                            target as Real,
                            a.gain as Real,
                            a.damping as Real,
                        );
                    }
                }
            }
        }
    }

    /// The joint-target changes that move the end-effector body by `dx` (world frame,
    /// metres; cut short at the workspace's faces) while keeping its tilt: a damped least-squares solve of J Δq = (dx, ω)
    /// with J's rows the body's velocity and its angular velocity about world x and y,
    /// and ω the turn (about x and y) that takes back part of any tilt error,
    /// scaled down as a whole so each joint stays within its actuator's `ctrl_range`.
    fn ee_joint_deltas(&self, ee: &EeDrive, dx: &[f64]) -> Vec<f64> {
        let p = self.phys.bodies[self.bodies[ee.body]].translation();
        let mut dx = [dx[0], dx[1], dx[2]];
        if let Some([lo, hi]) = ee.workspace {
            for (k, at) in [p.x, p.y, p.z].into_iter().enumerate() {
                let at = at as f64;
                dx[k] = dx[k].min(hi[k] - at).max(lo[k] - at);
            }
        }
        let n = ee.actuators.len();
        let mut jac = nalgebra::DMatrix::<f64>::zeros(5, n);
        for (col, &a) in ee.actuators.iter().enumerate() {
            let joint = self.actuators[a].joint;
            let frame = self.joint_frame(joint);
            let axis = frame.rotation * Vector::X;
            let (lin, ang) = match self.layout.joints[joint].kind {
                JointKind::Revolute => (axis.cross(p - frame.translation), axis),
                JointKind::Prismatic => (axis, Vector::ZERO),
            };
            let column = [lin.x, lin.y, lin.z, ang.x, ang.y];
            for (row, v) in column.iter().enumerate() {
                jac[(row, col)] = *v as f64;
            }
        }
        // The small rotation that turns the body's z axis back to `tilt_axis`.
        let z = *self.phys.bodies[self.bodies[ee.body]].rotation() * Vector::Z;
        let back = z.cross(ee.tilt_axis) * EE_TILT_GAIN as Real;
        let goal =
            nalgebra::DVector::from_vec(vec![dx[0], dx[1], dx[2], back.x as f64, back.y as f64]);
        let damped = &jac * jac.transpose()
            + nalgebra::DMatrix::<f64>::identity(5, 5) * (EE_DAMPING * EE_DAMPING);
        // J Jᵀ + λ²I is symmetric positive definite for λ > 0.
        let Some(chol) = damped.cholesky() else {
            return vec![0.0; n];
        };
        let dq = jac.transpose() * chol.solve(&goal);
        let scale = ee
            .actuators
            .iter()
            .zip(dq.iter())
            .map(|(&a, d)| {
                let [lo, hi] = self.actuators[a].ctrl_range;
                let limit = if *d >= 0.0 { hi } else { -lo };
                if d.abs() > limit {
                    limit / d.abs()
                } else {
                    1.0
                }
            })
            .fold(1.0, f64::min);
        dq.iter().map(|d| d * scale).collect()
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
            if let Some(j) = self.phys.impulse_joints.get_mut(self.joints[joint], true) {
                j.data.set_motor_position(axis, q, gain, damping);
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

    /// World frames of joint `j` on its parent and child sides (equal for an exact joint).
    fn joint_frames(&self, j: usize) -> (Pose, Pose) {
        let info = &self.layout.joints[j];
        let data = &self
            .phys
            .impulse_joints
            .get(self.joints[j])
            .expect("own joint")
            .data;
        let parent = *self.phys.bodies[self.bodies[info.parent]].position();
        let child = *self.phys.bodies[self.bodies[info.child]].position();
        (parent * data.local_frame1, child * data.local_frame2)
    }

    /// World frame of joint `j` on its parent side.
    fn joint_frame(&self, j: usize) -> Pose {
        self.joint_frames(j).0
    }

    /// Read joint `j`'s coordinate and velocity from the two bodies' poses.
    fn joint_state(&self, j: usize) -> JointState {
        let info = &self.layout.joints[j];
        let rb1 = &self.phys.bodies[self.bodies[info.parent]];
        let rb2 = &self.phys.bodies[self.bodies[info.child]];
        let (f1, f2) = self.joint_frames(j);
        let axis = f1.rotation * Vector::X;
        match info.kind {
            JointKind::Revolute => {
                let rel = f1.rotation.inverse() * f2.rotation;
                let (x, w) = (rel.x as f64, rel.w as f64);
                let mut q = 2.0 * x.atan2(w);
                if q > std::f64::consts::PI {
                    q -= 2.0 * std::f64::consts::PI;
                } else if q < -std::f64::consts::PI {
                    q += 2.0 * std::f64::consts::PI;
                }
                let qd = (rb2.angvel() - rb1.angvel()).dot(axis) as f64;
                JointState { q, qd }
            }
            JointKind::Prismatic => {
                let d = f2.translation - f1.translation;
                let p = f2.translation;
                let v = rb2.velocity_at_point(p) - rb1.velocity_at_point(p);
                JointState {
                    q: d.dot(axis) as f64,
                    qd: v.dot(axis) as f64,
                }
            }
        }
    }

    /// The largest distance between the two anchors of any joint, in metres: how far
    /// the impulse joints have drifted apart (0 for an exact joint).
    pub fn max_joint_separation(&self) -> f64 {
        (0..self.joints.len())
            .map(|j| {
                let info = &self.layout.joints[j];
                let (f1, f2) = self.joint_frames(j);
                let d = f2.translation - f1.translation;
                match info.kind {
                    JointKind::Revolute => d.length() as f64,
                    // Only the off-axis part is an error for a slider.
                    JointKind::Prismatic => {
                        let axis = f1.rotation * Vector::X;
                        (d - axis * d.dot(axis)).length() as f64
                    }
                }
            })
            .fold(0.0, f64::max)
    }

    /// Fill `bodies` and `joints` with the current state.
    pub(crate) fn read(&self, bodies: &mut Vec<BodyState>, joints: &mut Vec<JointState>) {
        bodies.clear();
        bodies.extend(self.bodies.iter().map(|&h| {
            let rb = &self.phys.bodies[h];
            let p = rb.translation();
            let q = rb.rotation();
            let v = rb.linvel();
            let w = rb.angvel();
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

    /// Pairs of body indices whose colliders touch (within 1 mm), sorted, each `(a, b)` with `a < b`.
    pub(crate) fn contacts(&self, out: &mut Vec<(u16, u16)>) {
        out.clear();
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
            if a != b {
                out.push((a.min(b), a.max(b)));
            }
        }
        out.sort_unstable();
        out.dedup();
    }

    /// Turn joint `j` (and everything below it) by `dq` and add `dqd` to its velocity.
    pub(crate) fn perturb_joint(&mut self, j: usize, dq: f64, dqd: f64) {
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

    /// Move body `b` and everything attached below it: translate by `dp`, turn by `yaw`
    /// about the vertical through the body, and add `dv` to their linear velocities.
    pub(crate) fn perturb_body(&mut self, b: usize, dp: [f64; 3], yaw: f64, dv: [f64; 3]) {
        let pivot = self.phys.bodies[self.bodies[b]].translation();
        let r = Rotation::from_axis_angle(Vector::Z, yaw as Real);
        let dp = v3(dp);
        let dv = v3(dv);
        for &i in &self.subtrees[b] {
            let rb = &mut self.phys.bodies[self.bodies[i]];
            let pos = *rb.position();
            let t = pivot + r * (pos.translation - pivot) + dp;
            rb.set_position(Pose::from_parts(t, r * pos.rotation), true);
            rb.set_linvel(rb.linvel() + dv, true);
        }
    }

    /// Place body `b` at `pos` (used for goal markers that follow a task parameter).
    pub(crate) fn place_body(&mut self, b: usize, pos: [f64; 3]) {
        let rb = &mut self.phys.bodies[self.bodies[b]];
        rb.set_translation(v3(pos), true);
    }

    /// Encode the physics state.
    pub fn snapshot(&self) -> Result<PhysicsSnapshot, EnvError> {
        bincode::serde::encode_to_vec(&self.phys, bincode::config::standard())
            .map(|b| PhysicsSnapshot(Arc::new(b)))
            .map_err(|e| EnvError::Snapshot(e.to_string()))
    }

    /// Restore the physics state from a snapshot of this same world.
    pub fn restore(&mut self, snap: &PhysicsSnapshot) -> Result<(), EnvError> {
        self.phys = decode(snap)?;
        Ok(())
    }

    /// A new world with this one's tables and the physics of `snap`.
    pub(crate) fn with_physics(&self, snap: &PhysicsSnapshot) -> Result<World, EnvError> {
        Ok(World {
            phys: decode(snap)?,
            layout: self.layout.clone(),
            bodies: self.bodies.clone(),
            colors: self.colors.clone(),
            joints: self.joints.clone(),
            actuators: self.actuators.clone(),
            ee: self.ee.clone(),
            subtrees: self.subtrees.clone(),
        })
    }
}

fn decode(snap: &PhysicsSnapshot) -> Result<PhysicsWorld, EnvError> {
    let (phys, _): (PhysicsWorld, usize) =
        bincode::serde::decode_from_slice(&snap.0, bincode::config::standard())
            .map_err(|e| EnvError::Snapshot(e.to_string()))?;
    Ok(phys)
}
