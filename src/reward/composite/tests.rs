//! Tests of reward files end to end: parsing errors, and the combination of real
//! (constant or state-reading) programs on cartpole states.

use super::*;
use crate::env::{AssetRoots, Env};
use crate::reward::load_reward;
use std::path::Path;

/// A directory holding `files` (name, text), and a cartpole env.
fn setup(files: &[(&str, &str)]) -> (tempfile::TempDir, Env) {
    let dir = tempfile::tempdir().expect("temp dir");
    for (name, text) in files {
        std::fs::write(dir.path().join(name), text).expect("write");
    }
    let roots = AssetRoots::under(Path::new(env!("CARGO_MANIFEST_DIR")));
    let mut env = Env::load("cartpole", &roots).expect("cartpole");
    env.reset(Some(3)).expect("reset");
    (dir, env)
}

const CONST_AB: &str = "function reward(s) return { a = 2.0, b = 1.0 } end";
const ONE: &str = "function reward(s) return 1.0 end";
const FOUR: &str = "function reward(s) return 4.0 end";
const SEVEN: &str = "function reward(s) return 7.0 end";
const CART_X: &str = "function reward(s) return { x = s.joint(\"slider\").q } end";
const ALWAYS: &str = "function reward(s) return 0 end\nfunction success(s) return true end";

/// The error of loading reward-file `text` (beside the constant programs).
fn load_error(text: &str) -> String {
    let (dir, env) = setup(&[("ab.luau", CONST_AB), ("r.toml", text)]);
    match load_reward(&dir.path().join("r.toml"), &env) {
        Ok(_) => panic!("{text} loaded"),
        Err(e) => e.to_string(),
    }
}

fn assert_names(msg: &str, parts: &[&str]) {
    for p in parts {
        assert!(msg.contains(p), "`{p}` not in: {msg}");
    }
}

#[test]
fn unknown_key_names_file_table_key_and_position() {
    let msg = load_error("[[terms]]\nname = \"t\"\nprogram = \"ab.luau\"\nwieght = 2.0\n");
    assert_names(
        &msg,
        &["r.toml:4:1", "terms[0]", "key `wieght`", "unknown field"],
    );
}

#[test]
fn constraint_on_unknown_term_or_component_is_refused() {
    let msg = load_error(
        "[[terms]]\nname = \"t\"\nprogram = \"ab.luau\"\n[[constraints]]\ncomponent = \"u/a\"\nmax = 1.0\n",
    );
    assert_names(
        &msg,
        &[
            "r.toml:5:13",
            "constraints[0]",
            "key `component`",
            "\"u/a\"",
        ],
    );
    // The term exists but produces no such component: found when probing.
    let msg = load_error(
        "[[terms]]\nname = \"t\"\nprogram = \"ab.luau\"\n[[constraints]]\ncomponent = \"t/c\"\nmax = 1.0\n",
    );
    assert_names(
        &msg,
        &[
            "r.toml:5:13",
            "constraints[0]",
            "key `component`",
            "t/a, t/b",
        ],
    );
}

