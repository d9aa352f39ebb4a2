//! `Env`: one world with Gymnasium semantics — `reset(seed) -> obs`,
//! `step(action) -> (obs, terminated, truncated)` — observations, reset noise, task
//! sampling and termination, all compiled once from the spec.
//!
//! Rewards are not computed here: they are a separate stage (`crate::reward`) that
//! reads the [`State`] each step produces.

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use std::path::Path;
use std::sync::Arc;

use crate::env::build::build_world;
use crate::env::spec::{ActionKind, ActionsSpec, EnvSpec, ObsTerm, TerminationSpec};
use crate::env::state::{State, StateLayout};
use crate::env::world::{PhysicsSnapshot, World};
use crate::env::{AssetRoots, EnvError};

/// A Box space: per-component bounds (Gymnasium's `spaces.Box`).
#[derive(Debug, Clone, PartialEq)]
pub struct BoxSpace {
    /// Lower bounds.
    pub low: Vec<f64>,
    /// Upper bounds.
    pub high: Vec<f64>,
}

impl BoxSpace {
    /// Number of components.
    pub fn dim(&self) -> usize {
        self.low.len()
    }
}

/// A Discrete space (Gymnasium's `spaces.Discrete`): action `i` applies the control
/// vector `choices[i]`.
#[derive(Debug, Clone, PartialEq)]
pub struct DiscreteSpace {
    /// One control vector (one value per actuator) per action.
    pub choices: Vec<Vec<f64>>,
}

impl DiscreteSpace {
    /// Number of actions.
    pub fn n(&self) -> usize {
        self.choices.len()
    }

    /// The choice an action names: a flat action of one component holding an integer
    /// index in `0..n`.
    pub fn index(&self, action: &[f64]) -> Result<usize, String> {
        match action {
            [a] if a.fract() == 0.0 && *a >= 0.0 && (*a as usize) < self.n() => Ok(*a as usize),
            [a] => Err(format!(
                "{a} is not an action of Discrete({}): expected an integer in 0..{}",
                self.n(),
                self.n()
            )),
            _ => Err(format!(
                "a Discrete({}) action is one component (the index), got {}",
                self.n(),
                action.len()
            )),
        }
    }
}

/// The space an agent acts in. Actions are flat `f64` slices either way: `dim()`
/// components for a Box, one component holding the index for a Discrete space.
#[derive(Debug, Clone, PartialEq)]
pub enum ActionSpace {
    /// Continuous controls, clipped to the bounds.
    Box(BoxSpace),
    /// One of a few control vectors.
    Discrete(DiscreteSpace),
}

impl ActionSpace {
    /// Components of one flat action (Box: its dimension; Discrete: 1).
    pub fn dim(&self) -> usize {
        match self {
            Self::Box(b) => b.dim(),
            Self::Discrete(_) => 1,
        }
    }

    /// The Box, if continuous.
    pub fn as_box(&self) -> Option<&BoxSpace> {
        match self {
            Self::Box(b) => Some(b),
            Self::Discrete(_) => None,
        }
    }

    /// A uniformly random action.
    pub fn sample(&self, rng: &mut impl Rng) -> Vec<f64> {
        match self {
            Self::Box(b) => (0..b.dim())
                .map(|i| uniform(rng, [b.low[i], b.high[i]]))
                .collect(),
            Self::Discrete(d) => vec![rng.random_range(0..d.n()) as f64],
        }
    }
}

impl std::fmt::Display for ActionSpace {
    /// Gymnasium's notation: `Box(3)`, `Discrete(2)`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Box(b) => write!(f, "Box({})", b.dim()),
            Self::Discrete(d) => write!(f, "Discrete({})", d.n()),
        }
    }
}

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
    joint_noise: Vec<(usize, [f64; 2], [f64; 2])>,
    body_noise: Vec<(usize, [f64; 3], f64, [f64; 3])>,
    placed: Vec<(usize, usize)>,
}

impl CompiledSpec {
    /// Length of the flat observation vector.
    pub fn obs_dim(&self) -> usize {
        self.obs_dim
    }
}

/// One environment instance.
pub struct Env {
    compiled: Arc<CompiledSpec>,
    world: World,
    initial: PhysicsSnapshot,
    rng: ChaCha8Rng,
    state: State,
}

/// What one `step` returns besides the State.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StepFlags {
    /// The episode ended by a termination condition (or a non-finite state).
    pub terminated: bool,
    /// The episode hit the horizon.
    pub truncated: bool,
}

