//! Published rewards written with the reward API (`examples/published-rewards/`): each
//! runs on its env, and its terms are what the original computes.

mod common;

use common::repo_roots;
use rewardsmith::env::Env;
use rewardsmith::reward::{RewardOut, ScriptProgram, load_program};

fn get(o: &RewardOut, name: &str) -> f64 {
    o.component(name)
        .unwrap_or_else(|| panic!("no component {name} in {o:?}"))
}

/// The path of example program `file`.
fn example(file: &str) -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("examples/published-rewards")
        .join(file)
}

/// The env `name` reset with seed 0, and the example program `file` compiled for it.
fn setup(name: &str, file: &str) -> (Env, ScriptProgram) {
    let mut env = Env::load(name, &repo_roots()).expect("env");
    env.reset(Some(0)).expect("reset");
    let program = load_program(&example(file), &env.state().layout).expect("compiles");
    (env, program)
}

/// Ant-v5: the forward term is the torso's displacement over the step, the control
/// cost 0.5‖a‖², and the contact cost is paid once the feet are on the ground.
#[test]
fn ant_v5_terms_are_the_originals() {
    let (mut env, mut p) = setup("ant", "ant-v5.luau");
    let torso = env.state().layout.body_index("torso").expect("torso");
    let mut contact_paid = false;
    for _ in 0..40 {
        let x0 = env.state().bodies[torso].pos[0];
        let a = env.sample_action();
        env.step(&a).expect("step");
        let s = env.state();
        let o = p.reward(s).expect("reward");
        let dx = (s.bodies[torso].pos[0] - x0) / s.layout.dt;
        assert!((get(&o, "forward") - dx).abs() < 1e-12);
        let effort: f64 = a.iter().map(|x| x * x).sum();
        assert!((get(&o, "ctrl_cost") + 0.5 * effort).abs() < 1e-12);
        assert!(get(&o, "contact_cost") <= 0.0);
        contact_paid |= get(&o, "contact_cost") < 0.0;
    }
    assert!(contact_paid, "the ant's feet touched the ground");
}

/// Humanoid-v5 runs on the humanoid (its centre-of-mass forward term and contact cost
/// included), healthy while standing at the start.
#[test]
fn humanoid_v5_runs() {
    let (mut env, mut p) = setup("humanoid", "humanoid-v5.luau");
    let o = p.reward(env.state()).expect("reward");
    assert_eq!(get(&o, "healthy"), 5.0);
    assert_eq!(get(&o, "forward"), 0.0, "no previous step after reset");
    for _ in 0..20 {
        let a = env.sample_action();
        env.step(&a).expect("step");
        let o = p.reward(env.state()).expect("reward");
        assert!(o.total.is_finite());
        assert!(get(&o, "contact_cost") <= 0.0 && get(&o, "contact_cost") >= -10.0);
    }
}

/// Reacher-v5's distance term, and dm_control's swing-up product.
#[test]
fn reacher_v5_and_cartpole_swingup_terms_are_the_originals() {
    let (mut env, mut p) = setup("reacher", "reacher-v5.luau");
    for _ in 0..10 {
        let a = env.sample_action();
        env.step(&a).expect("step");
        let s = env.state();
        let tip = s.body("fingertip").expect("fingertip").pos;
        let target = s.task_param("target").expect("target");
        let d: f64 = (0..3)
            .map(|k| (tip[k] - target[k]).powi(2))
            .sum::<f64>()
            .sqrt();
        let o = p.reward(s).expect("reward");
        assert!((get(&o, "reward_dist") + d).abs() < 1e-12);
    }
    let (mut env, mut p) = setup("cartpole-swingup", "cartpole-swingup-dmc.luau");
    for _ in 0..10 {
        let a = env.sample_action();
        env.step(&a).expect("step");
        let o = p.reward(env.state()).expect("reward");
        let product = ["upright", "centered", "small_control", "small_velocity"]
            .iter()
            .map(|n| get(&o, n))
            .product::<f64>();
        assert!((o.total - product).abs() < 1e-12);
    }
}

/// Written with the accessors, none of them draws a `reward lint` suggestion.
#[test]
fn they_use_the_accessors_lint_would_suggest() {
    for (env, file) in [
        ("ant", "ant-v5.luau"),
        ("humanoid", "humanoid-v5.luau"),
        ("reacher", "reacher-v5.luau"),
        ("cartpole-swingup", "cartpole-swingup-dmc.luau"),
    ] {
        let env = Env::load(env, &repo_roots()).expect("env");
        let source = std::fs::read_to_string(example(file)).expect("read");
        assert_eq!(
            rewardsmith::reward::hints(&source, &env.state().layout),
            Vec::new(),
            "{file}"
        );
    }
}
