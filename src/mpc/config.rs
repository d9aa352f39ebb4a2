//! The planner's settings: an env's `[mpc]` table ([`MpcSpec`]), command-line
//! overrides ([`MpcOverrides`]) and the resolved [`PlannerConfig`], whose `Default` is
//! the one place the defaults live.

use serde::{Deserialize, Serialize};

use super::MpcError;

/// How the control between two knots is interpolated (MJPC's `sampling_representation`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Interpolation {
    /// Hold each knot's value until the next knot.
    Zero,
    /// Straight lines between knots.
    Linear,
    /// Cubic Hermite curves through the knots, slopes from finite differences.
    Cubic,
}

impl std::str::FromStr for Interpolation {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "zero" => Ok(Self::Zero),
            "linear" => Ok(Self::Linear),
            "cubic" => Ok(Self::Cubic),
            _ => Err(format!("`{s}`: expected zero, linear or cubic")),
        }
    }
}

/// An env's `[mpc]` table: the predictive-sampling planner's settings for that env.
/// Every key is optional ([`PlannerConfig::default`] fills the rest); an env without the
/// table is not set up for `rewardsmith mpc`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MpcSpec {
    /// Reward program the planner follows (a stem in `rewards/`), when not the env's
    /// `rewards.reward`.
    #[serde(default)]
    pub program: Option<String>,
    /// Candidate plans per planning step (N).
    #[serde(default)]
    pub samples: Option<usize>,
    /// Planning horizon in simulated seconds (H).
    #[serde(default)]
    pub horizon: Option<f64>,
    /// Knot noise, as a fraction of half each control's range (σ).
    #[serde(default)]
    pub sigma: Option<f64>,
    /// Knots of the control spline over the horizon (K).
    #[serde(default)]
    pub knots: Option<usize>,
    /// `zero`, `linear` or `cubic`.
    #[serde(default)]
    pub interpolation: Option<Interpolation>,
    /// Weight of the last state's reward added to a rollout's sum (a terminal term).
    #[serde(default)]
    pub terminal_weight: Option<f64>,
    /// Control steps between planning steps (1: replan before every step).
    #[serde(default)]
    pub replan_every: Option<usize>,
}

/// Command-line overrides of the `[mpc]` table (`None`: keep the env's value).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct MpcOverrides {
    /// `--samples`.
    pub samples: Option<usize>,
    /// `--horizon` (seconds).
    pub horizon: Option<f64>,
    /// `--sigma`.
    pub sigma: Option<f64>,
    /// `--knots`.
    pub knots: Option<usize>,
    /// `--interpolation`.
    pub interpolation: Option<Interpolation>,
    /// `--replan-every`.
    pub replan_every: Option<usize>,
}

/// The resolved planner settings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PlannerConfig {
    /// Candidate plans per planning step, candidate 0 being the noise-free nominal.
    /// MJPC's default (`sampling_trajectories`): 10.
    pub samples: usize,
    /// Planning horizon in seconds; rollouts last `ceil(horizon / control_dt)` control
    /// steps. 0.5 s, as in the MJPC setting.
    pub horizon: f64,
    /// Gaussian knot noise as a fraction of half each control's range. MJPC's default
    /// (`sampling_exploration`): 0.1, scaled by half the actuator's control range.
    pub sigma: f64,
    /// Knots over the horizon. MJPC's tasks set `sampling_spline_points` between 3 and
    /// 16; 5 here.
    pub knots: usize,
    /// Interpolation between knots. MJPC's default: cubic.
    pub interpolation: Interpolation,
    /// Weight of the last state's reward added to each rollout's sum. 0: none.
    pub terminal_weight: f64,
    /// Control steps between planning steps; the nominal spline drives the steps in
    /// between (MJPC plans asynchronously while the physics runs). 1: plan every step.
    pub replan_every: usize,
}

