//! Reward programs: the math library, component tables, errors of hostile programs, the
//! sandbox, and parallel evaluation.

use rewardsmith::env::{
    BodyState, JointInfo, JointKind, JointState, State, StateLayout, TaskParamInfo,
};
use rewardsmith::reward::{Limits, Reward, RewardError, RewardOut, ScriptProgram, ScriptReward};
use std::sync::Arc;
use std::time::Duration;

fn layout() -> StateLayout {
    StateLayout {
        bodies: vec!["cart".into(), "pole".into(), "ground".into()],
        joints: vec![JointInfo {
            name: "hinge".into(),
            kind: JointKind::Revolute,
            limits: None,
            parent: 0,
            child: 1,
        }],
        actuators: vec!["slider".into()],
        action_ranges: vec![[-2.0, 2.0]],
        robot_links: 0,
        body_masses: vec![],
        body_coms: vec![],
        task: vec![
            TaskParamInfo {
                name: "target".into(),
                doc: "goal".into(),
                offset: 0,
                dim: 3,
                low: vec![0.0; 3],
                high: vec![1.0; 3],
            },
            TaskParamInfo {
                name: "speed".into(),
                doc: "".into(),
                offset: 3,
                dim: 1,
                low: vec![0.0],
                high: vec![1.0],
            },
            TaskParamInfo {
                name: "gains".into(),
                doc: "".into(),
                offset: 4,
                dim: 2,
                low: vec![0.0; 2],
                high: vec![1.0; 2],
            },
        ],
        sites: Vec::new(),
        success: None,
        dt: 0.02,
    }
}

/// A hand-built state; `k` varies it.
fn state(k: f64) -> State {
    let layout = Arc::new(layout());
    let h = 0.3_f64 + 0.01 * k; // pole tilt about x (radians)
    State {
        layout,
        t: 1.5 + k,
        step: 75 + k as u32,
        bodies: vec![
            BodyState {
                pos: [0.1 * k, 0.0, 0.2],
                quat: [1.0, 0.0, 0.0, 0.0],
                linvel: [1.0, 0.0, 0.0],
                angvel: [0.0; 3],
            },
            BodyState {
                pos: [0.1 * k, 0.0, 0.8],
                quat: [(h / 2.0).cos(), (h / 2.0).sin(), 0.0, 0.0],
                linvel: [0.5, 0.0, 0.1],
                angvel: [2.0, 0.0, 0.0],
            },
            BodyState {
                pos: [0.0; 3],
                quat: [1.0, 0.0, 0.0, 0.0],
                linvel: [0.0; 3],
                angvel: [0.0; 3],
            },
        ],
        joints: vec![JointState { q: h, qd: 2.0 }],
        action: vec![0.25 - 0.01 * k],
        task: vec![1.0, 2.0, 3.0, 0.5, 7.0, 8.0],
        contacts: vec![(0, 2)],
        contact_forces: vec![[0.5, -0.25, 9.81]],
        prev: None,
    }
}

fn compile(src: &str) -> Result<ScriptProgram, RewardError> {
    ScriptProgram::compile("test.luau", src, &layout())
}

fn run(src: &str) -> Result<RewardOut, RewardError> {
    compile(src)?.reward(&state(0.0))
}

/// Evaluates a Luau expression (as a single component `v`).
fn eval(expr: &str) -> f64 {
    let src = format!("function reward(s)\n  return {{ v = {expr} }}\nend");
    match run(&src) {
        Ok(o) => o.total,
        Err(e) => panic!("{expr}: {e}"),
    }
}

fn err(src: &str) -> RewardError {
    match compile(src).and_then(|mut p| p.reward(&state(0.0))) {
        Ok(o) => panic!("expected an error, got {o:?}"),
        Err(e) => e,
    }
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() < 1e-12
}

#[test]
fn plain_number_reward() {
    let o = run("function reward(s) return s.body('pole').pos.z end").unwrap();
    assert_eq!(o.total, 0.8);
    assert_eq!(o.components, vec![("reward".to_string(), 0.8)]);
}

#[test]
fn vector_math() {
    assert_eq!(eval("vec3(1, 2, 3):dot(vec3(4, -5, 6))"), 12.0);
    let c = "vec3(1, 2, 3):cross(vec3(4, 5, 6))";
    assert_eq!(eval(&format!("{c}.x")), -3.0);
    assert_eq!(eval(&format!("{c}.y")), 6.0);
    assert_eq!(eval(&format!("{c}.z")), -3.0);
    assert_eq!(eval("vec3(3, 4, 12):norm()"), 13.0);
    assert!(close(eval("vec3(3, 4, 12):normalize().z"), 12.0 / 13.0));
    assert_eq!(eval("vec3(0, 0, 0):normalize():norm()"), 0.0);
    assert_eq!(eval("vec3(1, 1, 1):dist(vec3(1, 4, 5))"), 5.0);
    assert!(close(
        eval("vec3(1, 0, 0):angle_between(vec3(0, 2, 0))"),
        std::f64::consts::FRAC_PI_2
    ));
    assert!(close(
        eval("vec3(1, 0, 0):angle_between(vec3(-1, 0, 0))"),
        std::f64::consts::PI
    ));
    assert_eq!(
        eval("(vec3(1, 2, 3) + vec3(1, 1, 1) - vec3(0, 0, 4)).z"),
        0.0
    );
    assert_eq!(
        eval("(2 * vec3(1, 2, 3)).y + (vec3(1, 2, 3) * 3).z + (-vec3(1, 2, 3)).x"),
        12.0
    );
    assert_eq!(eval("(vec3(2, 4, 6) / 2).z"), 3.0);
    assert_eq!(eval("(vec3(1, 2, 3) == vec3(1, 2, 3)) and 1 or 0"), 1.0);
    assert_eq!(eval("(vec3(1, 2, 3) ~= vec3(1, 2, 4)) and 1 or 0"), 1.0);
    assert_eq!(
        eval("(tostring(vec3(1, 2.5, -3)) == 'vec3(1, 2.5, -3)') and 1 or 0"),
        1.0
    );
    // f64, not Luau's f32 `vector`.
    assert_eq!(eval("vec3(0.1, 0, 0).x"), 0.1);
}

