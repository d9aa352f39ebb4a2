//! The environment abstraction for LLM prompts: a compact document of everything a
//! reward program can read, generated from the env spec (so it is never out of date),
//! and the prompt templates in `prompts/` filled with it.

use std::fmt::Write;
use std::path::Path;

use crate::env::spec::{ShapeSpec, TerminationSpec};
use crate::env::{CompiledSpec, JointKind};
use crate::reward::RewardError;

/// Describe what a reward program can read in `env`, with names, units and ranges.
pub fn env_abstraction(c: &CompiledSpec) -> String {
    let spec = &c.spec;
    let l = &c.layout;
    let mut d = String::new();
    let _ = writeln!(d, "# Environment `{}`\n\n{}\n", spec.name, spec.description);
    let _ = writeln!(
        d,
        "Units are SI (metres, seconds, radians, kg); the world frame has z up; quaternions \
         are (w, x, y, z). One control step lasts s.dt = {} s; an episode lasts at most {} \
         steps ({:.1} s). s.t is the time since reset in seconds, s.step the step count.\n",
        spec.sim.control_dt,
        spec.sim.horizon,
        spec.sim.horizon as f64 * spec.sim.control_dt
    );
    let _ = writeln!(
        d,
        "## Bodies: s.body(name)\nEach has .pos (vec3, m), .quat (quaternion), .linvel (vec3, \
         m/s) and .angvel (vec3, rad/s), in the world frame.\n"
    );
    for name in &l.bodies {
        let what = match spec.objects.iter().find(|o| &o.name == name) {
            Some(o) => {
                let shape = match &o.shape {
                    ShapeSpec::Plane { .. } => {
                        "ground plane (its top surface is at pos.z)".to_string()
                    }
                    ShapeSpec::Box { half_extents: h } => {
                        format!(
                            "box {:.3}×{:.3}×{:.3} m",
                            2.0 * h[0],
                            2.0 * h[1],
                            2.0 * h[2]
                        )
                    }
                    ShapeSpec::Sphere { radius } => format!("sphere, radius {radius} m"),
                    ShapeSpec::Capsule {
                        half_length,
                        radius,
                    } => {
                        format!(
                            "capsule along z, length {} m, radius {radius} m",
                            2.0 * half_length
                        )
                    }
                    ShapeSpec::Cylinder {
                        half_height,
                        radius,
                    } => {
                        format!(
                            "cylinder along z, height {} m, radius {radius} m",
                            2.0 * half_height
                        )
                    }
                    ShapeSpec::Heightfield { .. } => "terrain heightfield".to_string(),
                };
                let motion = if o.sensor {
                    "marker, no collision".to_string()
                } else {
                    match o.mass {
                        Some(m) => format!("movable, {m} kg"),
                        None => "fixed".to_string(),
                    }
                };
                let placed = o.pos_from_task.as_ref().map_or(String::new(), |p| {
                    format!(", placed at s.task.{p} each episode")
                });
                format!("object: {shape}, {motion}{placed}")
            }
            None => "robot link".to_string(),
        };
        let _ = writeln!(d, "- \"{name}\": {what}");
    }
    let _ = writeln!(
        d,
        "\n## Joints: s.joint(name)\nEach has .q (position) and .qd (velocity); q = 0 in the robot's initial pose.\n"
    );
    let controls = spec.controls();
    let ee_joints = spec.ee_control.as_ref().map_or(&[][..], |e| &e.joints[..]);
    for info in &l.joints {
        let unit = match info.kind {
            JointKind::Revolute => "hinge, q in rad",
            JointKind::Prismatic => "slider, q in m",
        };
        let limits = info.limits.map_or(", unlimited".to_string(), |[lo, hi]| {
            format!(", limits [{lo}, {hi}]")
        });
        let act = match controls.iter().position(|c| c.name == info.name) {
            Some(i) => format!(", driven by s.action[{}]", i + 1),
            None if ee_joints.contains(&info.name) => {
                ", driven by the end-effector controller (s.action[1..3])".to_string()
            }
            None => {
                let held = spec.actuators.iter().find(|a| a.joint == info.name);
                match held.and_then(|a| a.hold) {
                    Some(h) => format!(", held at {h} by its motor"),
                    None => ", not actuated".to_string(),
                }
            }
        };
        let _ = writeln!(
            d,
            "- \"{}\": {unit}{limits}{act} (between \"{}\" and \"{}\")",
            info.name, l.bodies[info.parent], l.bodies[info.child]
        );
    }
    let _ = writeln!(
        d,
        "\n## Actions: s.action[i] (1-based), the action of the step just taken \
         (s.action_norm[i]: the same in [-1, 1] over its range)\n"
    );
    for (i, c) in controls.iter().enumerate() {
        let _ = writeln!(
            d,
            "- s.action[{}] ∈ [{}, {}] → \"{}\": {}",
            i + 1,
            c.range[0],
            c.range[1],
            c.name,
            c.meaning
        );
    }
    if !l.task.is_empty() {
        let _ = writeln!(
            d,
            "\n## Task parameters: s.task.<name>, sampled at each reset\n"
        );
        for p in &l.task {
            let kind = if p.dim == 3 {
                "vec3"
            } else if p.dim == 1 {
                "number"
            } else {
                "array"
            };
            let _ = writeln!(
                d,
                "- s.task.{} ({kind}, from {:?} to {:?}): {}",
                p.name, p.low, p.high, p.doc
            );
        }
    }
    if !l.sites.is_empty() {
        let _ = writeln!(
            d,
            "\n## Sites: s.site(name) → .pos, .linvel (world frame), points fixed on bodies\n"
        );
        for site in &l.sites {
            let [x, y, z] = site.offset;
            let _ = writeln!(
                d,
                "- \"{}\": on \"{}\" at ({x}, {y}, {z}) m in its frame",
                site.name, l.bodies[site.body]
            );
        }
    }
    let _ = writeln!(
        d,
        "\n## Contacts\ns.contact(a, b) is true when bodies a and b touch; \
         s.contact_force(a, b) is the force on a from b (vec3, N), s.contact_force(a) \
         the net contact force on a."
    );
    let _ = writeln!(
        d,
        "\n## The previous step\ns.prev is the State one control step earlier (same \
         fields; nil at the first step of an episode)."
    );
    let _ = writeln!(
        d,
        "\n## Success\ns.success is true when the env's own success test holds for this \
         state."
    );
    if !spec.termination.is_empty() {
        let _ = writeln!(d, "\n## The episode ends early when\n");
        for t in &spec.termination {
            let _ = match t {
                TerminationSpec::JointOutside { joint, range } => {
                    writeln!(
                        d,
                        "- s.joint(\"{joint}\").q leaves [{}, {}]",
                        range[0], range[1]
                    )
                }
                TerminationSpec::BodyHeightOutside { body, range } => {
                    writeln!(
                        d,
                        "- s.body(\"{body}\").pos.z leaves [{}, {}]",
                        range[0], range[1]
                    )
                }
                TerminationSpec::BodyCoordAbove { body, axis, value } => {
                    let axis = ["x", "y", "z"].get(*axis).copied().unwrap_or("?");
                    writeln!(d, "- s.body(\"{body}\").pos.{axis} exceeds {value}")
                }
            };
        }
    }
    d
}

