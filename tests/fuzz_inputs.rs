//! Bounded fuzzing on stable Rust: random and mutated untrusted inputs (env specs, robot
//! files, reward programs and the states they read, reward files, LLM replies, batch
//! files) must give
//! a value or an error, never a panic or a hang.
//!
//! Each property runs `REWARDSMITH_FUZZ_CASES` cases (default 64, seconds in CI); run
//! longer with e.g. `REWARDSMITH_FUZZ_CASES=20000 cargo test --release --test fuzz_inputs`.
//! A failing case is shrunk by proptest and printed; it becomes a regression test below.

mod common;

use common::{pendulum_spec, repo_roots, roots_in, write};
use proptest::prelude::*;
use rewardsmith::env::{
    BodyState, Env, EnvSpec, JointInfo, JointKind, JointState, State, StateLayout, TaskParamInfo,
};
use rewardsmith::reward::{Limits, RewardOut, ScriptProgram, load_reward};
use rewardsmith::run::batch::Plan;
use rewardsmith::synth::extract::extract_program;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

fn config() -> ProptestConfig {
    let cases = std::env::var("REWARDSMITH_FUZZ_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(64);
    ProptestConfig {
        cases,
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

/// Values a mutation puts where a TOML or XML value was: wrong types, empty, non-finite,
/// negative, huge and odd strings (kept small enough that a valid env still steps fast).
const VALUES: &[&str] = &[
    "0",
    "-1",
    "1",
    "7",
    "0.0",
    "-0.5",
    "1e-9",
    "1e9",
    "nan",
    "inf",
    "-inf",
    "true",
    "\"\"",
    "\"ground\"",
    "\"no/such/file.urdf\"",
    "[]",
    "[1.0]",
    "[0.0, 0.0, 0.0, 0.0, 0.0]",
    "{}",
    "{ kind = \"box\" }",
    "\"\u{fffd}\u{1F916}\"",
];

/// One edit of a line-oriented text file.
#[derive(Debug, Clone)]
enum Edit {
    /// Remove line `i`.
    Delete(usize),
    /// Repeat line `i`.
    Duplicate(usize),
    /// Replace what follows the first `=` (TOML) or the first `="…"` value (XML) on line `i`.
    Value(usize, &'static str),
    /// Cut the file at byte fraction `f` (a file half written).
    Truncate(f64),
}

fn edits() -> impl Strategy<Value = Vec<Edit>> {
    let edit = prop_oneof![
        any::<usize>().prop_map(Edit::Delete),
        any::<usize>().prop_map(Edit::Duplicate),
        (any::<usize>(), prop::sample::select(VALUES)).prop_map(|(i, v)| Edit::Value(i, v)),
        (0.0..1.0f64).prop_map(Edit::Truncate),
    ];
    prop::collection::vec(edit, 1..4)
}

/// Applies `edits` to `text`; `xml` picks how a value is found on a line.
fn mutate(text: &str, edits: &[Edit], xml: bool) -> String {
    let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
    for e in edits {
        if lines.is_empty() {
            break;
        }
        match *e {
            Edit::Delete(i) => {
                lines.remove(i % lines.len());
            }
            Edit::Duplicate(i) => {
                let l = lines[i % lines.len()].clone();
                lines.insert(i % lines.len(), l);
            }
            Edit::Value(i, v) => {
                let n = lines.len();
                let line = &mut lines[i % n];
                if xml {
                    if let Some(a) = line.find("=\"")
                        && let Some(b) = line[a + 2..].find('"')
                    {
                        let v = v.trim_matches('"');
                        line.replace_range(a + 2..a + 2 + b, v);
                    }
                } else if let Some(a) = line.find('=') {
                    line.replace_range(a + 1.., &format!(" {v}"));
                }
            }
            Edit::Truncate(f) => {
                let joined = lines.join("\n");
                let mut cut = (joined.len() as f64 * f) as usize;
                while !joined.is_char_boundary(cut) {
                    cut -= 1;
                }
                lines = joined[..cut].lines().map(str::to_string).collect();
            }
        }
    }
    lines.join("\n")
}

/// Builds, resets and steps (with `action`) an env from a spec file; any error is fine.
/// Returns whether it got as far as stepping.
fn build_and_step(
    file: &Path,
    text: &str,
    roots: &rewardsmith::env::AssetRoots,
    action: f64,
) -> bool {
    let Ok(spec) = EnvSpec::from_toml(text, file) else {
        return false;
    };
    let Ok(mut env) = Env::from_spec(spec, file, roots) else {
        return false;
    };
    if env.reset(Some(0)).is_err() {
        return false;
    }
    let a = vec![action; env.compiled().action_space.dim()];
    (0..2).all(|_| env.step(&a).is_ok())
}

/// The inputs the robot properties mutate build and step unmutated (else they would
/// only ever test the error path).
#[test]
fn the_fuzzed_robots_step_unmutated() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "arm.xml", ARM_MJCF);
    let spec = pendulum_spec(0.02, 2, "").replace("urdf = \"bob.urdf\"", "mjcf = \"arm.xml\"");
    let file = write(dir.path(), "arm.toml", &spec);
    let roots = roots_in(dir.path());
    let built = EnvSpec::from_toml(&spec, &file).and_then(|s| Env::from_spec(s, &file, &roots));
    assert!(built.is_ok(), "{:?}", built.err().map(|e| e.to_string()));
    assert!(build_and_step(&file, &spec, &roots, 0.5));
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let cartpole = root.join("envs/cartpole.toml");
    let text = std::fs::read_to_string(&cartpole).unwrap();
    assert!(build_and_step(&cartpole, &text, &repo_roots(), 0.5));
}

/// The built-in specs small enough to step in every case.
const STEPPED: &[&str] = &["cartpole", "pendulum", "reacher", "mountain-car"];

proptest! {
    #![proptest_config(config())]

    /// Mutated built-in env specs parse, validate and (where they build) step, or fail
    /// with an error.
    #[test]
    fn mutated_env_specs_are_values_or_errors(
        env in prop::sample::select(STEPPED),
        edits in edits(),
        action in prop::sample::select(&[0.0, 1.0, -1e9, f64::NAN][..]),
    ) {
        let roots = repo_roots();
        let file = Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("envs/{env}.toml"));
        let text = std::fs::read_to_string(&file).unwrap();
        build_and_step(&file, &mutate(&text, &edits, false), &roots, action);
    }

    /// Every built-in spec, mutated, parses and validates or fails with an error (the
    /// heavy ones are not stepped: validation is what untrusted text reaches first).
    #[test]
    fn mutated_specs_of_every_env_parse_or_fail(idx in any::<usize>(), edits in edits()) {
        let roots = repo_roots();
        let names = roots.builtin_names();
        let name = &names[idx % names.len()];
        let file = Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("envs/{name}.toml"));
        if let Ok(text) = std::fs::read_to_string(&file) {
            let _ = EnvSpec::from_toml(&mutate(&text, &edits, false), &file);
        }
    }

    /// A mutated URDF robot loads and steps, or fails with an error.
    #[test]
    fn mutated_urdf_robots_are_values_or_errors(edits in edits()) {
        let dir = tempfile::tempdir().unwrap();
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        let urdf = std::fs::read_to_string(root.join("assets/robots/cartpole.urdf")).unwrap();
        let spec = std::fs::read_to_string(root.join("envs/cartpole.toml")).unwrap();
        write(dir.path(), "cartpole.urdf", &mutate(&urdf, &edits, true));
        let file = write(dir.path(), "cartpole.toml", &spec);
        build_and_step(&file, &spec, &roots_in(dir.path()), 0.5);
    }

    /// A mutated MJCF robot loads and steps, or fails with an error.
    #[test]
    fn mutated_mjcf_robots_are_values_or_errors(edits in edits()) {
        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), "arm.xml", &mutate(ARM_MJCF, &edits, true));
        let spec = pendulum_spec(0.02, 2, "").replace("urdf = \"bob.urdf\"", "mjcf = \"arm.xml\"");
        let file = write(dir.path(), "arm.toml", &spec);
        build_and_step(&file, &spec, &roots_in(dir.path()), 0.5);
    }

    /// Reward programs stitched from Luau fragments, run on states holding non-finite
    /// and huge values, return a value or an error.
    #[test]
    fn random_reward_programs_on_random_states_are_values_or_errors(
        body in prop::collection::vec(prop::sample::select(LUAU), 0..24),
        values in prop::collection::vec(prop::sample::select(NUMBERS), 16),
    ) {
        let src = format!("function reward(s)\n{}\nend\nfunction success(s) return {} end",
            body.join(" "), body.last().copied().unwrap_or("true"));
        let state = state_with(&values);
        let limits = Limits {
            max_call_time: Duration::from_millis(200),
            memory_bytes: 16 << 20,
            ..Limits::default()
        };
        for src in [src.as_str(), &body.join("\n")] {
            if let Ok(mut p) = ScriptProgram::compile_with("fuzz.luau", src, &state.layout, limits) {
                let _ = p.reward(&state);
                let _ = p.success(&state);
                let _ = p.reward(&state);
            }
        }
    }

    /// LLM replies: extraction gives a program found in the reply, or an error.
    #[test]
    fn llm_replies_give_a_program_from_the_reply_or_an_error(
        parts in prop::collection::vec(prop::sample::select(REPLY), 0..12),
        finish in prop::sample::select(&[None, Some("stop"), Some("length"), Some("")][..]),
    ) {
        let reply = parts.concat();
        if let Ok(program) = extract_program(&reply, finish) {
            // (line ends are normalised to \n)
            let lines = reply.replace("\r\n", "\n");
            prop_assert!(lines.contains(program.trim()), "{program:?} is not in {reply:?}");
        }
    }

    /// Reward files stitched from valid and invalid tables and keys load (and evaluate)
    /// or fail with an error.
    #[test]
    fn reward_files_are_rewards_or_errors(
        valid_start in any::<bool>(),
        lines in prop::collection::vec(prop::sample::select(REWARD_FILE), 0..14),
    ) {
        // Half the files start with a valid term, so the random rest often loads.
        let start = if valid_start { "[[terms]]\nname = \"t\"\nprogram = \"a.luau\"\n" } else { "" };
        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), "a.luau", "function reward(s) return { x = s.joint('slider').q } end\nfunction success(s) return true end");
        write(dir.path(), "b.luau", "function reward(s) return 0/0 end");
        let file = write(dir.path(), "r.toml", &format!("{start}{}", lines.join("\n")));
        let roots = repo_roots();
        let mut env = Env::load("cartpole", &roots).unwrap();
        env.reset(Some(0)).unwrap();
        if let Ok(mut r) = load_reward(&file, &env) {
            let mut out = vec![RewardOut::default()];
            let _ = r.eval_batch(std::slice::from_ref(env.state()), &mut out);
            r.end_episodes(&[true]);
            r.end_update();
            let saved = r.save_state();
            let _ = r.load_state(saved);
        }
    }

    /// Batch files stitched from valid and invalid keys load or fail with an error.
    #[test]
    fn batch_files_are_plans_or_errors(
        lines in prop::collection::vec(prop::sample::select(BATCH), 0..10),
    ) {
        let dir = tempfile::tempdir().unwrap();
        let file = write(dir.path(), "batch.toml", &lines.join("\n"));
        if let Ok(plan) = Plan::load(&file) {
            for (i, a) in plan.runs.iter().enumerate() {
                prop_assert!(!plan.runs[..i].contains(a), "{a:?} twice in {:?}", plan.runs);
            }
        }
    }
}