#[test]
fn quaternions() {
    let h = 0.3_f64;
    // The pole is tilted by h about x: its z axis is (0, -sin h, cos h).
    assert!(close(eval("s.body('pole').quat:up().x"), 0.0));
    assert!(close(eval("s.body('pole').quat:up().y"), -h.sin()));
    assert!(close(eval("s.body('pole').quat:up().z"), h.cos()));
    assert!(close(eval("select(1, s.body('pole').quat:to_euler())"), h));
    assert!(close(
        eval("select(2, s.body('pole').quat:to_euler())"),
        0.0
    ));
    assert!(close(
        eval("select(3, s.body('pole').quat:to_euler())"),
        0.0
    ));
    assert!(close(
        eval("s.body('pole').quat:rotate(vec3(0, 1, 0)).z"),
        h.sin()
    ));
    assert!(close(
        eval("s.body('pole').quat:rotate(vec3(0, 1, 0)).y"),
        h.cos()
    ));
    // 90 degrees about z: yaw = pi/2, x axis -> y axis.
    let q = "quat(math.cos(math.pi / 4), 0, 0, math.sin(math.pi / 4))";
    assert!(close(
        eval(&format!("select(3, {q}:to_euler())")),
        std::f64::consts::FRAC_PI_2
    ));
    assert!(close(eval(&format!("{q}:forward().y")), 1.0));
    assert!(close(eval(&format!("{q}:rotate(vec3(1, 0, 0)).y")), 1.0));
    assert!(close(eval(&format!("({q} * {q}:conj()).w")), 1.0));
    // Pitch of 0.4 about y.
    let p = "quat(math.cos(0.2), 0, math.sin(0.2), 0)";
    assert!(close(eval(&format!("select(2, {p}:to_euler())")), 0.4));
    assert!(close(eval(&format!("{p}:up().x")), 0.4_f64.sin()));
}

#[test]
fn scalar_helpers_and_dm_control_tolerance() {
    assert_eq!(
        eval("clamp(5, 0, 1) + clamp(-5, 0, 1) + clamp(0.5, 0, 1)"),
        1.5
    );
    assert!(close(eval("tanh(0.5)"), 0.5_f64.tanh()));
    assert!(close(eval("exp(1)"), std::f64::consts::E));
    assert!(close(eval("sigmoid(0)"), 0.5));
    // dm_control rewards.tolerance(x, bounds=(0, 1), margin=0.5) (gaussian, value_at_margin 0.1)
    assert_eq!(eval("tolerance(0.3, 0, 1, 0.5)"), 1.0);
    assert!(close(eval("tolerance(1.5, 0, 1, 0.5)"), 0.1));
    assert!(close(eval("tolerance(-0.5, 0, 1, 0.5)"), 0.1));
    assert!(close(
        eval("tolerance(1.25, 0, 1, 0.5)"),
        0.1_f64.powf(0.25)
    ));
    // margin 0: the indicator of the bounds.
    assert_eq!(eval("tolerance(1.01, 0, 1, 0)"), 0.0);
    assert_eq!(eval("tolerance(1.0, 0, 1)"), 1.0);
    // other dm_control sigmoids at d = 0.5 margins, value_at_margin 0.1
    assert!(close(
        eval("tolerance(1.25, 0, 1, 0.5, 0.1, 'linear')"),
        1.0 - 0.5 * 0.9
    ));
    assert!(close(
        eval("tolerance(1.25, 0, 1, 0.5, 0.1, 'quadratic')"),
        1.0 - 0.25 * 0.9
    ));
    assert!(close(
        eval("tolerance(1.25, 0, 1, 0.5, 0.1, 'long_tail')"),
        1.0 / (0.25 * 9.0 + 1.0)
    ));
    assert!(close(
        eval("tolerance(1.25, 0, 1, 0.5, 0.1, 'reciprocal')"),
        1.0 / (0.5 * 9.0 + 1.0)
    ));
    assert!(close(
        eval("tolerance(1.5, 0, 1, 0.5, 0.2, 'hyperbolic')"),
        0.2
    ));
    assert!(close(
        eval("tolerance(1.5, 0, 1, 0.5, 0.2, 'tanh_squared')"),
        0.2
    ));
    assert!(close(eval("tolerance(1.5, 0, 1, 0.5, 0.2, 'cosine')"), 0.2));
    // dm_control lets the sigmoids that reach 0 take value_at_margin 0 (cartpole's
    // small_control: quadratic, margin 1): 1 - d² inside the margin, 0 beyond it.
    assert!(close(eval("tolerance(0.5, 0, 0, 1, 0, 'quadratic')"), 0.75));
    assert_eq!(eval("tolerance(1.5, 0, 0, 1, 0, 'linear')"), 0.0);
    assert!(close(eval("tolerance(0.5, 0, 0, 1, 0, 'cosine')"), 0.5));
    let e = run("function reward(s) return tolerance(2, 0, 1, 1, 0) end").expect_err("gaussian");
    assert!(
        e.to_string().contains("(0, 1) for the gaussian sigmoid"),
        "{e}"
    );
}

