//! MuJoCo's joint and actuator model: a hinge with armature a and damping d on a link
//! of inertia I about its axis obeys (I + a)·q̈ = τ − d·q̇ (MuJoCo's `armature`,
//! `damping` and `<motor gear>`), with frictionloss f holding it still while |τ| ≤ f,
//! and a position actuator is the PD force kp·(u − q) − kv·q̇. Each is checked
//! against the closed-form solution (within 2 %).

mod common;

use common::{roots_in, write};
use rewardsmith::env::{Env, EnvSpec};

/// A vertical hinge (gravity does no work) turning a link whose inertia about the
/// axis is `izz` (its centre of mass on the axis).
fn spinner_urdf(izz: f64) -> String {
    format!(
        r#"<?xml version="1.0"?>
<robot name="spinner">
  <link name="base">
    <inertial><mass value="1"/><inertia ixx="1" iyy="1" izz="1" ixy="0" ixz="0" iyz="0"/></inertial>
  </link>
  <joint name="hinge" type="continuous">
    <parent link="base"/><child link="rotor"/>
    <origin xyz="0 0 0"/><axis xyz="0 0 1"/>
  </joint>
  <link name="rotor">
    <inertial><mass value="1"/><inertia ixx="0.05" iyy="0.05" izz="{izz}" ixy="0" ixz="0" iyz="0"/></inertial>
  </link>
</robot>
"#
    )
}

/// A spec around `spinner_urdf` with `joint` (a `[[joints]]` body) and `actuator`
/// (an `[[actuators]]` body), control step `dt` with one physics step per control.
fn spinner_env(izz: f64, joint: &str, actuator: &str, extra: &str) -> Env {
    let dir = tempfile::tempdir().expect("tempdir");
    write(dir.path(), "spinner.urdf", &spinner_urdf(izz));
    let text = format!(
        r#"name = "spinner"
description = "a damped hinge"

[sim]
control_dt = 0.01
horizon = 100000

[robot]
urdf = "spinner.urdf"
base_pos = [0.0, 0.0, 1.0]
fixed_base = true

[[joints]]
joint = "hinge"
{joint}

[[actuators]]
joint = "hinge"
{actuator}

[[observations]]
term = "joint_q"
joints = ["hinge"]

[rewards]
reward = "spinner"
success = "spinner"

[camera]
pos = [0.0, -3.0, 1.0]
look_at = [0.0, 0.0, 1.0]
{extra}"#
    );
    let file = write(dir.path(), "spinner.toml", &text);
    let spec = EnvSpec::from_file(&file).expect("parses");
    Env::from_spec(spec, &file, &roots_in(dir.path())).expect("builds")
}

/// `(t, q, qd)` over `steps` control steps of constant action `u`.
fn trajectory(env: &mut Env, u: f64, steps: usize) -> Vec<(f64, f64, f64)> {
    env.reset(Some(0)).expect("reset");
    let mut out = Vec::new();
    for _ in 0..steps {
        env.step(&[u]).expect("step");
        let s = env.state();
        let j = s.joint("hinge").expect("hinge");
        out.push((s.t, j.q, j.qd));
    }
    out
}

/// The largest error of `got` against `want` over the trajectory, relative to the
/// largest |want|.
fn worst_relative(got: &[f64], want: &[f64]) -> f64 {
    let scale = want.iter().fold(0.0f64, |m, w| m.max(w.abs()));
    got.iter()
        .zip(want)
        .map(|(g, w)| (g - w).abs() / scale)
        .fold(0.0, f64::max)
}

/// Free decay: q̇(t) = ω₀·e^(−t·d/M), q(t) = ω₀·M/d·(1 − e^(−t·d/M)), M = I + a.
#[test]
fn damped_hinge_free_decay_matches_closed_form() {
    let (izz, a, d, w0) = (0.1, 0.9, 2.0, 3.0);
    let extra = format!(
        "\n[[reset.joints]]\njoint = \"hinge\"\nqd = [{w0}, {}]\n",
        w0 + 1e-12
    );
    let mut env = spinner_env(
        izz,
        &format!("damping = {d}\narmature = {a}"),
        "kind = \"torque\"\ngear = 1.0",
        &extra,
    );
    let traj = trajectory(&mut env, 0.0, 150);
    let m = izz + a;
    let qd_want: Vec<f64> = traj.iter().map(|(t, ..)| w0 * (-t * d / m).exp()).collect();
    let q_want: Vec<f64> = traj
        .iter()
        .map(|(t, ..)| w0 * m / d * (1.0 - (-t * d / m).exp()))
        .collect();
    let qd: Vec<f64> = traj.iter().map(|p| p.2).collect();
    let q: Vec<f64> = traj.iter().map(|p| p.1).collect();
    let (eq, eqd) = (worst_relative(&q, &q_want), worst_relative(&qd, &qd_want));
    assert!(eqd < 0.02, "q̇ off by {:.2}% of ω₀", eqd * 100.0);
    assert!(eq < 0.02, "q off by {:.2}% of its final value", eq * 100.0);
    // Without the armature the same damping stops the link ten times sooner.
    let mut bare = spinner_env(
        izz,
        &format!("damping = {d}"),
        "kind = \"torque\"\ngear = 1.0",
        &extra,
    );
    let t_half = (m / d) * std::f64::consts::LN_2;
    let k = (t_half / 0.01).round() as usize - 1;
    let bare_qd = trajectory(&mut bare, 0.0, k + 1)[k].2;
    assert!(
        bare_qd < 0.01 * w0,
        "armature-free link still turns at {bare_qd}"
    );
}

