//! Hand-set poses: joints set to given coordinates and free bodies moved, for tests
//! and figures.

use rapier3d::prelude::*;

use super::World;
use crate::env::EnvError;
use crate::env::convert::v3;

impl World {
    /// Set joints, by name, to the coordinates given (radians for a hinge, metres for a
    /// slider) with zero joint velocity, and move the links below them along; joints not
    /// named keep their coordinates. For hand-set poses (tests, figures): a value
    /// outside the joint's limits (1e-6 slack), a non-finite value or an unknown name is
    /// an error, and nothing is changed then. Contacts are not resolved: a pose that
    /// puts links into the ground or into each other stays so until the next step.
    pub fn set_joint_positions(&mut self, q: &[(&str, f64)]) -> Result<(), EnvError> {
        let mut targets = Vec::with_capacity(q.len());
        for &(name, value) in q {
            let Some(j) = self.layout.joint_index(name) else {
                let known: Vec<&str> = self.layout.joints.iter().map(|j| j.name.as_str()).collect();
                return Err(EnvError::Pose(format!(
                    "unknown joint `{name}`; known: {}",
                    known.join(", ")
                )));
            };
            if !value.is_finite() {
                return Err(EnvError::Pose(format!("joint `{name}`: value {value}")));
            }
            if let Some([lo, hi]) = self.layout.joints[j].limits
                && !(lo - 1e-6..=hi + 1e-6).contains(&value)
            {
                return Err(EnvError::Pose(format!(
                    "joint `{name}`: {value} is outside its limits [{lo}, {hi}]"
                )));
            }
            targets.push((j, value));
        }
        for (j, value) in targets {
            let now = self.joint_state(j);
            self.perturb_joint(j, value - now.q, -now.qd);
        }
        self.sync_multibodies();
        Ok(())
    }

    /// Move a body that is free to move — a free object, an impulse-joint link or a
    /// multibody's root (e.g. a floating robot's torso) — to `pos` with orientation
    /// `quat` (w, x, y, z; normalized here), carrying everything attached below it
    /// rigidly; velocities are kept. For hand-set poses, with
    /// [`World::set_joint_positions`]. An unknown body, a multibody link other than the
    /// root (set its joints instead), a non-finite value or a zero quaternion is an
    /// error.
    pub fn set_body_pose(
        &mut self,
        body: &str,
        pos: [f64; 3],
        quat: [f64; 4],
    ) -> Result<(), EnvError> {
        let Some(b) = self.layout.body_index(body) else {
            return Err(EnvError::Pose(format!(
                "unknown body `{body}`; known: {}",
                self.layout.bodies.join(", ")
            )));
        };
        if !self.can_perturb_body(b) {
            return Err(EnvError::Pose(format!(
                "body `{body}` is a link of a multibody; set its joints instead"
            )));
        }
        let norm = quat.iter().map(|c| c * c).sum::<f64>().sqrt();
        if !(pos.iter().chain(&quat).all(|c| c.is_finite()) && norm > 1e-9) {
            return Err(EnvError::Pose(format!(
                "body `{body}`: position {pos:?}, quaternion {quat:?}"
            )));
        }
        let [w, x, y, z] = quat.map(|c| (c / norm) as Real);
        let target = Pose::from_parts(v3(pos), Rotation::from_xyzw(x, y, z, w));
        let now = *self.phys.bodies[self.bodies[b]].position();
        let delta = target * now.inverse();
        let moved: Vec<usize> = if self.body_links[b].is_some() {
            // A multibody root: its links follow its pose in `sync_multibodies`.
            vec![b]
        } else {
            self.subtrees[b].clone()
        };
        for i in moved {
            let rb = &mut self.phys.bodies[self.bodies[i]];
            let p = delta * *rb.position();
            rb.set_position(p, true);
        }
        self.sync_multibodies();
        Ok(())
    }
}
