//! Every built-in env loads, resets and steps; seeding and snapshots are exact.

mod common;

use common::repo_roots;
use rewardsmith::env::{Env, EnvSpec, VecEnv};

fn rollout(env: &mut Env, seed: u64, steps: usize) -> Vec<Vec<f32>> {
    let mut out = vec![env.reset(Some(seed)).expect("reset")];
    for _ in 0..steps {
        let a = env.sample_action();
        let (obs, flags) = env.step(&a).expect("step");
        out.push(obs);
        if flags.terminated || flags.truncated {
            out.push(env.reset(None).expect("reset"));
        }
    }
    out
}

#[test]
fn every_env_loads_resets_and_steps() {
    let roots = repo_roots();
    let names = roots.builtin_names();
    assert!(names.contains(&"cartpole".to_string()), "{names:?}");
    for name in names {
        let mut env = Env::load(&name, &roots).unwrap_or_else(|e| panic!("{name}: {e}"));
        let obs = env.reset(Some(3)).expect("reset");
        assert_eq!(obs.len(), env.compiled().obs_dim(), "{name}");
        for _ in 0..50 {
            let a = env.sample_action();
            let (obs, flags) = env.step(&a).expect("step");
            assert!(obs.iter().all(|x| x.is_finite()), "{name}: non-finite obs");
            if flags.terminated || flags.truncated {
                env.reset(None).expect("reset");
            }
        }
        assert!(env.state().is_finite(), "{name}");
    }
}

#[test]
fn same_seed_same_trajectory_different_seed_different() {
    let roots = repo_roots();
    for name in roots.builtin_names() {
        let mut a = Env::load(&name, &roots).expect("load");
        let mut b = Env::load(&name, &roots).expect("load");
        let ra = rollout(&mut a, 7, 120);
        let rb = rollout(&mut b, 7, 120);
        assert_eq!(ra, rb, "{name}: same seed must give identical observations");
        assert_eq!(a.state(), b.state(), "{name}: and identical States");
        let rc = rollout(&mut b, 8, 120);
        assert_ne!(ra, rc, "{name}: different seeds must differ");
    }
}

#[test]
fn snapshot_restore_replays_bit_for_bit() {
    let roots = repo_roots();
    for name in roots.builtin_names() {
        let mut env = Env::load(&name, &roots).expect("load");
        rollout(&mut env, 11, 30);
        let snap = env.snapshot().expect("snapshot");
        let first = rollout_from_here(&mut env, 40);
        env.restore(&snap).expect("restore");
        let second = rollout_from_here(&mut env, 40);
        assert_eq!(first, second, "{name}: restore must replay exactly");
    }
}

fn rollout_from_here(env: &mut Env, steps: usize) -> Vec<(Vec<f32>, rewardsmith::env::State)> {
    (0..steps)
        .map(|_| {
            let a = env.sample_action();
            let (obs, flags) = env.step(&a).expect("step");
            let s = env.state().clone();
            if flags.terminated || flags.truncated {
                env.reset(None).expect("reset");
            }
            (obs, s)
        })
        .collect()
}

#[test]
fn vec_env_matches_single_envs_and_autoresets() {
    let roots = repo_roots();
    let n = 4;
    let mut vec = VecEnv::new("cartpole", &roots, n, Some(2)).expect("vec env");
    let obs0 = vec.reset(100).expect("reset").to_vec();
    let mut singles: Vec<Env> = (0..n)
        .map(|_| Env::load("cartpole", &roots).expect("load"))
        .collect();
    let dim = vec.compiled().obs_dim();
    for (i, e) in singles.iter_mut().enumerate() {
        assert_eq!(
            &obs0[i * dim..(i + 1) * dim],
            e.reset(Some(100 + i as u64)).expect("reset")
        );
    }
    let mut ended = 0;
    for t in 0..300 {
        let actions: Vec<f64> = (0..n)
            .map(|i| if (t + i) % 3 == 0 { 1.0 } else { -0.6 })
            .collect();
        let batch = vec.step(&actions).expect("step").clone();
        for (i, e) in singles.iter_mut().enumerate() {
            let (fin, flags) = e.step(&actions[i..i + 1]).expect("step");
            assert_eq!(&batch.final_obs[i * dim..(i + 1) * dim], fin.as_slice());
            assert_eq!(batch.flags[i], flags);
            assert_eq!(&batch.states[i], e.state());
            let next = if flags.terminated || flags.truncated {
                ended += 1;
                e.reset(None).expect("reset")
            } else {
                fin
            };
            assert_eq!(&batch.obs[i * dim..(i + 1) * dim], next.as_slice());
        }
    }
    assert!(ended > 0, "a bang-bang policy ends cartpole episodes");
}

