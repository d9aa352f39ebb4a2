//! Environment specs: the TOML schema of `envs/<name>.toml` and its validation.
//!
//! One spec is the single source of truth for an environment: it builds the rapier
//! world, names the [`State`](crate::env::State) fields reward programs read, and lays
//! out the flat observation vector.

use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

use crate::env::EnvError;

/// A whole environment spec, as read from `envs/<name>.toml`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EnvSpec {
    /// Short identifier (`cartpole`, `arm-push`, ...).
    pub name: String,
    /// One-line description of the task, shown by `envs list` and in LLM prompts.
    pub description: String,
    /// Simulation timing, gravity and joint model.
    pub sim: SimSpec,
    /// Robot loaded from a URDF file, if any.
    #[serde(default)]
    pub robot: Option<RobotSpec>,
    /// Extra bodies: ground, cubes, targets, tracks.
    #[serde(default)]
    pub objects: Vec<ObjectSpec>,
    /// Actuated joints; those neither driven by `[ee_control]` nor held take action
    /// components in this order (see [`EnvSpec::controls`]).
    #[serde(default)]
    pub actuators: Vec<ActuatorSpec>,
    /// An end-effector controller (`[ee_control]`): three action components that move
    /// a body in Cartesian space through some of the actuated joints.
    #[serde(default)]
    pub ee_control: Option<EeControlSpec>,
    /// The action space the agent acts in (`[actions]`); absent means a Box over the
    /// control ranges (see [`EnvSpec::controls`]).
    #[serde(default)]
    pub actions: Option<ActionsSpec>,
    /// Observation terms, concatenated in this order into the flat observation.
    pub observations: Vec<ObsTerm>,
    /// Reset noise added to joints and bodies at the start of each episode.
    #[serde(default)]
    pub reset: ResetSpec,
    /// Task parameters sampled once per episode (e.g. a goal position).
    #[serde(default)]
    pub task: Vec<TaskParamSpec>,
    /// Conditions that end an episode early (`terminated = true`).
    #[serde(default)]
    pub termination: Vec<TerminationSpec>,
    /// The default reward and success programs in `rewards/`.
    pub rewards: RewardsSpec,
    /// The camera that frames are rendered from.
    pub camera: CameraSpec,
    /// Per-env tuned training hyperparameters (`[train]`); unset fields keep the
    /// algorithm's defaults.
    #[serde(default)]
    pub train: Option<TrainSpec>,
    /// The predictive-sampling controller's settings (`[mpc]`); an env without it is
    /// not set up for `rewardsmith mpc`.
    #[serde(default)]
    pub mpc: Option<crate::mpc::MpcSpec>,
}

/// Per-env overrides of training hyperparameters, read from the spec's `[train]` table.
/// Every field is optional; the trainer documents the meaning and default of each.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TrainSpec {
    /// Total env steps of a run.
    pub total_steps: Option<u64>,
    /// Parallel envs.
    pub n_envs: Option<usize>,
    /// Steps per env per rollout.
    pub n_steps: Option<usize>,
    /// Adam learning rate.
    pub learning_rate: Option<f64>,
    /// Anneal the learning rate linearly to 0.
    pub anneal_lr: Option<bool>,
    /// Discount factor.
    pub gamma: Option<f64>,
    /// GAE lambda.
    pub gae_lambda: Option<f64>,
    /// Minibatches per epoch.
    pub n_minibatches: Option<usize>,
    /// Epochs per update.
    pub update_epochs: Option<usize>,
    /// PPO clip range.
    pub clip_coef: Option<f64>,
    /// Anneal the clip range linearly to 0 (SB3's `lin_0.2`).
    pub anneal_clip: Option<bool>,
    /// Clip the value loss.
    pub clip_vloss: Option<bool>,
    /// PPO: sample actions in [-1, 1] and map them onto the action bounds.
    pub rescale_actions: Option<bool>,
    /// Entropy bonus coefficient.
    pub ent_coef: Option<f64>,
    /// PPO: stop an update's epochs once the approximate KL passes 1.5 × this.
    pub target_kl: Option<f64>,
    /// Value loss coefficient.
    pub vf_coef: Option<f64>,
    /// Global gradient norm limit.
    pub max_grad_norm: Option<f64>,
    /// Normalize advantages per minibatch.
    pub norm_adv: Option<bool>,
    /// Normalize observations with running statistics.
    pub norm_obs: Option<bool>,
    /// Scale rewards by the running std of the discounted return.
    pub norm_reward: Option<bool>,
    /// Hidden layer sizes of actor and critic.
    pub hidden: Option<Vec<usize>>,
    /// Hidden activation: `relu` or `tanh`.
    pub activation: Option<String>,
    /// Initial log standard deviation of the Gaussian policy.
    pub log_std_init: Option<f64>,
    /// Updates between checkpoints.
    pub checkpoint_every: Option<u64>,
    /// Episodes of the final deterministic evaluation.
    pub eval_episodes: Option<usize>,
    /// Updates between evaluations that keep the best policy (0: none).
    pub eval_every: Option<u64>,
}