/// A two-link arm in MuJoCo's format on a fixed base (hinge `hinge` at the shoulder,
/// `elbow` below it).
const ARM_MJCF: &str = r#"<mujoco model="arm">
  <default>
    <joint damping="0.1" armature="0.01"/>
    <geom type="capsule" size="0.05" density="1000"/>
  </default>
  <worldbody>
    <body name="base" pos="0 0 0">
      <geom name="base_geom" type="sphere" size="0.06"/>
      <body name="upper" pos="0 0 0">
        <joint name="hinge" type="hinge" axis="0 1 0" range="-90 90"/>
        <geom name="upper_geom" fromto="0 0 0 0 0 -0.5" size="0.05"/>
        <body name="lower" pos="0 0 -0.5">
          <joint name="elbow" type="hinge" axis="0 1 0" stiffness="1" springref="0"/>
          <geom name="lower_geom" type="box" size="0.04 0.04 0.2" pos="0 0 -0.2"/>
          <inertial pos="0 0 -0.2" mass="0.5" diaginertia="0.01 0.01 0.001"/>
        </body>
      </body>
    </body>
  </worldbody>
</mujoco>"#;

/// Luau fragments: valid pieces of the API, hostile constructs and broken syntax.
const LUAU: &[&str] = &[
    "local x = s.body('pole').pos.z",
    "local q = s.joint('hinge').q",
    "local v = vec3(1, 2, 3):norm()",
    "local r = quat(1, 0, 0, 0)",
    "return 1",
    "return 0/0",
    "return { a = 1, b = -math.huge }",
    "return { total = 'x' }",
    "return s.action[1] * 2",
    "return s.task.target.z",
    "return tolerance(x, 0, 1, 0.1)",
    "while true do end",
    "for i = 1, 1e9 do end",
    "local t = {} for i = 1, 1e7 do t[i] = i end",
    "local s2 = string.rep('x', 1e8)",
    "local function f(n) return f(n + 1) end f(0)",
    "setmetatable(_G, {})",
    "error({})",
    "error('boom')",
    "pcall(error)",
    "x = 1",
    "s.body('nope')",
    "s.joint(nil)",
    "s.contact('cart', 'pole')",
    "getmetatable('').__index = nil",
    "coroutine.wrap(function() end)()",
    "if",
    "then",
    "end",
    "(",
    ")",
    "{",
    "}",
    "..",
    "#",
    "local",
    "function",
    "=",
];

