//! `State`: the named, read-only view of one world at one step.
//!
//! It is what reward programs read and what the LLM prompt documents, so every field
//! has a plain name: `s.body("pole").pos`, `s.joint("hinge").q`, `s.task.target`.

use serde_json::{Map, Value, json};
use std::sync::Arc;

/// The kind of a joint's free coordinate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JointKind {
    /// Rotation about an axis; q in radians.
    Revolute,
    /// Translation along an axis; q in metres.
    Prismatic,
}

/// Static description of a joint, shared by all States of an env.
#[derive(Debug, Clone)]
pub struct JointInfo {
    /// Joint name from the URDF.
    pub name: String,
    /// Revolute or prismatic.
    pub kind: JointKind,
    /// Joint limits, if the URDF sets them.
    pub limits: Option<[f64; 2]>,
    /// Parent body index.
    pub parent: usize,
    /// Child body index.
    pub child: usize,
}

/// Static description of a task parameter.
#[derive(Debug, Clone)]
pub struct TaskParamInfo {
    /// Parameter name.
    pub name: String,
    /// What it means (from the spec).
    pub doc: String,
    /// Offset into `State::task`.
    pub offset: usize,
    /// Number of components (1 or 3 usually).
    pub dim: usize,
    /// Lower bounds of the sampling range.
    pub low: Vec<f64>,
    /// Upper bounds of the sampling range.
    pub high: Vec<f64>,
}

/// A site: a named point fixed on a body (the env spec's `[[sites]]`).
#[derive(Debug, Clone, PartialEq)]
pub struct SiteInfo {
    /// Site name.
    pub name: String,
    /// Index of the body it is fixed on.
    pub body: usize,
    /// Its position in the body's frame, metres.
    pub offset: [f64; 3],
}

/// The env's success program (`[rewards] success`), which `s.success` evaluates.
#[derive(Clone)]
pub struct SuccessSource {
    /// The program's file name, used in messages.
    pub name: String,
    /// Its Luau source.
    pub source: Arc<str>,
}

impl std::fmt::Debug for SuccessSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "SuccessSource({})", self.name)
    }
}

/// Names and sizes shared by every State of one env.
#[derive(Debug, Clone)]
pub struct StateLayout {
    /// Body names in index order (robot links first, then objects).
    pub bodies: Vec<String>,
    /// How many of `bodies` are the robot's links (they come first; objects follow).
    pub robot_links: usize,
    /// Mass of each body in kg (what rapier computed from the robot file or the
    /// object's spec; 0 for a fixed body), in body order.
    pub body_masses: Vec<f64>,
    /// Centre of mass of each body in its own frame, metres, in body order.
    pub body_coms: Vec<[f64; 3]>,
    /// Joints in index order.
    pub joints: Vec<JointInfo>,
    /// Names of the control vector's components, in action order (joint names, or
    /// `body.x`/`.y`/`.z` for an end-effector controller).
    pub actuators: Vec<String>,
    /// `[low, high]` of each control component, in env units (the Box action space's
    /// bounds); what `s.action_norm` maps to [−1, 1].
    pub action_ranges: Vec<[f64; 2]>,
    /// Task parameters.
    pub task: Vec<TaskParamInfo>,
    /// Sites (named points on bodies), in spec order.
    pub sites: Vec<SiteInfo>,
    /// The env's success program, when its file could be read as the env was built.
    pub success: Option<SuccessSource>,
    /// Control step in seconds.
    pub dt: f64,
}

impl StateLayout {
    /// Index of a body by name.
    pub fn body_index(&self, name: &str) -> Option<usize> {
        self.bodies.iter().position(|b| b == name)
    }

    /// Index of a joint by name.
    pub fn joint_index(&self, name: &str) -> Option<usize> {
        self.joints.iter().position(|j| j.name == name)
    }