/// Fill `{{slot}}` markers in `template` with `values`; an unknown slot is an error.
pub fn fill_template(
    template: &str,
    name: &str,
    values: &[(&str, &str)],
) -> Result<String, RewardError> {
    let mut out = String::with_capacity(template.len());
    let mut rest = template;
    while let Some(start) = rest.find("{{") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        let end = after.find("}}").ok_or_else(|| RewardError::Template {
            template: name.to_string(),
            message: "a `{{` is never closed".to_string(),
        })?;
        let slot = after[..end].trim();
        let value =
            values
                .iter()
                .find(|(k, _)| *k == slot)
                .ok_or_else(|| RewardError::Template {
                    template: name.to_string(),
                    message: format!(
                        "unknown slot `{slot}`; slots: {}",
                        values
                            .iter()
                            .map(|(k, _)| *k)
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                })?;
        out.push_str(value.1);
        rest = &after[end + 2..];
    }
    out.push_str(rest);
    Ok(out)
}

/// The full reward-writing prompt for `task` in env `c`, from the templates in `dir`.
pub fn reward_prompt(c: &CompiledSpec, task: &str, dir: &Path) -> Result<String, RewardError> {
    let read = |name: &str| {
        let path = dir.join(name);
        std::fs::read_to_string(&path).map_err(|e| RewardError::Template {
            template: path.display().to_string(),
            message: e.to_string(),
        })
    };
    let system = read("system.txt")?;
    let template = read("reward_task.txt")?;
    let cheatsheet = read("luau_cheatsheet.md")?;
    let env = env_abstraction(c);
    let body = fill_template(
        &template,
        "reward_task.txt",
        &[("env", &env), ("task", task), ("cheatsheet", &cheatsheet)],
    )?;
    Ok(format!("{}\n\n{}", system.trim_end(), body))
}

#[cfg(test)]
mod tests {
    use super::fill_template;

    #[test]
    fn slots_are_filled_and_mistakes_named() {
        let out = fill_template(
            "Task: {{ task }}\n{{env}}!",
            "t.txt",
            &[("task", "stand"), ("env", "E")],
        );
        assert_eq!(out.expect("fills"), "Task: stand\nE!");
        let err = fill_template("{{tsak}}", "t.txt", &[("task", "x")]).expect_err("unknown slot");
        assert!(
            err.to_string().contains("unknown slot `tsak`; slots: task"),
            "{err}"
        );
        let err = fill_template("a {{task", "t.txt", &[("task", "x")]).expect_err("unclosed");
        assert!(err.to_string().contains("t.txt"), "{err}");
    }
}