/// Timing and physics settings.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SimSpec {
    /// Seconds of simulated time per `step` (one action).
    pub control_dt: f64,
    /// Physics steps per control step (physics dt = control_dt / substeps).
    #[serde(default = "default_substeps")]
    pub substeps: u32,
    /// Gravity vector in m/s² (z is up).
    #[serde(default = "default_gravity")]
    pub gravity: [f64; 3],
    /// Control steps per episode before `truncated` is set.
    pub horizon: u32,
    /// Solver iterations per physics step (rapier's `num_solver_iterations`; each is a
    /// small substep, so cost grows with it).
    #[serde(default = "default_solver_iterations")]
    pub solver_iterations: u32,
    /// Projected Gauss–Seidel passes inside each solver iteration (rapier's
    /// `num_internal_pgs_iterations`): cheaper than more iterations for stiff chains.
    #[serde(default = "default_pgs_iterations")]
    pub pgs_iterations: u32,
    /// Warm-start joint impulses from the previous step (rapier's `warmstart_joints`).
    #[serde(default)]
    pub warmstart_joints: bool,
}

fn default_pgs_iterations() -> u32 {
    1
}

fn default_substeps() -> u32 {
    1
}
fn default_gravity() -> [f64; 3] {
    [0.0, 0.0, -9.81]
}
fn default_solver_iterations() -> u32 {
    4
}

/// A robot loaded from a URDF file in `assets/robots/`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RobotSpec {
    /// URDF file name, relative to `assets/robots/`.
    pub urdf: String,
    /// Position of the root link at reset, in metres.
    #[serde(default)]
    pub base_pos: [f64; 3],
    /// Whether the root link is fixed to the world.
    #[serde(default)]
    pub fixed_base: bool,
    /// Whether links joined by a joint may collide with each other.
    #[serde(default)]
    pub joint_collisions: bool,
}

/// An extra body in the world.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ObjectSpec {
    /// Name used by reward programs (`s.body(name)`).
    pub name: String,
    /// Collision and visual shape.
    pub shape: ShapeSpec,
    /// Position at reset, in metres.
    #[serde(default)]
    pub pos: [f64; 3],
    /// Orientation at reset as roll, pitch, yaw in radians.
    #[serde(default)]
    pub rpy: [f64; 3],
    /// Take the position from a 3-vector task parameter at each reset.
    #[serde(default)]
    pub pos_from_task: Option<String>,
    /// Mass in kg; absent means the body is fixed.
    #[serde(default)]
    pub mass: Option<f64>,
    /// Sensor objects are drawn but never collide (goal markers).
    #[serde(default)]
    pub sensor: bool,
    /// Coulomb friction coefficient.
    #[serde(default = "default_friction")]
    pub friction: f64,
    /// RGB colour in 0..1 for frames and the viewer.
    #[serde(default = "default_color")]
    pub color: [f64; 3],
}

fn default_friction() -> f64 {
    1.0
}
fn default_color() -> [f64; 3] {
    [0.7, 0.7, 0.7]
}