#[test]
fn bad_actions_are_errors_not_panics() {
    let roots = repo_roots();
    let mut env = Env::load("cartpole", &roots).expect("load");
    env.reset(Some(0)).expect("reset");
    assert!(env.step(&[]).is_err());
    let err = env.step(&[f64::NAN]).expect_err("nan action");
    assert!(err.to_string().contains("NaN"), "{err}");
    // Out-of-range actions are clipped to the Box space.
    env.step(&[50.0]).expect("clipped");
    assert_eq!(env.state().action, vec![1.0]);
}

/// Mountain car is under-powered: full throttle from the valley stalls, but pushing
/// along the car's velocity (rocking) reaches the flag, as in Gymnasium's task.
#[test]
fn mountain_car_needs_rocking() {
    let roots = repo_roots();
    let reach = |policy: &dyn Fn(f64) -> f64| -> Option<u32> {
        let mut env = Env::load("mountain-car", &roots).expect("load");
        env.reset(Some(0)).expect("reset");
        for step in 0..999 {
            let v = env.state().body("car").expect("car").linvel[0];
            let (_, flags) = env.step(&[policy(v)]).expect("step");
            if flags.terminated {
                return Some(step);
            }
            if flags.truncated {
                return None;
            }
        }
        None
    };
    assert_eq!(
        reach(&|_| 1.0),
        None,
        "full throttle must not climb out of the valley"
    );
    let rocking = reach(&|v| if v >= 0.0 { 1.0 } else { -1.0 });
    assert!(rocking.is_some(), "rocking reaches the flag");
}

#[test]
fn discrete_actions_apply_their_choices() {
    let roots = repo_roots();
    let mut disc = Env::load("cartpole-discrete", &roots).expect("load");
    let mut cont = Env::load("cartpole", &roots).expect("load");
    assert_eq!(disc.compiled().action_space.to_string(), "Discrete(2)");
    disc.reset(Some(5)).expect("reset");
    cont.reset(Some(5)).expect("reset");
    // Index 0 pushes left (control -1), index 1 right (+1): the same physics as the
    // continuous env given those controls, step for step.
    for (i, k) in [1usize, 1, 0, 1, 0, 0, 1, 0].into_iter().enumerate() {
        let control = [-1.0, 1.0][k];
        let (_, fd) = disc.step(&[k as f64]).expect("step");
        let (_, fc) = cont.step(&[control]).expect("step");
        assert_eq!(disc.state().action, vec![control], "step {i}");
        assert_eq!(fd, fc, "step {i}");
        for (a, b) in disc.state().joints.iter().zip(&cont.state().joints) {
            assert_eq!((a.q, a.qd), (b.q, b.qd), "step {i}");
        }
    }
    // CartPole-v1's observation order: x, x_dot, theta, theta_dot.
    let (obs, _) = disc.step(&[0.0]).expect("step");
    let j = &disc.state().joints;
    let expected = [j[0].q, j[0].qd, j[1].q, j[1].qd].map(|x| x as f32);
    assert_eq!(obs, expected);
    // Anything but one integer index in 0..2 is refused.
    for bad in [
        vec![2.0],
        vec![0.5],
        vec![-1.0],
        vec![f64::NAN],
        vec![0.0, 1.0],
    ] {
        let err = disc.step(&bad).expect_err("bad action");
        assert!(err.to_string().contains("Discrete(2)"), "{bad:?}: {err}");
    }
    // The random policy draws both indices.
    let drawn: Vec<f64> = (0..64).flat_map(|_| disc.sample_action()).collect();
    assert!(drawn.iter().all(|&a| a == 0.0 || a == 1.0), "{drawn:?}");
    assert!(drawn.contains(&0.0) && drawn.contains(&1.0));
}