    /// A task parameter by name.
    pub fn task_param(&self, name: &str) -> Option<&TaskParamInfo> {
        self.task.iter().find(|p| p.name == name)
    }

    /// Total number of task parameter components.
    pub fn task_len(&self) -> usize {
        self.task.iter().map(|p| p.dim).sum()
    }
}

/// Pose and velocity of one body, in the world frame (z up), SI units. Thirteen f64 in
/// this order (`repr(C)`): reward programs receive them as they lie in memory.
#[derive(Debug, Clone, Copy, PartialEq, Default, bytemuck::Pod, bytemuck::Zeroable)]
#[repr(C)]
pub struct BodyState {
    /// Position of the body frame's origin (a URDF link's frame), metres, world frame.
    pub pos: [f64; 3],
    /// Orientation quaternion (w, x, y, z).
    pub quat: [f64; 4],
    /// Linear velocity of that same point (not of the centre of mass), m/s.
    pub linvel: [f64; 3],
    /// Angular velocity, rad/s.
    pub angvel: [f64; 3],
}

/// Coordinate and velocity of one joint (two f64, `repr(C)`).
#[derive(Debug, Clone, Copy, PartialEq, Default, bytemuck::Pod, bytemuck::Zeroable)]
#[repr(C)]
pub struct JointState {
    /// Position: radians (revolute) or metres (prismatic).
    pub q: f64,
    /// Velocity: rad/s or m/s.
    pub qd: f64,
}

/// One world at one step.
#[derive(Debug)]
pub struct State {
    /// Names and sizes.
    pub layout: Arc<StateLayout>,
    /// Simulated seconds since reset.
    pub t: f64,
    /// Control steps since reset.
    pub step: u32,
    /// Per-body states, in layout order.
    pub bodies: Vec<BodyState>,
    /// Per-joint states, in layout order.
    pub joints: Vec<JointState>,
    /// The action applied to reach this state (clipped to the action space).
    pub action: Vec<f64>,
    /// Task parameter values, flat, in layout order.
    pub task: Vec<f64>,
    /// Pairs of body indices in contact, each `(a, b)` with `a < b`, sorted.
    pub contacts: Vec<(u16, u16)>,
    /// The contact force on the first body of each `contacts` pair from the second, N,
    /// world frame (the normal impulse of the last physics substep over its duration;
    /// friction is not included), in the same order.
    pub contact_forces: Vec<[f64; 3]>,
    /// The previous control step's State (what `s.prev` reads): `None` at the start of
    /// an episode and after a hand-set pose. Its own `prev` is always `None`.
    pub prev: Option<Box<State>>,
}

impl Clone for State {
    fn clone(&self) -> Self {
        Self {
            layout: self.layout.clone(),
            t: self.t,
            step: self.step,
            bodies: self.bodies.clone(),
            joints: self.joints.clone(),
            action: self.action.clone(),
            task: self.task.clone(),
            contacts: self.contacts.clone(),
            contact_forces: self.contact_forces.clone(),
            prev: self.prev.clone(),
        }
    }

    /// Copies in place, reusing this State's buffers (called every env step).
    fn clone_from(&mut self, src: &Self) {
        self.layout.clone_from(&src.layout);
        self.t = src.t;
        self.step = src.step;
        self.bodies.clone_from(&src.bodies);
        self.joints.clone_from(&src.joints);
        self.action.clone_from(&src.action);
        self.task.clone_from(&src.task);
        self.contacts.clone_from(&src.contacts);
        self.contact_forces.clone_from(&src.contact_forces);
        // Option and Box forward clone_from, so a kept `prev` reuses its buffers too.
        self.prev.clone_from(&src.prev);
    }
}

impl PartialEq for State {
    fn eq(&self, other: &Self) -> bool {
        self.t == other.t
            && self.step == other.step
            && self.bodies == other.bodies
            && self.joints == other.joints
            && self.action == other.action
            && self.task == other.task
            && self.contacts == other.contacts
            && self.contact_forces == other.contact_forces
            && self.prev == other.prev
    }
}