impl Default for PlannerConfig {
    fn default() -> Self {
        Self {
            samples: 10,
            horizon: 0.5,
            sigma: 0.1,
            knots: 5,
            interpolation: Interpolation::Cubic,
            terminal_weight: 0.0,
            replan_every: 1,
        }
    }
}

impl PlannerConfig {
    /// The defaults, then the env's `[mpc]` table, then `overrides`; checked.
    /// `file` names the spec in errors.
    pub fn resolve(spec: &MpcSpec, overrides: &MpcOverrides, file: &str) -> Result<Self, MpcError> {
        let d = Self::default();
        let cfg = Self {
            samples: overrides.samples.or(spec.samples).unwrap_or(d.samples),
            horizon: overrides.horizon.or(spec.horizon).unwrap_or(d.horizon),
            sigma: overrides.sigma.or(spec.sigma).unwrap_or(d.sigma),
            knots: overrides.knots.or(spec.knots).unwrap_or(d.knots),
            interpolation: overrides
                .interpolation
                .or(spec.interpolation)
                .unwrap_or(d.interpolation),
            terminal_weight: spec.terminal_weight.unwrap_or(d.terminal_weight),
            replan_every: overrides
                .replan_every
                .or(spec.replan_every)
                .unwrap_or(d.replan_every),
        };
        cfg.check(file)?;
        Ok(cfg)
    }

    /// Every value in its range; errors name the key (`[mpc].samples` or `--samples`).
    pub fn check(&self, file: &str) -> Result<(), MpcError> {
        let bad = |key: &str, expected: &str| MpcError::Config {
            file: file.to_string(),
            key: key.to_string(),
            expected: expected.to_string(),
        };
        if self.samples == 0 {
            return Err(bad("samples", "at least 1 candidate"));
        }
        if !(self.horizon.is_finite() && self.horizon > 0.0) {
            return Err(bad("horizon", "a positive number of seconds"));
        }
        if !(self.sigma.is_finite() && self.sigma >= 0.0) {
            return Err(bad("sigma", "a finite noise scale ≥ 0"));
        }
        if self.knots == 0 {
            return Err(bad("knots", "at least 1 knot"));
        }
        if !self.terminal_weight.is_finite() {
            return Err(bad("terminal_weight", "a finite weight"));
        }
        if self.replan_every == 0 {
            return Err(bad("replan_every", "at least 1 control step"));
        }
        Ok(())
    }

    /// Control steps of one rollout for control step `dt`: at least 1.
    pub fn horizon_steps(&self, dt: f64) -> usize {
        ((self.horizon / dt - 1e-9).ceil() as usize).max(1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn overrides_beat_the_table_which_beats_the_defaults() {
        let spec: MpcSpec = toml::from_str("samples = 20\nsigma = 0.3").unwrap();
        let over = MpcOverrides {
            samples: Some(4),
            ..MpcOverrides::default()
        };
        let c = PlannerConfig::resolve(&spec, &over, "x.toml").unwrap();
        assert_eq!((c.samples, c.sigma, c.horizon), (4, 0.3, 0.5));
        assert_eq!(c.horizon_steps(0.02), 25);
        assert_eq!(c.horizon_steps(0.3), 2);
        assert_eq!(c.horizon_steps(1.0), 1);
    }

    #[test]
    fn bad_values_and_unknown_keys_are_named() {
        assert!(toml::from_str::<MpcSpec>("smaples = 3").is_err());
        let over = MpcOverrides {
            horizon: Some(f64::NAN),
            ..MpcOverrides::default()
        };
        let e = PlannerConfig::resolve(&MpcSpec::default(), &over, "x.toml")
            .unwrap_err()
            .to_string();
        assert!(e.contains("x.toml") && e.contains("horizon"), "{e}");
        let spec = MpcSpec {
            samples: Some(0),
            ..MpcSpec::default()
        };
        let e = PlannerConfig::resolve(&spec, &MpcOverrides::default(), "x.toml")
            .unwrap_err()
            .to_string();
        assert!(e.contains("samples"), "{e}");
    }
}
