//! The reward API's history and sites on real envs: `s.prev` is the previous control
//! step's State (nil after a reset, kept by a checkpoint), and `s.site(name)` is a point
//! fixed on its body.

mod common;

use common::{repo_roots, rotate};
use rewardsmith::env::Env;
use rewardsmith::reward::{RewardOut, ScriptProgram};

fn get(o: &RewardOut, name: &str) -> f64 {
    o.component(name)
        .unwrap_or_else(|| panic!("no component {name} in {o:?}"))
}

const READS_PREV: &str = "function reward(s)
  local p = s.prev
  if p == nil then
    return { has = 0 }
  end
  local b = p.body('torso')
  return {
    has = 1, x = b.pos.x, vz = b.linvel.z, q = p.joint('hip_1').q, a = p.action[3],
    step = p.step, t = p.t, dx = s.body('torso').pos.x - b.pos.x,
    one_back = if p.prev == nil then 1 else 0,
  }
end";

fn ant() -> Env {
    let mut env = Env::load("ant", &repo_roots()).expect("ant");
    env.reset(Some(3)).expect("reset");
    env
}

#[test]
fn prev_is_the_previous_step_and_nil_after_reset() {
    let mut env = ant();
    let layout = env.state().layout.clone();
    let torso = layout.body_index("torso").expect("torso");
    let hip = layout.joint_index("hip_1").expect("hip_1");
    let mut p = ScriptProgram::compile("prev.luau", READS_PREV, &layout).expect("compiles");
    assert!(env.state().prev.is_none());
    let o = p.reward(env.state()).expect("reward");
    assert_eq!(get(&o, "has"), 0.0, "no previous step after a reset");
    for _ in 0..20 {
        let before = env.state().clone();
        let a = env.sample_action();
        env.step(&a).expect("step");
        let now = env.state();
        let prev = now.prev.as_deref().expect("a previous step");
        assert_eq!((prev.t, prev.step), (before.t, before.step));
        assert_eq!(prev.bodies, before.bodies);
        assert_eq!(prev.joints, before.joints);
        assert_eq!(prev.action, before.action);
        assert_eq!(prev.contacts, before.contacts);
        assert!(prev.prev.is_none(), "one step back only");
        let o = p.reward(now).expect("reward");
        assert_eq!(get(&o, "has"), 1.0);
        assert_eq!(get(&o, "x"), before.bodies[torso].pos[0]);
        assert_eq!(get(&o, "vz"), before.bodies[torso].linvel[2]);
        assert_eq!(get(&o, "q"), before.joints[hip].q);
        assert_eq!(get(&o, "a"), before.action[2]);
        assert_eq!(get(&o, "step"), f64::from(before.step));
        assert_eq!(get(&o, "t"), before.t);
        let dx = now.bodies[torso].pos[0] - before.bodies[torso].pos[0];
        assert_eq!(get(&o, "dx"), dx);
        assert_eq!(get(&o, "one_back"), 1.0);
    }
    env.reset(None).expect("reset");
    let o = p.reward(env.state()).expect("reward");
    assert_eq!(get(&o, "has"), 0.0, "a reset forgets the previous step");
}

#[test]
fn a_checkpoint_keeps_the_previous_step() {
    let mut env = ant();
    for _ in 0..5 {
        let a = env.sample_action();
        env.step(&a).expect("step");
    }
    let mut other = Env::load("ant", &repo_roots()).expect("ant");
    other
        .load_bytes(&env.save_bytes().expect("save"))
        .expect("load");
    assert!(other.state().prev.is_some());
    assert_eq!(other.state(), env.state(), "State and its prev restored");
    let layout = env.state().layout.clone();
    let mut p = ScriptProgram::compile("prev.luau", READS_PREV, &layout).expect("compiles");
    let a = p.reward(env.state()).expect("reward");
    assert_eq!(p.reward(other.state()).expect("reward"), a);
}