#[test]
fn action_norm_is_the_action_in_the_policys_unit_range() {
    // The slider's range is [-2, 2]; the state's action is 0.25.
    assert_eq!(eval("s.action_norm[1]"), 0.125);
    assert_eq!(eval("#s.action_norm"), 1.0);
    assert_eq!(eval("s.action_norm[1] * 2 + 0 * s.action[1]"), 0.25);
}

#[test]
fn joint_limits_are_readable() {
    // Without limits: the whole real line.
    assert_eq!(eval("s.joint('hinge').lower == -math.huge and 1 or 0"), 1.0);
    assert_eq!(eval("s.joint('hinge').upper == math.huge and 1 or 0"), 1.0);
    assert_eq!(eval("s.joint('hinge').range == math.huge and 1 or 0"), 1.0);
    // With limits from the robot file.
    let mut limited = layout();
    limited.joints[0].limits = Some([-1.0, 2.5]);
    let mut st = state(0.0);
    st.layout = Arc::new(limited);
    let mut p = ScriptProgram::compile(
        "limits.luau",
        "function reward(s)\n  local j = s.joint('hinge')\n  \
         return { lower = j.lower, upper = j.upper, range = j.range, \
         scaled = (j.q - j.lower) / j.range }\nend",
        &st.layout,
    )
    .unwrap();
    let out = p.reward(&st).unwrap();
    let get = |n: &str| out.component(n).unwrap();
    assert_eq!((get("lower"), get("upper"), get("range")), (-1.0, 2.5, 3.5));
    assert!((get("scaled") - 1.3 / 3.5).abs() < 1e-12);
    // A typo gets the field list.
    let e = err("function reward(s) return s.joint('hinge').lowr end");
    assert!(e.to_string().contains("did you mean \"lower\""), "{e}");
}

#[test]
fn state_access() {
    assert_eq!(eval("s.joint('hinge').q"), 0.3);
    assert_eq!(eval("s.joint('hinge').qd"), 2.0);
    assert_eq!(eval("s.action[1] + #s.action"), 1.25);
    assert_eq!(
        eval("s.task.target.z + s.task.speed + s.task.gains[2] + #s.task.gains"),
        3.0 + 0.5 + 8.0 + 2.0
    );
    assert_eq!(
        eval("(s.contact('cart', 'ground') and 1 or 0) + (s.contact('ground', 'cart') and 2 or 0)"),
        3.0
    );
    assert_eq!(eval("s.contact('pole', 'ground') and 1 or 0"), 0.0);
    // The state's one contact record: the force on cart (body 0) from ground (body 2).
    assert_eq!(eval("s.contact_force('cart', 'ground').z"), 9.81);
    assert_eq!(eval("s.contact_force('ground', 'cart').x"), -0.5);
    assert_eq!(eval("s:contact_force('cart').y"), -0.25);
    assert_eq!(eval("s.contact_force('pole', 'ground'):norm()"), 0.0);
    let e = run("function reward(s)\n  return if s.success then 1 else 0\nend")
        .expect_err("no success program");
    assert!(e.to_string().contains("s.success is not available"), "{e}");
    assert_eq!(eval("s.dt + s.t + s.step"), 0.02 + 1.5 + 75.0);
    assert!(close(
        eval("s.body('pole').linvel.z + s.body('pole').angvel.x + s:body('cart').pos.z"),
        2.3
    ));
    // The same body twice in one call is the same value.
    assert_eq!(
        eval("rawequal(s.body('pole'), s.body('pole')) and 1 or 0"),
        1.0
    );
}