#[test]
fn vec_env_steps_discrete_indices() {
    let roots = repo_roots();
    let mut vec = VecEnv::new("cartpole-discrete", &roots, 3, Some(2)).expect("vec env");
    vec.reset(0).expect("reset");
    let b = vec.step(&[0.0, 1.0, 1.0]).expect("step");
    let controls: Vec<f64> = b.states.iter().map(|s| s.action[0]).collect();
    assert_eq!(controls, vec![-1.0, 1.0, 1.0]);
    let err = vec.step(&[0.0, 1.0, 3.0]).expect_err("index 3");
    assert!(err.to_string().contains("env 2"), "{err}");
}

#[test]
fn position_delta_actions_move_a_bounded_target() {
    let mut env = arm_push_joint_deltas();
    env.reset(Some(1)).expect("reset");
    // arm-push's first action drives base_yaw (joint 0, limits ±2.9 rad) by up to
    // 0.06 rad per step; the vertical yaw axis carries no gravity load.
    let yaw = |env: &Env| env.state().joints[0].q;
    let mut act = vec![0.0; 4];
    let start = yaw(&env);
    for _ in 0..20 {
        env.step(&act).expect("step");
    }
    assert!(
        (yaw(&env) - start).abs() < 0.01,
        "a zero action holds the pose"
    );
    act[0] = 0.05;
    for _ in 0..10 {
        env.step(&act).expect("step");
    }
    act[0] = 0.0;
    for _ in 0..20 {
        env.step(&act).expect("step");
    }
    let moved = yaw(&env) - start;
    assert!(
        (moved - 0.5).abs() < 0.05,
        "10 steps of 0.05 rad: moved {moved}"
    );
    // Pushing on past the limit leaves the target at the limit, not beyond it: one
    // second back turns the joint back at once.
    act[0] = 0.06;
    for _ in 0..100 {
        env.step(&act).expect("step");
    }
    let at_limit = yaw(&env);
    assert!((2.8..2.95).contains(&at_limit), "{at_limit}");
    act[0] = -0.06;
    for _ in 0..10 {
        env.step(&act).expect("step");
    }
    act[0] = 0.0;
    for _ in 0..20 {
        env.step(&act).expect("step");
    }
    let back = at_limit - yaw(&env);
    assert!((back - 0.6).abs() < 0.1, "turned back {back}");
    // A reset points the targets at the new start pose.
    env.reset(Some(2)).expect("reset");
    let start = yaw(&env);
    for _ in 0..20 {
        env.step(&[0.0; 4]).expect("step");
    }
    assert!((yaw(&env) - start).abs() < 0.01);
}

/// arm-push without its `[ee_control]` table: one `position_delta` action per arm
/// joint but the held wrist roll.
fn arm_push_joint_deltas() -> Env {
    let roots = repo_roots();
    let file = roots.envs.join("arm-push.toml");
    let text = std::fs::read_to_string(&file).expect("arm-push.toml");
    let start = 1 + text
        .find("\n[ee_control]\n")
        .expect("arm-push has [ee_control]");
    let end = start + text[start..].find("\n\n").expect("table ends");
    let text = format!("{}{}", &text[..start], &text[end..]);
    let spec = EnvSpec::from_toml(&text, &file).expect("parses");
    Env::from_spec(spec, &file, &roots).expect("builds")
}