/// Collision shapes of extra objects (sizes in metres).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "lowercase", deny_unknown_fields)]
pub enum ShapeSpec {
    /// An infinite ground plane through `pos` with +z up (drawn `size` wide).
    Plane {
        /// Width drawn by renderers.
        #[serde(default = "default_plane_size")]
        size: f64,
    },
    /// A box with the given half extents.
    Box {
        /// Half extents along x, y, z.
        half_extents: [f64; 3],
    },
    /// A sphere.
    Sphere {
        /// Radius.
        radius: f64,
    },
    /// A capsule along z.
    Capsule {
        /// Half length of the segment between the end-cap centres.
        half_length: f64,
        /// Radius.
        radius: f64,
    },
    /// A cylinder along z.
    Cylinder {
        /// Half height.
        half_height: f64,
        /// Radius.
        radius: f64,
    },
    /// A heightfield: `heights[i][j]` at x index i, y index j, spanning `size` (x, y)
    /// and scaled by `size[2]` in z; centred on `pos`.
    Heightfield {
        /// Rows along x, columns along y.
        heights: Vec<Vec<f64>>,
        /// Extent in x and y and height scale in z.
        size: [f64; 3],
    },
}

fn default_plane_size() -> f64 {
    20.0
}

/// An actuator drives one joint from one action component.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ActuatorSpec {
    /// Joint name in the URDF.
    pub joint: String,
    /// How the action is applied.
    pub kind: ActuatorKind,
    /// Action bounds for this component (the Box space).
    #[serde(default = "default_ctrl_range")]
    pub ctrl_range: [f64; 2],
    /// torque: N·m (or N) per unit action; velocity: motor factor; position: stiffness.
    pub gain: f64,
    /// Damping of position motors.
    #[serde(default)]
    pub damping: f64,
    /// Largest force or torque a velocity/position motor may apply.
    #[serde(default)]
    pub max_force: Option<f64>,
    /// `position_delta` only: the range the accumulated target is kept in (default:
    /// the joint's limits).
    #[serde(default)]
    pub target_range: Option<[f64; 2]>,
    /// `position` only: keep the motor at this target (rad or m) and take no action
    /// component, for a joint the task does not use (Gymnasium-Robotics' FetchPush
    /// blocks its gripper closed the same way).
    #[serde(default)]
    pub hold: Option<f64>,
}

fn default_ctrl_range() -> [f64; 2] {
    [-1.0, 1.0]
}

/// An end-effector position controller, ManiSkill3's `pd_ee_delta_pos` (Tao et al.
/// 2024): the first three action components move `body` by (dx, dy, dz) metres in the
/// world frame each control step. A damped least-squares solve (Wampler 1986) turns
/// the move into changes of the `joints`' targets, which must be `position_delta`
/// actuators; the body keeps its tilt (its rotation about the horizontal axes) and may
/// turn about the vertical.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EeControlSpec {
    /// The body the action moves (e.g. a tool centre point).
    pub body: String,
    /// The joints that move it, each driven by a `position_delta` actuator whose
    /// `ctrl_range` bounds that joint's change per step.
    pub joints: Vec<String>,
    /// Bounds of each of the three components, metres per control step.
    #[serde(default = "default_ee_range")]
    pub ctrl_range: [f64; 2],
    /// `[[x, y, z], [x, y, z]]`: the box (world frame, metres) the controller keeps the
    /// body in, e.g. a floor above the table so the tool never presses into it (as
    /// robosuite's and Gymnasium-Robotics' arms clip their end-effector targets).
    /// Each move is cut short at the box's faces; a body outside is moved back in.
    #[serde(default)]
    pub workspace: Option<[[f64; 3]; 2]>,
}

fn default_ee_range() -> [f64; 2] {
    [-0.02, 0.02]
}

/// One component of the control vector: its name, bounds and what it does.
#[derive(Debug, Clone, PartialEq)]
pub struct Control {
    /// A joint name, or `body.x` / `.y` / `.z` for an end-effector component.
    pub name: String,
    /// `[low, high]` bounds of the component.
    pub range: [f64; 2],
    /// What the value does, in words (for `envs show` and reward prompts).
    pub meaning: String,
    /// The index of the spec actuator the component drives (`None` for an
    /// end-effector axis).
    pub actuator: Option<usize>,
}

/// The agent's action space, from the spec's `[actions]` table.
///
/// `kind = "discrete"` with `choices = [[-1.0], [1.0]]` gives a `Discrete(2)` space:
/// action `i` applies the control vector `choices[i]` (one value per actuator, within
/// its `ctrl_range`), as Gymnasium's CartPole-v1 maps 0/1 to a ±10 N push.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ActionsSpec {
    /// `box` (continuous controls, the default) or `discrete`.
    pub kind: ActionKind,
    /// The control vector of each discrete action (only with `kind = "discrete"`).
    #[serde(default)]
    pub choices: Vec<Vec<f64>>,
}