#[test]
fn prev_reached_without_naming_it_is_a_clear_error() {
    let env = ant();
    let src = "function reward(s)\n  local k = 'pr' .. 'ev'\n  return if s[k] then 1 else 0\nend";
    let mut p = ScriptProgram::compile("dyn.luau", src, &env.state().layout).expect("compiles");
    let msg = p.reward(env.state()).expect_err("not packed").to_string();
    assert!(msg.contains("write `s.prev` literally"), "{msg}");
}

/// The ant's feet and the humanoid's soles are sites; a site is its body's frame origin
/// plus the rotated offset, and its velocity the body's velocity at that point.
#[test]
fn sites_follow_their_body() {
    let roots = repo_roots();
    let sites = |env: &str| -> Vec<String> {
        let env = Env::load(env, &roots).expect("env");
        env.state()
            .layout
            .sites
            .iter()
            .map(|s| s.name.clone())
            .collect()
    };
    assert_eq!(sites("ant"), ["foot_1", "foot_2", "foot_3", "foot_4"]);
    assert_eq!(sites("humanoid"), ["left_sole", "right_sole"]);
    let mut env = ant();
    let layout = env.state().layout.clone();
    let src = "function reward(s)\n  local f = s.site('foot_2')\n  \
               return { x = f.pos.x, y = f.pos.y, z = f.pos.z, \
               vx = f.linvel.x, vy = f.linvel.y, vz = f.linvel.z }\nend";
    let mut p = ScriptProgram::compile("site.luau", src, &layout).expect("compiles");
    let site = &layout.sites[1];
    for _ in 0..10 {
        let a = env.sample_action();
        env.step(&a).expect("step");
        let s = env.state();
        let o = p.reward(s).expect("reward");
        let b = &s.bodies[site.body];
        let r = rotate(b.quat, site.offset);
        let w = b.angvel;
        let v = [
            b.linvel[0] + w[1] * r[2] - w[2] * r[1],
            b.linvel[1] + w[2] * r[0] - w[0] * r[2],
            b.linvel[2] + w[0] * r[1] - w[1] * r[0],
        ];
        for (i, (c, vc)) in [("x", "vx"), ("y", "vy"), ("z", "vz")]
            .into_iter()
            .enumerate()
        {
            assert!((get(&o, c) - (b.pos[i] + r[i])).abs() < 1e-9, "{c}");
            assert!((get(&o, vc) - v[i]).abs() < 1e-9, "{vc}");
        }
    }
}

/// A site is the point it names: one on reacher's second link at the fingertip's
/// offset (a spec written here: reacher's plus one `[[sites]]`) has the fingertip
/// link's position and velocity as the arm swings.
#[test]
fn a_site_is_where_a_link_at_that_offset_is() {
    let dir = tempfile::tempdir().expect("tempdir");
    let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/envs/reacher.toml"))
        .expect("reacher.toml");
    let text =
        format!("{text}\n[[sites]]\nname = \"tip\"\nbody = \"link1\"\noffset = [0.11, 0.0, 0.0]\n");
    let file = dir.path().join("reacher-site.toml");
    std::fs::write(&file, text).expect("write");
    let spec = rewardsmith::env::EnvSpec::from_file(&file).expect("parses");
    let mut env = Env::from_spec(spec, &file, &repo_roots()).expect("builds");
    env.reset(Some(5)).expect("reset");
    let layout = env.state().layout.clone();
    let src = "function reward(s)\n  local f, t = s.site('tip'), s.body('fingertip')\n  \
               return { dp = f.pos:dist(t.pos), dv = f.linvel:dist(t.linvel), \
               v = t.linvel:norm() }\nend";
    let mut p = ScriptProgram::compile("site.luau", src, &layout).expect("compiles");
    let mut fastest: f64 = 0.0;
    for _ in 0..30 {
        env.step(&[0.3, -0.2]).expect("step");
        let o = p.reward(env.state()).expect("reward");
        // rapier computes in f32: agreement to ~1e-6 m and m/s
        assert!(get(&o, "dp") < 1e-5, "{o:?}");
        assert!(get(&o, "dv") < 1e-4 * get(&o, "v").max(1.0), "{o:?}");
        fastest = fastest.max(get(&o, "v"));
    }
    assert!(fastest > 0.1, "the tip moved: {fastest}");
}