#[test]
fn non_finite_weight_lsc_without_reference_and_bad_tables_are_refused() {
    let term = "[[terms]]\nname = \"t\"\nprogram = \"ab.luau\"\n";
    let msg = load_error(&format!("{term}weight = inf\n"));
    assert_names(&msg, &["r.toml:4:10", "terms[0]", "key `weight`", "finite"]);
    let msg = load_error(&format!("{term}transform = \"lsc\"\n"));
    assert_names(&msg, &["r.toml:4:13", "terms[0]", "key `r_ref`", "lsc"]);
    let msg = load_error(&format!("{term}r_ref = 1.0\n"));
    assert_names(&msg, &["terms[0]", "key `r_ref`", "does not apply"]);
    let msg = load_error(&format!("{term}transform = \"clip\"\nlo = 2.0\nhi = 1.0\n"));
    assert_names(&msg, &["terms[0]", "key `lo`", "above"]);
    let msg = load_error("[[ensembles]]\nname = \"e\"\nprograms = []\naggregate = \"mean\"\n");
    assert_names(&msg, &["ensembles[0]", "key `programs`", "at least one"]);
    let msg =
        load_error("[[ensembles]]\nname = \"e\"\nprograms = [\"ab.luau\"]\naggregate = \"max\"\n");
    assert_names(
        &msg,
        &["ensembles[0]", "key `aggregate`", "unknown variant"],
    );
    let msg = load_error("[[terms]]\nname = \"t\"\nclip = { goal = \"up\" }\n");
    assert_names(&msg, &["terms[0]", "key `clip`", "not yet supported"]);
    let msg = load_error("[[terms]]\nname = \"t\"\nprogram = \"missing.luau\"\n");
    assert_names(&msg, &["terms[0]", "key `program`", "no such program"]);
    let msg = load_error(&format!("{term}{term}"));
    assert_names(&msg, &["terms[1]", "key `name`", "already used"]);
    let msg = load_error("");
    assert_names(&msg, &["r.toml: top level", "at least one"]);
}

/// Weighted, clipped, aggregated and constrained values against hand computation.
#[test]
fn components_and_total_match_hand_values() {
    let text = r#"
[[terms]]
name = "t"
program = "ab.luau"
weight = 0.5
transform = "clip"
lo = 0.0
hi = 2.0

[[terms]]
name = "l"
program = "one.luau"
transform = "lsc"
r_ref = 1.0

[[ensembles]]
name = "e"
programs = ["one.luau", "four.luau", "seven.luau"]
aggregate = "uwo"
k = 0.5
weight = 2.0

[[constraints]]
component = "t/a"
max = 1.5
lr = 2.0
"#;
    let (dir, env) = setup(&[
        ("ab.luau", CONST_AB),
        ("one.luau", ONE),
        ("four.luau", FOUR),
        ("seven.luau", SEVEN),
        ("r.toml", text),
    ]);
    let mut r = load_reward(&dir.path().join("r.toml"), &env).expect("loads");
    let states = [env.state().clone()];
    let mut out = [RewardOut::default()];
    r.eval_batch(&states, &mut out).expect("eval");
    let o = &out[0];
    let c = |n: &str| o.component(n).unwrap_or_else(|| panic!("no {n} in {o:?}"));
    // t: raw 3 clipped to 2, weight 0.5.
    assert_eq!(
        (c("t/raw"), c("t/a"), c("t/b"), c("t")),
        (3.0, 2.0, 1.0, 1.0)
    );
    // l: log σ(0) = ln ½.
    assert!((c("l") - 0.5f64.ln()).abs() < 1e-15);
    // e: uwo of {1, 4, 7} with k = ½, weight 2.
    let e = 2.0 * (4.0 - 0.5 * 6f64.sqrt());
    assert!((c("e") - e).abs() < 1e-12);
    assert_eq!((c("e/m0"), c("e/m1"), c("e/m2")), (1.0, 4.0, 7.0));
    // Constraint t/a ≤ 1.5: violated by 0.5, λ still 0.
    assert_eq!(
        (c("violation/t/a"), c("violated/t/a"), c("lambda/t/a")),
        (0.5, 1.0, 0.0)
    );
    assert!((o.total - (1.0 + 0.5f64.ln() + e)).abs() < 1e-12);
    // After an update λ = 2 · 0.5 = 1 and the penalty is −λ · 0.5.
    r.end_update();
    r.eval_batch(&states, &mut out).expect("eval");
    let o = &out[0];
    assert_eq!(o.component("lambda/t/a"), Some(1.0));
    assert_eq!(o.component("penalty/t/a"), Some(-0.5));
    assert!((o.total - (1.0 + 0.5f64.ln() + e - 0.5)).abs() < 1e-12);
}

