//! Env throughput: steps per second for every built-in env at its control dt,
//! single-threaded (`Env`) and with `VecEnv` on 2 threads, random actions.
//!
//! `cargo bench --bench env_steps -- [--seconds S] [--envs N] [--json FILE] [ENV...]`
//! prints a table and, with `--json`, writes rows that `benches/peers/compare.py`
//! puts next to Gymnasium + MuJoCo.

use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use rewardsmith::env::{ActionSpace, AssetRoots, Env, VecEnv};
use std::io::Write;
use std::time::Instant;

/// The allocator of the `rewardsmith` binary (src/main.rs), so the figures are what
/// `train` and `envs check` get.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

struct Options {
    seconds: f64,
    vec_envs: usize,
    json: Option<String>,
    only: Vec<String>,
}

fn parse() -> Options {
    let mut o = Options {
        seconds: 2.0,
        vec_envs: 16,
        json: None,
        only: Vec::new(),
    };
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--seconds" => {
                o.seconds = args
                    .next()
                    .and_then(|s| s.parse().ok())
                    .unwrap_or(o.seconds)
            }
            "--envs" => {
                o.vec_envs = args
                    .next()
                    .and_then(|s| s.parse().ok())
                    .unwrap_or(o.vec_envs)
            }
            "--json" => o.json = args.next(),
            "--bench" => {}
            other if !other.starts_with('-') => o.only.push(other.to_string()),
            _ => {}
        }
    }
    o
}

/// Pre-sampled uniform actions (flat), so sampling stays out of the timing.
fn action_pool(space: &ActionSpace, n: usize) -> Vec<f64> {
    let mut rng = ChaCha8Rng::seed_from_u64(0);
    (0..n).flat_map(|_| space.sample(&mut rng)).collect()
}

fn single(name: &str, roots: &AssetRoots, seconds: f64) -> f64 {
    let mut env = Env::load(name, roots).expect("env loads");
    let space = env.compiled().action_space.clone();
    let pool = action_pool(&space, 4096);
    let adim = space.dim();
    let mut obs = env.reset(Some(0)).expect("reset");
    let start = Instant::now();
    let mut steps = 0usize;
    while start.elapsed().as_secs_f64() < seconds {
        for _ in 0..256 {
            let k = (steps % 4096) * adim;
            let f = env.step_into(&pool[k..k + adim], &mut obs).expect("step");
            if f.terminated || f.truncated {
                obs = env.reset(None).expect("reset");
            }
            steps += 1;
        }
    }
    steps as f64 / start.elapsed().as_secs_f64()
}

fn vectorized(name: &str, roots: &AssetRoots, n: usize, seconds: f64) -> f64 {
    let mut vec = VecEnv::new(name, roots, n, Some(2)).expect("vec env");
    let space = vec.compiled().action_space.clone();
    let pool = action_pool(&space, 64 * n);
    let chunk = n * space.dim();
    vec.reset(0).expect("reset");
    let start = Instant::now();
    let mut batches = 0usize;
    while start.elapsed().as_secs_f64() < seconds {
        let k = (batches % 64) * chunk;
        vec.step(&pool[k..k + chunk]).expect("step");
        batches += 1;
    }
    (batches * n) as f64 / start.elapsed().as_secs_f64()
}

fn main() {
    let o = parse();
    let roots = AssetRoots::discover();
    let names: Vec<String> = roots
        .builtin_names()
        .into_iter()
        .filter(|n| o.only.is_empty() || o.only.contains(n))
        .collect();
    let mut json = o
        .json
        .as_ref()
        .map(|p| std::fs::File::create(p).expect("json file"));
    println!(
        "| env | control dt (s) | Env steps/s (1 thread) | VecEnv×{} steps/s (2 threads) |",
        o.vec_envs
    );
    println!("|---|--:|--:|--:|");
    for name in &names {
        let dt = Env::load(name, &roots)
            .expect("env loads")
            .compiled()
            .spec
            .sim
            .control_dt;
        let one = single(name, &roots, o.seconds);
        let two = vectorized(name, &roots, o.vec_envs, o.seconds);
        println!("| {name} | {dt} | {one:.0} | {two:.0} |");
        if let Some(f) = json.as_mut() {
            for (mode, v) in [("single", one), ("vec2", two)] {
                let row = serde_json::json!({"env": name, "mode": mode, "steps_per_s": v, "control_dt": dt});
                writeln!(f, "{row}").expect("write json");
            }
        }
    }
}