/// Numbers a state may hold.
const NUMBERS: &[f64] = &[
    0.0,
    -0.0,
    1.0,
    -1.0,
    1e-300,
    1e300,
    f64::MAX,
    f64::MIN,
    f64::NAN,
    f64::INFINITY,
    f64::NEG_INFINITY,
];

/// Fragments of LLM replies.
const REPLY: &[&str] = &[
    "```",
    "```lua\n",
    "```luau\n",
    "```python\n",
    "\n",
    "Here is the reward:\n",
    "function reward(s) return 1 end\n",
    "function success(s) return true end\n",
    "`",
    "``",
    "é\u{1F916}",
    "   ",
    "<think>",
    "</think>",
    "\r\n",
];

/// Lines of reward files.
const REWARD_FILE: &[&str] = &[
    "[[terms]]",
    "name = \"t\"",
    "name = \"u\"",
    "name = \"\"",
    "name = \"a/b\"",
    "program = \"a.luau\"",
    "program = \"b.luau\"",
    "program = \"missing.luau\"",
    "weight = 2.0",
    "weight = nan",
    "weight = -inf",
    "transform = \"lsc\"",
    "transform = \"normalize\"",
    "transform = \"clip\"",
    "r_ref = 0.5",
    "r_ref_quantile = 0.5",
    "r_ref_quantile = 2",
    "lo = 1.0",
    "hi = -1.0",
    "[[ensembles]]",
    "programs = [\"a.luau\", \"a.luau\"]",
    "programs = []",
    "aggregate = \"uwo\"",
    "aggregate = \"max\"",
    "k = -1",
    "[[constraints]]",
    "component = \"t/x\"",
    "component = \"nope\"",
    "max = 0.3",
    "min = 1e308",
    "lr = 0",
    "[[subgoals]]",
    "bonus = 10.0",
    "bonus = inf",
    "[limits]",
    "ops = 0",
    "ops = 5000",
    "memory_mb = 1",
    "call_ms = 99999999",
    "clip = { goal = \"up\" }",
    "[",
    "= 1",
];