/// Whether the agent picks continuous controls or one of a few control vectors.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ActionKind {
    /// A Box over the actuators' control ranges.
    Box,
    /// `Discrete(n)`: an index into `choices`.
    Discrete,
}

/// How an actuator turns its action component into joint effort.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ActuatorKind {
    /// Effort = gain × action (a torque for revolute joints, a force for prismatic).
    Torque,
    /// Motor tracking velocity = action.
    Velocity,
    /// Motor tracking position = action.
    Position,
    /// Motor tracking a target that each action moves by its value (ManiSkill3's
    /// `pd_joint_delta_pos` with `use_target`), kept within `target_range`.
    PositionDelta,
}

impl std::fmt::Display for ActuatorKind {
    /// The spelling a spec file uses (`position_delta`).
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            ActuatorKind::Torque => "torque",
            ActuatorKind::Velocity => "velocity",
            ActuatorKind::Position => "position",
            ActuatorKind::PositionDelta => "position_delta",
        })
    }
}

/// One block of the flat observation vector.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "term", rename_all = "snake_case", deny_unknown_fields)]
pub enum ObsTerm {
    /// Joint positions (rad or m), one per joint.
    JointQ {
        /// Joint names.
        joints: Vec<String>,
    },
    /// Joint positions as (cos q, sin q) pairs, for unbounded hinges.
    JointQCosSin {
        /// Joint names.
        joints: Vec<String>,
    },
    /// Joint velocities (rad/s or m/s), one per joint.
    JointQd {
        /// Joint names.
        joints: Vec<String>,
    },
    /// Body position (x, y, z) in the world frame.
    BodyPos {
        /// Body name.
        body: String,
    },
    /// Body orientation quaternion (w, x, y, z), MuJoCo's order.
    BodyQuat {
        /// Body name.
        body: String,
    },
    /// Body linear velocity in the world frame.
    BodyLinvel {
        /// Body name.
        body: String,
    },
    /// Body angular velocity in the world frame.
    BodyAngvel {
        /// Body name.
        body: String,
    },
    /// `to − from` where each end is a body name or `task.<param>` (a 3-vector).
    Relative {
        /// Start point.
        from: String,
        /// End point.
        to: String,
    },
    /// A task parameter's value.
    Task {
        /// Parameter name.
        param: String,
    },
    /// The action applied at the previous step.
    LastAction,
}

/// Reset noise, sampled uniformly per episode from the env's RNG stream.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ResetSpec {
    /// Per-joint noise.
    #[serde(default)]
    pub joints: Vec<JointNoise>,
    /// Per-body noise.
    #[serde(default)]
    pub bodies: Vec<BodyNoise>,
}

/// Uniform noise on one joint (or all joints with `joint = "*"`).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct JointNoise {
    /// Joint name, or `*` for every joint of the robot.
    pub joint: String,
    /// Initial q offset range.
    #[serde(default)]
    pub q: [f64; 2],
    /// Initial qd range.
    #[serde(default)]
    pub qd: [f64; 2],
}

/// Uniform noise on one body's initial pose and velocity.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BodyNoise {
    /// Body name.
    pub body: String,
    /// Half-width of the uniform position offset per axis.
    #[serde(default)]
    pub pos: [f64; 3],
    /// Half-width of the uniform yaw offset, radians.
    #[serde(default)]
    pub yaw: f64,
    /// Half-width of the uniform linear velocity per axis.
    #[serde(default)]
    pub linvel: [f64; 3],
}

/// A task parameter sampled uniformly in `[low, high]` per episode.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TaskParamSpec {
    /// Name (`s.task.<name>` in reward programs).
    pub name: String,
    /// What the parameter means, with units (shown to the LLM).
    pub doc: String,
    /// Lower bounds, one per component (1 for a scalar, 3 for a vector).
    pub low: Vec<f64>,
    /// Upper bounds, same length as `low`.
    pub high: Vec<f64>,
    /// Reject samples closer than this to the origin in the xy-plane (e.g. a reachable
    /// annulus for targets); 0 disables.
    #[serde(default)]
    pub min_radius: f64,
    /// Reject samples farther than this from the origin in the xy-plane; 0 disables.
    #[serde(default)]
    pub max_radius: f64,
}