#[test]
fn components_total_and_override() {
    let o = run("function reward(s)\n  return { upright = 0.5, centered = 0.25, alive = 1 }\nend")
        .unwrap();
    let names: Vec<&str> = o.components.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(names, ["alive", "centered", "upright"]);
    assert_eq!(o.total, 1.75);
    assert_eq!(o.component("centered"), Some(0.25));
    let o = run("function reward(s) return { a = 1, b = 2, total = 10 } end").unwrap();
    assert_eq!(o.total, 10.0);
    assert_eq!(
        o.components,
        vec![("a".to_string(), 1.0), ("b".to_string(), 2.0)]
    );
    // The set of components may change from call to call.
    let mut p = compile("function reward(s)\n if s.step > 80 then return { late = 1, z = 2 } end\n return { early = 3 }\nend").unwrap();
    let mut out = RewardOut::default();
    p.reward_into(&state(0.0), &mut out).unwrap();
    assert_eq!(out.components, vec![("early".to_string(), 3.0)]);
    p.reward_into(&state(10.0), &mut out).unwrap();
    assert_eq!(
        out.components,
        vec![("late".to_string(), 1.0), ("z".to_string(), 2.0)]
    );
    assert_eq!(out.total, 3.0);
    p.reward_into(&state(0.0), &mut out).unwrap();
    assert_eq!(out.components, vec![("early".to_string(), 3.0)]);
}

#[test]
fn success_predicate() {
    let mut p =
        compile("function reward(s) return 0 end\nfunction success(s) return s.t > 5 end").unwrap();
    assert!(p.has_success());
    assert_eq!(p.success(&state(0.0)).unwrap(), Some(false));
    assert_eq!(p.success(&state(10.0)).unwrap(), Some(true));
    let mut p = compile("function reward(s) return 0 end").unwrap();
    assert_eq!(p.success(&state(0.0)).unwrap(), None);
    let mut p =
        compile("function reward(s) return 0 end\nfunction success(s) return 1 end").unwrap();
    let e = p.success(&state(0.0)).unwrap_err();
    assert!(
        e.to_string()
            .contains("success must return a boolean, got number"),
        "{e}"
    );
}

/// Every hostile program below must end in a clean error: no panic, no hang.
fn hostile(src: &str) -> RewardError {
    let src = src.to_string();
    match std::panic::catch_unwind(move || err(&src)) {
        Ok(e) => e,
        Err(_) => panic!("the host panicked"),
    }
}

#[test]
fn syntax_error_has_line_and_column() {
    let e = hostile("function reward(s)\n  local x = = 1\n  return x\nend");
    match &e {
        RewardError::Syntax {
            program,
            line,
            column,
            ..
        } => {
            assert_eq!(program, "test.luau");
            assert_eq!(*line, 2);
            assert_eq!(*column, Some(13));
        }
        other => panic!("{other:?}"),
    }
    assert!(
        e.to_string().starts_with("test.luau:2:13: syntax error:"),
        "{e}"
    );
    let e = hostile("function reward(s)\n  return 1\n");
    assert!(matches!(e, RewardError::Syntax { line: 3, .. }), "{e:?}");
}

#[test]
fn unknown_names_suggest_close_ones() {
    // Literal names are checked at compile time.
    let e = compile("function reward(s)\n  return s.body(\"polee\").pos.z\nend").unwrap_err();
    assert!(
        matches!(e, RewardError::UnknownName { line: Some(2), .. }),
        "{e:?}"
    );
    let m = e.to_string();
    assert!(
        m.contains("unknown body \"polee\"; did you mean \"pole\"? known: cart, pole, ground"),
        "{m}"
    );
    // Names built at run time are checked when used, with the line.
    let e = hostile("local n = 'po' .. 'lee'\nfunction reward(s)\n  return s.body(n).pos.z\nend");
    assert!(
        matches!(e, RewardError::UnknownName { line: Some(3), .. }),
        "{e:?}"
    );
    assert!(e.to_string().contains("did you mean \"pole\""), "{e}");
    let e = hostile("function reward(s)\n  local j = 'hing'\n  return s.joint(j).q\nend");
    assert!(
        e.to_string()
            .contains("unknown joint \"hing\"; did you mean \"hinge\""),
        "{e}"
    );
    let e = hostile("function reward(s)\n  local k = 'targt'\n  return s.task[k].x\nend");
    assert!(
        e.to_string()
            .contains("unknown task parameter \"targt\"; did you mean \"target\""),
        "{e}"
    );
    let e = hostile("function reward(s) return s.bodyy end");
    assert!(
        e.to_string()
            .contains("unknown field of s \"bodyy\"; did you mean \"body\""),
        "{e}"
    );
    let e = hostile("function reward(s) return s.body('pole').position.z end");
    assert!(
        e.to_string().contains("unknown body field \"position\""),
        "{e}"
    );
    let e = hostile("function reward(s) return vec3(1, 2, 3):nrom() end");
    assert!(e.to_string().contains("did you mean \"norm\""), "{e}");
    // Unknown function (global).
    let e = hostile("function reward(s)\n  return tolerence(1, 0, 1, 0.1)\nend");
    assert!(
        matches!(e, RewardError::UnknownName { line: Some(2), .. }),
        "{e:?}"
    );
    assert!(
        e.to_string()
            .contains("unknown global \"tolerence\"; did you mean \"tolerance\""),
        "{e}"
    );
}

