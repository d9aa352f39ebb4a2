//! Per-call cost of reward programs: a 10-line cartpole reward and a ~30-line humanoid-like
//! reward touching 10 bodies, evaluated through `ScriptProgram::reward_into`, plus a
//! 256-state parallel batch through `ScriptReward::eval_batch`; and on the real ant,
//! Ant-v5's forward reward from the torso's velocity against the same from `s.prev` (a
//! finite difference), which prices reading the previous step (split into packing it,
//! reaching it, and reading a body from it).

use criterion::{Criterion, criterion_group, criterion_main};
use rewardsmith::env::{
    AssetRoots, BodyState, Env, JointInfo, JointKind, JointState, State, StateLayout,
};
use rewardsmith::reward::{Reward, RewardOut, ScriptProgram, ScriptReward};
use std::hint::black_box;
use std::sync::Arc;

const CARTPOLE: &str = r#"
function reward(s)
  local pole = s.body("pole")
  local cart = s.body("cart")
  local upright = (pole.quat:up().z + 1) / 2
  local centered = tolerance(cart.pos.x, -0.25, 0.25, 1.0)
  local small_control = 1 - 0.1 * s.action[1] ^ 2
  local slow = tolerance(s.joint("hinge").qd, -1, 1, 5)
  return { upright = upright, centered = centered, control = small_control, slow = slow }
end
"#;

const HUMANOID: &str = r#"
local LIMBS = { "left_thigh", "right_thigh", "left_shin", "right_shin",
                "left_upper_arm", "right_upper_arm", "left_lower_arm", "right_lower_arm" }

function reward(s)
  local torso = s.body("torso")
  local head = s.body("head")
  local height = tolerance(head.pos.z, 1.4, math.huge, 0.5)
  local upright = tolerance(torso.quat:up().z, 0.9, 1, 0.9, 0.1, "linear")
  local speed = torso.linvel.x
  local move = tolerance(speed, 1.0, math.huge, 1.0, 0.0, "linear")
  -- keep limbs near the torso and slow
  local spread, spin = 0, 0
  for _, name in LIMBS do
    local b = s.body(name)
    spread += b.pos:dist(torso.pos)
    spin += b.angvel:norm()
  end
  local compact = exp(-0.1 * spread)
  local calm = exp(-0.01 * spin)
  local effort = 0
  for i = 1, #s.action do
    effort += s.action[i] ^ 2
  end
  local control = tolerance(effort, 0, 0, 10, 0.1, "quadratic")
  local facing = torso.quat:forward():dot(vec3(1, 0, 0))
  return {
    height = height, upright = upright, move = move, compact = compact,
    calm = calm, control = control, facing = 0.1 * facing,
  }
end
"#;

fn layout(bodies: &[&str], joints: &[&str], n_act: usize) -> StateLayout {
    StateLayout {
        bodies: bodies.iter().map(|b| b.to_string()).collect(),
        joints: joints
            .iter()
            .enumerate()
            .map(|(i, j)| JointInfo {
                name: j.to_string(),
                kind: JointKind::Revolute,
                limits: None,
                parent: 0,
                child: i + 1,
            })
            .collect(),
        actuators: joints.iter().take(n_act).map(|j| j.to_string()).collect(),
        action_ranges: vec![[-1.0, 1.0]; n_act],
        robot_links: 0,
        body_masses: vec![],
        body_coms: vec![],
        task: vec![],
        sites: Vec::new(),
        success: None,
        dt: 0.02,
    }
}

fn state(layout: &StateLayout, k: f64) -> State {
    let n = layout.bodies.len();
    State {
        layout: Arc::new(layout.clone()),
        t: k,
        step: k as u32,
        bodies: (0..n)
            .map(|i| {
                let a = 0.1 * (i as f64 + k);
                BodyState {
                    pos: [a, 0.2 * a, 1.0 + a],
                    quat: [(a / 2.0).cos(), 0.0, (a / 2.0).sin(), 0.0],
                    linvel: [1.0, 0.1 * a, 0.0],
                    angvel: [a, 0.0, -a],
                }
            })
            .collect(),
        joints: (0..layout.joints.len())
            .map(|i| JointState {
                q: 0.1 * i as f64,
                qd: 0.5,
            })
            .collect(),
        action: (0..layout.actuators.len())
            .map(|i| 0.1 * i as f64 - 0.3)
            .collect(),
        task: vec![],
        contacts: vec![(0, 1)],
        contact_forces: vec![[0.5, -0.25, 9.81]],
        prev: None,
    }
}

