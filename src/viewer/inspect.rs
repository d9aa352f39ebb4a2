//! The body/joint inspector: which body is selected, and its State fields written
//! the way a reward program reads them (`s.body("pole").pos`, `s.joint("hinge").q`).

use std::fmt::Write;

use bevy::prelude::Resource;

use crate::env::state::{JointKind, State};

/// The body the panel inspects, in the first world (the one the panel describes).
/// Picked by a click or `--inspect`; independent of the body the camera follows.
#[derive(Resource, Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Inspected(pub Option<usize>);

/// The inspector's text for body `body` of `state`: its fields, then those of the
/// joint it hangs from, if any. `None` when the index names no body.
pub fn fields(state: &State, body: usize) -> Option<String> {
    let name = state.layout.bodies.get(body)?;
    let b = state.bodies.get(body)?;
    let v3 = |v: [f64; 3]| format!("{:.3} {:.3} {:.3}", v[0], v[1], v[2]);
    let q = b.quat;
    let mut text = format!(
        "s.body(\"{name}\")\n  .pos    {}\n  .quat   {:.3} {:.3} {:.3} {:.3}\n  .linvel {}\n  .angvel {}",
        v3(b.pos),
        q[0],
        q[1],
        q[2],
        q[3],
        v3(b.linvel),
        v3(b.angvel)
    );
    let joints = state.layout.joints.iter().zip(&state.joints);
    for (info, j) in joints.filter(|(info, _)| info.child == body) {
        let (unit, rate) = match info.kind {
            JointKind::Revolute => ("rad", "rad/s"),
            JointKind::Prismatic => ("m", "m/s"),
        };
        let _ = write!(
            text,
            "\ns.joint(\"{}\")\n  .q      {:.3} {unit}\n  .qd     {:.3} {rate}",
            info.name, j.q, j.qd
        );
    }
    Some(text)
}
