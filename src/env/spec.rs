//! Environment specs: the TOML schema of `envs/<name>.toml` and its parsing.
//!
//! One spec is the single source of truth for an environment: it builds the rapier
//! world, names the [`State`](crate::env::State) fields reward programs read, and lays
//! out the flat observation vector. The actuation tables (`[[actuators]]`,
//! `[ee_control]`, `[actions]`) are in [`actuation`](crate::env::actuation), the
//! `[train]` table in [`train_spec`](crate::env::train_spec), and the checks the TOML
//! parser cannot make in `validate.rs`; all are re-exported here.

use serde::{Deserialize, Serialize};
use std::path::Path;

use crate::env::EnvError;
pub use crate::env::actuation::{
    ActionKind, ActionsSpec, ActuatorKind, ActuatorSpec, Control, EeControlSpec,
};
use crate::env::error::toml_position;
use crate::env::spec_base::{Merged, merge_base};
pub use crate::env::train_spec::TrainSpec;

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
    /// Passive joint properties in MuJoCo's meaning (`[[joints]]`: damping, armature,
    /// frictionloss, stiffness), applied in order; later entries override earlier ones.
    #[serde(default)]
    pub joints: Vec<JointParamsSpec>,
    /// Named points fixed on bodies (`[[sites]]`: feet, fingertips, a tool centre),
    /// read by reward programs as `s.site(name)`.
    #[serde(default)]
    pub sites: Vec<SiteSpec>,
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
    /// Stiffness of contacts as the natural frequency of their spring, Hz (rapier's
    /// contact softness; default: rapier's, 30 Hz between bodies and 60 Hz against
    /// fixed ones). Stiffer contacts penetrate less under large actuator forces.
    #[serde(default)]
    pub contact_frequency: Option<f64>,
    /// Damping ratio of contacts (default: rapier's 10, heavily overdamped; MuJoCo's
    /// default `solref` is critically damped, 1).
    #[serde(default)]
    pub contact_damping_ratio: Option<f64>,
    /// Distance within which contacts are predicted before the bodies touch, m
    /// (default: rapier's 0.02). Fast limbs need more to be caught before they sink in.
    #[serde(default)]
    pub contact_prediction: Option<f64>,
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

/// A robot loaded from a URDF or an MJCF (MuJoCo XML) file.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RobotSpec {
    /// URDF file name, relative to `assets/robots/` (or an absolute path). Give this or
    /// `mjcf`.
    #[serde(default)]
    pub urdf: Option<String>,
    /// MJCF (MuJoCo XML) file, relative to `assets/robots/` (or an absolute path),
    /// loaded with dimforge's `rapier3d-mjcf`: joints keep the file's damping, armature,
    /// frictionloss and stiffness; its `<actuator>` section is not used (the spec's
    /// `[[actuators]]` drive the robot).
    #[serde(default)]
    pub mjcf: Option<String>,
    /// Position of the root link at reset, in metres.
    #[serde(default)]
    pub base_pos: [f64; 3],
    /// Whether the root link is fixed to the world.
    #[serde(default)]
    pub fixed_base: bool,
    /// Whether links joined by a joint may collide with each other.
    #[serde(default)]
    pub joint_collisions: bool,
    /// Whether the robot's links collide with each other at all (`false`: only with
    /// other bodies, as ant.xml's `conaffinity="0"` legs).
    #[serde(default = "default_true")]
    pub self_collisions: bool,
    /// How the robot's joints are simulated (see [`JointModel`]).
    #[serde(default)]
    pub joint_model: JointModel,
}

fn default_true() -> bool {
    true
}

impl RobotSpec {
    /// The robot file as written in the spec (`urdf` or `mjcf`), for messages.
    pub fn file(&self) -> &str {
        self.urdf.as_deref().or(self.mjcf.as_deref()).unwrap_or("")
    }
}

/// How a robot's joints are simulated in rapier.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum JointModel {
    /// Reduced coordinates (rapier multibody joints): joints hold exactly, with
    /// armature, implicit damping, frictionloss and springs as in MuJoCo. Trees only.
    #[default]
    Multibody,
    /// Maximal coordinates (rapier impulse joints), solved iteratively: joints drift
    /// apart under load; no armature, damping, frictionloss or springs.
    Impulse,
}

/// MuJoCo's passive joint properties for one joint, or every joint (`joint = "*"`).
/// A named point fixed on a body (`[[sites]]`).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SiteSpec {
    /// Site name, unique in the env.
    pub name: String,
    /// The body (robot link or object) it is fixed on.
    pub body: String,
    /// Its position in the body's frame, metres (default: the body frame's origin).
    #[serde(default)]
    pub offset: [f64; 3],
}

/// Unset fields keep what an earlier entry (or the MJCF file) gave; the default is 0.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct JointParamsSpec {
    /// Joint name, or `*` for every joint of the robot.
    pub joint: String,
    /// Viscous damping, N·m·s/rad (or N·s/m): a force −damping·qd, integrated
    /// implicitly (MuJoCo's `damping`).
    #[serde(default)]
    pub damping: Option<f64>,
    /// Rotor inertia added to the joint's own, kg·m² (or kg) (MuJoCo's `armature`).
    #[serde(default)]
    pub armature: Option<f64>,
    /// Dry friction: the largest force the joint's friction can resist with, N·m (or N)
    /// (MuJoCo's `frictionloss`).
    #[serde(default)]
    pub frictionloss: Option<f64>,
    /// Spring stiffness towards `springref`, N·m/rad (or N/m) (MuJoCo's `stiffness`).
    #[serde(default)]
    pub stiffness: Option<f64>,
    /// Spring rest position, rad (or m) (MuJoCo's `springref`).
    #[serde(default)]
    pub springref: Option<f64>,
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
        let spec: EnvSpec = match merge_base(text, origin)? {
            None => toml::from_str(text).map_err(|e| EnvError::Parse {
                file: origin.to_path_buf(),
                message: toml_position(text, &e),
            })?,
            Some(Merged { table, bases }) => {
                toml::Value::Table(table)
                    .try_into()
                    .map_err(|e: toml::de::Error| EnvError::Parse {
                        file: origin.to_path_buf(),
                        message: format!(
                            "{} (in this file or its base {})",
                            e.message().trim(),
                            bases
                                .iter()
                                .map(|b| b.display().to_string())
                                .collect::<Vec<_>>()
                                .join(" ← ")
                        ),
                    })?
            }
        };
        spec.validate(origin)?;
        Ok(spec)
    }

    /// The spec files `path` is built on through `base` keys, nearest first (empty for
    /// a spec without a base).
    pub fn base_files(path: &Path) -> Result<Vec<std::path::PathBuf>, EnvError> {
        let text = std::fs::read_to_string(path).map_err(|e| EnvError::Io {
            path: path.to_path_buf(),
            cause: e,
        })?;
        Ok(merge_base(&text, path)?
            .map(|m| m.bases)
            .unwrap_or_default())
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
        crate::env::actuation::controls(&self.actuators, self.ee_control.as_ref())
    }

    /// Physics step length in seconds.
    pub fn physics_dt(&self) -> f64 {
        self.sim.control_dt / self.sim.substeps as f64
    }
}