#[test]
fn infinite_loop_hits_the_budget() {
    // Stopped by the operation count (deterministic), not by the wall-clock backstop.
    let e = hostile("function reward(s)\n  while true do end\nend");
    assert!(
        matches!(e, RewardError::Budget { line: Some(2), .. }),
        "{e:?}"
    );
    assert!(e.to_string().contains("budget"), "{e}");
    assert!(e.to_string().contains("200000 operations"), "{e}");
    // Catching the budget error does not help.
    let e =
        hostile("function reward(s)\n  pcall(function() while true do end end)\n  return 1\nend");
    assert!(matches!(e, RewardError::Budget { .. }), "{e:?}");
    // Top-level code is bounded too.
    let e = hostile("while true do end\nfunction reward(s) return 0 end");
    assert!(
        matches!(e, RewardError::Budget { line: Some(1), .. }),
        "{e:?}"
    );
    // The time budget alone also stops a loop.
    let limits = Limits {
        max_ops: u64::MAX,
        max_call_time: Duration::from_millis(5),
        ..Limits::default()
    };
    let mut p = ScriptProgram::compile_with(
        "slow",
        "function reward(s) while true do end end",
        &layout(),
        limits,
    )
    .unwrap();
    let e = p.reward(&state(0.0)).unwrap_err();
    assert!(e.to_string().contains("5 ms"), "{e}");
    // The VM stays usable after an error.
    let mut p =
        compile("function reward(s)\n if s.step > 80 then while true do end end\n return 1\nend")
            .unwrap();
    assert!(p.reward(&state(10.0)).is_err());
    assert_eq!(p.reward(&state(0.0)).unwrap().total, 1.0);
}

/// A program `n` loop iterations long, each iteration some arithmetic and a library call.
fn busy_program(n: u32) -> String {
    format!(
        "function reward(s)\n  local x = 0\n  for i = 1, {n} do\n    \
         x = x + math.sin(i * 0.001) * s.joint('hinge').q\n  end\n  return x\nend"
    )
}

/// Spins one thread per core until the returned flag is set.
fn cpu_hog() -> (
    Arc<std::sync::atomic::AtomicBool>,
    Vec<std::thread::JoinHandle<()>>,
) {
    use std::sync::atomic::{AtomicBool, Ordering};
    let stop = Arc::new(AtomicBool::new(false));
    let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
    let threads = (0..cores * 2)
        .map(|_| {
            let stop = Arc::clone(&stop);
            std::thread::spawn(move || {
                let mut x = 0u64;
                while !stop.load(Ordering::Relaxed) {
                    x = std::hint::black_box(x.wrapping_mul(6364136223846793005).wrapping_add(1));
                }
            })
        })
        .collect();
    (stop, threads)
}

#[test]
fn a_program_within_its_operation_budget_passes_on_a_loaded_machine() {
    // Find the largest loop the default budget admits: the operation count is
    // deterministic, so the same program passes or fails the same way every time.
    let fits = |n: u32| {
        compile(&busy_program(n))
            .unwrap()
            .reward(&state(0.0))
            .is_ok()
    };
    let (mut lo, mut hi) = (1_000u32, 1_000_000u32);
    assert!(fits(lo) && !fits(hi));
    while hi - lo > 1 {
        let mid = lo + (hi - lo) / 2;
        if fits(mid) { lo = mid } else { hi = mid }
    }
    // Near the budget: within 1 % of the largest admitted loop.
    let near = busy_program(lo - lo / 100);
    let over = busy_program(hi);
    let mut p = compile(&near).unwrap();
    let mut q = compile(&over).unwrap();
    let (stop, threads) = cpu_hog();
    let mut failures = Vec::new();
    for k in 0..40 {
        if let Err(e) = p.reward(&state(k as f64 * 0.01)) {
            failures.push(e.to_string());
        }
        let e = q.reward(&state(0.0)).unwrap_err();
        assert!(e.to_string().contains("operations"), "{e}");
    }
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    for t in threads {
        t.join().unwrap();
    }
    assert!(
        failures.is_empty(),
        "{} of 40 calls failed under load: {:?}",
        failures.len(),
        failures.first()
    );
}

#[test]
fn unbounded_recursion_is_a_clean_error() {
    let e =
        hostile("local function f(n) return f(n + 1) + 1 end\nfunction reward(s) return f(0) end");
    assert!(
        matches!(
            e,
            RewardError::StackOverflow { .. } | RewardError::Budget { .. }
        ),
        "{e:?}"
    );
    let e = hostile(
        "function reward(s) local t = setmetatable({}, {}) ; getmetatable(t).__index = function(t, k) return t[k] end ; return t.x end",
    );
    assert!(
        matches!(
            e,
            RewardError::StackOverflow { .. }
                | RewardError::Budget { .. }
                | RewardError::Runtime { .. }
        ),
        "{e:?}"
    );
}

#[test]
fn memory_is_limited() {
    let e = hostile(
        "function reward(s)\n  local t = {}\n  for i = 1, 1e8 do t[i] = i end\n  return #t\nend",
    );
    assert!(
        matches!(e, RewardError::Memory { .. } | RewardError::Budget { .. }),
        "{e:?}"
    );
    let e = hostile("function reward(s) return #string.rep('x', 1e9) end");
    assert!(
        matches!(e, RewardError::Memory { .. } | RewardError::Runtime { .. }),
        "{e:?}"
    );
    let e = hostile(
        "function reward(s)\n  local t = {}\n  for i = 1, 100 do t[i] = string.rep('x', 2^24) .. i end\n  return #t\nend",
    );
    assert!(matches!(e, RewardError::Memory { .. }), "{e:?}");
    assert!(e.to_string().contains("memory limit"), "{e}");
}

