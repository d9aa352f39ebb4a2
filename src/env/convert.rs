//! Conversions from the plain values of specs and States to rapier's types, shared by
//! the world builder and the world.

use rapier3d::prelude::*;

use crate::env::state::JointKind;

/// The free axis of a joint kind in rapier's joint frame.
pub(crate) fn joint_axis(kind: JointKind) -> JointAxis {
    match kind {
        JointKind::Revolute => JointAxis::AngX,
        JointKind::Prismatic => JointAxis::LinX,
    }
}

/// `[f64; 3]` → rapier vector.
pub(crate) fn v3(a: [f64; 3]) -> Vector {
    Vector::new(a[0] as Real, a[1] as Real, a[2] as Real)
}