impl State {
    /// Clears the contacts and the previous step: after a reset or a hand-set pose,
    /// contacts are found at the next step and there is no step before.
    pub(crate) fn forget_contacts_and_prev(&mut self) {
        self.contacts.clear();
        self.contact_forces.clear();
        self.prev = None;
    }

    /// Keeps the current values as `prev` (reusing its buffers), before a step.
    pub fn remember_as_prev(&mut self) {
        let mut prev = self.prev.take();
        match &mut prev {
            Some(p) => State::clone_from(p, self),
            None => prev = Some(Box::new(self.clone())),
        }
        self.prev = prev;
    }

    /// A body's state by name.
    pub fn body(&self, name: &str) -> Option<&BodyState> {
        self.layout.body_index(name).map(|i| &self.bodies[i])
    }

    /// A joint's state by name.
    pub fn joint(&self, name: &str) -> Option<&JointState> {
        self.layout.joint_index(name).map(|i| &self.joints[i])
    }

    /// A task parameter's value by name.
    pub fn task_param(&self, name: &str) -> Option<&[f64]> {
        let p = self.layout.task_param(name)?;
        Some(&self.task[p.offset..p.offset + p.dim])
    }

    /// The contact force on body `a` from body `b` (indices), N, world frame; zero when
    /// they do not touch.
    pub fn contact_force(&self, a: usize, b: usize) -> [f64; 3] {
        let key = (a.min(b) as u16, a.max(b) as u16);
        match self.contacts.binary_search(&key) {
            Ok(k) => {
                let f = self.contact_forces.get(k).copied().unwrap_or_default();
                if a <= b { f } else { f.map(|x| -x) }
            }
            Err(_) => [0.0; 3],
        }
    }

    /// Whether bodies `a` and `b` (indices) touch.
    pub fn in_contact(&self, a: usize, b: usize) -> bool {
        let (a, b) = (a.min(b) as u16, a.max(b) as u16);
        self.contacts.binary_search(&(a, b)).is_ok()
    }

    /// Whether every number in the state is finite.
    pub fn is_finite(&self) -> bool {
        let bodies = self.bodies.iter().all(|b| {
            b.pos
                .iter()
                .chain(&b.quat)
                .chain(&b.linvel)
                .chain(&b.angvel)
                .all(|x| x.is_finite())
        });
        bodies
            && self
                .joints
                .iter()
                .all(|j| j.q.is_finite() && j.qd.is_finite())
    }

    /// The state as a JSON object keyed by names (what `rollout` writes).
    pub fn to_json(&self) -> Value {
        let l = &self.layout;
        let bodies: Map<String, Value> = l
            .bodies
            .iter()
            .zip(&self.bodies)
            .map(|(n, b)| {
                let v =
                    json!({"pos": b.pos, "quat": b.quat, "linvel": b.linvel, "angvel": b.angvel});
                (n.clone(), v)
            })
            .collect();
        let joints: Map<String, Value> = l
            .joints
            .iter()
            .zip(&self.joints)
            .map(|(j, s)| (j.name.clone(), json!({"q": s.q, "qd": s.qd})))
            .collect();
        let task: Map<String, Value> = l
            .task
            .iter()
            .map(|p| {
                let v = &self.task[p.offset..p.offset + p.dim];
                let v = if p.dim == 1 { json!(v[0]) } else { json!(v) };
                (p.name.clone(), v)
            })
            .collect();
        let contacts: Vec<Value> = self
            .contacts
            .iter()
            .map(|&(a, b)| json!([l.bodies[a as usize], l.bodies[b as usize]]))
            .collect();
        json!({
            "t": self.t, "step": self.step, "bodies": bodies, "joints": joints,
            "action": self.action, "task": task, "contacts": contacts,
            "contact_forces": self.contact_forces,
        })
    }
}
