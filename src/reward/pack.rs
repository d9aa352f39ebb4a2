//! The byte layout in which a `State` is handed to the Luau VM (one Luau `buffer` per VM,
//! overwritten before each call; the prelude reads it with `buffer.readf64`).
//!
//! Layout (little-endian f64 unless noted): header `t, step, dt, n_contacts, prev_at`; then
//! 13 per body (pos 3, quat w x y z 4, linvel 3, angvel 3); 2 per joint (q, qd); the
//! action; the flat task vector; then `n_contacts` contact records of 28 bytes: two u16
//! body indices (0-based, a < b) and the force on a from b (3 f64, N). When asked to, the previous step's State follows, packed the same way, at byte
//! `prev_at` (0 when the State has none; −1 when it was not asked for).

use crate::env::{State, StateLayout};

/// Bytes per body record.
pub const BODY_BYTES: usize = 13 * 8;
/// Bytes per joint record.
pub const JOINT_BYTES: usize = 2 * 8;
/// Bytes per contact record.
pub const CONTACT_BYTES: usize = 4 + 3 * 8;
/// Bytes of the header.
pub const HEADER_BYTES: usize = 5 * 8;
/// Byte offset of the header's `prev_at` field.
const PREV_AT: usize = 4 * 8;

/// Byte offsets of each section for one layout.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Offsets {
    /// First body record.
    pub bodies: usize,
    /// First joint record.
    pub joints: usize,
    /// First action value.
    pub action: usize,
    /// First task value.
    pub task: usize,
    /// First contact pair.
    pub contacts: usize,
    /// Number of bodies.
    pub n_bodies: usize,
    /// Number of joints.
    pub n_joints: usize,
    /// Number of actions.
    pub n_action: usize,
    /// Number of task values.
    pub n_task: usize,
}

impl Offsets {
    /// Offsets for `layout`.
    pub fn new(layout: &StateLayout) -> Self {
        let n_bodies = layout.bodies.len();
        let n_joints = layout.joints.len();
        let n_action = layout.actuators.len();
        let n_task = layout.task_len();
        let bodies = HEADER_BYTES;
        let joints = bodies + n_bodies * BODY_BYTES;
        let action = joints + n_joints * JOINT_BYTES;
        let task = action + n_action * 8;
        let contacts = task + n_task * 8;
        Offsets {
            bodies,
            joints,
            action,
            task,
            contacts,
            n_bodies,
            n_joints,
            n_action,
            n_task,
        }
    }

    /// Buffer size needed for a state with `n_contacts` contact pairs.
    pub fn size(&self, n_contacts: usize) -> usize {
        self.contacts + CONTACT_BYTES * n_contacts
    }

    /// Describes how `s` differs from this layout, or `None` if it fits.
    pub fn mismatch(&self, s: &State) -> Option<String> {
        let check = [
            ("bodies", self.n_bodies, s.bodies.len()),
            ("joints", self.n_joints, s.joints.len()),
            ("action", self.n_action, s.action.len()),
            ("task", self.n_task, s.task.len()),
        ];
        check
            .iter()
            .find(|(_, want, got)| want != got)
            .map(|(what, want, got)| format!("{what}: expected {want} values, got {got}"))
    }

    /// Serializes `s` into `out` (cleared first), followed by `s.prev` when `with_prev`.
    /// Call [`Offsets::mismatch`] before.
    pub fn pack(&self, s: &State, with_prev: bool, out: &mut Vec<u8>) {
        out.clear();
        self.pack_one(s, out);
        let prev_at = match (&s.prev, with_prev) {
            (_, false) => -1.0,
            (None, true) => 0.0,
            (Some(prev), true) => {
                let at = out.len();
                self.pack_one(prev, out);
                at as f64
            }
        };
        out[PREV_AT..PREV_AT + 8].copy_from_slice(&f64::to_le_bytes(prev_at));
    }

    /// Appends one State's record (its `prev_at` left 0).
    fn pack_one(&self, s: &State, out: &mut Vec<u8>) {
        let n_contacts = s.contacts.len() as f64;
        put_f64s(out, &[s.t, f64::from(s.step), s.layout.dt, n_contacts, 0.0]);
        put_f64s(out, &s.bodies);
        put_f64s(out, &s.joints);
        put_f64s(out, &s.action);
        put_f64s(out, &s.task);
        let zero = [0.0; 3];
        for (k, &(a, b)) in s.contacts.iter().enumerate() {
            out.extend_from_slice(&a.to_le_bytes());
            out.extend_from_slice(&b.to_le_bytes());
            for x in s.contact_forces.get(k).unwrap_or(&zero) {
                out.extend_from_slice(&x.to_le_bytes());
            }
        }
    }
}

/// Appends `xs`, plain records of f64, as little-endian f64s: one copy on a
/// little-endian machine.
fn put_f64s<T: bytemuck::Pod>(out: &mut Vec<u8>, xs: &[T]) {
    if cfg!(target_endian = "little") {
        out.extend_from_slice(bytemuck::cast_slice(xs));
    } else {
        for x in bytemuck::cast_slice::<T, f64>(xs) {
            out.extend_from_slice(&x.to_le_bytes());
        }
    }
}
