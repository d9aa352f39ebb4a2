//! `Env`: one world with Gymnasium semantics — `reset(seed) -> obs`,
//! `step(action) -> (obs, terminated, truncated)` — with reset noise, task sampling,
//! snapshots and checkpoint bytes. What the spec fixes (observation layout, spaces,
//! termination) is compiled once into a shared [`CompiledSpec`].
//!
//! Rewards are not computed here: they are a separate stage (`crate::reward`) that
//! reads the [`State`] each step produces.

use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use std::path::Path;
use std::sync::Arc;

use crate::env::build::build_world;
use crate::env::compile::compile;
use crate::env::space::uniform;
use crate::env::state::{BodyState, JointState, State, TaskParamInfo};
use crate::env::world::{PhysicsSnapshot, World};
use crate::env::{ActionSpace, AssetRoots, CompiledSpec, EnvError, EnvSpec};

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
        let controls = spec.controls();
        let world = build_world(&spec, &controls, file, roots)?;
        let compiled = Arc::new(compile(spec, file, world.layout().clone(), &controls)?);
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
            contact_forces: Vec::new(),
            prev: None,
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

    /// Set joints by name to the coordinates given, at rest, and re-read the State: a
    /// hand-set pose (see [`World::set_joint_positions`]). The State's contacts are
    /// cleared (they are found at the next step).
    pub fn set_joint_positions(&mut self, q: &[(&str, f64)]) -> Result<(), EnvError> {
        self.world.set_joint_positions(q)?;
        self.after_pose_set();
        Ok(())
    }

    /// Move a free body or a floating robot's root body (and what hangs below it) to
    /// `pos` with orientation `quat` (w, x, y, z) and re-read the State (see
    /// [`World::set_body_pose`]). The State's contacts are cleared.
    pub fn set_body_pose(
        &mut self,
        body: &str,
        pos: [f64; 3],
        quat: [f64; 4],
    ) -> Result<(), EnvError> {
        self.world.set_body_pose(body, pos, quat)?;
        self.after_pose_set();
        Ok(())
    }

    /// After a hand-set pose: motors hold it, the State shows it.
    fn after_pose_set(&mut self) {
        self.world.hold_current_pose();
        self.world
            .read(&mut self.state.bodies, &mut self.state.joints);
        self.state.forget_contacts_and_prev();
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
        self.state.forget_contacts_and_prev();
        let mut obs = vec![0.0; c.obs_dim()];
        c.observe(&self.state, &mut obs);
        Ok(obs)
    }

    /// Apply `action` for one control step: continuous controls (clipped to the Box),
    /// or the index of a discrete choice. Writes the next observation into `obs`.
    pub fn step_into(&mut self, action: &[f64], obs: &mut [f32]) -> Result<StepFlags, EnvError> {
        let c = self.compiled.clone();
        // Checked before anything changes, so a refused action leaves the env as it was.
        let choice = match &c.action_space {
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
                None
            }
            ActionSpace::Discrete(space) => Some(
                space
                    .index(action)
                    .map_err(|message| EnvError::BadAction { env: 0, message })?,
            ),
        };
        self.state.remember_as_prev();
        match &c.action_space {
            ActionSpace::Box(space) => {
                for (i, a) in action.iter().enumerate() {
                    self.state.action[i] = a.clamp(space.low[i], space.high[i]);
                }
            }
            ActionSpace::Discrete(space) => {
                if let Some(i) = choice {
                    self.state.action.copy_from_slice(&space.choices[i]);
                }
            }
        }
        self.world.clear_forces();
        self.world.apply_action(&self.state.action);
        self.world.step_physics(c.spec.sim.substeps);
        self.state.step += 1;
        self.state.t = self.state.step as f64 * c.spec.sim.control_dt;
        self.world
            .read(&mut self.state.bodies, &mut self.state.joints);
        self.world
            .contacts(&mut self.state.contacts, &mut self.state.contact_forces);
        c.observe(&self.state, obs);
        let terminated = !self.state.is_finite() || c.terminated(&self.state);
        let truncated = self.state.step >= c.spec.sim.horizon;
        Ok(StepFlags {
            terminated,
            truncated,
        })
    }

    /// `step_into` with a freshly allocated observation.
    pub fn step(&mut self, action: &[f64]) -> Result<(Vec<f32>, StepFlags), EnvError> {
        let mut obs = vec![0.0; self.compiled.obs_dim()];
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
    /// contacts, the previous step's values and RNG stream position) as bytes, e.g. for
    /// a training checkpoint.
    /// [`Env::load_bytes`] on an env of the same spec continues bit for bit.
    pub fn save_bytes(&self) -> Result<Vec<u8>, EnvError> {
        let saved = SavedEnv {
            physics: self.world.snapshot()?.to_bytes()?,
            now: SavedStep::of(&self.state),
            prev: self.state.prev.as_deref().map(SavedStep::of),
            task: self.state.task.clone(),
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
            bincode::serde::decode_from_slice(bytes, bincode::config::standard()).map_err(|e| {
                EnvError::Snapshot(format!("{e} (saved by another rewardsmith version?)"))
            })?;
        let s = &self.state;
        let fits = |step: &SavedStep| {
            step.bodies.len() == s.bodies.len()
                && step.joints.len() == s.joints.len()
                && step.action.len() == s.action.len()
        };
        if !fits(&saved.now)
            || !saved.prev.as_ref().is_none_or(fits)
            || saved.task.len() != s.task.len()
        {
            return Err(EnvError::Snapshot(
                "saved env does not match this env's layout".into(),
            ));
        }
        self.world
            .restore(&PhysicsSnapshot::from_bytes(&saved.physics)?)?;
        let s = &mut self.state;
        saved.now.write_to(s);
        s.task = saved.task;
        s.prev = None;
        let prev = saved.prev.map(|p| {
            let mut prev = s.clone();
            p.write_to(&mut prev);
            Box::new(prev)
        });
        s.prev = prev;
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
    now: SavedStep,
    prev: Option<SavedStep>,
    task: Vec<f64>,
    rng_seed: [u8; 32],
    rng_stream: u64,
    rng_word_pos: u128,
}

/// One step's values of a State, as [`SavedEnv`] keeps them.
#[derive(serde::Serialize, serde::Deserialize)]
struct SavedStep {
    t: f64,
    step: u32,
    #[allow(clippy::type_complexity)]
    bodies: Vec<([f64; 3], [f64; 4], [f64; 3], [f64; 3])>,
    joints: Vec<(f64, f64)>,
    action: Vec<f64>,
    contacts: Vec<(u16, u16)>,
    contact_forces: Vec<[f64; 3]>,
}

impl SavedStep {
    fn of(s: &State) -> Self {
        SavedStep {
            t: s.t,
            step: s.step,
            bodies: s
                .bodies
                .iter()
                .map(|b| (b.pos, b.quat, b.linvel, b.angvel))
                .collect(),
            joints: s.joints.iter().map(|j| (j.q, j.qd)).collect(),
            action: s.action.clone(),
            contacts: s.contacts.clone(),
            contact_forces: s.contact_forces.clone(),
        }
    }

    /// Overwrites `s`'s step values (sizes checked by the caller).
    fn write_to(self, s: &mut State) {
        s.t = self.t;
        s.step = self.step;
        for (b, (pos, quat, linvel, angvel)) in s.bodies.iter_mut().zip(self.bodies) {
            *b = BodyState {
                pos,
                quat,
                linvel,
                angvel,
            };
        }
        for (j, (q, qd)) in s.joints.iter_mut().zip(self.joints) {
            *j = JointState { q, qd };
        }
        s.action = self.action;
        s.contacts = self.contacts;
        s.contact_forces = self.contact_forces;
    }
}

/// Sample one task parameter into `task`, rejecting samples outside the xy annulus.
fn sample_task(rng: &mut ChaCha8Rng, c: &CompiledSpec, p: &TaskParamInfo, task: &mut [f64]) {
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