/// A saved env: physics plus episode bookkeeping and the RNG stream.
#[derive(Clone)]
pub struct EnvSnapshot {
    physics: PhysicsSnapshot,
    state: State,
    rng: ChaCha8Rng,
}

impl Env {
    /// Load the spec for `env` (built-in name or file path) and build one env.
    pub fn load(env: &str, roots: &AssetRoots) -> Result<Self, EnvError> {
        let file = roots.resolve_env(env)?;
        let spec = EnvSpec::from_file(&file)?;
        Self::from_spec(spec, &file, roots)
    }

    /// Build an env from a parsed spec (`file` names it in errors).
    pub fn from_spec(spec: EnvSpec, file: &Path, roots: &AssetRoots) -> Result<Self, EnvError> {
        let world = build_world(&spec, file, roots)?;
        let compiled = Arc::new(compile(spec, file, world.layout().clone())?);
        Self::with_world(compiled, world)
    }

    fn with_world(compiled: Arc<CompiledSpec>, world: World) -> Result<Self, EnvError> {
        // Through bytes once, so every reset starts from exactly what decoding a saved
        // env gives (`load_bytes`).
        let initial = PhysicsSnapshot::from_bytes(&world.snapshot()?.to_bytes()?)?;
        let layout = compiled.layout.clone();
        let state = State {
            t: 0.0,
            step: 0,
            bodies: Vec::new(),
            joints: Vec::new(),
            action: vec![0.0; compiled.control_space.dim()],
            task: vec![0.0; layout.task_len()],
            contacts: Vec::new(),
            layout,
        };
        let mut env = Self {
            compiled,
            world,
            initial,
            rng: ChaCha8Rng::seed_from_u64(0),
            state,
        };
        env.world.read(&mut env.state.bodies, &mut env.state.joints);
        Ok(env)
    }

    /// A fresh copy of this env (same spec, independent world), built without
    /// re-reading any file.
    pub fn duplicate(&self) -> Result<Self, EnvError> {
        let world = self.world.with_physics(&self.initial)?;
        Self::with_world(self.compiled.clone(), world)
    }

    /// The compiled spec (spaces, observation layout, names).
    pub fn compiled(&self) -> &Arc<CompiledSpec> {
        &self.compiled
    }

    /// The current State.
    pub fn state(&self) -> &State {
        &self.state
    }

    /// The underlying world.
    pub fn world(&self) -> &World {
        &self.world
    }

    /// Start a new episode. With `Some(seed)` the env's RNG is reseeded first
    /// (Gymnasium's `reset(seed=...)`); with `None` it continues its stream.
    pub fn reset(&mut self, seed: Option<u64>) -> Result<Vec<f32>, EnvError> {
        if let Some(seed) = seed {
            self.rng = ChaCha8Rng::seed_from_u64(seed);
        }
        self.world.restore(&self.initial)?;
        let c = &self.compiled;
        let layout = &c.layout;
        for p in &layout.task {
            sample_task(&mut self.rng, c, p, &mut self.state.task);
        }
        for &(body, offset) in &c.placed {
            let t = &self.state.task;
            self.world
                .place_body(body, [t[offset], t[offset + 1], t[offset + 2]]);
        }
        for &(joint, q, qd) in &c.joint_noise {
            let dq = uniform(&mut self.rng, q);
            let dqd = uniform(&mut self.rng, qd);
            self.world.perturb_joint(joint, dq, dqd);
        }
        for &(body, pos, yaw, vel) in &c.body_noise {
            let dp = pos.map(|h| uniform(&mut self.rng, [-h, h]));
            let dyaw = uniform(&mut self.rng, [-yaw, yaw]);
            let dv = vel.map(|h| uniform(&mut self.rng, [-h, h]));
            self.world.perturb_body(body, dp, dyaw, dv);
        }
        self.world.settle_after_reset();
        self.world.hold_current_pose();
        self.state.t = 0.0;
        self.state.step = 0;
        self.state.action.iter_mut().for_each(|a| *a = 0.0);
        self.world
            .read(&mut self.state.bodies, &mut self.state.joints);
        self.state.contacts.clear();
        let mut obs = vec![0.0; c.obs_dim];
        observe(c, &self.state, &mut obs);
        Ok(obs)
    }