/// The tool's pointing direction (its z axis) from a `[w, x, y, z]` quaternion.
fn z_axis(q: [f64; 4]) -> [f64; 3] {
    let [w, x, y, z] = q;
    [
        2.0 * (x * z + w * y),
        2.0 * (y * z - w * x),
        1.0 - 2.0 * (x * x + y * y),
    ]
}

#[test]
fn ee_control_moves_the_tool_along_each_axis_and_keeps_its_tilt() {
    let mut env = Env::load("arm-push", &repo_roots()).expect("load");
    // The wrist roll and the fingers hold their targets and take no action component.
    assert_eq!(env.compiled().layout.actuators, ["tcp.x", "tcp.y", "tcp.z"]);
    env.reset(Some(0)).expect("reset");
    for _ in 0..100 {
        let a = env.sample_action();
        env.step(&a).expect("step");
    }
    let q = |name: &str| {
        let j = env.compiled().layout.joint_index(name).expect("joint");
        env.state().joints[j].q
    };
    assert!(
        (q("finger_left") - 0.03).abs() < 0.002,
        "{}",
        q("finger_left")
    );
    assert!(
        (q("finger_right") - 0.03).abs() < 0.002,
        "{}",
        q("finger_right")
    );
    assert!(q("wrist_roll").abs() < 0.05, "{}", q("wrist_roll"));
    env.reset(Some(1)).expect("reset");
    let tcp = env.compiled().layout.body_index("tcp").expect("tcp");
    let gripper = env
        .compiled()
        .layout
        .body_index("gripper")
        .expect("gripper");
    let settle = |env: &mut Env| {
        for _ in 0..20 {
            env.step(&[0.0; 3]).expect("step");
        }
    };
    settle(&mut env);
    let tilt0 = z_axis(env.state().bodies[gripper].quat);
    // 10 steps of 1 cm along each axis in turn (and back down in z).
    for (axis, sign) in [(0, 1.0), (1, 1.0), (2, -1.0), (1, -1.0)] {
        let before = env.state().bodies[tcp].pos;
        let mut act = [0.0; 3];
        act[axis] = 0.01 * sign;
        for _ in 0..10 {
            env.step(&act).expect("step");
        }
        settle(&mut env);
        let after = env.state().bodies[tcp].pos;
        for k in 0..3 {
            let moved = after[k] - before[k];
            let want = if k == axis { 0.1 * sign } else { 0.0 };
            assert!(
                (moved - want).abs() < 0.015,
                "command {sign:+} cm/step along axis {axis}: axis {k} moved {moved:.4} m"
            );
        }
        let tilt = z_axis(env.state().bodies[gripper].quat);
        let cos = tilt.iter().zip(&tilt0).map(|(a, b)| a * b).sum::<f64>();
        assert!(
            cos > 0.995f64,
            "the gripper tilted by {:.1}°",
            cos.min(1.0).acos().to_degrees()
        );
    }
    // Driving down into the table stops at the workspace floor (tcp z ≥ 2.5 cm), so
    // the arm does not press on the table and still moves freely sideways.
    for _ in 0..40 {
        env.step(&[0.0, 0.0, -0.02]).expect("step");
    }
    let low = env.state().bodies[tcp].pos;
    assert!(low[2] > 0.022 && low[2] < 0.03, "tcp at z {:.4}", low[2]);
    for _ in 0..10 {
        env.step(&[0.01, 0.0, -0.02]).expect("step");
    }
    settle(&mut env);
    let moved = env.state().bodies[tcp].pos[0] - low[0];
    assert!(
        (moved - 0.1).abs() < 0.015,
        "moved {moved:.4} m along x at the floor"
    );
}

/// A scripted pusher for arm-push: hover over a point behind the cube (on the far side
/// from the target), drop there, and push along the cube-to-target line with the
/// closed fingers; start over whenever the tool leaves the line.
#[derive(Default)]
struct ScriptedPusher {
    pushing: bool,
}