/// Step response of a torque motor: q̇(t) = τ/d·(1 − e^(−t·d/M)),
/// q(t) = τ/d·(t − M/d·(1 − e^(−t·d/M))), τ = gear × action.
#[test]
fn driven_hinge_step_response_matches_closed_form() {
    let (izz, a, d, gear, u) = (0.05, 0.45, 1.0, 4.0, 0.5);
    let mut env = spinner_env(
        izz,
        &format!("damping = {d}\narmature = {a}"),
        &format!("kind = \"torque\"\ngear = {gear}"),
        "",
    );
    let traj = trajectory(&mut env, u, 200);
    let (m, tau) = (izz + a, gear * u);
    let e = |t: f64| (-t * d / m).exp();
    let qd_want: Vec<f64> = traj.iter().map(|(t, ..)| tau / d * (1.0 - e(*t))).collect();
    let q_want: Vec<f64> = traj
        .iter()
        .map(|(t, ..)| tau / d * (t - m / d * (1.0 - e(*t))))
        .collect();
    let qd: Vec<f64> = traj.iter().map(|p| p.2).collect();
    let q: Vec<f64> = traj.iter().map(|p| p.1).collect();
    assert!(worst_relative(&qd, &qd_want) < 0.02, "q̇ {qd:?}");
    // q wraps at ±π: compare the unwrapped part before it first does.
    let n = q_want.iter().position(|x| *x > 3.0).unwrap_or(q.len());
    assert!(n > 50, "the test runs long enough before wrapping");
    assert!(worst_relative(&q[..n], &q_want[..n]) < 0.02, "q {q:?}");
}

/// Frictionloss f: a torque below f leaves the joint at rest; above it, the joint
/// accelerates at (τ − f)/M.
#[test]
fn frictionloss_holds_below_and_slips_above() {
    let (izz, a, f) = (0.1, 0.4, 1.0);
    let joint = format!("armature = {a}\nfrictionloss = {f}");
    let mut env = spinner_env(izz, &joint, "kind = \"torque\"\ngear = 1.0", "");
    let held = trajectory(&mut env, 0.8, 100);
    let (_, q, qd) = held[99];
    assert!(q.abs() < 1e-3 && qd.abs() < 1e-3, "held: q {q}, q̇ {qd}");
    let slipping = trajectory(&mut env, 1.0, 1);
    assert!(slipping[0].2.abs() < 1e-3, "τ = f does not move it");
    let mut env = spinner_env(izz, &joint, "kind = \"torque\"\ngear = 2.0", "");
    let traj = trajectory(&mut env, 1.0, 50);
    let (t, _, qd) = traj[49];
    let want = (2.0 - f) / (izz + a) * t;
    assert!((qd - want).abs() < 0.02 * want, "q̇ {qd} vs {want}");
}

/// A position actuator is MuJoCo's PD force kp·(u − q) − kv·q̇: from rest, a step of
/// the target to u follows the damped oscillator M·q̈ + kv·q̇ + kp·q = kp·u.
#[test]
fn position_actuator_is_a_pd_force() {
    let (izz, kp, kv, u) = (0.2, 20.0, 1.2, 0.5);
    let mut env = spinner_env(
        izz,
        "armature = 0.0",
        &format!("kind = \"position\"\ngain = {kp}\ndamping = {kv}\nctrl_range = [-1.0, 1.0]"),
        "",
    );
    let traj = trajectory(&mut env, u, 300);
    // Underdamped: ζ = kv / (2·√(kp·M)) < 1.
    let m = izz;
    let wn = (kp / m).sqrt();
    let zeta = kv / (2.0 * (kp * m).sqrt());
    assert!(zeta < 1.0);
    let wd = wn * (1.0 - zeta * zeta).sqrt();
    let want: Vec<f64> = traj
        .iter()
        .map(|(t, ..)| {
            let decay = (-zeta * wn * t).exp();
            u * (1.0 - decay * ((wd * t).cos() + zeta * wn / wd * (wd * t).sin()))
        })
        .collect();
    let q: Vec<f64> = traj.iter().map(|p| p.1).collect();
    let err = worst_relative(&q, &want);
    assert!(err < 0.02, "q off by {:.2}% of its peak", err * 100.0);
}
