//! The actuation tables of a spec — `[[actuators]]`, `[ee_control]`, `[actions]` — and
//! the control vector they define ([`controls`]).

use serde::{Deserialize, Serialize};

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
    /// torque: N·m (or N) per unit control, MuJoCo's `<motor gear>` (`gain` is
    /// accepted as the same for torque actuators).
    #[serde(default)]
    pub gear: Option<f64>,
    /// velocity: motor factor; position and position_delta: stiffness (MuJoCo's `kp`).
    #[serde(default)]
    pub gain: Option<f64>,
    /// Damping of position motors (MuJoCo's `kv`).
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

impl ActuatorSpec {
    /// The actuator's gain: a torque actuator's `gear` (or `gain`), another kind's
    /// `gain` (validation makes sure the right one is set).
    pub fn gain(&self) -> f64 {
        match self.kind {
            ActuatorKind::Torque => self.gear.or(self.gain).unwrap_or(1.0),
            _ => self.gain.unwrap_or(0.0),
        }
    }
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

/// The control vector's components in order: the `[ee_control]` body's x, y, z (if
/// any), then each actuator the controller does not drive and that does not `hold` its
/// joint, in spec order (what [`EnvSpec::controls`](crate::env::EnvSpec::controls) gives).
pub fn controls(actuators: &[ActuatorSpec], ee_control: Option<&EeControlSpec>) -> Vec<Control> {
    let mut out = Vec::new();
    let mut driven: &[String] = &[];
    if let Some(ee) = ee_control {
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
    let acted = |(_, a): &(usize, &ActuatorSpec)| a.hold.is_none() && !driven.contains(&a.joint);
    for (i, a) in actuators.iter().enumerate().filter(acted) {
        let meaning = match a.kind {
            ActuatorKind::Torque => format!("effort = {} × action (N·m or N)", a.gain()),
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
