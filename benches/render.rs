//! Render throughput: frames per second at 224×224 for every built-in env and for a
//! synthetic humanoid-class scene, single-threaded and with `render_batch` of 16
//! worlds on a 2-thread rayon pool.
//!
//! `cargo bench --bench render -- [--seconds S] [--size N] [--save DIR] [ENV...]`
//! (`--save` writes one frame per scene as `DIR/<scene>.png`).

use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use rewardsmith::env::{AssetRoots, Env, EnvSpec};
use rewardsmith::render::{Renderer, render_batch};
use std::time::Instant;

const BATCH: usize = 16;
const THREADS: usize = 2;

/// A humanoid-sized figure of capsules, spheres and boxes over a ground plane
/// (15 bodies, like MuJoCo's Humanoid), seen from 3 m.
const HUMANOID_PROXY: &str = r#"
name = "humanoid-proxy"
description = "render benchmark scene"
[sim]
control_dt = 0.02
horizon = 1000
[[observations]]
term = "body_pos"
body = "torso"
[rewards]
reward = "none"
success = "none"
[camera]
pos = [0.0, -3.0, 1.3]
look_at = [0.0, 0.0, 1.0]
[[objects]]
name = "ground"
shape = { kind = "plane" }
color = [0.45, 0.5, 0.45]
"#;

fn humanoid_objects() -> String {
    // name, shape, pos
    let parts: [(&str, &str, [f64; 3]); 15] = [
        (
            "torso",
            "{ kind = \"capsule\", half_length = 0.15, radius = 0.09 }",
            [0.0, 0.0, 1.35],
        ),
        (
            "head",
            "{ kind = \"sphere\", radius = 0.1 }",
            [0.0, 0.0, 1.65],
        ),
        (
            "pelvis",
            "{ kind = \"capsule\", half_length = 0.06, radius = 0.09 }",
            [0.0, 0.0, 1.05],
        ),
        (
            "upper_arm_l",
            "{ kind = \"capsule\", half_length = 0.12, radius = 0.04 }",
            [-0.25, 0.0, 1.35],
        ),
        (
            "upper_arm_r",
            "{ kind = \"capsule\", half_length = 0.12, radius = 0.04 }",
            [0.25, 0.0, 1.35],
        ),
        (
            "lower_arm_l",
            "{ kind = \"capsule\", half_length = 0.11, radius = 0.035 }",
            [-0.25, 0.0, 1.05],
        ),
        (
            "lower_arm_r",
            "{ kind = \"capsule\", half_length = 0.11, radius = 0.035 }",
            [0.25, 0.0, 1.05],
        ),
        (
            "hand_l",
            "{ kind = \"sphere\", radius = 0.045 }",
            [-0.25, 0.0, 0.88],
        ),
        (
            "hand_r",
            "{ kind = \"sphere\", radius = 0.045 }",
            [0.25, 0.0, 0.88],
        ),
        (
            "thigh_l",
            "{ kind = \"capsule\", half_length = 0.17, radius = 0.06 }",
            [-0.1, 0.0, 0.75],
        ),
        (
            "thigh_r",
            "{ kind = \"capsule\", half_length = 0.17, radius = 0.06 }",
            [0.1, 0.0, 0.75],
        ),
        (
            "shin_l",
            "{ kind = \"capsule\", half_length = 0.15, radius = 0.05 }",
            [-0.1, 0.0, 0.35],
        ),
        (
            "shin_r",
            "{ kind = \"capsule\", half_length = 0.15, radius = 0.05 }",
            [0.1, 0.0, 0.35],
        ),
        (
            "foot_l",
            "{ kind = \"box\", half_extents = [0.05, 0.1, 0.03] }",
            [-0.1, 0.05, 0.03],
        ),
        (
            "foot_r",
            "{ kind = \"box\", half_extents = [0.05, 0.1, 0.03] }",
            [0.1, 0.05, 0.03],
        ),
    ];
    parts
        .iter()
        .map(|(name, shape, p)| {
            format!(
                "[[objects]]\nname = \"{name}\"\nshape = {shape}\npos = [{}, {}, {}]\ncolor = [0.8, 0.6, 0.4]\n",
                p[0], p[1], p[2]
            )
        })
        .collect()
}