impl ScriptedPusher {
    fn act(&mut self, s: &rewardsmith::env::State) -> [f64; 3] {
        let l = &s.layout;
        let pos = |n: &str| s.bodies[l.body_index(n).expect("body")].pos;
        let (tcp, cube) = (pos("tcp"), pos("cube"));
        let (gx, gy) = (s.task[0] - cube[0], s.task[1] - cube[1]);
        let dist = gx.hypot(gy).max(1e-9);
        let (ux, uy) = (gx / dist, gy / dist);
        // The tool relative to the cube: along the push line and across it.
        let (rx, ry) = (tcp[0] - cube[0], tcp[1] - cube[1]);
        let (along, across) = (rx * ux + ry * uy, rx * uy - ry * ux);
        let behind = -0.05;
        let on_line = across.abs() < 0.012 && along < -0.02 && along > -0.06;
        if self.pushing && !on_line {
            self.pushing = false;
        }
        let (low, hover) = (0.03, 0.09);
        let far = (along - behind).hypot(across) > 0.01;
        // Where the tool should be, in the cube's push frame (along, across) and z;
        // away from the line it rises first, so it never sweeps through the cube.
        let (want_along, want_across, want_z) = if self.pushing {
            (along + (0.5 * dist).min(0.01), 0.0, low)
        } else if far && tcp[2] < hover - 0.02 {
            (along, across, hover)
        } else if far {
            (behind, 0.0, hover)
        } else {
            if tcp[2] < low + 0.008 {
                self.pushing = true;
            }
            (behind, 0.0, low)
        };
        let (da, dc) = (want_along - along, want_across - across);
        let gain = 0.6;
        let dx = gain * (da * ux + dc * uy);
        let dy = gain * (da * uy - dc * ux);
        let dz = gain * (want_z - tcp[2]);
        let c = |x: f64, r: f64| x.clamp(-r, r);
        [c(dx, 0.02), c(dy, 0.02), c(dz, 0.02)]
    }
}

/// The end-effector controller makes arm-push solvable at the ≥ 90 % the training
/// benchmark asks of a learned policy: every target is within reach, and the tool can
/// be put behind the cube and drive it along a line.
#[test]
fn arm_push_is_solved_by_a_scripted_pusher() {
    let mut env = Env::load("arm-push", &repo_roots()).expect("load");
    let episodes = 40;
    let mut solved = 0;
    for seed in 0..episodes {
        env.reset(Some(seed)).expect("reset");
        let mut pusher = ScriptedPusher::default();
        loop {
            let act = pusher.act(env.state());
            let (_, flags) = env.step(&act).expect("step");
            if flags.terminated || flags.truncated {
                break;
            }
        }
        let s = env.state();
        let cube = s.bodies[s.layout.body_index("cube").expect("cube")].pos;
        let d = (cube[0] - s.task[0]).hypot(cube[1] - s.task[1]);
        solved += usize::from(d < 0.03);
    }
    // Seeds 0-39: 36 succeed; the misses end 4.4, 4.6, 4.9 and 10 cm away.
    assert!(solved >= 36, "{solved}/{episodes} pushed within 3 cm");
}

