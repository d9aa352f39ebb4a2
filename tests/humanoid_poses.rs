//! The humanoid pose programs after VLM-RM (`rewards/humanoid-{kneel,arms-raised,splits,sit}.luau`):
//! each one's success holds on a hand-set pose of the robot and not on the standing reset
//! pose, and its reward prefers its pose. The poses are set through
//! `Env::set_joint_positions` / `Env::set_body_pose` and rest on the ground: the root is
//! lowered until the lowest collider of the robot touches it.

use rewardsmith::env::{AssetRoots, Env};
use rewardsmith::reward::ScriptProgram;

/// Rotation about the world y axis by `a` radians, as (w, x, y, z): positive tips the
/// torso's top forward (+x).
fn pitch(a: f64) -> [f64; 4] {
    [(a / 2.0).cos(), 0.0, (a / 2.0).sin(), 0.0]
}

/// The lowest point of the robot's colliders (every body but the ground), in metres.
fn lowest_point(env: &Env) -> f64 {
    let ground = env.state().layout.body_index("ground").unwrap();
    let phys = env.world().physics();
    let mut lowest = f64::INFINITY;
    for (_, c) in phys.colliders.iter() {
        if c.user_data as usize == ground {
            continue;
        }
        let (Some(parent), Some(local)) = (c.parent(), c.position_wrt_parent()) else {
            continue;
        };
        let pose = *phys.bodies[parent].position() * *local;
        lowest = lowest.min(c.shape().compute_aabb(&pose).mins.z as f64);
    }
    lowest
}

/// The humanoid after `reset(seed 0)`: standing, torso 1.4 m up.
fn standing() -> Env {
    let mut env = Env::load("humanoid", &AssetRoots::discover()).unwrap();
    env.reset(Some(0)).unwrap();
    env
}

/// The humanoid with `joints` set, the torso turned by `quat` and the whole robot
/// lowered (or raised) until its lowest point is 1 mm above the ground.
fn posed(joints: &[(&str, f64)], quat: [f64; 4]) -> Env {
    let mut env = standing();
    env.set_joint_positions(joints).unwrap();
    env.set_body_pose("torso", [0.0, 0.0, 1.4], quat).unwrap();
    let drop = lowest_point(&env) - 0.001;
    env.set_body_pose("torso", [0.0, 0.0, 1.4 - drop], quat)
        .unwrap();
    assert!((lowest_point(&env) - 0.001).abs() < 1e-4);
    env
}

/// Both sides of a symmetric joint set.
fn both(joints: &[(&str, f64)]) -> Vec<(String, f64)> {
    let mut out = Vec::new();
    for (name, q) in joints {
        out.push((format!("left_{name}"), *q));
        out.push((format!("right_{name}"), *q));
    }
    out
}

fn names(joints: &[(String, f64)]) -> Vec<(&str, f64)> {
    joints.iter().map(|(n, q)| (n.as_str(), *q)).collect()
}

/// Reward total, components and success of `rewards/<file>` on `env`'s State.
fn evaluate(file: &str, env: &Env) -> (f64, String, bool) {
    let path = format!("{}/rewards/{file}", env!("CARGO_MANIFEST_DIR"));
    let src = std::fs::read_to_string(&path).unwrap();
    let mut p = ScriptProgram::compile(file, &src, &env.state().layout).unwrap();
    let out = p.reward(env.state()).unwrap();
    let success = p.success(env.state()).unwrap();
    (out.total, format!("{:?}", out.components), success.unwrap())
}

fn print_geometry(what: &str, env: &Env) {
    let s = env.state();
    let z = |b: &str| s.bodies[s.layout.body_index(b).unwrap()].pos;
    eprintln!(
        "{what}: torso {:.3?} head {:.3?} pelvis {:.3?} knees (shin tops) {:.3?} {:.3?} \
         ankles {:.3?} {:.3?} elbows {:.3?} {:.3?} lowest {:.4}",
        z("torso"),
        z("head"),
        z("pelvis"),
        z("left_shin"),
        z("right_shin"),
        z("left_foot"),
        z("right_foot"),
        z("left_lower_arm"),
        z("right_lower_arm"),
        lowest_point(env)
    );
}

/// Success on `pose`, not on standing; the total prefers `pose`.
fn check(file: &str, pose: &Env) {
    let stand = standing();
    print_geometry("standing", &stand);
    print_geometry(file, pose);
    let (pose_total, pose_parts, pose_ok) = evaluate(file, pose);
    let (stand_total, stand_parts, stand_ok) = evaluate(file, &stand);
    eprintln!("{file}: pose {pose_total:.4} {pose_parts}; standing {stand_total:.4} {stand_parts}");
    assert!(pose_ok, "{file}: no success on its pose ({pose_parts})");
    assert!(
        !stand_ok,
        "{file}: success on the standing pose ({stand_parts})"
    );
    assert!(
        pose_total > stand_total + 0.25,
        "{file}: pose {pose_total} vs standing {stand_total}"
    );
}

/// Kneeling upright on both knees, toes tucked under: thighs vertical, shins back
/// along the ground (knees bent 106 degrees, so the shins rise 16 degrees towards the
/// ankles and the toes, pointing down, reach the ground), torso upright.
fn kneeling() -> Env {
    let joints = both(&[("hip_y", 0.0), ("knee", 1.85), ("ankle", -0.28)]);
    posed(&names(&joints), pitch(0.0))
}

/// Standing upright with both arms raised straight overhead (shoulder flexion 170
/// degrees, elbows straight): the reset pose with the shoulders turned.
fn arms_raised() -> Env {
    let joints = both(&[("shoulder_y", -2.9671)]);
    posed(&names(&joints), pitch(0.0))
}