#[test]
fn non_finite_values_name_the_component() {
    let e = hostile("function reward(s)\n  return { upright = 0 / 0, alive = 1 }\nend");
    assert!(
        matches!(&e, RewardError::NonFinite { component: Some(c), value, .. } if c == "upright" && value.is_nan()),
        "{e:?}"
    );
    assert!(
        e.to_string().contains("component \"upright\" is NaN"),
        "{e}"
    );
    let e = hostile("function reward(s) return { speed = 1 / 0 } end");
    assert!(e.to_string().contains("component \"speed\" is +inf"), "{e}");
    let e = hostile("function reward(s) return -1 / 0 end");
    assert!(e.to_string().contains("reward is -inf"), "{e}");
    let e = hostile("function reward(s) return { total = 0 / 0, a = 1 } end");
    assert!(e.to_string().contains("component \"total\" is NaN"), "{e}");
}

#[test]
fn bad_returns_are_explained() {
    let e = hostile("function reward(s) return 'high' end");
    assert!(matches!(e, RewardError::BadReturn { .. }), "{e:?}");
    assert!(e.to_string().contains("reward returned a string"), "{e}");
    let e = hostile("function reward(s) end");
    assert!(e.to_string().contains("reward returned nothing"), "{e}");
    let e = hostile("function reward(s) return { up = true } end");
    assert!(
        e.to_string()
            .contains("component \"up\" is a boolean, not a number"),
        "{e}"
    );
    let e = hostile("function reward(s) return { 1, 2 } end");
    assert!(e.to_string().contains("non-string key"), "{e}");
    let e = hostile("function rewards(s) return 1 end");
    assert!(matches!(e, RewardError::MissingFunction { .. }), "{e:?}");
    assert!(
        e.to_string()
            .contains("does not define `function reward(s)`"),
        "{e}"
    );
    let e = hostile("reward = 3");
    assert!(e.to_string().contains("`reward` is a number"), "{e}");
}

#[test]
fn runtime_errors_name_program_and_line() {
    let e = hostile("function reward(s)\n  local x = nil\n  return x.y\nend");
    assert!(
        matches!(e, RewardError::Runtime { line: Some(3), .. }),
        "{e:?}"
    );
    assert!(
        e.to_string()
            .starts_with("test.luau:3: attempt to index nil"),
        "{e}"
    );
    let e = hostile("function reward(s)\n  return vec3(1, 2, 3) + 1\nend");
    assert!(
        matches!(e, RewardError::Runtime { line: Some(2), .. }),
        "{e:?}"
    );
    assert!(e.to_string().contains("cannot add vec3 and number"), "{e}");
    let e = hostile("function reward(s)\n  error('custom failure')\nend");
    assert!(e.to_string().contains("test.luau:2: custom failure"), "{e}");
}

#[test]
fn sandbox_hides_unsafe_libraries() {
    for expr in [
        "io.open('/etc/passwd')",
        "os.execute('true')",
        "os.time()",
        "require('x')",
        "load('return 1')",
        "loadstring('return 1')",
        "getfenv(1)",
        "setfenv(1, {})",
        "debug.traceback()",
        "collectgarbage('collect')",
        "dofile('/etc/passwd')",
        "coroutine.create(print)",
    ] {
        let e = hostile(&format!(
            "function reward(s)\n  local _ = {expr}\n  return 0\nend"
        ));
        assert!(
            matches!(e, RewardError::UnknownName { line: Some(2), .. }),
            "{expr}: {e:?}"
        );
    }
    // Nondeterministic and pathological library functions are left out too.
    let e = hostile("function reward(s) return math.random() end");
    assert!(
        e.to_string().contains("unknown math function \"random\""),
        "{e}"
    );
    let e = hostile("function reward(s) return ('aaa'):find('a') end");
    assert!(
        e.to_string().contains("unknown string function \"find\""),
        "{e}"
    );
    let e = hostile("function reward(s) return math.sqr(2) end");
    assert!(e.to_string().contains("did you mean \"sqrt\""), "{e}");
    // print is captured, not written to stdout.
    let mut p = compile("function reward(s) print('hello', vec3(1, 2, 3)) return 0 end").unwrap();
    p.reward(&state(0.0)).unwrap();
    assert_eq!(p.take_output(), vec!["hello\tvec3(1, 2, 3)".to_string()]);
}