/// arm-push's expert reward pays for pushing, not for parking: over an episode, the
/// scripted pusher earns more than the same script frozen at the push pose (the trap
/// a reward paying for the cube's distance to the target once the tool is near it set:
/// PPO parked there, and beside the cube on the wrong side, on 8 of 10 failed episodes).
#[test]
fn arm_push_reward_pays_pushing_over_parking() {
    use rewardsmith::reward::{RewardOut, builtin_path, load_program};
    let roots = repo_roots();
    let mut env = Env::load("arm-push", &roots).expect("load");
    let path = builtin_path(&roots, &env.compiled().spec.rewards.reward);
    let mut program = load_program(&path, &env.compiled().layout).expect("reward program");
    let mut out = RewardOut::default();
    let mut episode = |env: &mut Env, seed: u64, park: bool| -> f64 {
        env.reset(Some(seed)).expect("reset");
        let mut pusher = ScriptedPusher::default();
        let mut total = 0.0;
        loop {
            let act = pusher.act(env.state());
            if park {
                // Stop at the push pose: never start the push.
                pusher.pushing = false;
            }
            let (_, flags) = env.step(&act).expect("step");
            program.reward_into(env.state(), &mut out).expect("reward");
            total += out.total;
            if flags.terminated || flags.truncated {
                return total;
            }
        }
    };
    let mut compared = 0;
    for seed in 0..10 {
        env.reset(Some(seed)).expect("reset");
        let s = env.state();
        let cube = s.bodies[s.layout.body_index("cube").expect("cube")].pos;
        if (cube[0] - s.task[0]).hypot(cube[1] - s.task[1]) < 0.05 {
            // Already (nearly) at the goal: holding still is the right answer.
            continue;
        }
        let (push, park) = (
            episode(&mut env, seed, false),
            episode(&mut env, seed, true),
        );
        assert!(
            push > park + 200.0,
            "seed {seed}: pushing earned {push:.1}, parking {park:.1}"
        );
        compared += 1;
    }
    // Seeds 0-9: seed 0's target starts within 3 cm of the cube; pushing earns 524-741
    // on the others, parking ~205.
    assert!(compared >= 8, "{compared} seeds compared");
}

/// `linvel` is the velocity of the point `pos` is (the link frame's origin), not of the
/// link's centre of mass: on reacher, whose links carry their mass 5 cm from their
/// origins, it matches the central finite difference of `pos` as the arm swings.
#[test]
fn linvel_is_the_velocity_of_the_body_origin() {
    let roots = repo_roots();
    let mut env = Env::load("reacher", &roots).expect("reacher");
    env.reset(Some(5)).expect("reset");
    let dt = env.state().layout.dt;
    let mut states = vec![env.state().clone()];
    // A constant torque: smooth motion, so the finite difference is accurate.
    for _ in 0..40 {
        env.step(&[0.3, -0.2]).expect("step");
        states.push(env.state().clone());
    }
    let (mut err, mut norm) = (0.0, 0.0);
    for w in states.windows(3) {
        for (b, name) in w[1].layout.bodies.iter().enumerate() {
            if !name.contains("link") && !name.contains("fingertip") {
                continue;
            }
            for k in 0..3 {
                let fd = (w[2].bodies[b].pos[k] - w[0].bodies[b].pos[k]) / (2.0 * dt);
                err += (fd - w[1].bodies[b].linvel[k]).powi(2);
                norm += fd * fd;
            }
        }
    }
    assert!(norm > 1.0, "the links moved: {norm}");
    let rel = (err / norm).sqrt();
    assert!(
        rel < 0.1,
        "linvel is off the finite difference of pos by {:.0} %",
        rel * 100.0
    );
}

/// `s.body(name).mass`, `.com` and `.com_vel` on reacher: link0's URDF mass, its centre
/// of mass 5 cm along the link from the frame origin, and a `com_vel` that is the
/// finite difference of `com` as the arm swings.
#[test]
fn body_mass_and_centre_of_mass_are_readable_in_programs() {
    use rewardsmith::reward::ScriptProgram;
    let roots = repo_roots();
    let mut env = Env::load("reacher", &roots).expect("reacher");
    env.reset(Some(5)).expect("reset");
    let src = "function reward(s)\n  local b = s.body('link0')\n  \
               return { mass = b.mass, off = (b.com - b.pos):norm(), \
               cx = b.com.x, cy = b.com.y, vx = b.com_vel.x, vy = b.com_vel.y, \
               ground = s.body('base').mass }\nend";
    let mut p = ScriptProgram::compile("com.luau", src, &env.state().layout).expect("compiles");
    let get = |o: &rewardsmith::reward::RewardOut, n: &str| o.component(n).expect(n);
    let dt = env.state().layout.dt;
    let mut outs = vec![p.reward(env.state()).expect("reward")];
    for _ in 0..30 {
        env.step(&[0.3, -0.2]).expect("step");
        outs.push(p.reward(env.state()).expect("reward"));
    }
    assert!((get(&outs[0], "mass") - 0.035605).abs() < 1e-6);
    assert_eq!(
        get(&outs[0], "ground"),
        0.0,
        "the fixed base has no mass to move"
    );
    assert!((get(&outs[0], "off") - 0.05).abs() < 1e-6);
    let (mut err, mut norm) = (0.0, 0.0);
    for w in outs.windows(3) {
        for (c, v) in [("cx", "vx"), ("cy", "vy")] {
            let fd = (get(&w[2], c) - get(&w[0], c)) / (2.0 * dt);
            err += (fd - get(&w[1], v)).powi(2);
            norm += fd * fd;
        }
    }
    assert!(norm > 0.1, "the link moved: {norm}");
    // The central difference over 2 × 20 ms itself is off by ~3 % here; `linvel` in its
    // place (the origin's velocity) would be off by the whole ω × offset term.
    assert!(
        (err / norm).sqrt() < 0.05,
        "com_vel is off by {:.1} %",
        100.0 * (err / norm).sqrt()
    );
}

