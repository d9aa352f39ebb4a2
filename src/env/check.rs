//! `envs check`: how faithfully an env's physics holds up under random actions.
//!
//! Runs random actions (uniform over the action space) and measures the worst joint
//! separation, joint-limit overshoot and contact penetration, any non-finite state,
//! and the stepping speed; then runs the passive robot (zero action) from the same
//! reset and measures how much mechanical energy the simulation added.

use serde::Serialize;
use std::time::{Duration, Instant};

use crate::env::{ActionSpace, Env};
use crate::env::{EnvError, State};

/// What `envs check` measured on one env.
#[derive(Debug, Clone, Serialize)]
pub struct CheckReport {
    /// The env's name.
    pub env: String,
    /// Steps of random actions run.
    pub steps: usize,
    /// Seed of the first reset.
    pub seed: u64,
    /// Largest distance between the two anchors of any joint, metres.
    pub joint_gap_max: f64,
    /// The joint where `joint_gap_max` was seen (empty if none moved apart).
    pub joint_gap_joint: String,
    /// Largest excursion of any joint beyond its limits, rad (hinges) or m (sliders).
    pub limit_overshoot_max: f64,
    /// The joint where `limit_overshoot_max` was seen (empty if none).
    pub limit_overshoot_joint: String,
    /// Deepest overlap of two colliders, metres.
    pub penetration_max: f64,
    /// The two bodies of `penetration_max` (`a/b`; empty if nothing overlapped).
    pub penetration_bodies: String,
    /// Mechanical energy at the passive run's start, joules.
    pub energy_start: f64,
    /// Largest rise of mechanical energy above its start during the passive run
    /// (zero action), joules; 0 when the energy only fell.
    pub energy_added: f64,
    /// Env steps per second of the random run (stepping only, one thread).
    pub steps_per_s: f64,
    /// Whether any State value or measurement was non-finite.
    pub nan: bool,
}

impl CheckReport {
    /// Whether every measured value is finite (and no State went non-finite).
    pub fn is_finite(&self) -> bool {
        !self.nan
            && [
                self.joint_gap_max,
                self.limit_overshoot_max,
                self.penetration_max,
                self.energy_start,
                self.energy_added,
                self.steps_per_s,
            ]
            .iter()
            .all(|x| x.is_finite())
    }
}

/// Run `steps` random steps from `reset(seed)`, then as many passive ones (at most one
/// episode), and report what [`CheckReport`] lists.
pub fn check_env(env: &mut Env, steps: usize, seed: u64) -> Result<CheckReport, EnvError> {
    let mut report = CheckReport {
        env: env.compiled().spec.name.clone(),
        steps,
        seed,
        joint_gap_max: 0.0,
        joint_gap_joint: String::new(),
        limit_overshoot_max: 0.0,
        limit_overshoot_joint: String::new(),
        penetration_max: 0.0,
        penetration_bodies: String::new(),
        energy_start: 0.0,
        energy_added: 0.0,
        steps_per_s: 0.0,
        nan: false,
    };
    let mut obs = env.reset(Some(seed))?;
    let mut stepping = Duration::ZERO;
    for _ in 0..steps {
        let action = env.sample_action();
        let start = Instant::now();
        let flags = env.step_into(&action, &mut obs)?;
        stepping += start.elapsed();
        let world = env.world();
        let layout = world.layout();
        for j in 0..layout.joints.len() {
            let gap = world.joint_separation(j);
            if gap > report.joint_gap_max {
                report.joint_gap_max = gap;
                report.joint_gap_joint = layout.joints[j].name.clone();
            }
        }
        let (depth, bodies) = world.max_penetration();
        if depth > report.penetration_max {
            report.penetration_max = depth;
            if let Some((a, b)) = bodies {
                report.penetration_bodies = format!("{}/{}", layout.bodies[a], layout.bodies[b]);
            }
        }
        let (over, joint) = limit_overshoot(env.state());
        if over > report.limit_overshoot_max {
            report.limit_overshoot_max = over;
            report.limit_overshoot_joint = layout.joints[joint].name.clone();
        }
        if !env.state().is_finite() || obs.iter().any(|x| !x.is_finite()) {
            report.nan = true;
            break;
        }
        if flags.terminated || flags.truncated {
            env.reset(None)?;
        }
    }
    report.steps_per_s = steps as f64 / stepping.as_secs_f64().max(1e-9);

    let passive = passive_action(&env.compiled().action_space);
    env.reset(Some(seed))?;
    report.energy_start = env.world().mechanical_energy();
    let horizon = env.compiled().spec.sim.horizon as usize;
    for _ in 0..steps.min(horizon) {
        let flags = env.step_into(&passive, &mut obs)?;
        let rise = env.world().mechanical_energy() - report.energy_start;
        report.energy_added = report.energy_added.max(rise);
        if !env.state().is_finite() || !rise.is_finite() {
            report.nan = true;
            break;
        }
        if flags.terminated {
            break;
        }
    }
    Ok(report)
}

/// The largest excursion of any joint of `s` beyond its limits, and that joint's
/// index (0 when no joint is beyond its limits).
pub fn limit_overshoot(s: &State) -> (f64, usize) {
    s.layout
        .joints
        .iter()
        .zip(&s.joints)
        .enumerate()
        .filter_map(|(k, (info, j))| {
            let [lo, hi] = info.limits?;
            Some(((lo - j.q).max(j.q - hi).max(0.0), k))
        })
        .fold((0.0, 0), |best, x| if x.0 > best.0 { x } else { best })
}

/// The action of a passive robot: zero controls, or the discrete choice whose
/// controls are closest to zero.
fn passive_action(space: &ActionSpace) -> Vec<f64> {
    match space {
        ActionSpace::Box(b) => vec![0.0; b.dim()],
        ActionSpace::Discrete(d) => {
            let size = |c: &Vec<f64>| c.iter().map(|x| x * x).sum::<f64>();
            let best = (0..d.n())
                .min_by(|&a, &b| size(&d.choices[a]).total_cmp(&size(&d.choices[b])))
                .unwrap_or(0);
            vec![best as f64]
        }
    }
}