/// A condition that terminates the episode.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "when", rename_all = "snake_case", deny_unknown_fields)]
pub enum TerminationSpec {
    /// The joint's q leaves `[lo, hi]`.
    JointOutside {
        /// Joint name.
        joint: String,
        /// Allowed range.
        range: [f64; 2],
    },
    /// The body's height leaves `[lo, hi]`.
    BodyHeightOutside {
        /// Body name.
        body: String,
        /// Allowed height range.
        range: [f64; 2],
    },
    /// The body's position along `axis` (0=x, 1=y, 2=z) exceeds `value`.
    BodyCoordAbove {
        /// Body name.
        body: String,
        /// Axis index.
        axis: usize,
        /// Threshold.
        value: f64,
    },
}

/// The env's default reward and success programs (file stems in `rewards/`).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RewardsSpec {
    /// Program whose `reward(s)` is the default reward.
    pub reward: String,
    /// Program whose `success(s)` is the success predicate.
    pub success: String,
    /// When an episode counts as a success: `any` step or at the `end`.
    #[serde(default)]
    pub success_when: SuccessWhen,
}

/// How per-step success turns into episode success.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SuccessWhen {
    /// Success at any step of the episode.
    #[default]
    Any,
    /// Success at the episode's last step.
    End,
}

/// The env camera for frames.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CameraSpec {
    /// Eye position.
    pub pos: [f64; 3],
    /// Point looked at.
    pub look_at: [f64; 3],
    /// Vertical field of view in degrees.
    #[serde(default = "default_fov")]
    pub fov_deg: f64,
    /// Image width in pixels.
    #[serde(default = "default_image_size")]
    pub width: u32,
    /// Image height in pixels.
    #[serde(default = "default_image_size")]
    pub height: u32,
    /// Body the camera follows (keeps its offset to it), if any.
    #[serde(default)]
    pub track: Option<String>,
}

fn default_fov() -> f64 {
    45.0
}
fn default_image_size() -> u32 {
    224
}

impl EnvSpec {
    /// Parse a spec from TOML text; `origin` names the file in errors.
    pub fn from_toml(text: &str, origin: &Path) -> Result<Self, EnvError> {
        let spec: EnvSpec = toml::from_str(text).map_err(|e| EnvError::Parse {
            file: origin.to_path_buf(),
            message: describe_toml_error(text, &e),
        })?;
        spec.validate_numbers(origin)?;
        Ok(spec)
    }

    /// Read and parse a spec file.
    pub fn from_file(path: &Path) -> Result<Self, EnvError> {
        let text = std::fs::read_to_string(path).map_err(|e| EnvError::Io {
            path: path.to_path_buf(),
            cause: e,
        })?;
        Self::from_toml(&text, path)
    }

    /// The control vector's components in order: the `[ee_control]` body's x, y, z
    /// (if any), then each actuator the controller does not drive and that does not
    /// `hold` its joint, in spec order.
    pub fn controls(&self) -> Vec<Control> {
        let mut out = Vec::new();
        let mut driven: &[String] = &[];
        if let Some(ee) = &self.ee_control {
            driven = &ee.joints;
            for axis in ["x", "y", "z"] {
                out.push(Control {
                    name: format!("{}.{axis}", ee.body),
                    range: ee.ctrl_range,
                    meaning: format!(
                        "move \"{}\" along world {axis} by this many metres (joints {} follow)",
                        ee.body,
                        ee.joints.join(", ")
                    ),
                    actuator: None,
                });
            }
        }
        let acted =
            |(_, a): &(usize, &ActuatorSpec)| a.hold.is_none() && !driven.contains(&a.joint);
        for (i, a) in self.actuators.iter().enumerate().filter(acted) {
            let meaning = match a.kind {
                ActuatorKind::Torque => format!("effort = {} × action (N·m or N)", a.gain),
                ActuatorKind::Velocity => "target joint velocity".to_string(),
                ActuatorKind::Position => "target joint position".to_string(),
                ActuatorKind::PositionDelta => {
                    "change of the joint's target position this step".to_string()
                }
            };
            out.push(Control {
                name: a.joint.clone(),
                range: a.ctrl_range,
                meaning,
                actuator: Some(i),
            });
        }
        out
    }

