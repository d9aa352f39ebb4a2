//! Overhead of a reward file: a 3-term file with transforms (lsc, normalize, clip) and a
//! constraint against the same three programs evaluated alone, on 256 cartpole states
//! from a random rollout (issue 18's target: ≤ 10 % more than the programs alone).

use criterion::{Criterion, criterion_group, criterion_main};
use rewardsmith::env::{AssetRoots, Env, State};
use rewardsmith::reward::{Reward, RewardOut, load_reward};
use std::hint::black_box;
use std::path::{Path, PathBuf};

fn bench(c: &mut Criterion) {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let ex = root.join("examples/composite-cartpole");
    let programs: [PathBuf; 3] = [
        root.join("rewards/cartpole.luau"),
        ex.join("speed.luau"),
        ex.join("position.luau"),
    ];
    let dir = tempfile::tempdir().expect("temp dir");
    let file = dir.path().join("three.toml");
    let text = format!(
        "[[terms]]\nname = \"task\"\nprogram = \"{}\"\ntransform = \"lsc\"\nr_ref = 0.5\n\
         [[terms]]\nname = \"speed\"\nprogram = \"{}\"\ntransform = \"normalize\"\n\
         [[terms]]\nname = \"position\"\nprogram = \"{}\"\ntransform = \"clip\"\nlo = -0.3\nhi = 0.3\n\
         [[constraints]]\ncomponent = \"position/x\"\nmax = 0.3\n",
        programs[0].display(),
        programs[1].display(),
        programs[2].display()
    );
    std::fs::write(&file, text).expect("write");
    let roots = AssetRoots::under(root);
    let mut env = Env::load("cartpole", &roots).expect("cartpole");
    env.reset(Some(1)).expect("reset");
    let mut states: Vec<State> = Vec::new();
    while states.len() < 256 {
        let a = env.sample_action();
        let (_, f) = env.step(&a).expect("step");
        states.push(env.state().clone());
        if f.terminated || f.truncated {
            env.reset(None).expect("reset");
        }
    }
    let mut out = vec![RewardOut::default(); states.len()];
    let mut alone: Vec<Box<dyn Reward>> = programs
        .iter()
        .map(|p| load_reward(p, &env).expect("program"))
        .collect();
    c.bench_function("three_programs_alone_256", |b| {
        b.iter(|| {
            for r in &mut alone {
                r.eval_batch(black_box(&states), &mut out).expect("eval");
            }
        })
    });
    let mut composite = load_reward(&file, &env).expect("reward file");
    c.bench_function("reward_file_3_terms_256", |b| {
        b.iter(|| {
            composite
                .eval_batch(black_box(&states), &mut out)
                .expect("eval");
        })
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
