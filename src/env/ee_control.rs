//! The end-effector position controller (`[ee_control]`): a Cartesian move of one body
//! turned into joint-target changes by a damped least-squares solve.

use rapier3d::prelude::*;

use crate::env::state::JointKind;
use crate::env::world::World;

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

impl EeDrive {
    /// The joint-target changes that move the end-effector body by `dx` (world frame,
    /// metres; cut short at the workspace's faces) while keeping its tilt: a damped
    /// least-squares solve of J Δq = (dx, ω) with J's rows the body's velocity and its
    /// angular velocity about world x and y, and ω the turn (about x and y) that takes
    /// back part of any tilt error, scaled down as a whole so each joint stays within
    /// its actuator's `ctrl_range`.
    pub(crate) fn joint_deltas(&self, world: &World, dx: &[f64]) -> Vec<f64> {
        let body = world.physics().bodies.get(world.body_handle(self.body));
        let Some(body) = body else {
            return vec![0.0; self.actuators.len()];
        };
        let p = body.translation();
        let mut dx = [dx[0], dx[1], dx[2]];
        if let Some([lo, hi]) = self.workspace {
            for (k, at) in [p.x, p.y, p.z].into_iter().enumerate() {
                let at = at as f64;
                dx[k] = dx[k].min(hi[k] - at).max(lo[k] - at);
            }
        }
        let n = self.actuators.len();
        let mut jac = nalgebra::DMatrix::<f64>::zeros(5, n);
        for (col, &a) in self.actuators.iter().enumerate() {
            let joint = world.actuator(a).joint;
            let frame = world.joint_frame(joint);
            let axis = frame.rotation * Vector::X;
            let (lin, ang) = match world.layout().joints[joint].kind {
                JointKind::Revolute => (axis.cross(p - frame.translation), axis),
                JointKind::Prismatic => (axis, Vector::ZERO),
            };
            let column = [lin.x, lin.y, lin.z, ang.x, ang.y];
            for (row, v) in column.iter().enumerate() {
                jac[(row, col)] = *v as f64;
            }
        }
        // The small rotation that turns the body's z axis back to `tilt_axis`.
        let z = *body.rotation() * Vector::Z;
        let back = z.cross(self.tilt_axis) * EE_TILT_GAIN as Real;
        let goal =
            nalgebra::DVector::from_vec(vec![dx[0], dx[1], dx[2], back.x as f64, back.y as f64]);
        let damped = &jac * jac.transpose()
            + nalgebra::DMatrix::<f64>::identity(5, 5) * (EE_DAMPING * EE_DAMPING);
        // J Jᵀ + λ²I is symmetric positive definite for λ > 0.
        let Some(chol) = damped.cholesky() else {
            return vec![0.0; n];
        };
        let dq = jac.transpose() * chol.solve(&goal);
        let scale = self
            .actuators
            .iter()
            .zip(dq.iter())
            .map(|(&a, d)| {
                let [lo, hi] = world.actuator(a).ctrl_range;
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
}