    /// Physics step length in seconds.
    pub fn physics_dt(&self) -> f64 {
        self.sim.control_dt / self.sim.substeps as f64
    }

    /// Checks every number the TOML parser cannot: finiteness, signs, sizes.
    fn validate_numbers(&self, file: &Path) -> Result<(), EnvError> {
        let bad = |key: String, expected: &str| EnvError::Invalid {
            file: file.to_path_buf(),
            key,
            expected: expected.to_string(),
        };
        let finite = |key: String, xs: &[f64]| -> Result<(), EnvError> {
            if xs.iter().all(|x| x.is_finite()) {
                Ok(())
            } else {
                Err(bad(key, "finite numbers (no nan or inf)"))
            }
        };
        let s = &self.sim;
        finite("sim.control_dt".into(), &[s.control_dt])?;
        finite("sim.gravity".into(), &s.gravity)?;
        if s.control_dt <= 0.0 {
            return Err(bad("sim.control_dt".into(), "a positive number of seconds"));
        }
        if s.substeps == 0 {
            return Err(bad("sim.substeps".into(), "an integer ≥ 1"));
        }
        if s.horizon == 0 {
            return Err(bad("sim.horizon".into(), "an integer ≥ 1"));
        }
        if s.solver_iterations == 0 {
            return Err(bad("sim.solver_iterations".into(), "an integer ≥ 1"));
        }
        if s.pgs_iterations == 0 {
            return Err(bad("sim.pgs_iterations".into(), "an integer ≥ 1"));
        }
        if let Some(r) = &self.robot {
            finite("robot.base_pos".into(), &r.base_pos)?;
        }
        for (i, o) in self.objects.iter().enumerate() {
            let k = |f: &str| format!("objects[{i}] ({}).{f}", o.name);
            finite(k("pos"), &o.pos)?;
            finite(k("rpy"), &o.rpy)?;
            finite(k("color"), &o.color)?;
            finite(k("friction"), &[o.friction])?;
            if let Some(m) = o.mass {
                finite(k("mass"), &[m])?;
                if m <= 0.0 {
                    return Err(bad(k("mass"), "a positive mass in kg"));
                }
            }
            if o.friction < 0.0 {
                return Err(bad(k("friction"), "a friction coefficient ≥ 0"));
            }
            let sizes: Vec<f64> = match &o.shape {
                ShapeSpec::Plane { size } => vec![*size],
                ShapeSpec::Box { half_extents } => half_extents.to_vec(),
                ShapeSpec::Sphere { radius } => vec![*radius],
                ShapeSpec::Capsule {
                    half_length,
                    radius,
                } => vec![*half_length, *radius],
                ShapeSpec::Cylinder {
                    half_height,
                    radius,
                } => vec![*half_height, *radius],
                ShapeSpec::Heightfield { heights, size } => {
                    let n = heights.first().map_or(0, Vec::len);
                    if heights.len() < 2 || n < 2 || heights.iter().any(|r| r.len() != n) {
                        return Err(bad(
                            k("shape.heights"),
                            "a rectangular grid of at least 2×2 heights",
                        ));
                    }
                    finite(k("shape.heights"), &heights.concat())?;
                    size.to_vec()
                }
            };
            finite(k("shape"), &sizes)?;
            if sizes.iter().any(|&x| x <= 0.0) {
                return Err(bad(k("shape"), "positive sizes in metres"));
            }
        }
        for (i, a) in self.actuators.iter().enumerate() {
            let k = |f: &str| format!("actuators[{i}] ({}).{f}", a.joint);
            finite(k("ctrl_range"), &a.ctrl_range)?;
            finite(k("gain"), &[a.gain, a.damping])?;
            if a.ctrl_range[0] >= a.ctrl_range[1] {
                return Err(bad(k("ctrl_range"), "[low, high] with low < high"));
            }
            if let Some(f) = a.max_force {
                finite(k("max_force"), &[f])?;
                if f <= 0.0 {
                    return Err(bad(k("max_force"), "a positive force"));
                }
            }
            if let Some(h) = a.hold {
                if a.kind != ActuatorKind::Position {
                    return Err(bad(
                        k("hold"),
                        "no hold (it applies to kind = \"position\" only)",
                    ));
                }
                finite(k("hold"), &[h])?;
            }
            if let Some(r) = a.target_range {
                if a.kind != ActuatorKind::PositionDelta {
                    return Err(bad(
                        k("target_range"),
                        "no target_range (it applies to kind = \"position_delta\" only)",
                    ));
                }
                finite(k("target_range"), &r)?;
                if r[0] > r[1] {
                    return Err(bad(k("target_range"), "[low, high] with low ≤ high"));
                }
            }
        }
        if let Some(ee) = &self.ee_control {
            self.validate_ee_control(ee, file)?;
        }
        if let Some(acts) = &self.actions {
            self.validate_actions(acts, file)?;
        }
        for (i, n) in self.reset.joints.iter().enumerate() {
            finite(format!("reset.joints[{i}]"), &[n.q, n.qd].concat())?;
        }
        for (i, n) in self.reset.bodies.iter().enumerate() {
            let all = [n.pos.as_slice(), &n.linvel, &[n.yaw]].concat();
            finite(format!("reset.bodies[{i}]"), &all)?;
        }
        for (i, p) in self.task.iter().enumerate() {
            let k = format!("task[{i}] ({})", p.name);
            finite(k.clone(), &[p.low.as_slice(), &p.high].concat())?;
            if p.low.is_empty() || p.low.len() != p.high.len() {
                return Err(bad(k, "`low` and `high` of the same, non-zero length"));
            }
            if p.low.iter().zip(&p.high).any(|(l, h)| l > h) {
                return Err(bad(k, "low ≤ high in every component"));
            }
        }
        let c = &self.camera;
        finite(
            "camera".into(),
            &[c.pos.as_slice(), &c.look_at, &[c.fov_deg]].concat(),
        )?;
        if !(1.0..179.0).contains(&c.fov_deg) {
            return Err(bad(
                "camera.fov_deg".into(),
                "a field of view in (1, 179) degrees",
            ));
        }
        if c.width == 0 || c.height == 0 {
            return Err(bad("camera.width/height".into(), "image sizes ≥ 1 pixel"));
        }
        Ok(())
    }
}

