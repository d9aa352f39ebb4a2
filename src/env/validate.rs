//! The checks of a spec that the TOML parser cannot make: finite numbers, signs,
//! sizes, ranges, and the consistency of the actuation tables.

use std::path::Path;

use crate::env::EnvError;
use crate::env::spec::{
    ActionKind, ActionsSpec, ActuatorKind, EeControlSpec, EnvSpec, JointModel, ShapeSpec,
};

impl EnvSpec {
    /// Checks every number the TOML parser cannot: finiteness, signs, sizes.
    pub(super) fn validate(&self, file: &Path) -> Result<(), EnvError> {
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
        let contact = [
            (
                "contact_frequency",
                s.contact_frequency,
                "a frequency > 0, Hz",
            ),
            (
                "contact_damping_ratio",
                s.contact_damping_ratio,
                "a damping ratio > 0",
            ),
            (
                "contact_prediction",
                s.contact_prediction,
                "a distance > 0, m",
            ),
        ];
        for (key, value, expected) in contact {
            if let Some(v) = value
                && !(v.is_finite() && v > 0.0)
            {
                return Err(bad(format!("sim.{key}"), expected));
            }
        }
        if let Some(r) = &self.robot {
            finite("robot.base_pos".into(), &r.base_pos)?;
            if r.urdf.is_some() == r.mjcf.is_some() {
                return Err(bad(
                    "robot".into(),
                    "one robot file: `urdf = \"...\"` or `mjcf = \"...\"`",
                ));
            }
        }
        self.validate_joint_params(file)?;
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
            finite(k("damping"), &[a.damping])?;
            if a.damping < 0.0 {
                return Err(bad(k("damping"), "a damping ≥ 0"));
            }
            match (a.kind, a.gear, a.gain) {
                (ActuatorKind::Torque, Some(_), Some(_)) => {
                    return Err(bad(
                        k("gain"),
                        "`gear` or `gain`, not both (they mean the same for a torque actuator)",
                    ));
                }
                (ActuatorKind::Torque, None, None) => {
                    return Err(bad(
                        k("gear"),
                        "a gear: N·m (or N) per unit control, as MuJoCo's <motor gear>",
                    ));
                }
                (ActuatorKind::Torque, Some(g), None) | (ActuatorKind::Torque, None, Some(g)) => {
                    let key = if a.gear.is_some() { "gear" } else { "gain" };
                    finite(k(key), &[g])?;
                    if g <= 0.0 {
                        return Err(bad(
                            k(key),
                            "a positive gear (flip the joint axis to reverse it)",
                        ));
                    }
                }
                (_, Some(_), _) => {
                    return Err(bad(
                        k("gear"),
                        "no gear (it applies to kind = \"torque\" only; motors take `gain`)",
                    ));
                }
                (_, None, None) => {
                    return Err(bad(
                        k("gain"),
                        "a gain: the motor's stiffness or velocity factor",
                    ));
                }
                (_, None, Some(g)) => {
                    finite(k("gain"), &[g])?;
                    if g < 0.0 {
                        return Err(bad(k("gain"), "a gain ≥ 0"));
                    }
                }
            }
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

    /// Checks `[[joints]]`: finite, non-negative values, a robot to apply them to, and
    /// a joint model that has them (impulse joints have none).
    fn validate_joint_params(&self, file: &Path) -> Result<(), EnvError> {
        for (i, p) in self.joints.iter().enumerate() {
            let key = |f: &str| format!("joints[{i}] ({}).{f}", p.joint);
            let bad = |f: &str, expected: &str| EnvError::Invalid {
                file: file.to_path_buf(),
                key: key(f),
                expected: expected.to_string(),
            };
            let Some(robot) = &self.robot else {
                return Err(bad("joint", "a [robot] whose joints these are"));
            };
            let values = [
                ("damping", p.damping, "a damping ≥ 0, N·m·s/rad (or N·s/m)"),
                ("armature", p.armature, "an armature ≥ 0, kg·m² (or kg)"),
                (
                    "frictionloss",
                    p.frictionloss,
                    "a frictionloss ≥ 0, N·m (or N)",
                ),
                (
                    "stiffness",
                    p.stiffness,
                    "a stiffness ≥ 0, N·m/rad (or N/m)",
                ),
            ];
            for (name, value, expected) in values {
                let Some(v) = value else { continue };
                if !(v.is_finite() && v >= 0.0) {
                    return Err(bad(name, expected));
                }
                if v > 0.0 && robot.joint_model == JointModel::Impulse {
                    return Err(bad(
                        name,
                        "robot.joint_model = \"multibody\": impulse joints have no damping, \
                         armature, frictionloss or springs",
                    ));
                }
            }
            if let Some(r) = p.springref
                && !r.is_finite()
            {
                return Err(bad("springref", "a finite rest position"));
            }
        }
        Ok(())
    }

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