/// Front splits: the left hip flexed 105 degrees, the right at its 45-degree extension
/// limit, the pelvis tipped forward 30 degrees by the abdomen (torso upright), so both
/// legs lie 75 degrees from the vertical; front toes up, back instep down. (Flexing the
/// hip further, to its 120-degree limit, presses the thigh into the pelvis.)
fn splits() -> Env {
    let joints = [
        ("abdomen_y", 30f64.to_radians()),
        ("left_hip_y", -105f64.to_radians()),
        ("right_hip_y", 45f64.to_radians()),
        ("left_ankle", -0.5),
        ("right_ankle", 45f64.to_radians()),
    ];
    posed(&joints, pitch(0.0))
}

/// Sitting on the ground, legs straight out in front (hips flexed 90 degrees), torso
/// upright, toes up.
fn sitting() -> Env {
    let joints = both(&[("hip_y", -90f64.to_radians()), ("shoulder_y", -0.8)]);
    posed(&names(&joints), pitch(0.0))
}

/// The deepest penetration between two colliders after one zero-action step from the
/// pose, and the bodies it is between.
fn penetration_after_a_step(mut env: Env) -> (f64, String) {
    env.step(&[0.0; 18]).unwrap();
    let (depth, pair) = env.world().max_penetration();
    let bodies = &env.state().layout.bodies;
    let pair = pair.map_or(String::new(), |(a, b)| {
        format!("{} / {}", bodies[a], bodies[b])
    });
    (depth, pair)
}

/// Each hand-set pose is one the robot can take: resting on the ground, its links
/// touching, not passing through each other or the ground (a step of zero action from
/// it leaves no penetration deeper than 3 mm).
#[test]
fn hand_set_poses_rest_on_the_ground_without_penetration() {
    for (name, pose) in [
        ("kneeling", kneeling()),
        ("arms raised", arms_raised()),
        ("splits", splits()),
        ("sitting", sitting()),
    ] {
        print_geometry(name, &pose);
        let (depth, pair) = penetration_after_a_step(pose);
        assert!(depth < 0.003, "{name}: {depth} m between {pair}");
    }
}

#[test]
fn kneel_succeeds_on_kneeling_not_standing() {
    check("humanoid-kneel.luau", &kneeling());
}

#[test]
fn arms_raised_succeeds_with_arms_overhead_not_at_the_sides() {
    check("humanoid-arms-raised.luau", &arms_raised());
}

#[test]
fn splits_succeeds_on_front_splits_not_standing() {
    check("humanoid-splits.luau", &splits());
}

#[test]
fn sit_succeeds_on_sitting_not_standing() {
    check("humanoid-sit.luau", &sitting());
}

/// The poses are told apart: each program's success holds on its own pose only (e.g.
/// sitting has its knees on the ground too, but its head is too low for kneeling).
#[test]
fn each_pose_succeeds_only_for_its_own_program() {
    let poses = [
        ("humanoid-kneel.luau", kneeling()),
        ("humanoid-arms-raised.luau", arms_raised()),
        ("humanoid-splits.luau", splits()),
        ("humanoid-sit.luau", sitting()),
    ];
    for (program, _) in &poses {
        for (own, pose) in &poses {
            let (_, parts, ok) = evaluate(program, pose);
            assert_eq!(
                ok,
                program == own,
                "{program} on the pose of {own}: {parts}"
            );
        }
    }
}

#[test]
fn setting_a_pose_rejects_unknown_names_and_values_outside_the_limits() {
    let mut env = standing();
    let e = env.set_joint_positions(&[("left_knee", 1.0), ("left_kneee", 1.0)]);
    assert!(
        e.unwrap_err()
            .to_string()
            .contains("unknown joint `left_kneee`")
    );
    let e = env.set_joint_positions(&[("left_knee", -0.5)]);
    assert!(e.unwrap_err().to_string().contains("outside its limits"));
    let e = env.set_joint_positions(&[("left_knee", f64::NAN)]);
    assert!(e.is_err());
    // Nothing was changed by the refused calls.
    assert!(
        env.state().joints[env.state().layout.joint_index("left_knee").unwrap()]
            .q
            .abs()
            < 0.02
    );
    let e = env.set_body_pose("left_shin", [0.0; 3], [1.0, 0.0, 0.0, 0.0]);
    assert!(
        e.unwrap_err()
            .to_string()
            .contains("set its joints instead")
    );
    let e = env.set_body_pose("torso", [0.0; 3], [0.0; 4]);
    assert!(e.is_err());
    // Joints read back what was set, at rest; the root lands where it was put.
    env.set_joint_positions(&[("left_knee", 1.2), ("right_elbow", 0.5)])
        .unwrap();
    env.set_body_pose("torso", [0.3, -0.2, 1.1], pitch(0.2))
        .unwrap();
    let s = env.state();
    let j = |n: &str| s.joints[s.layout.joint_index(n).unwrap()];
    assert!((j("left_knee").q - 1.2).abs() < 1e-5 && j("left_knee").qd == 0.0);
    assert!((j("right_elbow").q - 0.5).abs() < 1e-5);
    let torso = s.bodies[s.layout.body_index("torso").unwrap()];
    for (a, b) in torso.pos.iter().zip([0.3, -0.2, 1.1]) {
        assert!((a - b).abs() < 1e-5, "{:?}", torso.pos);
    }
    for (a, b) in torso.quat.iter().zip(pitch(0.2)) {
        assert!((a - b).abs() < 1e-5, "{:?}", torso.quat);
    }
}