/// `s.com()` is the mass-weighted mean of the robot's links' centres of mass (objects
/// such as arm-push's cube are not the robot), and `s.com_vel()` its velocity: the
/// finite difference of `s.com()` as reacher's arm swings.
#[test]
fn robot_centre_of_mass_and_its_velocity() {
    use rewardsmith::reward::{RewardOut, ScriptProgram};
    let src = "function reward(s)\n  local c, v = s.com(), s.com_vel()\n  \
               return { cx = c.x, cy = c.y, cz = c.z, vx = v.x, vy = v.y }\nend";
    let get = |o: &RewardOut, n: &str| o.component(n).expect(n);
    let roots = repo_roots();
    // arm-push: against the formula, over the robot's links only.
    let mut env = Env::load("arm-push", &roots).expect("arm-push");
    env.reset(Some(2)).expect("reset");
    for _ in 0..5 {
        let a = env.sample_action();
        env.step(&a).expect("step");
    }
    let s = env.state();
    let l = &s.layout;
    assert!(l.robot_links < l.bodies.len(), "arm-push has objects");
    let (mut m, mut c) = (0.0, [0.0; 3]);
    for i in 0..l.robot_links {
        let r = common::rotate(s.bodies[i].quat, l.body_coms[i]);
        for k in 0..3 {
            c[k] += l.body_masses[i] * (s.bodies[i].pos[k] + r[k]);
        }
        m += l.body_masses[i];
    }
    let mut p = ScriptProgram::compile("com.luau", src, l).expect("compiles");
    let o = p.reward(s).expect("reward");
    for (k, n) in ["cx", "cy", "cz"].iter().enumerate() {
        assert!(
            (get(&o, n) - c[k] / m).abs() < 1e-9,
            "{n}: {} vs {}",
            get(&o, n),
            c[k] / m
        );
    }
    // reacher: com_vel against the finite difference of com.
    let mut env = Env::load("reacher", &roots).expect("reacher");
    env.reset(Some(5)).expect("reset");
    let mut p = ScriptProgram::compile("com.luau", src, &env.state().layout).expect("compiles");
    let dt = env.state().layout.dt;
    let mut outs = vec![p.reward(env.state()).expect("reward")];
    for _ in 0..30 {
        env.step(&[0.3, -0.2]).expect("step");
        outs.push(p.reward(env.state()).expect("reward"));
    }
    let (mut err, mut norm) = (0.0, 0.0);
    for w in outs.windows(3) {
        for (c, v) in [("cx", "vx"), ("cy", "vy")] {
            let fd = (get(&w[2], c) - get(&w[0], c)) / (2.0 * dt);
            err += (fd - get(&w[1], v)).powi(2);
            norm += fd * fd;
        }
    }
    assert!(norm > 0.01, "the arm moved: {norm}");
    let rel = (err / norm).sqrt();
    assert!(rel < 0.05, "s.com_vel() is off by {:.1} %", 100.0 * rel);
}