    /// Apply `action` for one control step: continuous controls (clipped to the Box),
    /// or the index of a discrete choice. Writes the next observation into `obs`.
    pub fn step_into(&mut self, action: &[f64], obs: &mut [f32]) -> Result<StepFlags, EnvError> {
        let c = self.compiled.clone();
        match &c.action_space {
            ActionSpace::Box(space) => {
                if action.len() != space.dim() {
                    return Err(EnvError::BadAction {
                        env: 0,
                        message: format!(
                            "expected {} components, got {}",
                            space.dim(),
                            action.len()
                        ),
                    });
                }
                if let Some(i) = action.iter().position(|a| !a.is_finite()) {
                    return Err(EnvError::BadAction {
                        env: 0,
                        message: format!("component {i} is {}", action[i]),
                    });
                }
                for (i, a) in action.iter().enumerate() {
                    self.state.action[i] = a.clamp(space.low[i], space.high[i]);
                }
            }
            ActionSpace::Discrete(space) => {
                let i = space
                    .index(action)
                    .map_err(|message| EnvError::BadAction { env: 0, message })?;
                self.state.action.copy_from_slice(&space.choices[i]);
            }
        }
        self.world.clear_forces();
        self.world.apply_action(&self.state.action);
        self.world.step_physics(c.spec.sim.substeps);
        self.state.step += 1;
        self.state.t = self.state.step as f64 * c.spec.sim.control_dt;
        self.world
            .read(&mut self.state.bodies, &mut self.state.joints);
        self.world.contacts(&mut self.state.contacts);
        observe(&c, &self.state, obs);
        let terminated = !self.state.is_finite() || terminated(&c, &self.state);
        let truncated = self.state.step >= c.spec.sim.horizon;
        Ok(StepFlags {
            terminated,
            truncated,
        })
    }

    /// `step_into` with a freshly allocated observation.
    pub fn step(&mut self, action: &[f64]) -> Result<(Vec<f32>, StepFlags), EnvError> {
        let mut obs = vec![0.0; self.compiled.obs_dim];
        let flags = self.step_into(action, &mut obs)?;
        Ok((obs, flags))
    }

    /// Save the env (physics, episode clock, task, RNG stream).
    pub fn snapshot(&self) -> Result<EnvSnapshot, EnvError> {
        Ok(EnvSnapshot {
            physics: self.world.snapshot()?,
            state: self.state.clone(),
            rng: self.rng.clone(),
        })
    }

    /// Return to a snapshot taken from this env.
    pub fn restore(&mut self, snap: &EnvSnapshot) -> Result<(), EnvError> {
        self.world.restore(&snap.physics)?;
        self.state = snap.state.clone();
        self.rng = snap.rng.clone();
        Ok(())
    }

    /// Encode the env's whole dynamic state (physics, episode clock, task, last action,
    /// contacts and RNG stream position) as bytes, e.g. for a training checkpoint.
    /// [`Env::load_bytes`] on an env of the same spec continues bit for bit.
    pub fn save_bytes(&self) -> Result<Vec<u8>, EnvError> {
        let s = &self.state;
        let saved = SavedEnv {
            physics: self.world.snapshot()?.to_bytes()?,
            t: s.t,
            step: s.step,
            bodies: s
                .bodies
                .iter()
                .map(|b| (b.pos, b.quat, b.linvel, b.angvel))
                .collect(),
            joints: s.joints.iter().map(|j| (j.q, j.qd)).collect(),
            action: s.action.clone(),
            task: s.task.clone(),
            contacts: s.contacts.clone(),
            rng_seed: self.rng.get_seed(),
            rng_stream: self.rng.get_stream(),
            rng_word_pos: self.rng.get_word_pos(),
        };
        bincode::serde::encode_to_vec(&saved, bincode::config::standard())
            .map_err(|e| EnvError::Snapshot(e.to_string()))
    }