#[test]
fn subgoals_pay_once_per_episode_in_order() {
    let text = "[[terms]]\nname = \"t\"\nprogram = \"one.luau\"\n\
                [[subgoals]]\nprogram = \"always.luau\"\nbonus = 10.0\n\
                [[subgoals]]\nname = \"second\"\nprogram = \"always.luau\"\nbonus = 5.0\n";
    let (dir, env) = setup(&[("one.luau", ONE), ("always.luau", ALWAYS), ("r.toml", text)]);
    let mut r = load_reward(&dir.path().join("r.toml"), &env).expect("loads");
    let states = vec![env.state().clone(); 2];
    let mut out = vec![RewardOut::default(); 2];
    let mut step = |r: &mut Box<dyn Reward>| {
        r.eval_batch(&states, &mut out).expect("eval");
        out.iter()
            .map(|o| {
                (
                    o.component("subgoal/always"),
                    o.component("subgoal/second"),
                    o.total,
                )
            })
            .collect::<Vec<_>>()
    };
    let first = (Some(10.0), Some(0.0), 11.0);
    let second = (Some(0.0), Some(5.0), 6.0);
    let none = (Some(0.0), Some(0.0), 1.0);
    assert_eq!(step(&mut r), [first, first]);
    assert_eq!(step(&mut r), [second, second]);
    assert_eq!(step(&mut r), [none, none]);
    r.end_episodes(&[false, true]);
    assert_eq!(step(&mut r), [none, first]);
    // A program without success(s) cannot be a subgoal.
    let text = "[[terms]]\nname = \"t\"\nprogram = \"one.luau\"\n[[subgoals]]\nprogram = \"one.luau\"\nbonus = 1.0\n";
    let (dir, env) = setup(&[("one.luau", ONE), ("r.toml", text)]);
    let msg = load_reward(&dir.path().join("r.toml"), &env)
        .err()
        .expect("refused")
        .to_string();
    assert_names(&msg, &["subgoals[0]", "key `program`", "success(s)"]);
}

/// A reward restored from `save_state` mid-run continues bit for bit: normalizer,
/// multiplier and subgoal progress.
#[test]
fn saved_state_resumes_bit_exactly() {
    let text = "[[terms]]\nname = \"x\"\nprogram = \"x.luau\"\ntransform = \"normalize\"\n\
                [[constraints]]\ncomponent = \"x/x\"\nmin = -0.01\nmax = 0.01\nlr = 3.0\n\
                [[subgoals]]\nprogram = \"always.luau\"\nbonus = 1.0\n";
    let (dir, mut env) = setup(&[
        ("x.luau", CART_X),
        ("always.luau", ALWAYS),
        ("r.toml", text),
    ]);
    let path = dir.path().join("r.toml");
    let mut states = Vec::new();
    for _ in 0..40 {
        let a = env.sample_action();
        env.step(&a).expect("step");
        states.push(env.state().clone());
    }
    let run = |r: &mut Box<dyn Reward>, chunk: &[State]| -> Vec<u64> {
        let mut bits = Vec::new();
        for pair in chunk.chunks(2) {
            let mut out = vec![RewardOut::default(); pair.len()];
            r.eval_batch(pair, &mut out).expect("eval");
            r.end_episodes(&[false, true]);
            r.end_update();
            bits.extend(out.iter().flat_map(|o| {
                std::iter::once(o.total.to_bits())
                    .chain(o.components.iter().map(|(_, v)| v.to_bits()))
            }));
        }
        bits
    };
    let mut whole = load_reward(&path, &env).expect("loads");
    let all = run(&mut whole, &states);
    let mut first = load_reward(&path, &env).expect("loads");
    let mut head = run(&mut first, &states[..20]);
    let saved = serde_json::to_string(&first.save_state()).expect("json");
    let mut resumed = load_reward(&path, &env).expect("loads");
    let value = serde_json::from_str(&saved).expect("parse");
    resumed.load_state(value).expect("fits");
    head.extend(run(&mut resumed, &states[20..]));
    assert_eq!(head, all);
    // The multiplier moved (the cart leaves ±1 cm), so the test compared real state.
    assert!(saved.contains("lambda"), "{saved}");
    let other = load_reward(&dir.path().join("x.luau"), &env).expect("program");
    assert!(other.save_state().is_null());
    let fresh = serde_json::json!({"normalizers": [], "multipliers": [], "subgoal_progress": []});
    assert!(resumed.load_state(fresh).is_err());
}