/// Ant-v5's forward and healthy terms, from the torso's velocity.
const ANT_VELOCITY: &str = r#"
function reward(s)
  local torso = s.body("torso")
  local healthy = if torso.pos.z > 0.2 and torso.pos.z < 1.0 then 1 else 0
  return { forward = torso.linvel.x, healthy = healthy }
end
"#;

/// The same, with Ant-v5's own definition of the forward term: the torso's displacement
/// over the step (`(x_after - x_before) / dt`), read from `s.prev`.
const ANT_PREV: &str = r#"
function reward(s)
  local torso = s.body("torso")
  local healthy = if torso.pos.z > 0.2 and torso.pos.z < 1.0 then 1 else 0
  local prev = s.prev
  local forward = if prev then (torso.pos.x - prev.body("torso").pos.x) / s.dt else 0
  return { forward = forward, healthy = healthy }
end
"#;

/// `program` with `line` as the first line of its `reward`.
fn with_first_line(program: &str, line: &str) -> String {
    program.replace(
        "function reward(s)",
        &format!("function reward(s)\n  {line}"),
    )
}

/// The ant's State a few steps into an episode (so it has a previous step).
fn ant_state() -> State {
    let roots = AssetRoots::under(std::path::Path::new(env!("CARGO_MANIFEST_DIR")));
    let mut env = Env::load("ant", &roots).expect("ant");
    env.reset(Some(0)).expect("reset");
    for _ in 0..5 {
        let a = env.sample_action();
        env.step(&a).expect("step");
    }
    env.state().clone()
}

fn bench(c: &mut Criterion) {
    let cp = layout(&["cart", "pole", "ground"], &["hinge"], 1);
    let hum_bodies = [
        "torso",
        "head",
        "left_thigh",
        "right_thigh",
        "left_shin",
        "right_shin",
        "left_upper_arm",
        "right_upper_arm",
        "left_lower_arm",
        "right_lower_arm",
        "left_foot",
        "right_foot",
        "ground",
    ];
    let hum_joints: Vec<String> = (0..17).map(|i| format!("j{i}")).collect();
    let hum_joints: Vec<&str> = hum_joints.iter().map(String::as_str).collect();
    let hum = layout(&hum_bodies, &hum_joints, 17);

    let mut group = c.benchmark_group("reward_call");
    for (name, src, lay) in [
        ("cartpole_10_lines", CARTPOLE, &cp),
        ("humanoid_30_lines", HUMANOID, &hum),
    ] {
        let mut p = ScriptProgram::compile(name, src, lay).expect("compiles");
        let s = state(lay, 0.5);
        let mut out = RewardOut::default();
        group.bench_function(name, |b| {
            b.iter(|| p.reward_into(black_box(&s), &mut out).expect("runs"))
        });
    }
    let mut p = ScriptProgram::compile("trivial", "function reward(s) return 1 end", &cp)
        .expect("compiles");
    let s = state(&cp, 0.5);
    let mut out = RewardOut::default();
    group.bench_function("trivial_return_1", |b| {
        b.iter(|| p.reward_into(black_box(&s), &mut out).expect("runs"))
    });
    let ant = ant_state();
    for (name, src) in [
        ("ant_forward_velocity", ANT_VELOCITY),
        ("ant_forward_prev", ANT_PREV),
        // the parts of the difference: packing the previous step, then reaching it
        (
            "ant_prev_packed",
            &with_first_line(ANT_VELOCITY, "if false then local _ = s.prev end"),
        ),
        (
            "ant_prev_indexed",
            &with_first_line(ANT_VELOCITY, "local _ = s.prev"),
        ),
    ] {
        let mut p = ScriptProgram::compile(name, src, &ant.layout).expect("compiles");
        group.bench_function(name, |b| {
            b.iter(|| p.reward_into(black_box(&ant), &mut out).expect("runs"))
        });
    }
    group.finish();

    let mut group = c.benchmark_group("reward_batch");
    let states: Vec<State> = (0..256).map(|k| state(&hum, k as f64)).collect();
    let mut r = ScriptReward::compile("humanoid", HUMANOID, &hum).expect("compiles");
    let mut out = vec![RewardOut::default(); states.len()];
    group.bench_function("humanoid_256_states", |b| {
        b.iter(|| r.eval_batch(black_box(&states), &mut out).expect("runs"))
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