impl EnvSpec {
    /// Checks `[ee_control]`: a finite range, at least one joint, each named once and
    /// driven by a `position_delta` actuator (names are checked against the robot by
    /// the builder).
    fn validate_ee_control(&self, ee: &EeControlSpec, file: &Path) -> Result<(), EnvError> {
        let bad = |key: &str, expected: String| EnvError::Invalid {
            file: file.to_path_buf(),
            key: format!("ee_control.{key}"),
            expected,
        };
        let r = ee.ctrl_range;
        if !(r[0].is_finite() && r[1].is_finite() && r[0] < r[1]) {
            return Err(bad(
                "ctrl_range",
                "finite [low, high] with low < high, metres per step".into(),
            ));
        }
        if let Some([lo, hi]) = ee.workspace {
            let ok = lo.iter().chain(&hi).all(|x| x.is_finite());
            if !ok || lo.iter().zip(&hi).any(|(l, h)| l > h) {
                return Err(bad(
                    "workspace",
                    "[[x, y, z], [x, y, z]]: finite low and high corners, low ≤ high".into(),
                ));
            }
        }
        if ee.joints.is_empty() {
            return Err(bad("joints", "at least one joint to move the body".into()));
        }
        for (k, j) in ee.joints.iter().enumerate() {
            if ee.joints[..k].contains(j) {
                return Err(bad(&format!("joints[{k}]"), format!("\"{j}\" only once")));
            }
            let kind = self
                .actuators
                .iter()
                .find(|a| &a.joint == j)
                .map(|a| a.kind);
            if kind != Some(ActuatorKind::PositionDelta) {
                let got = kind.map_or("none".to_string(), |k| k.to_string());
                return Err(bad(
                    &format!("joints[{k}]"),
                    format!(
                        "a joint with a kind = \"position_delta\" actuator (\"{j}\" has: {got})"
                    ),
                ));
            }
        }
        Ok(())
    }

