//! Helpers shared by the integration tests.
#![allow(dead_code)]

pub mod chat;

use rewardsmith::env::AssetRoots;
use std::path::{Path, PathBuf};

/// The repository's own envs, robots and rewards.
pub fn repo_roots() -> AssetRoots {
    AssetRoots::under(Path::new(env!("CARGO_MANIFEST_DIR")))
}

/// Roots whose robots live in `dir` (for specs and URDFs written by a test).
pub fn roots_in(dir: &Path) -> AssetRoots {
    AssetRoots {
        envs: dir.to_path_buf(),
        robots: dir.to_path_buf(),
        rewards: dir.to_path_buf(),
    }
}

/// Write `text` to `dir/name` and return the path.
pub fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, text).expect("write test file");
    p
}

/// A single-hinge pendulum URDF: a point-like mass `length` below (or above) the pivot.
pub fn pendulum_urdf(length: f64, mass: f64) -> String {
    format!(
        r#"<?xml version="1.0"?>
<robot name="bob">
  <link name="base">
    <inertial><mass value="1"/><inertia ixx="1" iyy="1" izz="1" ixy="0" ixz="0" iyz="0"/></inertial>
  </link>
  <joint name="hinge" type="continuous">
    <parent link="base"/><child link="bob"/>
    <origin xyz="0 0 0"/><axis xyz="0 1 0"/>
  </joint>
  <link name="bob">
    <inertial>
      <origin xyz="0 0 {length}"/>
      <mass value="{mass}"/>
      <inertia ixx="1e-7" iyy="1e-7" izz="1e-7" ixy="0" ixz="0" iyz="0"/>
    </inertial>
  </link>
</robot>
"#
    )
}

/// The smallest valid spec around `pendulum_urdf` written as `bob.urdf`; `extra` is
/// appended (more tables).
pub fn pendulum_spec(dt: f64, substeps: u32, extra: &str) -> String {
    format!(
        r#"name = "bob"
description = "test pendulum"

[sim]
control_dt = {dt}
substeps = {substeps}
horizon = 100000

[robot]
urdf = "bob.urdf"
base_pos = [0.0, 0.0, 2.0]
fixed_base = true

[[actuators]]
joint = "hinge"
kind = "torque"
gain = 1.0

[[observations]]
term = "joint_q"
joints = ["hinge"]

[rewards]
reward = "bob"
success = "bob"

[camera]
pos = [0.0, -3.0, 2.0]
look_at = [0.0, 0.0, 2.0]
{extra}"#
    )
}

/// A run's `metrics.jsonl` lines without the wall-clock fields (which differ between
/// runs).
pub fn metrics_without_timing(dir: &Path) -> Vec<serde_json::Value> {
    std::fs::read_to_string(dir.join("metrics.jsonl"))
        .expect("metrics")
        .lines()
        .map(|l| {
            let mut v: serde_json::Value = serde_json::from_str(l).expect("metrics line");
            let o = v.as_object_mut().expect("object");
            for k in ["steps_per_s", "wall_s", "rollout_s", "update_s"] {
                o.remove(k);
            }
            v
        })
        .collect()
}

/// `v` rotated by the unit quaternion `q` = (w, x, y, z): v + 2 u × (u × v + w v), u = (x, y, z).
pub fn rotate(q: [f64; 4], v: [f64; 3]) -> [f64; 3] {
    let [w, x, y, z] = q;
    let t = [
        y * v[2] - z * v[1] + w * v[0],
        z * v[0] - x * v[2] + w * v[1],
        x * v[1] - y * v[0] + w * v[2],
    ];
    [
        v[0] + 2.0 * (y * t[2] - z * t[1]),
        v[1] + 2.0 * (z * t[0] - x * t[2]),
        v[2] + 2.0 * (x * t[1] - y * t[0]),
    ]
}
