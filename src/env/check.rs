//! `envs check`: how faithfully an env's physics holds up under random actions.
//!
//! Runs random actions (uniform over the action space) and measures the worst joint
//! separation, joint-limit overshoot and contact penetration, any non-finite state,
//! and the stepping speed; then runs the passive robot (zero action) from the same
//! reset and measures how much mechanical energy the simulation added.

use serde::Serialize;
use std::time::{Duration, Instant};

use crate::env::gym::{ActionSpace, Env};
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
    /// Largest excursion of any joint beyond its limits, rad (hinges) or m (sliders).
    pub limit_overshoot_max: f64,
    /// Deepest overlap of two colliders, metres.
    pub penetration_max: f64,
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
        limit_overshoot_max: 0.0,
        penetration_max: 0.0,
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
        report.joint_gap_max = report.joint_gap_max.max(world.max_joint_separation());
        report.penetration_max = report.penetration_max.max(world.max_penetration());
        report.limit_overshoot_max = report.limit_overshoot_max.max(limit_overshoot(env.state()));
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

/// The largest excursion of any joint of `s` beyond its limits.
pub fn limit_overshoot(s: &State) -> f64 {
    s.layout
        .joints
        .iter()
        .zip(&s.joints)
        .filter_map(|(info, j)| {
            let [lo, hi] = info.limits?;
            Some((lo - j.q).max(j.q - hi).max(0.0))
        })
        .fold(0.0, f64::max)
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