#[test]
fn limits_set_every_programs_budget_and_are_checked() {
    // A loop of 50k iterations: within the default budget (200k operations), not 10k.
    let busy =
        "function reward(s)\n  local x = 0\n  for i = 1, 50000 do x = x + i end\n  return x\nend";
    let term = "[[terms]]\nname = \"t\"\nprogram = \"busy.luau\"\n";
    let eval = |text: &str| {
        let (dir, env) = setup(&[("busy.luau", busy), ("r.toml", text)]);
        let mut r = load_reward(&dir.path().join("r.toml"), &env)?;
        let mut out = vec![RewardOut::default()];
        r.eval_batch(std::slice::from_ref(env.state()), &mut out)
    };
    assert!(eval(term).is_ok());
    let e = eval(&format!("[limits]\nops = 10000\n{term}"))
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("10000 operations") && e.contains("busy.luau"),
        "{e}"
    );
    assert!(eval(&format!("[limits]\nops = 1000000\nmemory_mb = 16\n{term}")).is_ok());
    let msg = load_error("[limits]\nops = 0\n[[terms]]\nname = \"t\"\nprogram = \"ab.luau\"\n");
    assert_names(
        &msg,
        &[
            "r.toml:2:7",
            "limits",
            "key `ops`",
            "expected 1 to 100000000",
        ],
    );
    let msg = load_error("[limits]\nseconds = 3\n[[terms]]\nname = \"t\"\nprogram = \"ab.luau\"\n");
    assert_names(&msg, &["limits", "unknown field `seconds`"]);
}

#[test]
fn quantile_interpolates_between_order_statistics() {
    let mut v = [4.0, 1.0, 3.0, 2.0];
    assert_eq!(super::quantile(&mut v, 0.5), Some(2.5));
    assert_eq!(super::quantile(&mut v, 0.25), Some(1.75));
    assert_eq!(super::quantile(&mut v, 1.0), Some(4.0));
    assert_eq!(super::quantile(&mut [], 0.5), None);
}

#[test]
fn r_ref_quantile_is_taken_under_the_random_reference_policy() {
    let term = |q: &str, program: &str| {
        format!(
            "[[terms]]\nname = \"t\"\nprogram = \"{program}\"\ntransform = \"lsc\"\nr_ref_quantile = {q}\n"
        )
    };
    let value = |text: &str| {
        let (dir, env) = setup(&[("four.luau", FOUR), ("x.luau", CART_X), ("r.toml", text)]);
        let mut r = load_reward(&dir.path().join("r.toml"), &env).expect("loads");
        let mut out = vec![RewardOut::default()];
        r.eval_batch(std::slice::from_ref(env.state()), &mut out)
            .expect("evaluates");
        out[0].total
    };
    // A constant term: every quantile is the constant, so the term sits at log σ(0).
    assert!((value(&term("0.3", "four.luau")) - 0.5f64.ln()).abs() < 1e-12);
    // A state-dependent one: a lower quantile is a lower reference, a higher value.
    let (low, high) = (
        value(&term("0.05", "x.luau")),
        value(&term("0.95", "x.luau")),
    );
    assert!(low > high, "{low} vs {high}");
    let msg = load_error(&format!("{}r_ref = 1.0\n", term("0.5", "ab.luau")));
    assert_names(&msg, &["terms[0]", "not both"]);
    let msg = load_error(&term("1.0", "ab.luau"));
    assert_names(&msg, &["key `r_ref_quantile`", "strictly between 0 and 1"]);
    let msg = load_error("[[terms]]\nname = \"t\"\nprogram = \"ab.luau\"\nr_ref_quantile = 0.5\n");
    assert_names(&msg, &["does not apply"]);
}