    /// Checks `[actions]`: discrete choices are non-empty, one value per control
    /// (see [`EnvSpec::controls`]), finite and inside each control's range.
    fn validate_actions(&self, acts: &ActionsSpec, file: &Path) -> Result<(), EnvError> {
        let bad = |key: String, expected: String| EnvError::Invalid {
            file: file.to_path_buf(),
            key,
            expected,
        };
        match acts.kind {
            ActionKind::Box => {
                if !acts.choices.is_empty() {
                    return Err(bad(
                        "actions.choices".into(),
                        "no `choices` unless `kind = \"discrete\"`".into(),
                    ));
                }
            }
            ActionKind::Discrete => {
                let controls = self.controls();
                let n = controls.len();
                if n == 0 {
                    return Err(bad(
                        "actions.kind".into(),
                        "at least one [[actuators]] for discrete choices to drive".into(),
                    ));
                }
                if acts.choices.len() < 2 {
                    return Err(bad(
                        "actions.choices".into(),
                        "at least two choices, e.g. `choices = [[-1.0], [1.0]]`".into(),
                    ));
                }
                for (i, c) in acts.choices.iter().enumerate() {
                    let key = format!("actions.choices[{i}]");
                    if c.len() != n {
                        return Err(bad(
                            key,
                            format!("{n} control value(s), one per control (got {})", c.len()),
                        ));
                    }
                    for (k, (&x, a)) in c.iter().zip(&controls).enumerate() {
                        let [lo, hi] = a.range;
                        if !(x.is_finite() && lo <= x && x <= hi) {
                            return Err(bad(
                                format!("{key}[{k}] ({})", a.name),
                                format!(
                                    "a finite value in the control's ctrl_range [{lo}, {hi}] (got {x})"
                                ),
                            ));
                        }
                    }
                }
            }
        }
        Ok(())
    }
}

/// Turns a TOML error into "line L, column C: message" (the parser gives a byte span).
fn describe_toml_error(text: &str, err: &toml::de::Error) -> String {
    let msg = err.message().trim().to_string();
    match err.span() {
        Some(span) => {
            let before = &text[..span.start.min(text.len())];
            let line = before.matches('\n').count() + 1;
            let col = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
            format!("line {line}, column {col}: {msg}")
        }
        None => msg,
    }
}

/// Where built-in specs, robots and reward programs live.
#[derive(Debug, Clone)]
pub struct AssetRoots {
    /// Directory of `envs/*.toml`.
    pub envs: PathBuf,
    /// Directory of `assets/robots/*.urdf`.
    pub robots: PathBuf,
    /// Directory of `rewards/*.luau`.
    pub rewards: PathBuf,
}

impl AssetRoots {
    /// Roots under a project directory laid out as this repository is.
    pub fn under(root: &Path) -> Self {
        Self {
            envs: root.join("envs"),
            robots: root.join("assets").join("robots"),
            rewards: root.join("rewards"),
        }
    }

    /// The roots to use: `$REWARDSMITH_HOME` if set, else this crate's source tree
    /// (the repository the binary was built from).
    pub fn discover() -> Self {
        match std::env::var_os("REWARDSMITH_HOME") {
            Some(home) => Self::under(Path::new(&home)),
            None => Self::under(Path::new(env!("CARGO_MANIFEST_DIR"))),
        }
    }

    /// Directory of the LLM prompt templates (`prompts/`, beside `envs/`).
    pub fn prompts_dir(&self) -> PathBuf {
        self.envs
            .parent()
            .map_or_else(|| PathBuf::from("prompts"), |root| root.join("prompts"))
    }

    /// Resolve `--env`: a path to a spec file, or a built-in name.
    pub fn resolve_env(&self, env: &str) -> Result<PathBuf, EnvError> {
        let as_path = Path::new(env);
        if env.ends_with(".toml") || as_path.components().count() > 1 {
            if as_path.is_file() {
                return Ok(as_path.to_path_buf());
            }
            return Err(EnvError::Io {
                path: as_path.to_path_buf(),
                cause: std::io::Error::new(std::io::ErrorKind::NotFound, "no such spec file"),
            });
        }
        let file = self.envs.join(format!("{env}.toml"));
        if file.is_file() {
            Ok(file)
        } else {
            Err(EnvError::UnknownEnv {
                name: env.to_string(),
                known: self.builtin_names().join(", "),
            })
        }
    }

    /// Names of the built-in envs, sorted.
    pub fn builtin_names(&self) -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(&self.envs)
            .into_iter()
            .flatten()
            .flatten()
            .filter_map(|e| {
                let p = e.path();
                (p.extension()? == "toml").then(|| p.file_stem()?.to_str().map(String::from))?
            })
            .collect();
        names.sort();
        names
    }
}