#[test]
fn globals_are_read_only_and_calls_do_not_share_state() {
    let e = hostile("function reward(s)\n  math.pi = 3\n  return 0\nend");
    assert!(
        matches!(e, RewardError::Runtime { line: Some(2), .. }),
        "{e:?}"
    );
    assert!(e.to_string().contains("readonly"), "{e}");
    let e = hostile("function reward(s) math = nil return 0 end");
    assert!(e.to_string().contains("readonly"), "{e}");
    let e = hostile("function reward(s) vec3 = nil return 0 end");
    assert!(e.to_string().contains("readonly"), "{e}");
    let e = hostile("function reward(s) getmetatable(vec3(1, 2, 3)).__add = nil return 0 end");
    assert!(e.to_string().contains("readonly"), "{e}");
    let e = hostile("function reward(s) s.body = nil return 0 end");
    assert!(e.to_string().contains("read-only"), "{e}");
    let e = hostile("function reward(s) s.extra = 1 return 0 end");
    assert!(e.to_string().contains("s is read-only"), "{e}");
    assert_eq!(eval("getmetatable(s) == 'locked' and 1 or 0"), 1.0);
    // A top-level global cannot be updated across calls...
    let e = hostile("count = 0\nfunction reward(s)\n  count = count + 1\n  return count\nend");
    assert!(
        matches!(e, RewardError::Runtime { line: Some(3), .. }),
        "{e:?}"
    );
    // ...nor can tables it holds.
    let e = hostile("W = { a = 1 }\nfunction reward(s)\n  W.a = W.a + 1\n  return W.a\nend");
    assert!(e.to_string().contains("readonly"), "{e}");
    // Globals assigned during a call are per call.
    let mut p = compile("function reward(s)\n  if s.step > 80 then acc = 5 end\n  acc = (s.step > 80 and acc or 0) + 1\n  return acc\nend").unwrap();
    assert_eq!(p.reward(&state(10.0)).unwrap().total, 6.0);
    assert_eq!(p.reward(&state(0.0)).unwrap().total, 1.0);
    let e = p.reward(&state(0.0));
    assert!(e.is_ok());
    let mut p =
        compile("function reward(s)\n  if s.step > 80 then leak = 5 end\n  return leak\nend")
            .unwrap();
    assert_eq!(p.reward(&state(10.0)).unwrap().total, 5.0);
    let e = p.reward(&state(0.0)).unwrap_err();
    assert!(e.to_string().contains("unknown global \"leak\""), "{e}");
    // Per-call values from `s` are fresh each call even if the program mutates them.
    let mut p = compile("function reward(s)\n  local v = s.body('pole').pos\n  v.z = v.z + 1\n  s.action[1] = 9\n  return v.z\nend").unwrap();
    assert_eq!(p.reward(&state(0.0)).unwrap().total, 1.8);
    assert_eq!(p.reward(&state(0.0)).unwrap().total, 1.8);
}

#[test]
fn layout_mismatch_is_an_error() {
    let mut p = compile("function reward(s) return 1 end").unwrap();
    let mut st = state(0.0);
    st.action.push(1.0);
    let e = p.reward(&st).unwrap_err();
    assert!(matches!(e, RewardError::LayoutMismatch { .. }), "{e:?}");
}

#[test]
fn many_contacts_grow_the_buffer() {
    let mut p =
        compile("function reward(s) return s.contact('pole', 'ground') and 1 or 0 end").unwrap();
    let mut st = state(0.0);
    st.contacts = (0..200).map(|i| (0u16, 3 + i as u16)).collect();
    st.contacts.push((1, 2));
    assert_eq!(p.reward(&st).unwrap().total, 1.0);
}

const CARTPOLE: &str = r#"
-- cartpole: keep the pole up and the cart centred
function reward(s)
  local pole = s.body("pole")
  local upright = (pole.quat:up().z + 1) / 2
  local centered = tolerance(s.body("cart").pos.x, -0.25, 0.25, 1.0)
  local small_control = 1 - 0.1 * s.action[1] ^ 2
  local dist = pole.pos:dist(s.task.target)
  return { upright = upright, centered = centered, control = small_control, near = exp(-dist) }
end

function success(s)
  return s.body("pole").quat:up().z > 0.95
end
"#;

#[test]
fn parallel_batch_equals_sequential() {
    let states: Vec<State> = (0..64).map(|i| state(i as f64)).collect();
    let mut seq = ScriptProgram::compile("cartpole.luau", CARTPOLE, &layout()).unwrap();
    let expected: Vec<RewardOut> = states.iter().map(|s| seq.reward(s).unwrap()).collect();
    let expected_success: Vec<Option<bool>> =
        states.iter().map(|s| seq.success(s).unwrap()).collect();
    assert!(expected_success.contains(&Some(true)) && expected_success.contains(&Some(false)));
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(4)
        .build()
        .unwrap();
    pool.install(|| {
        let mut r = ScriptReward::compile("cartpole.luau", CARTPOLE, &layout()).unwrap();
        for _ in 0..3 {
            let mut out = vec![RewardOut::default(); states.len()];
            r.eval_batch(&states, &mut out).unwrap();
            assert_eq!(out, expected);
            let mut succ = vec![None; states.len()];
            r.success_batch(&states, &mut succ).unwrap();
            assert_eq!(succ, expected_success);
        }
        assert_eq!(r.pool_size(), 4);
        assert_eq!(r.name(), "cartpole.luau");
        // An error in the batch is reported (the first, in state order).
        let mut bad = ScriptReward::compile(
            "bad",
            "function reward(s)\n if s.step == 100 then error('boom') end\n return 1\nend",
            &layout(),
        )
        .unwrap();
        let mut out = vec![RewardOut::default(); states.len()];
        let e = bad.eval_batch(&states, &mut out).unwrap_err();
        assert!(e.to_string().contains("bad:2: boom"), "{e}");
    });
}

