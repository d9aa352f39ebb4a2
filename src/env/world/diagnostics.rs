//! Fidelity diagnostics of a world (what `envs check` reports): joint separation,
//! contact penetration and mechanical energy.

use rapier3d::prelude::*;

use super::World;
use crate::env::state::JointKind;

impl World {
    /// The largest distance between the two anchors of any joint, in metres: how far
    /// the joints have drifted apart (0 for an exact joint; ~1e-7 for multibody joints,
    /// whose link poses are computed from the joint coordinates).
    pub fn max_joint_separation(&self) -> f64 {
        (0..self.joints.len())
            .map(|j| self.joint_separation(j))
            .fold(0.0, f64::max)
    }

    /// The distance between the two anchors of joint `j` (layout order), in metres
    /// (for a slider, only the part across its axis).
    pub fn joint_separation(&self, j: usize) -> f64 {
        let info = &self.layout.joints[j];
        let (f1, f2) = self.joint_frames(j);
        let d = f2.translation - f1.translation;
        match info.kind {
            JointKind::Revolute => d.length() as f64,
            JointKind::Prismatic => {
                let axis = f1.rotation * Vector::X;
                (d - axis * d.dot(axis)).length() as f64
            }
        }
    }

    /// The deepest penetration between any two touching colliders, in metres (0 when
    /// nothing overlaps), and the two bodies (layout indices) it is between.
    pub fn max_penetration(&self) -> (f64, Option<(usize, usize)>) {
        let mut deepest: (f64, Option<(usize, usize)>) = (0.0, None);
        for pair in self.phys.narrow_phase.contact_pairs() {
            for m in pair.manifolds() {
                for p in &m.points {
                    let depth = -(p.dist as f64);
                    if depth > deepest.0 {
                        let body = |c| self.phys.colliders.get(c).map(|c| c.user_data as usize);
                        let bodies = body(pair.collider1).zip(body(pair.collider2));
                        deepest = (depth, bodies);
                    }
                }
            }
        }
        deepest
    }

    /// Total mechanical energy of the dynamic bodies, in joules: kinetic (links and
    /// joint armature), gravitational (relative to z = 0) and joint springs.
    pub fn mechanical_energy(&self) -> f64 {
        let g = self.phys.gravity;
        let mut energy = 0.0;
        for (i, &h) in self.bodies.iter().enumerate() {
            let rb = &self.phys.bodies[h];
            if !rb.is_dynamic() {
                continue;
            }
            let (v, w) = self.body_velocity(i);
            let mprops = &rb.mass_properties().local_mprops;
            let frame = rb.rotation() * mprops.principal_inertia_local_frame;
            let w_local = frame.inverse() * w;
            let inertia = mprops.principal_inertia();
            let rotational = 0.5
                * (inertia.x * w_local.x * w_local.x
                    + inertia.y * w_local.y * w_local.y
                    + inertia.z * w_local.z * w_local.z);
            let kinetic = 0.5 * rb.mass() * v.length_squared() + rotational;
            let potential = -rb.mass() * g.dot(rb.center_of_mass());
            energy += (kinetic + potential) as f64;
        }
        for &idx in &self.multibodies {
            let Some(mb) = self.phys.multibody_joints.get_multibody(idx) else {
                continue;
            };
            let qd = mb.generalized_velocity();
            for (a, v) in mb.armature().iter().zip(qd.iter()) {
                energy += 0.5 * (*a * *v * *v) as f64;
            }
            for link in mb.links() {
                let coords = link.joint().coords();
                for (axis, q) in coords.iter().enumerate() {
                    let (k, rest) = link.joint().spring(axis);
                    if k != 0.0 {
                        let x = q - rest;
                        energy += 0.5 * (k * x * x) as f64;
                    }
                }
            }
        }
        energy
    }
}