    /// Restore a state written by [`Env::save_bytes`] from an env of the same spec.
    pub fn load_bytes(&mut self, bytes: &[u8]) -> Result<(), EnvError> {
        let (saved, _): (SavedEnv, usize) =
            bincode::serde::decode_from_slice(bytes, bincode::config::standard())
                .map_err(|e| EnvError::Snapshot(e.to_string()))?;
        let s = &mut self.state;
        if saved.bodies.len() != s.bodies.len()
            || saved.joints.len() != s.joints.len()
            || saved.action.len() != s.action.len()
            || saved.task.len() != s.task.len()
        {
            return Err(EnvError::Snapshot(
                "saved env does not match this env's layout".into(),
            ));
        }
        self.world
            .restore(&PhysicsSnapshot::from_bytes(&saved.physics)?)?;
        s.t = saved.t;
        s.step = saved.step;
        for (b, (pos, quat, linvel, angvel)) in s.bodies.iter_mut().zip(saved.bodies) {
            *b = crate::env::state::BodyState {
                pos,
                quat,
                linvel,
                angvel,
            };
        }
        for (j, (q, qd)) in s.joints.iter_mut().zip(saved.joints) {
            *j = crate::env::state::JointState { q, qd };
        }
        s.action = saved.action;
        s.task = saved.task;
        s.contacts = saved.contacts;
        let mut rng = ChaCha8Rng::from_seed(saved.rng_seed);
        rng.set_stream(saved.rng_stream);
        rng.set_word_pos(saved.rng_word_pos);
        self.rng = rng;
        Ok(())
    }

    /// Uniform random action from the env's RNG stream (the `random` policy): controls
    /// in the Box, or a uniformly drawn index of a Discrete space.
    pub fn sample_action(&mut self) -> Vec<f64> {
        self.compiled.action_space.sample(&mut self.rng)
    }
}

/// The serialized form of an env's dynamic state (see [`Env::save_bytes`]).
#[derive(serde::Serialize, serde::Deserialize)]
struct SavedEnv {
    physics: Vec<u8>,
    t: f64,
    step: u32,
    #[allow(clippy::type_complexity)]
    bodies: Vec<([f64; 3], [f64; 4], [f64; 3], [f64; 3])>,
    joints: Vec<(f64, f64)>,
    action: Vec<f64>,
    task: Vec<f64>,
    contacts: Vec<(u16, u16)>,
    rng_seed: [u8; 32],
    rng_stream: u64,
    rng_word_pos: u128,
}

fn uniform(rng: &mut impl Rng, [lo, hi]: [f64; 2]) -> f64 {
    if hi > lo {
        rng.random_range(lo..hi)
    } else {
        lo
    }
}

/// Sample one task parameter into `task`, rejecting samples outside the xy annulus.
fn sample_task(
    rng: &mut ChaCha8Rng,
    c: &CompiledSpec,
    p: &crate::env::state::TaskParamInfo,
    task: &mut [f64],
) {
    let spec = c
        .spec
        .task
        .iter()
        .find(|s| s.name == p.name)
        .expect("compiled from spec");
    let slot = &mut task[p.offset..p.offset + p.dim];
    for _ in 0..1000 {
        for (k, v) in slot.iter_mut().enumerate() {
            *v = uniform(rng, [p.low[k], p.high[k]]);
        }
        let r = if p.dim >= 2 {
            slot[0].hypot(slot[1])
        } else {
            slot[0].abs()
        };
        let inside_min = spec.min_radius <= 0.0 || r >= spec.min_radius;
        let inside_max = spec.max_radius <= 0.0 || r <= spec.max_radius;
        if inside_min && inside_max {
            return;
        }
    }
}

/// Write the observation of `s` into `out`.
fn observe(c: &CompiledSpec, s: &State, out: &mut [f32]) {
    let mut i = 0;
    let mut put = |x: f64| {
        out[i] = x as f32;
        i += 1;
    };
    let point = |p: Point| match p {
        Point::Body(b) => s.bodies[b].pos,
        Point::Task(o) => [s.task[o], s.task[o + 1], s.task[o + 2]],
    };
    for op in &c.obs {
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

fn terminated(c: &CompiledSpec, s: &State) -> bool {
    c.termination.iter().any(|t| match *t {
        Termination::JointOutside(j, [lo, hi]) => !(lo..=hi).contains(&s.joints[j].q),
        Termination::BodyCoordOutside(b, axis, [lo, hi]) => {
            !(lo..=hi).contains(&s.bodies[b].pos[axis])
        }
    })
}

/// Resolve every name in the spec against the built world's layout.
fn compile(spec: EnvSpec, file: &Path, layout: Arc<StateLayout>) -> Result<CompiledSpec, EnvError> {
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
    let controls = spec.controls();
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

impl EnvSnapshot {
    /// The State at the time of the snapshot.
    pub fn state(&self) -> &State {
        &self.state
    }
}

impl std::fmt::Debug for EnvSnapshot {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "EnvSnapshot({:?}, step {})",
            self.physics, self.state.step
        )
    }
}

impl std::fmt::Debug for Env {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "Env({}, step {})",
            self.compiled.spec.name, self.state.step
        )
    }
}