/// The layout with the hinge limited to [-1, 1] rad.
fn limited_layout() -> StateLayout {
    let mut l = layout();
    l.joints[0].limits = Some([-1.0, 1.0]);
    l
}

fn eval_limited(expr: &str) -> Result<f64, RewardError> {
    let src = format!("function reward(s)\n  return {{ v = {expr} }}\nend");
    let mut p = ScriptProgram::compile("test.luau", &src, &limited_layout())?;
    Ok(p.reward(&state(0.0))?.total)
}

#[test]
fn language_to_rewards_terms_are_bounded_scores() {
    let v = |e: &str| eval_limited(e).unwrap_or_else(|err| panic!("{e}: {err}"));
    // cart at z 0.2, pole at z 0.8 (0.6 m apart), pole tilted 0.3 rad about x, hinge q 0.3.
    assert!(close(v("l2_distance('cart', 'pole')"), 1.0 / 7.0));
    assert!(close(v("l2_distance('pole', 'cart', 0.6)"), 0.5));
    assert!(close(v("l2_distance('cart', vec3(0, 0, 0.2))"), 1.0));
    assert!(close(v("height('pole', 0.8)"), 1.0));
    assert!(close(v("height('pole', 0.7)"), 0.5));
    assert!(close(v("height(vec3(0, 0, 0.5), 0.7, 0.2)"), 0.5));
    assert!(close(
        v("orientation('pole', vec3(0, 0, 1))"),
        0.5 * (1.0 + 0.3f64.cos())
    ));
    assert!(close(v("orientation('cart', vec3(0, 0, -2))"), 0.0));
    assert!(close(v("joint_fraction('hinge', 0.65)"), 1.0));
    assert!(close(v("joint_fraction('hinge', 0.5)"), 0.4));
    for (expr, want) in [
        ("l2_distance(1, 'cart')", "must be a body name or a vec3"),
        ("l2_distance('carr', 'pole')", "did you mean \"cart\""),
        ("height('pole', 1, -1)", "positive number"),
        ("orientation('pole', vec3(0, 0, 0))", "zero"),
        ("joint_fraction('hinge', 'x')", "must be a number"),
    ] {
        let e = eval_limited(expr).unwrap_err().to_string();
        assert!(e.contains(want), "{expr}: {e}");
    }
    // Without limits there is no range to take a fraction of.
    let e = err("function reward(s) return joint_fraction('hinge', 0.5) end").to_string();
    assert!(e.contains("has no limits"), "{e}");
}

#[test]
fn parameters_are_declared_read_overridden_and_checked() {
    use rewardsmith::reward::{ParamValue, Params};
    let src = "params = { goal = vec3(0, 0, 0.8), w = 2 }\nfunction reward(s)\n  return { v = s.param.w * l2_distance('pole', s.param.goal), same = params.w - s.param.w }\nend";
    let mut p = compile(src).unwrap();
    assert!(close(p.reward(&state(0.0)).unwrap().total, 2.0));
    let mut o = Params::new();
    o.insert("w", ParamValue::Number(3.0));
    o.insert("goal", ParamValue::Vec3([0.0, 0.0, 0.2]));
    p.set_params(&o).unwrap();
    let out = p.reward(&state(0.0)).unwrap();
    assert!(close(out.total, 3.0 / 7.0));
    assert_eq!(
        out.component("same"),
        Some(0.0),
        "params.w reads the override"
    );
    // Values are read-only.
    let e = err(
        "params = { goal = vec3(0, 0, 0) }\nfunction reward(s)\n  s.param.goal.x = 1\n  return 0\nend",
    );
    assert!(e.to_string().contains("read-only"), "{e}");
    let e = err("params = { w = 1 }\nfunction reward(s)\n  params.w = 2\n  return 0\nend");
    assert!(e.to_string().contains("read-only"), "{e}");
    // A name built at run time is checked when read.
    let e = err("params = { w = 1 }\nfunction reward(s)\n  return s.param['x' .. 'y']\nend");
    assert!(
        e.to_string().contains("unknown parameter \"xy\"") && e.to_string().contains("known: w"),
        "{e}"
    );
    let e = err("function reward(s)\n  local k = 'w'\n  return s.param[k]\nend");
    assert!(e.to_string().contains("declares none"), "{e}");
    // Bad declarations.
    let e = compile("params = { w = 'x' }\nfunction reward(s) return 0 end").unwrap_err();
    assert!(e.to_string().contains("must be a number or a vec3"), "{e}");
    let e = compile("params = { w = 0/0 }\nfunction reward(s) return 0 end").unwrap_err();
    assert!(e.to_string().contains("not finite"), "{e}");
    let e = compile("params = 3\nfunction reward(s) return 0 end").unwrap_err();
    assert!(e.to_string().contains("must be a table"), "{e}");
    // A literal undeclared name is a compile error with its line.
    let e =
        compile("params = { w = 1 }\nfunction reward(s)\n  return s.param.ww\nend").unwrap_err();
    assert_eq!(e.line(), Some(3));
    assert!(e.to_string().contains("did you mean \"w\""), "{e}");
}