/// Lines of batch files.
const BATCH: &[&str] = &[
    "envs = [\"cartpole\"]",
    "envs = []",
    "envs = [\"no-such-env\"]",
    "seeds = [0, 1]",
    "seeds = [-1]",
    "algos = [\"ppo\"]",
    "algos = [\"dqn\"]",
    "rewards = [\"default\"]",
    "steps = 0",
    "steps = 1e99",
    "out = \"\"",
    "[[run]]",
    "env = \"cartpole\"",
    "seed = 3",
    "unknown = 1",
    "[",
    "]]",
];

/// A cart–pole state whose numbers come from `v` (cycled).
fn state_with(v: &[f64]) -> State {
    let mut k = 0;
    let mut next = || {
        k += 1;
        v[(k - 1) % v.len()]
    };
    let layout = StateLayout {
        bodies: vec!["cart".into(), "pole".into()],
        joints: vec![JointInfo {
            name: "hinge".into(),
            kind: JointKind::Revolute,
            limits: None,
            parent: 0,
            child: 1,
        }],
        actuators: vec!["hinge".into()],
        action_ranges: vec![[-1.0, 1.0]],
        robot_links: 0,
        body_masses: vec![],
        body_coms: vec![],
        task: vec![TaskParamInfo {
            name: "target".into(),
            doc: String::new(),
            offset: 0,
            dim: 3,
            low: vec![0.0; 3],
            high: vec![1.0; 3],
        }],
        sites: Vec::new(),
        success: None,
        dt: 0.02,
    };
    let mut body = || BodyState {
        pos: [next(), next(), next()],
        quat: [next(), next(), next(), next()],
        ..Default::default()
    };
    let bodies = vec![body(), body()];
    State {
        layout: Arc::new(layout),
        t: next(),
        step: 25,
        bodies,
        joints: vec![JointState {
            q: next(),
            qd: next(),
        }],
        action: vec![next()],
        task: vec![next(), next(), next()],
        contacts: vec![(0, 1)],
        contact_forces: vec![[0.5, -0.25, 9.81]],
        prev: None,
    }
}