fn humanoid_proxy() -> Env {
    let dir = std::env::temp_dir().join(format!("rewardsmith-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let file = dir.join("humanoid-proxy.toml");
    std::fs::write(&file, format!("{HUMANOID_PROXY}\n{}", humanoid_objects())).expect("spec");
    let spec = EnvSpec::from_file(&file).expect("proxy spec parses");
    let roots = AssetRoots::under(&dir);
    let env = Env::from_spec(spec, &file, &roots).expect("proxy builds");
    let _ = std::fs::remove_dir_all(&dir);
    env
}

/// `n` copies of `env`, each reset with its own seed and stepped a few random actions.
fn worlds(env: &Env, n: usize) -> Vec<Env> {
    let mut rng = ChaCha8Rng::seed_from_u64(0);
    (0..n)
        .map(|i| {
            let mut e = env.duplicate().expect("duplicate");
            e.reset(Some(i as u64)).expect("reset");
            let space = e.compiled().action_space.clone();
            for _ in 0..(i % 5) {
                let a = space.sample(&mut rng);
                let f = e.step(&a).expect("step");
                if f.1.terminated || f.1.truncated {
                    e.reset(None).expect("reset");
                }
            }
            e
        })
        .collect()
}

fn measure(seconds: f64, mut f: impl FnMut() -> usize) -> f64 {
    // Warm up once (thread-local buffers, caches).
    f();
    let start = Instant::now();
    let mut frames = 0usize;
    while start.elapsed().as_secs_f64() < seconds {
        frames += f();
    }
    frames as f64 / start.elapsed().as_secs_f64()
}

fn main() {
    let mut seconds = 2.0;
    let mut size = 224u32;
    let mut only = Vec::new();
    let mut save: Option<std::path::PathBuf> = None;
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--seconds" => seconds = args.next().and_then(|s| s.parse().ok()).unwrap_or(seconds),
            "--size" => size = args.next().and_then(|s| s.parse().ok()).unwrap_or(size),
            "--save" => save = args.next().map(Into::into),
            "--bench" => {}
            other if !other.starts_with('-') => only.push(other.to_string()),
            _ => {}
        }
    }
    let roots = AssetRoots::discover();
    let mut scenes: Vec<(String, Env)> = roots
        .builtin_names()
        .into_iter()
        .map(|n| {
            let env = Env::load(&n, &roots).expect("env loads");
            (n, env)
        })
        .collect();
    scenes.push(("humanoid-proxy".into(), humanoid_proxy()));
    scenes.retain(|(n, _)| only.is_empty() || only.contains(n));
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(THREADS)
        .build()
        .expect("rayon pool");
    println!(
        "| scene | triangles | frames/s, 1 thread ({size}²) | render_batch×{BATCH}, {THREADS} threads: frames/s | per core |"
    );
    println!("|---|--:|--:|--:|--:|");
    for (name, env) in &scenes {
        let envs = worlds(env, BATCH);
        let refs: Vec<_> = envs.iter().map(|e| e.world()).collect();
        let renderer = Renderer::for_env(&envs[0])
            .expect("renderer")
            .with_size(size, size)
            .expect("size");
        let mut frame = renderer.render(refs[0]);
        if let Some(dir) = &save {
            std::fs::create_dir_all(dir).expect("save dir");
            frame
                .save(dir.join(format!("{name}.png")))
                .expect("save frame");
        }
        let mut k = 0usize;
        let one = measure(seconds, || {
            for _ in 0..16 {
                renderer.render_into(refs[k % BATCH], &mut frame);
                k += 1;
            }
            16
        });
        let batch = pool.install(|| {
            measure(seconds, || {
                let frames = render_batch(&renderer, &refs);
                frames.len()
            })
        });
        println!(
            "| {name} | {} | {one:.0} | {batch:.0} | {:.0} |",
            renderer.scene().triangle_count(),
            batch / THREADS as f64
        );
    }
}