#[test]
fn an_unknown_site_lists_the_known_ones() {
    let env = ant();
    let src = "function reward(s)\n  return s.site('foot_9').pos.z\nend";
    let msg = ScriptProgram::compile("site.luau", src, &env.state().layout)
        .expect_err("unknown site")
        .to_string();
    assert!(msg.contains("unknown site \"foot_9\""), "{msg}");
    assert!(msg.contains("foot_1"), "{msg}");
}

/// arm-push's 0.1 kg cube resting on the table: the table pushes it up with m·g (within
/// 2 %), the cube pushes the table down with the same, and the cube's net contact force
/// is that one pair's.
#[test]
fn a_resting_box_feels_its_weight_as_contact_force() {
    let mut env = Env::load("arm-push", &repo_roots()).expect("arm-push");
    env.reset(Some(0)).expect("reset");
    let zero = vec![0.0; env.compiled().action_space.dim()];
    for _ in 0..20 {
        env.step(&zero).expect("step");
    }
    let layout = env.state().layout.clone();
    let cube = layout.body_index("cube").expect("cube");
    let weight = layout.body_masses[cube] * 9.81;
    let src = "function reward(s)\n  local up = s.contact_force('cube', 'table')\n  \
               local down = s.contact_force('table', 'cube')\n  \
               local net = s.contact_force('cube')\n  \
               return { up = up.z, side = math.abs(up.x) + math.abs(up.y), \
               down = down.z, net = net.z }\nend";
    let mut p = ScriptProgram::compile("force.luau", src, &layout).expect("compiles");
    let o = p.reward(env.state()).expect("reward");
    let up = get(&o, "up");
    assert!(
        (up - weight).abs() < 0.02 * weight,
        "table on cube {up:.4} N, weight {weight:.4} N"
    );
    assert!(get(&o, "side") < 0.02 * weight, "{o:?}");
    assert_eq!(get(&o, "down"), -up);
    assert_eq!(get(&o, "net"), up, "the cube touches only the table");
    let table = layout.body_index("table").expect("table");
    assert_eq!(env.state().contact_force(cube, table)[2], up);
}

/// `s.success` is the env's success program's judgement of the same State: on cartpole
/// (upright and centred) it agrees with that program, run on its own, step by step until
/// the pole falls, and it is readable from `s.prev` too.
#[test]
fn success_is_the_envs_own_judgement() {
    let roots = repo_roots();
    let mut env = Env::load("cartpole", &roots).expect("cartpole");
    env.reset(Some(1)).expect("reset");
    let layout = env.state().layout.clone();
    let own = layout
        .success
        .as_ref()
        .expect("cartpole has a success program");
    let mut judge = ScriptProgram::compile(&own.name, &own.source, &layout).expect("compiles");
    let src = "function reward(s)\n  local before = if s.prev then s.prev.success else true\n  \
               return { ok = if s.success then 1 else 0, before = if before then 1 else 0 }\nend";
    let mut p = ScriptProgram::compile("reads_success.luau", src, &layout).expect("compiles");
    let (mut seen_true, mut seen_false) = (false, false);
    let mut last = true;
    for _ in 0..500 {
        let flags = env.step(&[1.0]).expect("step").1;
        let want = judge
            .success(env.state())
            .expect("success")
            .expect("defined");
        let o = p.reward(env.state()).expect("reward");
        assert_eq!(get(&o, "ok") == 1.0, want);
        assert_eq!(get(&o, "before") == 1.0, last, "s.prev.success");
        last = want;
        seen_true |= want;
        seen_false |= !want;
        if flags.terminated || flags.truncated {
            break;
        }
    }
    assert!(
        seen_true && seen_false,
        "the pole fell: {seen_true} {seen_false}"
    );
}
