//! Compiling a spec against its built world: every name resolved to an index once,
//! giving the observation layout, the spaces, termination and reset noise
//! ([`CompiledSpec`]) that every copy of the env shares.

use std::path::Path;
use std::sync::Arc;

use crate::env::EnvError;
use crate::env::space::{ActionSpace, BoxSpace, DiscreteSpace};
use crate::env::spec::{ActionKind, ActionsSpec, Control, EnvSpec, ObsTerm, TerminationSpec};
use crate::env::state::{State, StateLayout};

/// One named block of the flat observation.
#[derive(Debug, Clone)]
pub struct ObsBlock {
    /// Human-readable name, e.g. `joint_q(hinge, slider)`.
    pub name: String,
    /// First index in the observation vector.
    pub offset: usize,
    /// Number of components.
    pub size: usize,
}

/// A point that a `relative` observation term measures from or to.
#[derive(Debug, Clone, Copy)]
enum Point {
    Body(usize),
    Task(usize),
}

/// An observation term with names resolved to indices.
#[derive(Debug, Clone)]
enum ObsOp {
    JointQ(Vec<usize>),
    JointQCosSin(Vec<usize>),
    JointQd(Vec<usize>),
    BodyPos(usize),
    BodyQuat(usize),
    BodyLinvel(usize),
    BodyAngvel(usize),
    Relative(Point, Point),
    Task(usize, usize),
    LastAction,
}

/// A termination condition with names resolved to indices.
#[derive(Debug, Clone)]
enum Termination {
    JointOutside(usize, [f64; 2]),
    BodyCoordOutside(usize, usize, [f64; 2]),
}

/// Everything in a spec that is the same for every copy of the env.
#[derive(Debug)]
pub struct CompiledSpec {
    /// The spec itself.
    pub spec: EnvSpec,
    /// Names shared by all States.
    pub layout: Arc<StateLayout>,
    /// Observation blocks, in order.
    pub obs_blocks: Vec<ObsBlock>,
    /// The agent's action space.
    pub action_space: ActionSpace,
    /// The actuators' control ranges (what `State::action` holds, whatever the
    /// action space).
    pub control_space: BoxSpace,
    obs: Vec<ObsOp>,
    obs_dim: usize,
    termination: Vec<Termination>,
    pub(super) joint_noise: Vec<(usize, [f64; 2], [f64; 2])>,
    /// Reset noise per body: (body, position half-widths, yaw half-width, velocity
    /// half-widths).
    pub(super) body_noise: Vec<(usize, [f64; 3], f64, [f64; 3])>,
    /// Bodies placed from a task parameter at reset: (body, offset in `State::task`).
    pub(super) placed: Vec<(usize, usize)>,
}

impl CompiledSpec {
    /// Length of the flat observation vector.
    pub fn obs_dim(&self) -> usize {
        self.obs_dim
    }

    /// Write the observation of `s` into `out`.
    pub(super) fn observe(&self, s: &State, out: &mut [f32]) {
        let mut i = 0;
        let mut put = |x: f64| {
            out[i] = x as f32;
            i += 1;
        };
        let point = |p: Point| match p {
            Point::Body(b) => s.bodies[b].pos,
            Point::Task(o) => [s.task[o], s.task[o + 1], s.task[o + 2]],
        };
        for op in &self.obs {
            match op {
                ObsOp::JointQ(js) => js.iter().for_each(|&j| put(s.joints[j].q)),
                ObsOp::JointQCosSin(js) => js.iter().for_each(|&j| {
                    put(s.joints[j].q.cos());
                    put(s.joints[j].q.sin());
                }),
                ObsOp::JointQd(js) => js.iter().for_each(|&j| put(s.joints[j].qd)),
                ObsOp::BodyPos(b) => s.bodies[*b].pos.into_iter().for_each(&mut put),
                ObsOp::BodyQuat(b) => s.bodies[*b].quat.into_iter().for_each(&mut put),
                ObsOp::BodyLinvel(b) => s.bodies[*b].linvel.into_iter().for_each(&mut put),
                ObsOp::BodyAngvel(b) => s.bodies[*b].angvel.into_iter().for_each(&mut put),
                ObsOp::Relative(from, to) => {
                    let (a, b) = (point(*from), point(*to));
                    (0..3).for_each(|k| put(b[k] - a[k]));
                }
                ObsOp::Task(o, d) => s.task[*o..*o + *d].iter().for_each(|&x| put(x)),
                ObsOp::LastAction => s.action.iter().for_each(|&x| put(x)),
            }
        }
    }

