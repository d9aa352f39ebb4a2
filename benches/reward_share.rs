//! Cost of each env's expert reward program (`rewards/<env>.luau`) on real States,
//! against the cost of the env step it rewards.
//!
//! `cargo bench --bench reward_share -- [--steps N] [--json FILE] [ENV...]` prints µs per
//! reward call, µs per env step and the reward's share of a step; with `--json` it writes
//! rows that `benches/peers/reward_call.py --ours FILE` compares with numpy rewards.

use rewardsmith::env::{AssetRoots, Env, State};
use rewardsmith::reward::{RewardOut, builtin_path, load_program};
use std::io::Write;
use std::time::Instant;

fn main() {
    let mut steps = 2000usize;
    let mut json = None;
    let mut only = Vec::new();
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--steps" => steps = args.next().and_then(|s| s.parse().ok()).unwrap_or(steps),
            "--json" => json = args.next(),
            "--bench" => {}
            other if !other.starts_with('-') => only.push(other.to_string()),
            _ => {}
        }
    }
    if only.is_empty() {
        only = ["cartpole", "reacher", "ant", "humanoid", "arm-push"]
            .map(String::from)
            .to_vec();
    }
    let roots = AssetRoots::discover();
    let mut out = json.map(|p| std::fs::File::create(p).expect("json file"));
    println!("| env | reward µs/call | env step µs | reward share of a step |");
    println!("|---|--:|--:|--:|");
    for name in &only {
        let mut env = Env::load(name, &roots).expect("env loads");
        env.reset(Some(0)).expect("reset");
        // Record real States of a random rollout, timing the steps.
        let mut states: Vec<State> = Vec::with_capacity(steps);
        let start = Instant::now();
        for _ in 0..steps {
            let a = env.sample_action();
            let (_, f) = env.step(&a).expect("step");
            states.push(env.state().clone());
            if f.terminated || f.truncated {
                env.reset(None).expect("reset");
            }
        }
        let step_us = start.elapsed().as_secs_f64() * 1e6 / steps as f64;
        let path = builtin_path(&roots, &env.compiled().spec.rewards.reward);
        let mut program = load_program(&path, &env.compiled().layout).expect("program compiles");
        let mut r = RewardOut::default();
        for s in states.iter().take(200) {
            program.reward_into(s, &mut r).expect("reward");
        }
        let rounds = 5;
        let start = Instant::now();
        for _ in 0..rounds {
            for s in &states {
                program.reward_into(s, &mut r).expect("reward");
                std::hint::black_box(&r);
            }
        }
        let reward_us = start.elapsed().as_secs_f64() * 1e6 / (rounds * steps) as f64;
        let share = reward_us / step_us;
        println!(
            "| {name} | {reward_us:.2} | {step_us:.1} | {:.1}% |",
            100.0 * share
        );
        if let Some(f) = out.as_mut() {
            let row = serde_json::json!({"env": name, "reward_us": reward_us, "step_us": step_us});
            writeln!(f, "{row}").expect("write json");
        }
    }
}