    /// Whether `s` meets a termination condition.
    pub(super) fn terminated(&self, s: &State) -> bool {
        self.termination.iter().any(|t| match *t {
            Termination::JointOutside(j, [lo, hi]) => !(lo..=hi).contains(&s.joints[j].q),
            Termination::BodyCoordOutside(b, axis, [lo, hi]) => {
                !(lo..=hi).contains(&s.bodies[b].pos[axis])
            }
        })
    }
}

/// Resolve every name in the spec against the built world's layout.
pub(super) fn compile(
    spec: EnvSpec,
    file: &Path,
    layout: Arc<StateLayout>,
    controls: &[Control],
) -> Result<CompiledSpec, EnvError> {
    let bodies: Vec<&str> = layout.bodies.iter().map(String::as_str).collect();
    let joints: Vec<&str> = layout.joints.iter().map(|j| j.name.as_str()).collect();
    let params: Vec<&str> = layout.task.iter().map(|p| p.name.as_str()).collect();
    let body = |key: String, name: &str| {
        layout
            .body_index(name)
            .ok_or_else(|| EnvError::unknown(file, key, "body", name, &bodies))
    };
    let joint = |key: String, name: &str| {
        layout
            .joint_index(name)
            .ok_or_else(|| EnvError::unknown(file, key, "joint", name, &joints))
    };
    let param = |key: String, name: &str| {
        layout
            .task_param(name)
            .ok_or_else(|| EnvError::unknown(file, key, "task parameter", name, &params))
    };
    let point = |key: String, name: &str| -> Result<Point, EnvError> {
        match name.strip_prefix("task.") {
            Some(p) => {
                let info = param(key.clone(), p)?;
                if info.dim != 3 {
                    return Err(EnvError::Invalid {
                        file: file.to_path_buf(),
                        key,
                        expected: format!("a 3-vector task parameter (`{p}` has {})", info.dim),
                    });
                }
                Ok(Point::Task(info.offset))
            }
            None => Ok(Point::Body(body(key, name)?)),
        }
    };

    let mut obs = Vec::new();
    let mut obs_blocks = Vec::new();
    let mut offset = 0;
    for (i, term) in spec.observations.iter().enumerate() {
        let key = |f: &str| format!("observations[{i}].{f}");
        let names = |js: &[String]| -> Result<Vec<usize>, EnvError> {
            js.iter().map(|n| joint(key("joints"), n)).collect()
        };
        let (op, name, size) = match term {
            ObsTerm::JointQ { joints: js } => (
                ObsOp::JointQ(names(js)?),
                format!("joint_q({})", js.join(", ")),
                js.len(),
            ),
            ObsTerm::JointQCosSin { joints: js } => (
                ObsOp::JointQCosSin(names(js)?),
                format!("joint_q_cos_sin({})", js.join(", ")),
                2 * js.len(),
            ),
            ObsTerm::JointQd { joints: js } => (
                ObsOp::JointQd(names(js)?),
                format!("joint_qd({})", js.join(", ")),
                js.len(),
            ),
            ObsTerm::BodyPos { body: b } => (
                ObsOp::BodyPos(body(key("body"), b)?),
                format!("body_pos({b})"),
                3,
            ),
            ObsTerm::BodyQuat { body: b } => (
                ObsOp::BodyQuat(body(key("body"), b)?),
                format!("body_quat({b}) [w x y z]"),
                4,
            ),
            ObsTerm::BodyLinvel { body: b } => (
                ObsOp::BodyLinvel(body(key("body"), b)?),
                format!("body_linvel({b})"),
                3,
            ),
            ObsTerm::BodyAngvel { body: b } => (
                ObsOp::BodyAngvel(body(key("body"), b)?),
                format!("body_angvel({b})"),
                3,
            ),
            ObsTerm::Relative { from, to } => (
                ObsOp::Relative(point(key("from"), from)?, point(key("to"), to)?),
                format!("relative({from} → {to})"),
                3,
            ),
            ObsTerm::Task { param: p } => {
                let info = param(key("param"), p)?;
                (
                    ObsOp::Task(info.offset, info.dim),
                    format!("task.{p}"),
                    info.dim,
                )
            }
            ObsTerm::LastAction => (
                ObsOp::LastAction,
                "last_action".to_string(),
                layout.actuators.len(),
            ),
        };
        obs.push(op);
        obs_blocks.push(ObsBlock { name, offset, size });
        offset += size;
    }

    let mut termination = Vec::new();
    for (i, t) in spec.termination.iter().enumerate() {
        let key = |f: &str| format!("termination[{i}].{f}");
        termination.push(match t {
            TerminationSpec::JointOutside { joint: j, range } => {
                Termination::JointOutside(joint(key("joint"), j)?, *range)
            }
            TerminationSpec::BodyHeightOutside { body: b, range } => {
                Termination::BodyCoordOutside(body(key("body"), b)?, 2, *range)
            }
            TerminationSpec::BodyCoordAbove {
                body: b,
                axis,
                value,
            } => {
                if *axis > 2 {
                    return Err(EnvError::Invalid {
                        file: file.to_path_buf(),
                        key: key("axis"),
                        expected: "0 (x), 1 (y) or 2 (z)".into(),
                    });
                }
                Termination::BodyCoordOutside(
                    body(key("body"), b)?,
                    *axis,
                    [f64::NEG_INFINITY, *value],
                )
            }
        });
    }

    let mut joint_noise = Vec::new();
    for (i, n) in spec.reset.joints.iter().enumerate() {
        if n.joint == "*" {
            joint_noise.extend((0..layout.joints.len()).map(|j| (j, n.q, n.qd)));
        } else {
            joint_noise.push((
                joint(format!("reset.joints[{i}].joint"), &n.joint)?,
                n.q,
                n.qd,
            ));
        }
    }
    let mut body_noise = Vec::new();
    for (i, n) in spec.reset.bodies.iter().enumerate() {
        let b = body(format!("reset.bodies[{i}].body"), &n.body)?;
        body_noise.push((b, n.pos, n.yaw, n.linvel));
    }
    let mut placed = Vec::new();
    for o in &spec.objects {
        if let Some(p) = &o.pos_from_task {
            let b = layout
                .body_index(&o.name)
                .expect("object bodies are in the layout");
            placed.push((
                b,
                layout.task_param(p).expect("checked by the builder").offset,
            ));
        }
    }
    if let Some(track) = &spec.camera.track {
        body("camera.track".into(), track)?;
    }
    let control_space = BoxSpace {
        low: controls.iter().map(|c| c.range[0]).collect(),
        high: controls.iter().map(|c| c.range[1]).collect(),
    };
    let action_space = match &spec.actions {
        Some(ActionsSpec {
            kind: ActionKind::Discrete,
            choices,
        }) => ActionSpace::Discrete(DiscreteSpace {
            choices: choices.clone(),
        }),
        _ => ActionSpace::Box(control_space.clone()),
    };
    Ok(CompiledSpec {
        spec,
        layout,
        obs_blocks,
        action_space,
        control_space,
        obs,
        obs_dim: offset,
        termination,
        joint_noise,
        body_noise,
        placed,
    })
}
